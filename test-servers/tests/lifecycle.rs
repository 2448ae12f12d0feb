//! Each backend starts, answers, stops (and really stops), and comes back on restart.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use openid_test_servers::{Backend, dedicated, shared};

fn stop_and_restart(backend: Backend) {
    let Some(server) = dedicated(backend).unwrap_or_else(|e| panic!("{e}")) else { return };
    assert!(server.is_ready(), "{backend} should be ready after start");
    server.stop().unwrap();
    assert!(!server.is_ready(), "{backend} still answers after stop");
    server.start().unwrap();
    assert!(server.is_ready(), "{backend} should answer again after restart");
    let dir = server.dir().unwrap().to_path_buf();
    assert!(dir.exists());
}

#[test]
fn postgres_stops_and_restarts() {
    stop_and_restart(Backend::Postgres);
}

#[test]
fn mysql_stops_and_restarts() {
    stop_and_restart(Backend::Mysql);
}

#[test]
fn redis_stops_and_restarts() {
    stop_and_restart(Backend::Redis);
}

#[test]
fn redis_cluster_stops_and_restarts() {
    stop_and_restart(Backend::RedisCluster);
}

#[test]
fn memcache_stops_and_restarts() {
    stop_and_restart(Backend::Memcache);
}

#[test]
fn shared_server_is_started_once_per_process() {
    let Some(first) = shared(Backend::Redis).unwrap() else { return };
    let second = shared(Backend::Redis).unwrap().unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &second));
    assert!(first.url().starts_with("redis://127.0.0.1:"));
}

#[test]
fn missing_binary_error_names_the_package() {
    let error = openid_test_servers::ServerError::MissingBinary {
        backend: "memcache",
        binary: "memcached",
        package: "memcached",
        variable: "OPENID_TEST_MEMCACHE_URL",
    };
    let message = error.to_string();
    assert!(message.contains("apt-get install -y memcached"), "{message}");
    assert!(message.contains("OPENID_TEST_SKIP=memcache"), "{message}");
}

#[test]
fn an_evicting_variant_is_offered_for_the_caches_only() {
    use openid_test_servers::{Variant, dedicated_variant};
    for backend in [Backend::Redis, Backend::Memcache] {
        let Some(server) = dedicated_variant(backend, Variant::Evicting).unwrap() else { continue };
        assert!(server.is_ready(), "{backend}");
    }
    if Backend::Postgres.is_skipped() {
        return;
    }
    let error = dedicated_variant(Backend::Postgres, Variant::Evicting).unwrap_err();
    assert!(error.to_string().contains("no Evicting variant"), "{error}");
}
