//! Faults and configuration against a real PostgreSQL server: the server going away and
//! coming back, migrations, and errors that name what is wrong.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use openid_consumer::crypto::AssociationType;
use openid_consumer::store::{Association, OpenIdStore};
use openid_store_postgres::PostgresStore;
use openid_test_servers::{Backend, dedicated, shared};

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(),
    )
    .unwrap()
}

#[test]
fn calls_fail_as_unavailable_while_the_server_is_down_and_work_after_restart() {
    let Some(server) = dedicated(Backend::Postgres).unwrap() else { return };
    let store = PostgresStore::builder(server.url().parse().unwrap())
        .timeout(Duration::from_secs(2))
        .migrate(true)
        .build()
        .unwrap();
    let association =
        Association::new("h1", vec![1; 32], now(), 600, AssociationType::HmacSha256).unwrap();
    store.store_association("https://op/", &association).unwrap();

    server.stop().unwrap();
    for attempt in 0..3 {
        let started = Instant::now();
        let error = store.use_nonce("https://op/", now(), &format!("down-{attempt}")).unwrap_err();
        assert!(error.is_unavailable(), "{error}");
        let error = store.get_association("https://op/", None).unwrap_err();
        assert!(error.is_unavailable(), "{error}");
        // Bounded: the 2 s timeout, plus slack for a loaded machine.
        assert!(started.elapsed() < Duration::from_secs(6), "took {:?}", started.elapsed());
    }

    server.start().unwrap();
    assert_eq!(store.get_association("https://op/", None).unwrap(), Some(association));
    // One timestamp: two calls to now() may fall in different seconds.
    let t = now();
    assert!(store.use_nonce("https://op/", t, "after-restart").unwrap());
    assert!(!store.use_nonce("https://op/", t, "after-restart").unwrap());
}

#[test]
fn an_unmigrated_database_is_a_configuration_error_that_says_how_to_fix_it() {
    let Some(server) = shared(Backend::Postgres).unwrap() else { return };
    let store = PostgresStore::builder(server.url().parse().unwrap())
        .schema("never_migrated")
        .build()
        .unwrap();
    let error = store.use_nonce("https://op/", now(), "x").unwrap_err();
    assert!(error.is_config(), "{error}");
    assert!(error.to_string().contains("migrate"), "{error}");
    assert_eq!(store.schema_version().unwrap(), None);
}

#[test]
fn migrate_is_idempotent_and_records_the_version() {
    let Some(server) = shared(Backend::Postgres).unwrap() else { return };
    let url = format!("{}?schema=migrate_twice&migrate=true", server.url());
    let first = PostgresStore::from_url(&url).unwrap();
    let second = PostgresStore::from_url(&url).unwrap();
    second.migrate().unwrap();
    assert_eq!(first.schema_version().unwrap(), Some(1));
    // Both instances see the same tables.
    // One timestamp: two calls to now() may fall in different seconds.
    let t = now();
    assert!(first.use_nonce("https://op/", t, "shared").unwrap());
    assert!(!second.use_nonce("https://op/", t, "shared").unwrap());
}

#[test]
fn an_unreachable_server_is_reported_at_construction_without_the_password() {
    // Port 1 on loopback: nothing listens there.
    let error = PostgresStore::from_url("postgres://openid:hunter2@127.0.0.1:1/db?timeout_ms=500")
        .unwrap_err();
    assert!(error.is_unavailable(), "{error}");
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("127.0.0.1:1"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn custom_table_names_are_used() {
    let Some(server) = shared(Backend::Postgres).unwrap() else { return };
    let url = format!(
        "{}?schema=custom_names&associations_table=my_assocs&nonces_table=my_nonces&migrate=true",
        server.url()
    );
    let store = PostgresStore::from_url(&url).unwrap();
    assert!(store.use_nonce("https://op/", now(), "n").unwrap());
    let mut client = postgres::Client::connect(server.url(), postgres::NoTls).unwrap();
    let row = client.query_one("SELECT count(*) FROM custom_names.my_nonces", &[]).unwrap();
    assert_eq!(row.get::<_, i64>(0), 1);
}

#[test]
fn a_restarted_server_is_reconnected_without_a_failed_call() {
    let Some(server) = dedicated(Backend::Postgres).unwrap() else { return };
    let store = PostgresStore::from_url(&format!("{}?migrate=true", server.url())).unwrap();
    let t = now();
    assert!(store.use_nonce("https://op/", t, "one").unwrap());
    server.stop().unwrap();
    server.start().unwrap();
    // The pooled connection died with the server; the store retires it within the call.
    assert!(store.use_nonce("https://op/", t, "two").unwrap());
    assert!(!store.use_nonce("https://op/", t, "one").unwrap());
}

#[test]
fn a_call_stuck_behind_a_lock_fails_within_the_timeout() {
    let Some(server) = shared(Backend::Postgres).unwrap() else { return };
    let url = format!("{}?schema=locked&migrate=true&timeout_ms=1000", server.url());
    let store = PostgresStore::from_url(&url).unwrap();
    let mut holder = postgres::Client::connect(server.url(), postgres::NoTls).unwrap();
    let mut transaction = holder.transaction().unwrap();
    transaction.batch_execute("LOCK TABLE locked.openid_nonces IN ACCESS EXCLUSIVE MODE").unwrap();
    let started = Instant::now();
    let error = store.use_nonce("https://op/", now(), "behind-a-lock").unwrap_err();
    assert!(error.is_unavailable(), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    transaction.rollback().unwrap();
    assert!(store.use_nonce("https://op/", now(), "behind-a-lock").unwrap());
}
