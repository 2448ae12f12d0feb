//! Faults and configuration against a real MariaDB server: the server going away and
//! coming back, migrations, and errors that name what is wrong.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use openid_consumer::crypto::AssociationType;
use openid_consumer::store::{Association, Clock as _, OpenIdStore, SystemClock};
use openid_store_mysql::MysqlStore;
use openid_test_servers::{Backend, shared};

#[test]
fn an_unmigrated_database_is_a_configuration_error_that_says_how_to_fix_it() {
    let Some(server) = shared(Backend::Mysql).unwrap() else { return };
    let url = format!("{}?associations_table=never_a&nonces_table=never_n", server.url());
    let store = MysqlStore::from_url(&url).unwrap();
    let error = store.use_nonce("https://op/", SystemClock.now(), "x").unwrap_err();
    assert!(error.is_config(), "{error}");
    assert!(error.to_string().contains("migrate"), "{error}");
    assert_eq!(store.schema_version().unwrap(), None);
}

#[test]
fn migrate_is_idempotent_and_records_the_version() {
    let Some(server) = shared(Backend::Mysql).unwrap() else { return };
    let url =
        format!("{}?associations_table=twice_a&nonces_table=twice_n&migrate=true", server.url());
    let first = MysqlStore::from_url(&url).unwrap();
    let second = MysqlStore::from_url(&url).unwrap();
    second.migrate().unwrap();
    assert_eq!(first.schema_version().unwrap(), Some(1));
    // One timestamp: two calls to SystemClock.now() may fall in different seconds.
    let t = SystemClock.now();
    assert!(first.use_nonce("https://op/", t, "shared").unwrap());
    assert!(!second.use_nonce("https://op/", t, "shared").unwrap());
}

#[test]
fn long_urls_sharing_a_prefix_do_not_collide() {
    let Some(server) = shared(Backend::Mysql).unwrap() else { return };
    let url =
        format!("{}?associations_table=prefix_a&nonces_table=prefix_n&migrate=true", server.url());
    let store = MysqlStore::from_url(&url).unwrap();
    let base = format!("https://op.example/{}", "x".repeat(3_000));
    let (one, two) = (format!("{base}/one"), format!("{base}/two"));
    let a =
        Association::new("same", vec![1; 20], SystemClock.now(), 600, AssociationType::HmacSha1)
            .unwrap();
    let b =
        Association::new("same", vec![2; 20], SystemClock.now(), 600, AssociationType::HmacSha1)
            .unwrap();
    store.store_association(&one, &a).unwrap();
    store.store_association(&two, &b).unwrap();
    assert_eq!(store.get_association(&one, Some("same")).unwrap(), Some(a));
    assert_eq!(store.get_association(&two, Some("same")).unwrap(), Some(b));
    assert!(store.use_nonce(&one, SystemClock.now(), "s").unwrap());
    assert!(store.use_nonce(&two, SystemClock.now(), "s").unwrap());
}

#[test]
fn an_unreachable_server_is_reported_at_construction_without_the_password() {
    let error =
        MysqlStore::from_url("mysql://openid:hunter2@127.0.0.1:1/db?timeout_ms=500").unwrap_err();
    assert!(error.is_unavailable(), "{error}");
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("127.0.0.1:1"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn a_row_of_unexpected_shape_is_corrupt_not_a_panic() {
    use openid_store_mysql::mysql::prelude::Queryable;
    let Some(server) = shared(Backend::Mysql).unwrap() else { return };
    let url = format!("{}?associations_table=odd_a&nonces_table=odd_n&migrate=true", server.url());
    let store = MysqlStore::from_url(&url).unwrap();
    let association =
        Association::new("h", vec![1; 32], SystemClock.now(), 600, AssociationType::HmacSha256)
            .unwrap();
    store.store_association("https://op/", &association).unwrap();
    let mut conn = openid_store_mysql::mysql::Conn::new(
        openid_store_mysql::mysql::Opts::from_url(server.url()).unwrap(),
    )
    .unwrap();
    conn.query_drop("ALTER TABLE odd_a MODIFY lifetime BIGINT NULL").unwrap();
    conn.query_drop("UPDATE odd_a SET lifetime = NULL").unwrap();
    let error = store.get_association("https://op/", Some("h")).unwrap_err();
    assert!(error.is_corrupt(), "{error}");
    // The message names the table, never the secret's bytes.
    assert!(!format!("{error:?}").contains("\\u{1}"), "{error:?}");
}

#[test]
fn nonce_cleanup_finds_old_nonces_through_the_primary_key() {
    use openid_store_mysql::mysql::prelude::Queryable;
    let Some(server) = shared(Backend::Mysql).unwrap() else { return };
    let url =
        format!("{}?associations_table=plan_a&nonces_table=plan_n&migrate=true", server.url());
    let store = MysqlStore::from_url(&url).unwrap();
    let t = SystemClock.now();
    for i in 0..200 {
        assert!(store.use_nonce("https://op/", t - i, &format!("s{i}")).unwrap());
    }
    let mut conn = openid_store_mysql::mysql::Conn::new(
        openid_store_mysql::mysql::Opts::from_url(server.url()).unwrap(),
    )
    .unwrap();
    conn.query_drop("ANALYZE TABLE plan_n").unwrap();
    let shards: Vec<String> = (0..16).map(|s| s.to_string()).collect();
    let plan: Vec<openid_store_mysql::mysql::Row> = conn
        .query(format!(
            "EXPLAIN DELETE FROM plan_n WHERE shard IN ({}) AND timestamp < {}",
            shards.join(", "),
            t - 100
        ))
        .unwrap();
    let key: Option<String> = plan[0].get("key");
    let access: Option<String> = plan[0].get("type");
    assert_eq!(key.as_deref(), Some("PRIMARY"), "{plan:?}");
    assert_eq!(access.as_deref(), Some("range"), "{plan:?}");
}
