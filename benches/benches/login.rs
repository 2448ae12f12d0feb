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
use openid_benches::assertions::{BenchLogin, REALM, RETURN_TO};
use openid_consumer::fetch::NetworkPolicy;
use openid_consumer::store::{MemoryStore, OpenIdStore};
use openid_consumer::{Consumer, Response};
use openid_store_sqlite::{SqliteStore, Synchronous};
use openid_testkit::{Provider, browser};

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
        let login = BenchLogin::new(store);
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || {
                    let query = login.assertion();
                    let url = BenchLogin::callback_url(&query);
                    (query, url)
                },
                |(query, url)| {
                    let response =
                        login.consumer.complete(Some(&login.pending), query.as_str(), url);
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
