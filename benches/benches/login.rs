//! The login flow.
//!
//! - `complete/*`: `Consumer::complete` on a valid OpenID 2.0 assertion signed with a
//!   stored association (no network), with the memory store and with SQLite (WAL,
//!   `synchronous=NORMAL`). Each call gets a fresh assertion (a new response nonce), made
//!   outside the timed part.
//! - `login/testkit`: a whole login against the test provider over loopback HTTP: `begin`
//!   (discovery of an identity URL; the association is reused), the browser's request to
//!   the provider, and `complete`. The provider runs in this process, or at
//!   `OPENID_TESTKIT_URL` (the `openid-testkit` binary) when that is set.
//!
//! `cargo bench -p openid-benches --bench login`; `scripts/bench-login.sh` runs it beside
//! python3-openid's `Consumer.complete` on the same work and prints the ratio.
// A benchmark aborts on a failed set-up: there is no caller to report to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion};
use openid_consumer::crypto::{AssociationType, sign_message};
use openid_consumer::discovery::endpoint::TYPE_SIGNON_2_0;
use openid_consumer::fetch::NetworkPolicy;
use openid_consumer::message::{Message, OpenIdVersion};
use openid_consumer::store::{Association, Clock, MemoryStore, OpenIdStore, SystemClock};
use openid_consumer::{Consumer, PendingAuth, Response, ServiceEndpoint};
use openid_store_sqlite::{SqliteStore, Synchronous};
use openid_testkit::{Provider, browser};

/// The same URLs as the Python side (`benches/python/complete.py`).
const OP: &str = "http://127.0.0.1:8901/op";
const CLAIMED_ID: &str = "http://127.0.0.1:8901/id/alice";
const REALM: &str = "http://127.0.0.1:8000/";
const RETURN_TO: &str = "http://127.0.0.1:8000/return";

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::builder(dir.path().join("login.sqlite"))
        .synchronous(Synchronous::Normal)
        .build()
        .unwrap();
    let mut group = criterion.benchmark_group("complete");
    for (name, store) in [
        ("memory", Arc::new(MemoryStore::new()) as Arc<dyn OpenIdStore>),
        ("sqlite_wal_normal", Arc::new(sqlite)),
    ] {
        let login = Login::new(store);
        group.bench_function(name, |b| {
            b.iter_batched(
                || login.assertion(),
                |query| {
                    let response = login.consumer.complete(
                        Some(&login.pending),
                        query.as_str(),
                        &callback_url(&query),
                    );
                    assert!(matches!(response, Response::Success(_)), "{response:?}");
                    black_box(response)
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
    whole_login(&mut criterion);
    criterion.final_summary();
}

fn whole_login(criterion: &mut Criterion) {
    let local = std::env::var("OPENID_TESTKIT_URL").is_err().then(|| Provider::start().unwrap());
    let base = local
        .as_ref()
        .map_or_else(|| std::env::var("OPENID_TESTKIT_URL").unwrap(), Provider::base_url);
    let identity = format!("{base}/id/alice");
    let consumer = Consumer::builder()
        .store(Arc::new(MemoryStore::new()))
        .policy(NetworkPolicy::default().allow_loopback())
        .build()
        .unwrap();
    let login = || {
        let mut request = consumer.begin(&identity).unwrap();
        let redirect = request.redirect_url(REALM, RETURN_TO, false).unwrap();
        let callback = browser::follow(&redirect).unwrap();
        let response =
            consumer.complete(Some(&request.pending()), callback.query.as_str(), &callback.url);
        assert!(matches!(response, Response::Success(_)), "{response:?}");
        response
    };
    login(); // associate once, outside the timed part
    let mut group = criterion.benchmark_group("login");
    group.bench_function("testkit", |b| b.iter(|| black_box(login())));
    group.finish();
}

/// A login in progress, and the association its assertions are signed with.
struct Login {
    consumer: Consumer,
    pending: PendingAuth,
    return_to: String,
    association: Association,
}

impl Login {
    fn new(store: Arc<dyn OpenIdStore>) -> Self {
        let now = SystemClock.now();
        let association = Association::new(
            "bench-handle",
            vec![1u8; 32],
            now,
            3_600,
            AssociationType::HmacSha256,
        )
        .unwrap();
        store.store_association(OP, &association).unwrap();
        let consumer = Consumer::builder().store(store).build().unwrap();
        let endpoint =
            ServiceEndpoint::for_claimed_id(CLAIMED_ID, OP, None, vec![TYPE_SIGNON_2_0.to_owned()]);
        let mut request = consumer.begin_with_endpoint(endpoint).unwrap();
        assert_eq!(request.association_handle(), Some("bench-handle"));
        let message = request.message(REALM, RETURN_TO, false).unwrap();
        let return_to = message.get_openid("return_to").unwrap().to_owned();
        Self { consumer, pending: request.pending(), return_to, association }
    }

    /// A fresh signed assertion, as the query string of the callback.
    fn assertion(&self) -> String {
        let mut message = Message::new(OpenIdVersion::V2_0);
        message.set_openid("mode", "id_res");
        message.set_openid("op_endpoint", OP);
        message.set_openid("claimed_id", CLAIMED_ID);
        message.set_openid("identity", CLAIMED_ID);
        message.set_openid("return_to", &self.return_to);
        let nonce = openid_benches::nonces::unique(SystemClock.now()).unwrap();
        message.set_openid("response_nonce", nonce.as_str());
        sign_message(&mut message, &self.association).unwrap();
        let url = message.to_url(&self.return_to);
        url.split_once('?').unwrap().1.to_owned()
    }
}

/// The URL the browser comes back to with `query`.
fn callback_url(query: &str) -> String {
    format!("{RETURN_TO}?{query}")
}
