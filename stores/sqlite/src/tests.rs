//! Faults and bad input: corrupt rows, unusable files, options, URLs.

use std::sync::Arc;

use openid_consumer::crypto::AssociationType;
use openid_consumer::store::{Association, ManualClock, OpenIdStore};
use rusqlite::Connection;

use crate::{SqliteStore, Synchronous};

const NOW: i64 = 1_700_000_000;
const SERVER: &str = "https://op.example/server";

fn file_store() -> (tempfile::TempDir, std::path::PathBuf, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openid.sqlite");
    let store = SqliteStore::builder(&path).clock(Arc::new(ManualClock::new(NOW))).build().unwrap();
    (dir, path, store)
}

fn association(handle: &str) -> Association {
    Association::new(handle, vec![3; 20], NOW, 600, AssociationType::HmacSha1).unwrap()
}

#[test]
fn corrupt_rows_are_corrupt_errors_naming_table_and_handle() {
    let (_dir, path, store) = file_store();
    let raw = Connection::open(&path).unwrap();
    let corruptions = [
        "UPDATE openid_associations SET assoc_type = 'HMAC-MD5'",
        "UPDATE openid_associations SET secret = 'text, not a blob'",
        "UPDATE openid_associations SET lifetime = -1, expires_at = issued - 1 + 0 * 0",
        "UPDATE openid_associations SET expires_at = expires_at + 1",
        "UPDATE openid_associations SET issued = 'soon'",
        "UPDATE openid_associations SET handle = 'with space'",
    ];
    for corruption in corruptions {
        raw.execute("DELETE FROM openid_associations", []).unwrap();
        store.store_association(SERVER, &association("h")).unwrap();
        raw.execute(corruption, []).unwrap();
        let handle = if corruption.contains("with space") { "with space" } else { "h" };
        for lookup in [Some(handle), None] {
            match store.get_association(SERVER, lookup) {
                Err(error) => {
                    assert!(error.is_corrupt(), "{corruption}: {error:?}");
                    assert!(error.to_string().contains("openid_associations"), "{error}");
                }
                // A negative lifetime makes the row expired for the SQL filter: not returned
                // is also safe; anything else returned would be a wrong association.
                Ok(found) => {
                    assert!(
                        found.is_none() && corruption.contains("-1"),
                        "{corruption}: {found:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_file_that_is_not_a_database_is_refused_at_open_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-db.sqlite");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let error = SqliteStore::open(&path).unwrap_err();
    assert!(error.is_config(), "{error:?}");
    assert!(error.to_string().contains(&path.display().to_string()), "{error}");
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn a_path_that_cannot_be_created_is_a_config_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("openid.sqlite");
    let error = SqliteStore::open(&path).unwrap_err();
    assert!(error.is_config(), "{error:?}");
    assert!(error.to_string().contains(&path.display().to_string()), "{error}");
    assert!(std::error::Error::source(&error).is_some(), "keeps the io::Error");
}

#[test]
fn a_schema_from_a_newer_version_is_refused() {
    let (_dir, path, store) = file_store();
    drop(store);
    Connection::open(&path)
        .unwrap()
        .execute("UPDATE openid_associations_schema_version SET version = 2", [])
        .unwrap();
    let error = SqliteStore::open(&path).unwrap_err();
    assert!(error.is_config(), "{error:?}");
    assert!(error.to_string().contains("schema version 2"), "{error}");
}

#[test]
fn store_errors_are_never_fresh_nonces_or_missing_associations() {
    let (_dir, path, store) = file_store();
    let raw = Connection::open(&path).unwrap();
    raw.execute_batch("DROP TABLE openid_nonces; DROP TABLE openid_associations;").unwrap();
    assert!(store.use_nonce(SERVER, NOW, "salt").unwrap_err().is_unavailable());
    assert!(store.get_association(SERVER, None).unwrap_err().is_unavailable());
    assert!(store.get_association(SERVER, Some("h")).unwrap_err().is_unavailable());
    assert!(store.remove_association(SERVER, "h").unwrap_err().is_unavailable());
    assert!(store.store_association(SERVER, &association("h")).unwrap_err().is_unavailable());
    assert!(store.cleanup_nonces().unwrap_err().is_unavailable());
}

#[test]
fn a_held_write_lock_is_unavailable_after_the_busy_timeout_not_a_replay() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openid.sqlite");
    let store = SqliteStore::builder(&path)
        .timeout(std::time::Duration::from_millis(50))
        .clock(Arc::new(ManualClock::new(NOW)))
        .build()
        .unwrap();
    let raw = Connection::open(&path).unwrap();
    raw.execute_batch("BEGIN IMMEDIATE").unwrap();
    let error = store.use_nonce(SERVER, NOW, "salt").unwrap_err();
    assert!(error.is_unavailable(), "{error:?}");
    raw.execute_batch("ROLLBACK").unwrap();
    assert!(store.use_nonce(SERVER, NOW, "salt").unwrap(), "fresh once the lock is gone");
}

#[test]
fn table_prefixes_keep_stores_apart_in_one_database() {
    let (_dir, path, first) = file_store();
    let second = SqliteStore::builder(&path)
        .table_prefix("other_")
        .clock(Arc::new(ManualClock::new(NOW)))
        .build()
        .unwrap();
    assert!(first.use_nonce(SERVER, NOW, "salt").unwrap());
    assert!(second.use_nonce(SERVER, NOW, "salt").unwrap());
    first.store_association(SERVER, &association("h")).unwrap();
    assert_eq!(second.get_association(SERVER, None).unwrap(), None);
}

#[test]
fn invalid_table_names_are_refused() {
    for prefix in ["bad-prefix", "1x", "sqlite_", "x y", &"p".repeat(60)] {
        let error = SqliteStore::builder_in_memory().table_prefix(prefix).build().unwrap_err();
        assert!(error.is_config(), "{prefix}: {error:?}");
        assert!(error.to_string().contains("invalid SQLite name"), "{error}");
    }
    let error =
        SqliteStore::builder_in_memory().nonces_table("same").associations_table("same").build();
    assert!(error.unwrap_err().to_string().contains("three different names"));
}

#[test]
fn from_url_reads_paths_memory_and_options() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u.sqlite");
    let store =
        SqliteStore::from_url(&format!("sqlite://{}?synchronous=normal", path.display())).unwrap();
    assert_eq!(store.location(), path.display().to_string());
    let pragma = |store: &SqliteStore, name: &str| -> String {
        store
            .with_conn(|conn| {
                Ok(conn
                    .pragma_query_value(None, name, |row| row.get::<_, rusqlite::types::Value>(0))
                    .unwrap())
            })
            .map(|v| format!("{v:?}"))
            .unwrap()
    };
    assert_eq!(pragma(&store, "synchronous"), "Integer(1)");
    assert_eq!(pragma(&store, "journal_mode"), "Text(\"wal\")");
    assert_eq!(
        pragma(&SqliteStore::open(&path).unwrap(), "synchronous"),
        "Integer(2)",
        "FULL by default"
    );
    let memory =
        SqliteStore::from_url("sqlite::memory:?table_prefix=t_&timeout_ms=10&pool_size=2").unwrap();
    assert_eq!(memory.location(), ":memory:");
    assert_eq!(memory.tables.nonces(), "t_nonces");
    for bad in [
        "postgres://x",
        "sqlite://host/x",
        "sqlite:",
        "sqlite::memory:?synchronous=sometimes",
        "sqlite::memory:?cache=shared",
        "sqlite::memory:?timeout_ms=soon",
        // Zero would fail every call at once; every store refuses it.
        "sqlite::memory:?timeout_ms=0",
        "sqlite::memory:?busy_timeout_ms=10",
    ] {
        let error = SqliteStore::from_url(bad).unwrap_err();
        assert!(error.is_config(), "{bad}: {error:?}");
        assert!(error.to_string().contains(bad), "{error}");
    }
    // Every level reaches SQLite (EXTRA is 3), by builder and by URL.
    let extra = SqliteStore::builder(dir.path().join("extra.sqlite"))
        .synchronous(Synchronous::Extra)
        .build()
        .unwrap();
    assert_eq!(pragma(&extra, "synchronous"), "Integer(3)");
    let off = SqliteStore::from_url(&format!(
        "sqlite://{}?synchronous=off",
        dir.path().join("off.sqlite").display()
    ))
    .unwrap();
    assert_eq!(pragma(&off, "synchronous"), "Integer(0)");
}

#[test]
fn debug_never_shows_secrets() {
    let (_dir, _path, store) = file_store();
    store.store_association(SERVER, &association("h")).unwrap();
    let shown = format!("{store:?}");
    assert!(shown.contains("openid_associations"), "{shown}");
    assert!(!shown.contains("[3, 3"), "{shown}");
}

#[test]
fn the_database_and_its_wal_are_private_to_the_owner() {
    use std::os::unix::fs::PermissionsExt as _;
    let (_dir, path, store) = file_store();
    assert!(store.use_nonce(SERVER, NOW, "salt").unwrap());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    let wal = path.with_extension("sqlite-wal");
    assert!(wal.exists(), "WAL mode keeps a -wal file while open");
    assert_eq!(mode(&wal), 0o600);
}
