//! Faults and configuration against real Redis servers: a server or a whole cluster going
//! away and coming back, a hung server, refused credentials, the wrong kind of URL,
//! corrupt values, and the keys and TTLs the store writes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read as _;
use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openid_consumer::crypto::AssociationType;
use openid_consumer::nonce::SKEW;
use openid_consumer::store::{
    Association, Clock as _, ManualClock, NONCE_RETENTION, OpenIdStore, SystemClock,
};
use openid_store_redis::redis::{self, Commands as _};
use openid_store_redis::{RedisStore, RedisStoreBuilder};
use openid_test_servers::{Backend, dedicated, shared};

fn association(handle: &str, issued: i64, lifetime: i64) -> Association {
    Association::new(handle, vec![7; 32], issued, lifetime, AssociationType::HmacSha256).unwrap()
}

/// A key prefix unique to this test run, so runs against an external server
/// (`OPENID_TEST_REDIS_URL`) do not see each other's keys.
fn unique_prefix(name: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    format!("{name}_{}_{}:", std::process::id(), nanos.subsec_nanos())
}

/// A direct connection to a single server, to look at what the store wrote.
fn inspect(url: &str) -> redis::Connection {
    redis::Client::open(url).unwrap().get_connection().unwrap()
}

/// The keys under `prefix` on a single server, sorted.
fn keys(connection: &mut redis::Connection, prefix: &str) -> Vec<String> {
    let mut keys: Vec<String> = connection.keys(format!("{prefix}*")).unwrap();
    keys.sort();
    keys
}

#[test]
fn a_hung_server_makes_calls_fail_within_the_timeout_and_they_work_when_it_resumes() {
    let Some(server) = dedicated(Backend::Redis).unwrap() else { return };
    let store = RedisStore::from_url(&format!("{}?timeout_ms=500", server.url())).unwrap();
    let now = SystemClock.now();
    assert!(store.use_nonce("https://op/", now, "before").unwrap());
    let info: redis::InfoDict =
        redis::cmd("INFO").arg("server").query(&mut inspect(server.url())).unwrap();
    let pid: u32 = info.get("process_id").unwrap();
    let signal = |name: &str| {
        let status = Command::new("kill").args([name, &pid.to_string()]).status().unwrap();
        assert!(status.success(), "kill {name} {pid}");
    };

    signal("-STOP");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let started = Instant::now();
        let error = store.use_nonce("https://op/", now, "hung-0").unwrap_err();
        assert!(error.is_unavailable(), "{error}");
        // A read timeout (0.5 s), or a new connection's connect and pool wait (0.5 s each).
        assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
        // See: issue 15, item 4. The next calls fail at once for the back-off (1 s).
        for attempt in 1..4 {
            let started = Instant::now();
            let error =
                store.use_nonce("https://op/", now, &format!("hung-{attempt}")).unwrap_err();
            assert!(error.is_unavailable(), "{error}");
            assert!(error.to_string().contains("failing fast"), "{error}");
            assert!(started.elapsed() < Duration::from_millis(250), "{:?}", started.elapsed());
        }
    }));
    signal("-CONT");
    result.unwrap();
    // The back-off ends: the server is tried again.
    std::thread::sleep(Duration::from_millis(1_100));

    // The timed-out connections were discarded: no late reply is taken for a new answer.
    assert!(store.use_nonce("https://op/", now, "resumed").unwrap());
    assert!(!store.use_nonce("https://op/", now, "resumed").unwrap());
    assert!(!store.use_nonce("https://op/", now, "before").unwrap());
}

#[test]
fn a_hung_cluster_master_makes_its_calls_fail_within_the_timeout_and_they_work_when_it_resumes() {
    let Some(cluster) = dedicated(Backend::RedisCluster).unwrap() else { return };
    let store = RedisStore::from_url(&format!("{}?timeout_ms=600", cluster.url())).unwrap();
    let now = SystemClock.now();
    for i in 0..20 {
        assert!(store.use_nonce("https://op/", now, &format!("before-{i}")).unwrap());
    }
    let first = cluster.url().trim_start_matches("redis+cluster://").split(',').next().unwrap();
    let info: redis::InfoDict =
        redis::cmd("INFO").arg("server").query(&mut inspect(&format!("redis://{first}/"))).unwrap();
    let pid: u32 = info.get("process_id").unwrap();
    let signal = |name: &str| {
        let status = Command::new("kill").args([name, &pid.to_string()]).status().unwrap();
        assert!(status.success(), "kill {name} {pid}");
    };

    signal("-STOP");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut failed = 0;
        // Nonce keys spread over the masters: about a third of these go to the hung one.
        for i in 0..6 {
            let started = Instant::now();
            if let Err(error) = store.use_nonce("https://op/", now, &format!("hung-{i}")) {
                assert!(error.is_unavailable(), "{error}");
                failed += 1;
            }
            assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
        }
        assert!(failed > 0, "no call reached the hung master");
    }));
    signal("-CONT");
    result.unwrap();

    // The other masters may have declared the cluster down meanwhile; wait until every
    // node sees it healthy again (on a loaded machine that takes a few seconds).
    let deadline = Instant::now() + Duration::from_secs(30);
    let nodes: Vec<String> = cluster
        .url()
        .trim_start_matches("redis+cluster://")
        .split(',')
        .map(|node| format!("redis://{node}/"))
        .collect();
    let healthy = || {
        nodes.iter().all(|node| {
            redis::cmd("CLUSTER")
                .arg("INFO")
                .query::<String>(&mut inspect(node))
                .is_ok_and(|info| info.contains("cluster_state:ok"))
        })
    };
    while !healthy() || store.use_nonce("https://op/", now, "probe").is_err() {
        assert!(Instant::now() < deadline, "the cluster did not come back");
        std::thread::sleep(Duration::from_millis(200));
    }
    for i in 0..20 {
        assert!(!store.use_nonce("https://op/", now, &format!("before-{i}")).unwrap(), "{i}");
        assert!(store.use_nonce("https://op/", now, &format!("resumed-{i}")).unwrap(), "{i}");
    }
}

#[test]
fn a_server_that_accepts_but_never_answers_times_out_at_construction() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept connections and read whatever comes, never answering.
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut sink = [0u8; 1024];
                while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
            });
        }
    });
    let started = Instant::now();
    let error = RedisStore::from_url(&format!("redis://:hunter2@127.0.0.1:{port}/?timeout_ms=500"))
        .unwrap_err();
    assert!(error.is_unavailable(), "{error}");
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    assert!(!format!("{error} {error:?}").contains("hunter2"), "{error:?}");
}

#[test]
fn an_unreachable_server_is_reported_at_construction_without_the_password() {
    // Port 1 on loopback: nothing listens there.
    for url in [
        "redis://:hunter2@127.0.0.1:1/?timeout_ms=500",
        "redis+cluster://:hunter2@127.0.0.1:1,127.0.0.1:2/?timeout_ms=500",
    ] {
        let error = RedisStore::from_url(url).unwrap_err();
        assert!(error.is_unavailable(), "{error}");
        let shown = format!("{error} {error:?}");
        assert!(shown.contains("127.0.0.1:1"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}

#[test]
fn refused_credentials_are_a_configuration_error() {
    let Some(server) = dedicated(Backend::Redis).unwrap() else { return };
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("right-password")
        .query(&mut inspect(server.url()))
        .unwrap();
    let with_password =
        |password: &str| server.url().replacen("redis://", &format!("redis://:{password}@"), 1);

    let error = RedisStore::from_url(&with_password("hunter2")).unwrap_err();
    assert!(error.is_config(), "{error}");
    assert!(error.to_string().contains("credentials"), "{error}");
    assert!(!format!("{error} {error:?}").contains("hunter2"), "{error:?}");
    let error = RedisStore::from_url(server.url()).unwrap_err();
    assert!(error.is_config(), "no password: {error}");

    let store = RedisStore::from_url(&with_password("right-password")).unwrap();
    assert!(store.use_nonce("https://op/", SystemClock.now(), "authenticated").unwrap());
    assert!(!format!("{store:?}").contains("right-password"), "{store:?}");
}

#[test]
fn a_cluster_behind_a_single_server_url_is_a_configuration_error() {
    let Some(cluster) = shared(Backend::RedisCluster).unwrap() else { return };
    let first = cluster.url().trim_start_matches("redis+cluster://").split(',').next().unwrap();
    let store = RedisStore::from_url(&format!("redis://{first}/?prefix=wrong_mode:")).unwrap();
    // Some of these keys live on other masters, which answer MOVED.
    let error = (0..64)
        .find_map(|i| store.use_nonce("https://op/", SystemClock.now(), &format!("salt-{i}")).err())
        .expect("a key on another master");
    assert!(error.is_config(), "{error}");
    assert!(error.to_string().contains("redis+cluster://"), "{error}");
}

#[test]
fn a_single_server_behind_a_cluster_url_is_a_configuration_error() {
    let Some(server) = shared(Backend::Redis).unwrap() else { return };
    let url = server.url().replacen("redis://", "redis+cluster://", 1);
    let error = RedisStore::from_url(&url).unwrap_err();
    assert!(error.is_config(), "{error:?}");
    assert!(error.to_string().contains("redis://"), "{error}");
}

#[test]
fn a_value_that_does_not_deserialize_is_corrupt_never_an_association() {
    let Some(server) = shared(Backend::Redis).unwrap() else { return };
    let prefix = &unique_prefix("corrupt_values");
    let store = RedisStore::from_url(&format!("{}?prefix={prefix}", server.url())).unwrap();
    store.store_association("https://op/", &association("h", SystemClock.now(), 600)).unwrap();
    let mut redis = inspect(server.url());
    let key = keys(&mut redis, &format!("{prefix}assoc:")).pop().unwrap();

    let truncated = association("h", SystemClock.now(), 600)
        .serialize()
        .replace("assoc_type:HMAC-SHA256\n", "");
    for garbage in [&b"not an association"[..], b"\xff\xfe", truncated.as_bytes()] {
        let _: () = redis.set(&key, garbage).unwrap();
        let error = store.get_association("https://op/", Some("h")).unwrap_err();
        assert!(error.is_corrupt(), "{error}");
        let error = store.get_association("https://op/", None).unwrap_err();
        assert!(error.is_corrupt(), "{error}");
    }
    // Another handle's association under this handle's key.
    let _: () = redis.set(&key, association("other", SystemClock.now(), 600).serialize()).unwrap();
    assert!(store.get_association("https://op/", Some("h")).unwrap_err().is_corrupt());
    // A key of another type.
    let _: () = redis.del(&key).unwrap();
    let _: () = redis.rpush(&key, "x").unwrap();
    let error = store.get_association("https://op/", Some("h")).unwrap_err();
    assert!(error.is_corrupt(), "{error}");
    let error = store.get_association("https://op/", None).unwrap_err();
    assert!(error.is_corrupt(), "{error}");
}

#[test]
fn ttls_are_relative_and_come_from_the_store_clock_even_in_the_year_9999() {
    let Some(server) = shared(Backend::Redis).unwrap() else { return };
    let prefix = &unique_prefix("ttl_from_clock");
    let year_9999 = 253_402_300_799 - 100;
    let store = RedisStoreBuilder::from_url(&format!("{}?prefix={prefix}", server.url()))
        .unwrap()
        .clock(Arc::new(ManualClock::new(year_9999)))
        .build()
        .unwrap();
    store.store_association("https://op/", &association("h", year_9999 - 100, 1_000)).unwrap();
    assert!(store.use_nonce("https://op/", year_9999 - 60, "salt").unwrap());
    let mut redis = inspect(server.url());

    let ttl = |redis: &mut redis::Connection, kind: &str| -> i64 {
        let key = keys(redis, &format!("{prefix}{kind}")).pop().unwrap();
        redis.ttl(key).unwrap()
    };
    let association_ttl = ttl(&mut redis, "assoc:");
    assert!((899..=900).contains(&association_ttl), "association TTL {association_ttl}");
    let index_ttl = ttl(&mut redis, "assoc-index:");
    assert!((899..=900).contains(&index_ttl), "index TTL {index_ttl}");
    // Remembered until the nonce left the skew window the retention margin ago:
    // SKEW - 60 + NONCE_RETENTION + 1 seconds.
    let nonce_ttl = ttl(&mut redis, "nonce:");
    let kept = SKEW - 60 + NONCE_RETENTION;
    assert!((kept..=kept + 1).contains(&nonce_ttl), "nonce TTL {nonce_ttl}");
}

#[test]
fn the_index_drops_associations_the_server_expired() {
    let Some(server) = shared(Backend::Redis).unwrap() else { return };
    let prefix = &unique_prefix("index_pruning");
    let store = RedisStore::from_url(&format!("{}?prefix={prefix}", server.url())).unwrap();
    let issued = SystemClock.now();
    store.store_association("https://op/", &association("short-1", issued, 1)).unwrap();
    store.store_association("https://op/", &association("short-2", issued, 1)).unwrap();
    let mut redis = inspect(server.url());
    let index = keys(&mut redis, &format!("{prefix}assoc-index:")).pop().unwrap();
    assert_eq!(redis.zcard::<_, usize>(&index).unwrap(), 2);

    std::thread::sleep(Duration::from_millis(2_100));
    let live = association("live", issued - 10, 600);
    store.store_association("https://op/", &live).unwrap();
    assert_eq!(redis.zcard::<_, usize>(&index).unwrap(), 1, "expired members pruned on store");
    assert_eq!(store.get_association("https://op/", None).unwrap(), Some(live));
}

#[test]
fn on_a_cluster_nonces_spread_over_the_masters_and_each_server_keeps_one_slot() {
    let Some(cluster) = shared(Backend::RedisCluster).unwrap() else { return };
    let prefix = &unique_prefix("cluster_layout");
    let store = RedisStore::from_url(&format!("{}?prefix={prefix}", cluster.url())).unwrap();
    for i in 0..30 {
        assert!(store.use_nonce("https://op/", SystemClock.now(), &format!("salt-{i}")).unwrap());
    }
    for handle in ["a", "b", "c"] {
        store
            .store_association("https://op/", &association(handle, SystemClock.now(), 600))
            .unwrap();
    }
    let mut masters_with_nonces = 0;
    let mut association_slots = Vec::new();
    for node in cluster.url().trim_start_matches("redis+cluster://").split(',') {
        let mut redis = inspect(&format!("redis://{node}/"));
        let nonces: Vec<String> = redis.keys(format!("{prefix}nonce:*")).unwrap();
        masters_with_nonces += usize::from(!nonces.is_empty());
        let associations: Vec<String> = redis.keys(format!("{prefix}assoc*")).unwrap();
        for key in associations {
            let slot: i64 =
                redis::cmd("CLUSTER").arg("KEYSLOT").arg(&key).query(&mut redis).unwrap();
            association_slots.push(slot);
        }
    }
    assert_eq!(masters_with_nonces, 3, "30 nonces should reach every master");
    assert_eq!(association_slots.len(), 4, "three associations and their index");
    association_slots.dedup();
    assert_eq!(association_slots.len(), 1, "one slot per server URL");
}

#[test]
fn a_store_made_from_a_client_uses_the_default_prefix() {
    let Some(server) = shared(Backend::Redis).unwrap() else { return };
    let store = RedisStore::new(&redis::Client::open(server.url()).unwrap()).unwrap();
    assert_eq!(store.prefix(), "openid:");
    let salt = format!("default-prefix-{}", std::process::id());
    assert!(store.use_nonce("https://op/", SystemClock.now(), &salt).unwrap());
    let mut redis = inspect(server.url());
    assert!(!keys(&mut redis, "openid:nonce:").is_empty());
}

// See the store review: with maxmemory and an LRU policy, Redis evicted a stored nonce and
// the same nonce was accepted again.
#[test]
fn a_server_that_evicts_keys_is_refused_unless_allowed() {
    let Some(server) = dedicated(Backend::Redis).unwrap() else { return };
    let mut admin = inspect(server.url());
    let set = |admin: &mut redis::Connection, key: &str, value: &str| {
        let _: () = redis::cmd("CONFIG").arg("SET").arg(key).arg(value).query(admin).unwrap();
    };
    set(&mut admin, "maxmemory", "100mb");
    set(&mut admin, "maxmemory-policy", "allkeys-lru");
    let error = RedisStore::from_url(server.url()).unwrap_err();
    assert!(error.is_config(), "{error}");
    assert!(error.to_string().contains("allkeys-lru"), "{error}");
    let allowed = RedisStore::from_url(&format!("{}?allow_eviction=true", server.url())).unwrap();
    assert!(allowed.use_nonce("https://op/", SystemClock.now(), "x").unwrap());
    // A limit with noeviction is safe: a full server answers errors, never forgets.
    set(&mut admin, "maxmemory-policy", "noeviction");
    assert!(RedisStore::from_url(server.url()).is_ok());
}

// See: issue 15, item 2 (a nonce acknowledged by the master alone is lost by a failover).
#[test]
fn with_wait_replicas_a_nonce_is_fresh_only_once_a_replica_holds_it() {
    use openid_test_servers::{Variant, dedicated_variant};

    /// Thaws the replica when the test ends, also when it fails.
    struct Thaw<'a>(&'a openid_test_servers::Server);
    impl Drop for Thaw<'_> {
        fn drop(&mut self) {
            let _ = self.0.thaw_node(1);
        }
    }

    let Some(server) = dedicated_variant(Backend::Redis, Variant::Replicated).unwrap() else {
        return;
    };
    let waiting = RedisStore::from_url(&format!(
        // WAIT gets half of it: room for a replica on a loaded machine.
        "{}?prefix=wait:&wait_replicas=1&timeout_ms=3000",
        server.url()
    ))
    .unwrap();
    let plain = RedisStore::from_url(&format!("{}?prefix=plain:", server.url())).unwrap();
    let t = SystemClock.now();
    assert!(waiting.use_nonce("https://op/", t, "replicated").unwrap());
    assert!(!waiting.use_nonce("https://op/", t, "replicated").unwrap(), "a replay");

    server.freeze_node(1).unwrap();
    let thaw = Thaw(&server);
    let started = Instant::now();
    let error = waiting.use_nonce("https://op/", t, "unreplicated").unwrap_err();
    let took = started.elapsed();
    assert!(error.is_unavailable(), "{error}");
    assert!(error.to_string().contains("0 of the 1 replicas"), "{error}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
    // Without wait_replicas the master's answer is enough, replica or not.
    assert!(plain.use_nonce("https://op/", t, "master-only").unwrap());
    drop(thaw);

    // The failed call recorded its nonce on the master: failing closed, it stays used.
    assert!(!waiting.use_nonce("https://op/", t, "unreplicated").unwrap());
    assert!(waiting.use_nonce("https://op/", t, "after").unwrap());
}

#[test]
fn wait_replicas_on_a_cluster_is_a_configuration_error() {
    let error = RedisStore::from_url("redis+cluster://127.0.0.1:1,127.0.0.1:2?wait_replicas=1")
        .unwrap_err();
    assert!(error.is_config(), "{error}");
    assert!(error.to_string().contains("not on a Redis Cluster"), "{error}");
}

// See: issue 15, item 2 (the eviction check covered only the nodes listed in the URL).
#[test]
fn a_replica_that_evicts_keys_is_refused_like_the_master() {
    use openid_test_servers::{Variant, dedicated_variant};

    let Some(server) = dedicated_variant(Backend::Redis, Variant::Replicated).unwrap() else {
        return;
    };
    assert!(RedisStore::from_url(server.url()).is_ok());
    let info: String =
        redis::cmd("INFO").arg("replication").query(&mut inspect(server.url())).unwrap();
    let port = info
        .lines()
        .find_map(|line| {
            line.strip_prefix("slave0:")?.split(',').find_map(|f| f.strip_prefix("port="))
        })
        .unwrap()
        .to_owned();
    let mut replica = inspect(&format!("redis://127.0.0.1:{port}/"));
    redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg("64mb").exec(&mut replica).unwrap();
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("allkeys-lru")
        .exec(&mut replica)
        .unwrap();

    let error = RedisStore::from_url(server.url()).unwrap_err();
    assert!(error.is_config(), "{error}");
    let shown = error.to_string();
    assert!(shown.contains(&format!("127.0.0.1:{port}")), "names the replica: {shown}");
    assert!(shown.contains("allkeys-lru"), "{shown}");
    assert!(RedisStore::from_url(&format!("{}?allow_eviction=true", server.url())).is_ok());
}
