//! [`PendingAuth`]: what a login in progress must remember between the redirect to the
//! provider and the browser's return.

use serde::{Deserialize, Serialize};

use crate::crypto::random_string;
use crate::discovery::ServiceEndpoint;
use crate::nonce::{self, NonceError};

/// The format version [`PendingAuth`] is written with; [`Consumer::complete`] refuses
/// others with [`FailureReason::PendingVersion`].
///
/// [`Consumer::complete`]: crate::Consumer::complete
/// [`FailureReason::PendingVersion`]: crate::FailureReason::PendingVersion
pub const PENDING_AUTH_VERSION: u32 = 1;

/// The query argument the library adds to `return_to`: the login's own nonce, which binds
/// the provider's answer to this browser's login (and is OpenID 1's replay protection).
pub const RETURN_TO_NONCE_ARG: &str = "openid_rs_nonce";

/// The state of one login in progress, from [`AuthRequest::pending`] to
/// [`Consumer::complete`]: the endpoint the login was started with, and a random nonce
/// the library added to `return_to`, and the association the provider was asked to use.
///
/// It is plain data: the application keeps it in the user's session between the two
/// requests (serialize it with any `serde` format), and the library never changes it
/// behind the application's back. A JSON encoding of a typical login is about 450 bytes
/// (measured by this crate's tests: at most 1.2 KiB for a 2.0 login with a delegated
/// identifier and long URLs; [`MAX_URL_BYTES`](crate::consumer::MAX_URL_BYTES) bounds every
/// URL in it), small enough for a cookie. Take it after making the request URL or form:
/// it records the `return_to` sent.
///
/// # Security
/// The library trusts it as its own memory: keep it on the server, or in a cookie that is
/// signed (or encrypted) by the web framework. A user who could edit it could claim any
/// identifier at a provider of their choosing.
///
/// [`AuthRequest::pending`]: crate::AuthRequest::pending
/// [`Consumer::complete`]: crate::Consumer::complete
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuth {
    #[serde(rename = "v")]
    version: u32,
    #[serde(rename = "e")]
    endpoint: ServiceEndpoint,
    #[serde(rename = "n")]
    nonce: String,
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    return_to: Option<String>,
    #[serde(rename = "h", default, skip_serializing_if = "Option::is_none")]
    assoc_handle: Option<String>,
    #[serde(rename = "a", default, skip_serializing_if = "std::ops::Not::not")]
    anonymous: bool,
}

impl PendingAuth {
    pub(crate) fn new(
        endpoint: ServiceEndpoint,
        nonce: String,
        return_to: Option<String>,
        assoc_handle: Option<String>,
        anonymous: bool,
    ) -> Self {
        Self { version: PENDING_AUTH_VERSION, endpoint, nonce, return_to, assoc_handle, anonymous }
    }

    /// The endpoint the login was started with (discovered, or given to
    /// [`Consumer::begin_with_endpoint`](crate::Consumer::begin_with_endpoint)).
    pub fn endpoint(&self) -> &ServiceEndpoint {
        &self.endpoint
    }

    /// The format version it was written with.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// When the login started, Unix seconds (the time of its nonce).
    pub fn started_at(&self) -> Option<i64> {
        nonce::split(&self.nonce).ok().map(|(timestamp, _)| timestamp)
    }

    /// The `return_to` the login sent the provider (with the library's nonce), once the
    /// request was made.
    pub fn return_to(&self) -> Option<&str> {
        self.return_to.as_deref()
    }

    /// The association the provider was asked to sign with, if any.
    pub fn association_handle(&self) -> Option<&str> {
        self.assoc_handle.as_deref()
    }

    /// Whether the login asked for an assertion without an identifier.
    pub fn is_anonymous(&self) -> bool {
        self.anonymous
    }

    pub(crate) fn nonce(&self) -> &str {
        &self.nonce
    }
}

/// A fresh login nonce: the `response_nonce` format (time, then salt), with a salt long
/// enough that nobody guesses another browser's (22 characters of 62: 131 bits).
pub(crate) fn new_nonce(now: i64) -> Result<String, NonceError> {
    let mut text = nonce::format_timestamp(now)?;
    text.push_str(&random_string(SALT_LEN, SALT_CHARS)?);
    Ok(text)
}

const SALT_LEN: usize = 22;
const SALT_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::endpoint::{TYPE_SIGNON_1_1, TYPE_SIGNON_2_0};

    fn typical() -> PendingAuth {
        let endpoint = ServiceEndpoint::for_claimed_id(
            "https://alice.example.com/",
            "https://openid.provider.example.com/server",
            None,
            vec![TYPE_SIGNON_2_0.into()],
        )
        .with_used_yadis(true);
        let return_to = "https://www.example.com/openid/return?openid_rs_nonce=2025-12-02T01:00:00Zabcdefghijklmnopqrstuv";
        PendingAuth::new(
            endpoint,
            new_nonce(1_764_637_200).unwrap(),
            Some(return_to.to_owned()),
            Some("{HMAC-SHA256}{6650b3d1}{lJcmWg==}".into()),
            false,
        )
    }

    #[test]
    fn it_round_trips_through_json_and_stays_cookie_sized() {
        let pending = typical();
        let json = serde_json::to_string(&pending).unwrap();
        assert_eq!(serde_json::from_str::<PendingAuth>(&json).unwrap(), pending);
        assert!(json.len() < 512, "{} bytes: {json}", json.len());
        // A long, delegated 2.0 + 1.1 identifier still fits in 1 KiB.
        let long = "https://a-rather-long-provider-name.example.com/openid/server/endpoint";
        let endpoint = ServiceEndpoint::for_claimed_id(
            format!("{long}/users/someone-with-a-long-name"),
            long,
            Some(format!("{long}/identity/someone-with-a-long-name")),
            vec![TYPE_SIGNON_2_0.into(), TYPE_SIGNON_1_1.into()],
        );
        let handle = Some("{HMAC-SHA256}{6650b3d1}{lJcmWg==}".to_owned());
        let return_to = Some(format!(
            "{long}/return?openid_rs_nonce=2025-12-02T01:00:00Zabcdefghijklmnopqrstuv"
        ));
        let pending =
            PendingAuth::new(endpoint, new_nonce(1_764_637_200).unwrap(), return_to, handle, false);
        let json = serde_json::to_string(&pending).unwrap();
        assert!(json.len() < 1230, "{} bytes: {json}", json.len());
    }

    #[test]
    fn its_nonce_is_a_fresh_long_random_nonce_with_the_start_time() {
        let a = typical();
        let b = typical();
        assert_ne!(a.nonce(), b.nonce());
        assert_eq!(a.started_at(), Some(1_764_637_200));
        assert_eq!(a.nonce().len(), 20 + SALT_LEN);
        assert_eq!(a.version(), PENDING_AUTH_VERSION);
    }
}
