//! A login in progress and fresh signed assertions for it: the input of every timing of
//! `Consumer::complete` (the `login` bench and the `complete_floor` example), the same
//! shape as python3-openid's side (`benches/python/complete.py`).

use std::sync::Arc;

use openid_consumer::crypto::{AssociationType, sign_message};
use openid_consumer::discovery::endpoint::TYPE_SIGNON_2_0;
use openid_consumer::message::{Message, OpenIdVersion};
use openid_consumer::store::{Association, Clock, OpenIdStore, SystemClock};
use openid_consumer::{Consumer, PendingAuth, ServiceEndpoint};

/// The provider's endpoint, as on the Python side.
pub const OP: &str = "http://127.0.0.1:8901/op";
/// The user's claimed identifier.
pub const CLAIMED_ID: &str = "http://127.0.0.1:8901/id/alice";
/// The site's realm.
pub const REALM: &str = "http://127.0.0.1:8000/";
/// Where the provider sends the browser back.
pub const RETURN_TO: &str = "http://127.0.0.1:8000/return";
/// The handle of the association the assertions are signed with.
pub const HANDLE: &str = "bench-handle";

/// A login begun with a consumer over `store`, which holds the association its assertions
/// are signed with (HMAC-SHA256, an hour).
pub struct BenchLogin {
    /// The consumer that began the login.
    pub consumer: Consumer,
    /// The login's saved state, for `complete`.
    pub pending: PendingAuth,
    /// The login's `return_to`, with the consumer's own nonce.
    pub return_to: String,
    /// The association, also in the store.
    pub association: Association,
}

impl BenchLogin {
    /// Stores the association in `store` and begins a login at [`OP`] for [`CLAIMED_ID`].
    ///
    /// # Panics
    /// When the store or the consumer fails: a benchmark has no caller to report to.
    #[allow(clippy::unwrap_used)]
    pub fn new(store: Arc<dyn OpenIdStore>) -> Self {
        let association = Association::new(
            HANDLE,
            vec![1u8; 32],
            SystemClock.now(),
            3_600,
            AssociationType::HmacSha256,
        )
        .unwrap();
        store.store_association(OP, &association).unwrap();
        let consumer = Consumer::builder().store(store).build().unwrap();
        let endpoint =
            ServiceEndpoint::for_claimed_id(CLAIMED_ID, OP, None, vec![TYPE_SIGNON_2_0.to_owned()]);
        let mut request = consumer.begin_with_endpoint(endpoint).unwrap();
        assert_eq!(request.association_handle(), Some(HANDLE), "the login uses the association");
        let message = request.message(REALM, RETURN_TO, false).unwrap();
        let return_to = message.get_openid("return_to").unwrap().to_owned();
        Self { consumer, pending: request.pending(), return_to, association }
    }

    /// A fresh signed assertion (a nonce no other call of this process repeats), as the
    /// query string of the callback.
    ///
    /// # Panics
    /// When signing fails, which it does not for this message.
    #[allow(clippy::unwrap_used)]
    pub fn assertion(&self) -> String {
        let mut message = Message::new(OpenIdVersion::V2_0);
        message.set_openid("mode", "id_res");
        message.set_openid("op_endpoint", OP);
        message.set_openid("claimed_id", CLAIMED_ID);
        message.set_openid("identity", CLAIMED_ID);
        message.set_openid("return_to", &self.return_to);
        let nonce = crate::nonces::unique(SystemClock.now()).unwrap();
        message.set_openid("response_nonce", nonce.as_str());
        sign_message(&mut message, &self.association).unwrap();
        let url = message.to_url(&self.return_to);
        url.split_once('?').unwrap().1.to_owned()
    }

    /// The URL the browser comes back to with `query`.
    pub fn callback_url(query: &str) -> String {
        format!("{RETURN_TO}?{query}")
    }
}
