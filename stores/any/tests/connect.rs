//! `connect` opens every backend from its URL, against real servers and files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use openid_consumer::crypto::AssociationType;
use openid_consumer::store::{Association, Clock as _, OpenIdStore, SystemClock};

/// A store from `connect` keeps nonces and associations.
fn works(store: &Arc<dyn OpenIdStore>, tag: &str) {
    let t = SystemClock.now();
    let server = format!("https://op.example/{tag}");
    assert!(store.use_nonce(&server, t, "salt").unwrap(), "{tag}");
    assert!(!store.use_nonce(&server, t, "salt").unwrap(), "{tag}");
    let association =
        Association::new("h", vec![9; 32], t, 600, AssociationType::HmacSha256).unwrap();
    store.store_association(&server, &association).unwrap();
    assert_eq!(store.get_association(&server, None).unwrap(), Some(association), "{tag}");
}

#[test]
#[cfg(all(feature = "file", feature = "sqlite"))]
fn file_and_sqlite_urls_open_their_stores() {
    let dir = tempfile::tempdir().unwrap();
    works(
        &openid_stores::connect(&format!("file://{}/files", dir.path().display())).unwrap(),
        "file",
    );
    works(
        &openid_stores::connect(&format!("sqlite://{}/db.sqlite", dir.path().display())).unwrap(),
        "sqlite",
    );
    works(&openid_stores::connect("sqlite::memory:").unwrap(), "sqlite-memory");
}

#[test]
#[cfg(all(feature = "postgres", feature = "mysql", feature = "redis", feature = "memcache"))]
fn server_urls_open_their_stores() {
    use openid_test_servers::{Backend, shared};

    for (backend, options) in [
        (Backend::Postgres, "?schema=facade&migrate=true"),
        (Backend::Mysql, "?table_prefix=facade_&migrate=true"),
        (Backend::Redis, "?prefix=facade:"),
        (Backend::RedisCluster, "?prefix=facade:"),
        (Backend::Memcache, "?prefix=facade:"),
    ] {
        let Some(server) = shared(backend).unwrap() else { continue };
        let url = format!("{}{options}", server.url());
        let store = openid_stores::connect(&url).unwrap_or_else(|e| panic!("{url}: {e}"));
        works(&store, backend.name());
    }
}

#[test]
#[cfg(all(feature = "postgres", feature = "mysql"))]
fn backend_errors_come_through_without_passwords() {
    let error = openid_stores::connect("postgres://app:hunter2@127.0.0.1:1/db?timeout_ms=300")
        .err()
        .expect("connect should fail");
    assert!(error.is_unavailable(), "{error}");
    assert!(!format!("{error} {error:?}").contains("hunter2"));
    let error = openid_stores::connect("mysql://app:hunter2@127.0.0.1:1/db?nonsense=1")
        .err()
        .expect("connect should fail");
    assert!(error.is_config(), "{error}");
    assert!(!format!("{error} {error:?}").contains("hunter2"));
}

#[test]
#[cfg(feature = "redis")]
fn rediss_urls_open_a_redis_store_over_tls() {
    use openid_test_servers::{Backend, Variant, shared_variant};

    let Some(server) = shared_variant(Backend::Redis, Variant::Tls).unwrap() else { return };
    // The URL trusts the server's CA already (`tls_ca_file`).
    let url = format!("{}&prefix=facade_tls:", server.url());
    assert!(url.starts_with("rediss://"), "{url}");
    let store = openid_stores::connect(&url).unwrap_or_else(|e| panic!("{url}: {e}"));
    works(&store, "redis-tls");
}
