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
    let error = MysqlStore::from_url(&url).unwrap_err();
    assert!(error.is_config(), "{error}");
    let shown = error.to_string();
    assert!(shown.contains("no schema yet") && shown.contains("?migrate=true"), "{shown}");
}

#[test]
fn tables_dropped_after_the_build_are_a_configuration_error_that_says_how_to_fix_it() {
    use openid_store_mysql::mysql::prelude::Queryable;
    let Some(server) = shared(Backend::Mysql).unwrap() else { return };
    let url =
        format!("{}?associations_table=gone_a&nonces_table=gone_n&migrate=true", server.url());
    let store = MysqlStore::from_url(&url).unwrap();
    raw(server.url()).query_drop("DROP TABLE gone_n").unwrap();
    let error = store.use_nonce("https://op/", SystemClock.now(), "x").unwrap_err();
    assert!(error.is_config(), "{error}");
    assert!(error.to_string().contains("migrate"), "{error}");
}

#[test]
fn migrate_is_idempotent_and_records_the_version() {
    let Some(server) = shared(Backend::Mysql).unwrap() else { return };
    let url =
        format!("{}?associations_table=twice_a&nonces_table=twice_n&migrate=true", server.url());
    let first = MysqlStore::from_url(&url).unwrap();
    let second = MysqlStore::from_url(&url).unwrap();
    second.migrate().unwrap();
    assert_eq!(first.schema_version().unwrap(), Some(2));
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
    // The store's cleanup statement (schema.rs), one batch of one shard.
    let plan: Vec<openid_store_mysql::mysql::Row> = conn
        .query(format!(
            "EXPLAIN DELETE FROM plan_n WHERE shard = 3 AND timestamp < {} \
             ORDER BY timestamp, nonce_key LIMIT 20000",
            t - 100
        ))
        .unwrap();
    let key: Option<String> = plan[0].get("key");
    let access: Option<String> = plan[0].get("type");
    let extra: Option<String> = plan[0].get("Extra");
    assert_eq!(key.as_deref(), Some("PRIMARY"), "{plan:?}");
    assert_eq!(access.as_deref(), Some("range"), "{plan:?}");
    assert!(!extra.unwrap_or_default().contains("filesort"), "{plan:?}");
}

// A backlog of old nonces was deleted by one statement, which outlasted the read timeout:
// the call failed while the server went on deleting and holding the rows' locks, and each
// retry waited on those locks and failed too.
#[test]
fn a_large_nonce_backlog_is_cleaned_up_in_batches_within_a_short_timeout() {
    use std::time::{Duration, Instant};

    use openid_consumer::nonce::SKEW;
    use openid_consumer::store::NONCE_RETENTION;
    use openid_store_mysql::mysql::prelude::Queryable;

    const BACKLOG: usize = 1_000_000;
    /// `CLEANUP_BATCH` of the store.
    const BATCH: i64 = 20_000;
    // A server of its own: the backlog's writes do not slow the other tests' server, and
    // the server's count of DELETE statements is this test's alone. Against a server named
    // by OPENID_TEST_MYSQL_URL the test is skipped (loudly): that count would not be its.
    let Some(server) = openid_test_servers::dedicated(Backend::Mysql).unwrap() else { return };
    let tables = "associations_table=backlog_a&nonces_table=backlog_n";
    // The schema, the live nonce and the checks after under the default time limit; the
    // short one is for the cleanup.
    let store = MysqlStore::from_url(&format!("{}?{tables}&migrate=true", server.url())).unwrap();
    // Its build checks the schema under that limit too: a loaded machine may need a retry.
    let pause = Duration::from_millis(300);
    let hurried = openid_store_conformance::helpers::retry_while_unavailable(
        10,
        pause,
        "a 1 s store",
        || {
            // Shorter than one delete of the whole backlog takes here (1.9 s), far longer than
            // a batch (60 ms).
            MysqlStore::from_url(&format!("{}?{tables}&timeout_ms=1000", server.url()))
        },
    );
    let now = SystemClock.now();
    assert!(store.use_nonce("https://op/", now, "live").unwrap());
    let mut conn = raw(server.url());
    let started = Instant::now();
    // MariaDB's sequence engine (`seq_1_to_N`) numbers the rows.
    conn.exec_drop(
        format!(
            "INSERT INTO backlog_n (shard, timestamp, nonce_key, server_url, salt) \
             SELECT ASCII(k) % 16, ? - (seq % 7200), k, 'https://op/', CONCAT('salt-', seq) \
             FROM (SELECT UNHEX(SHA2(CONCAT('backlog-', seq), 256)) AS k, seq \
                   FROM seq_1_to_{BACKLOG}) AS g"
        ),
        (now - SKEW - NONCE_RETENTION - 1,),
    )
    .unwrap();
    eprintln!("backlog written in {:?}", started.elapsed());
    // The statements a batched cleanup runs: per shard, one per full batch and a last one.
    let per_shard: Vec<(u8, i64)> = conn
        .query("SELECT shard, count(*) FROM backlog_n WHERE salt <> 'live' GROUP BY shard")
        .unwrap();
    assert_eq!(per_shard.len(), 16);
    let expected: i64 = per_shard.iter().map(|(_, rows)| rows / BATCH + 1).sum();
    let deletes = |conn: &mut openid_store_mysql::mysql::Conn| -> i64 {
        let row: Option<(String, i64)> =
            conn.query_first("SHOW GLOBAL STATUS LIKE 'Com_delete'").unwrap();
        row.unwrap().1
    };
    let deletes_before = deletes(&mut conn);

    // A batch may outlast the limit on a loaded machine; a second call gets further.
    let cleanup = openid_store_conformance::helpers::clean_up_backlog(&hurried, 10);
    let (removed, attempts, took) = (cleanup.removed_by_last_call, cleanup.calls, cleanup.took);
    let statements = deletes(&mut conn) - deletes_before;
    if attempts == 1 {
        assert_eq!(removed, BACKLOG);
        assert_eq!(statements, expected, "DELETE statements for {per_shard:?}");
    } else {
        assert!(statements >= expected, "{statements} DELETE statements, {expected} expected");
    }
    let left: Option<i64> = conn.query_first("SELECT count(*) FROM backlog_n").unwrap();
    assert_eq!(left, Some(1), "only the live nonce is left");
    assert!(took < Duration::from_secs(120), "cleanup took {took:?}");
    assert!(!store.use_nonce("https://op/", now, "live").unwrap(), "a live nonce was removed");
    assert_eq!(store.cleanup_nonces().unwrap(), 0);
}

/// A plain connection to the test server.
fn raw(url: &str) -> openid_store_mysql::mysql::Conn {
    use openid_store_mysql::mysql::{Conn, Opts};
    Conn::new(Opts::from_url(url).unwrap()).unwrap()
}

/// Builds the tables as version 1 of the schema was released (before the sharded nonce
/// key, commit 6d15ee6), with `nonces` recorded the way that version's store recorded
/// them; `sharded` gives the nonce table the layout of development builds that changed it
/// under version 1.
fn version_1_tables(url: &str, prefix: &str, nonces: &[(&str, i64, &str)], sharded: bool) {
    use openid_store_mysql::mysql::prelude::Queryable;
    let mut conn = raw(url);
    let options = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
    for table in ["associations", "nonces", "associations_schema_version"] {
        conn.query_drop(format!("DROP TABLE IF EXISTS {prefix}{table}")).unwrap();
    }
    conn.query_drop(format!(
        "CREATE TABLE {prefix}associations_schema_version \
         (version INT PRIMARY KEY, applied_at BIGINT NOT NULL) ENGINE=InnoDB"
    ))
    .unwrap();
    conn.query_drop(format!(
        "INSERT INTO {prefix}associations_schema_version VALUES (1, 1700000000)"
    ))
    .unwrap();
    conn.query_drop(format!(
        "CREATE TABLE {prefix}associations (
             server_key BINARY(32) NOT NULL, handle VARBINARY(255) NOT NULL,
             server_url MEDIUMTEXT NOT NULL, secret BLOB NOT NULL, issued BIGINT NOT NULL,
             lifetime BIGINT NOT NULL, assoc_type VARCHAR(32) NOT NULL,
             expires_at BIGINT NOT NULL, PRIMARY KEY (server_key, handle),
             KEY newest (server_key, issued), KEY expiry (expires_at)
         ) {options}"
    ))
    .unwrap();
    if sharded {
        conn.query_drop(format!(
            "CREATE TABLE {prefix}nonces (shard TINYINT UNSIGNED NOT NULL,
                 timestamp BIGINT NOT NULL, nonce_key BINARY(32) NOT NULL,
                 server_url MEDIUMTEXT NOT NULL, salt MEDIUMTEXT NOT NULL,
                 PRIMARY KEY (shard, timestamp, nonce_key)) {options}"
        ))
        .unwrap();
    } else {
        conn.query_drop(format!(
            "CREATE TABLE {prefix}nonces (nonce_key BINARY(32) NOT NULL PRIMARY KEY,
                 server_url MEDIUMTEXT NOT NULL, timestamp BIGINT NOT NULL,
                 salt MEDIUMTEXT NOT NULL, KEY age (timestamp)) {options}"
        ))
        .unwrap();
    }
    for (server_url, timestamp, salt) in nonces {
        let key = openid_store_kit::keys::nonce_digest(server_url, *timestamp, salt);
        if sharded {
            let shard = key[0] % 16;
            conn.exec_drop(
                format!("INSERT INTO {prefix}nonces VALUES (?, ?, ?, ?, ?)"),
                (shard, timestamp, key.as_slice(), server_url, salt),
            )
            .unwrap();
        } else {
            conn.exec_drop(
                format!("INSERT INTO {prefix}nonces VALUES (?, ?, ?, ?)"),
                (key.as_slice(), server_url, timestamp, salt),
            )
            .unwrap();
        }
    }
}

#[test]
fn a_version_1_database_is_refused_until_migrated_and_keeps_its_nonces() {
    let Some(server) = shared(Backend::Mysql).unwrap() else { return };
    let t = SystemClock.now();
    let used: Vec<(&str, i64, String)> =
        (0..40).map(|i| ("https://op.example/", t - i, format!("salt-{i}"))).collect();
    let used_refs: Vec<(&str, i64, &str)> =
        used.iter().map(|(u, ts, s)| (*u, *ts, s.as_str())).collect();
    version_1_tables(server.url(), "old1_", &used_refs, false);
    let url = format!("{}?table_prefix=old1_", server.url());

    let error = MysqlStore::from_url(&url).unwrap_err();
    assert!(error.is_config(), "{error}");
    let shown = error.to_string();
    assert!(shown.contains("schema version 1") && shown.contains("needs version 2"), "{shown}");
    assert!(shown.contains("MysqlStore::migrate"), "{shown}");

    let store = MysqlStore::from_url(&format!("{url}&migrate=true")).unwrap();
    assert_eq!(store.schema_version().unwrap(), Some(2));
    for (server_url, timestamp, salt) in &used_refs {
        assert!(!store.use_nonce(server_url, *timestamp, salt).unwrap(), "{salt} replayed");
    }
    assert!(store.use_nonce("https://op.example/", t, "new").unwrap());
    assert_eq!(store.cleanup_nonces().unwrap(), 0, "nothing is old yet");

    // Migrating again changes nothing, and a store built without migrating now opens.
    store.migrate().unwrap();
    let again = MysqlStore::from_url(&url).unwrap();
    assert!(!again.use_nonce("https://op.example/", t, "new").unwrap());
    assert!(!again.use_nonce("https://op.example/", t - 3, "salt-3").unwrap());
}

#[test]
fn a_version_1_database_with_the_sharded_table_is_only_renumbered() {
    let Some(server) = shared(Backend::Mysql).unwrap() else { return };
    let t = SystemClock.now();
    version_1_tables(server.url(), "dev1_", &[("https://op.example/", t, "kept")], true);
    let url = format!("{}?table_prefix=dev1_", server.url());
    assert!(MysqlStore::from_url(&url).unwrap_err().is_config());
    let store = MysqlStore::from_url(&format!("{url}&migrate=true")).unwrap();
    assert_eq!(store.schema_version().unwrap(), Some(2));
    assert!(!store.use_nonce("https://op.example/", t, "kept").unwrap());
    assert!(store.use_nonce("https://op.example/", t, "fresh").unwrap());
}

/// During a rolling upgrade, processes still running version 1's code insert nonces
/// without a `shard`. The migration says they fail closed, which holds only in strict SQL
/// mode: otherwise the server inserts shard 0 with a warning, and the new code, looking
/// for the nonce under its real shard, accepted it a second time.
#[test]
fn an_insert_of_the_old_code_in_a_non_strict_session_cannot_record_a_nonce_twice() {
    use openid_store_mysql::mysql::prelude::Queryable;
    let Some(server) = shared(Backend::Mysql).unwrap() else { return };
    let t = SystemClock.now();
    version_1_tables(server.url(), "lax1_", &[], false);
    let url = format!("{}?table_prefix=lax1_", server.url());
    let store = MysqlStore::from_url(&format!("{url}&migrate=true")).unwrap();
    // A salt whose nonce does not belong in shard 0.
    let salt = (0..1000)
        .map(|i| format!("salt-{i}"))
        .find(|salt| {
            !openid_store_kit::keys::nonce_digest("https://op.example/", t, salt)[0]
                .is_multiple_of(16)
        })
        .unwrap();
    let key = openid_store_kit::keys::nonce_digest("https://op.example/", t, &salt);
    let mut old = raw(server.url());
    old.query_drop("SET SESSION sql_mode = ''").unwrap();
    let inserted = old.exec_drop(
        "INSERT INTO lax1_nonces (nonce_key, server_url, timestamp, salt) VALUES (?, ?, ?, ?)",
        (key.as_slice(), "https://op.example/", t, &salt),
    );
    if inserted.is_ok() {
        assert!(
            !store.use_nonce("https://op.example/", t, &salt).unwrap(),
            "the old code recorded the nonce, and the new code accepted it again"
        );
    }
}
