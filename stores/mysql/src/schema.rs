//! Table layout, the SQL the store runs, and migrations.
//!
//! InnoDB tables in utf8mb4 with binary collation (keys compare byte for byte, so handles
//! and URLs differing only in case stay distinct). Keys are SHA-256 digests in
//! `BINARY(32)` columns: a long URL cannot overflow an index prefix or collide with another
//! URL sharing its first bytes. Times are `BIGINT` Unix seconds.

use mysql::Conn;
use mysql::prelude::Queryable;
use openid_store_kit::keys::{hex, sha256};
use openid_store_kit::sql::{NameError, Statements, TableNames};

/// Nonce rows are spread over this many shards (a byte of the nonce's digest) that lead the
/// primary key `(shard, timestamp, nonce_key)`. Cleanup finds old nonces through the key,
/// with no secondary index on the timestamp: concurrent inserts of equal timestamps into
/// such an index all contend for its last page (8 threads ran at 0.79x a bare insert), and
/// here they spread over the shards' ends.
pub(crate) const NONCE_SHARDS: u8 = 16;

/// Nonces one cleanup statement deletes at most: a fraction of a second of work. One
/// delete of a large backlog outlasted the read timeout (5 s by default): the call failed
/// while the server went on deleting, holding the rows' locks, and every retry waited on
/// them and failed too.
pub(crate) const CLEANUP_BATCH: u32 = 20_000;

/// Longest table name: MySQL allows 64 characters.
const MAX_NAME: usize = 64;

/// Quoted table names.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    pub(crate) associations: String,
    pub(crate) nonces: String,
    pub(crate) versions: String,
    /// The nonces table unquoted, for `information_schema`.
    nonces_plain: String,
    /// The nonces table of version 1 while version 2 replaces it.
    nonces_v1: String,
    /// The nonces table of version 2 while it is filled.
    nonces_v2: String,
    /// The name of the nonce table's check that each row is in its shard (MySQL names
    /// constraints per database: named after the table's digest too).
    shard_check: String,
}

impl Names {
    pub(crate) fn new(tables: &TableNames) -> Result<Self, NameError> {
        tables.check("MySQL", MAX_NAME, None)?;
        // The nonce table's name may already use all 64 characters: the tables of the
        // migration are named after its digest instead.
        let digest: String = hex(&sha256(tables.nonces().as_bytes())).chars().take(16).collect();
        Ok(Self {
            associations: format!("`{}`", tables.associations()),
            nonces: format!("`{}`", tables.nonces()),
            versions: format!("`{}`", tables.schema_version()),
            nonces_plain: tables.nonces().to_owned(),
            nonces_v1: format!("`openid_nonces_v1_{digest}`"),
            nonces_v2: format!("`openid_nonces_v2_{digest}`"),
            shard_check: format!("`openid_nonce_shard_{digest}`"),
        })
    }
}

/// The statements of this dialect.
pub(crate) fn statements(names: &Names) -> Statements {
    let (a, n) = (&names.associations, &names.nonces);
    Statements {
        store_association: format!(
            "INSERT INTO {a} (server_key, handle, server_url, secret, issued, lifetime, assoc_type, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
             ON DUPLICATE KEY UPDATE server_url = VALUES(server_url), secret = VALUES(secret), \
             issued = VALUES(issued), lifetime = VALUES(lifetime), assoc_type = VALUES(assoc_type), \
             expires_at = VALUES(expires_at)"
        ),
        get_by_handle: format!(
            "SELECT handle, secret, issued, lifetime, assoc_type FROM {a} \
             WHERE server_key = ? AND handle = ? AND expires_at > ?"
        ),
        get_newest: format!(
            "SELECT handle, secret, issued, lifetime, assoc_type FROM {a} \
             WHERE server_key = ? AND expires_at > ? ORDER BY issued DESC, handle DESC LIMIT 1"
        ),
        remove_association: format!("DELETE FROM {a} WHERE server_key = ? AND handle = ?"),
        // A plain INSERT, not INSERT IGNORE: IGNORE also turns truncation and other
        // errors into warnings, and only the duplicate key may mean "seen before".
        use_nonce: format!(
            "INSERT INTO {n} (shard, timestamp, nonce_key, server_url, salt) VALUES (?, ?, ?, ?, ?)"
        ),
        // One batch of one shard: the oldest rows, a range of the primary key read in key
        // order (no sort). Servers flag `DELETE ... LIMIT` as unsafe for statement-based
        // replication whatever the order; with `binlog_format` MIXED (MariaDB's default) or
        // ROW (MySQL's) it is logged as rows.
        cleanup_nonces: format!(
            "DELETE FROM {n} WHERE shard = ? AND timestamp < ? \
             ORDER BY timestamp, nonce_key LIMIT {CLEANUP_BATCH}"
        ),
        cleanup_associations: format!("DELETE FROM {a} WHERE expires_at <= ?"),
    }
}

/// SQL that creates the version table if needed.
pub(crate) fn bootstrap(names: &Names) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (version INT PRIMARY KEY, applied_at BIGINT NOT NULL) \
         ENGINE=InnoDB",
        names.versions
    )
}

/// One migration.
pub(crate) enum Step {
    /// Statements, run one at a time (MySQL runs DDL one statement at a time).
    Statements(Vec<String>),
    /// Version 2: the nonce table gets its sharded primary key ([`shard_nonces`]).
    ShardNonces,
}

/// The migrations, in order; migration `i` brings the schema to version `i + 1`.
///
/// A released version is never edited: a changed layout is a new step. Version 1 is the
/// layout as first released, with a nonce table keyed by the nonce's digest and a
/// secondary timestamp index.
pub(crate) fn migrations(names: &Names) -> Vec<Step> {
    let (a, n) = (&names.associations, &names.nonces);
    vec![
        Step::Statements(vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {a} (
                     server_key BINARY(32) NOT NULL,
                     handle VARBINARY(255) NOT NULL,
                     server_url MEDIUMTEXT NOT NULL,
                     secret BLOB NOT NULL,
                     issued BIGINT NOT NULL,
                     lifetime BIGINT NOT NULL,
                     assoc_type VARCHAR(32) NOT NULL,
                     expires_at BIGINT NOT NULL,
                     PRIMARY KEY (server_key, handle),
                     KEY newest (server_key, issued),
                     KEY expiry (expires_at)
                 ) {TABLE_OPTIONS}"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {n} (
                     nonce_key BINARY(32) NOT NULL PRIMARY KEY,
                     server_url MEDIUMTEXT NOT NULL,
                     timestamp BIGINT NOT NULL,
                     salt MEDIUMTEXT NOT NULL,
                     KEY age (timestamp)
                 ) {TABLE_OPTIONS}"
            ),
        ]),
        Step::ShardNonces,
    ]
}

/// Version 2: moves the nonces into a table keyed by `(shard, timestamp, nonce_key)`.
///
/// Every nonce is copied: a nonce dropped here would be accepted again. The new table is
/// filled beside the old one, swapped in by one atomic `RENAME TABLE`, and then the rows a
/// process inserted into the old table between the copy and the swap are copied again;
/// after the swap, a process still running the old code fails its inserts (no `shard`
/// default and, where the session is not in strict SQL mode and the server would insert
/// shard 0 instead, the table's check that each row is in its shard), which fails its
/// logins closed rather than recording a nonce where the new code does not look for it.
///
/// Databases migrated by development builds already have the version 2 table under
/// version 1; then only the version is recorded. Each phase checks what the tables hold,
/// so a migration interrupted at any point completes when run again.
pub(crate) fn shard_nonces(connection: &mut Conn, names: &Names) -> Result<(), mysql::Error> {
    let (n, v1, v2) = (&names.nonces, &names.nonces_v1, &names.nonces_v2);
    let copy = |from: &str, to: &str| {
        // The shard is the digest's first byte modulo the shard count, as the store
        // computes it; a row already copied is left as it is.
        format!(
            "INSERT INTO {to} (shard, timestamp, nonce_key, server_url, salt) \
             SELECT ASCII(nonce_key) % {NONCE_SHARDS}, timestamp, nonce_key, server_url, salt \
             FROM {from} ON DUPLICATE KEY UPDATE {to}.nonce_key = {to}.nonce_key"
        )
    };
    let has_shard: Option<i64> = connection.exec_first(
        "SELECT count(*) FROM information_schema.columns \
         WHERE table_schema = DATABASE() AND table_name = ? AND column_name = 'shard'",
        (&names.nonces_plain,),
    )?;
    if has_shard.unwrap_or(0) == 0 {
        connection.query_drop(format!("DROP TABLE IF EXISTS {v2}"))?;
        connection.query_drop(sharded_nonces(v2, &names.shard_check))?;
        connection.query_drop(copy(n, v2))?;
        connection.query_drop(format!("RENAME TABLE {n} TO {v1}, {v2} TO {n}"))?;
    }
    let v1_plain = v1.trim_matches('`');
    let v1_exists: Option<i64> = connection.exec_first(
        "SELECT count(*) FROM information_schema.tables \
         WHERE table_schema = DATABASE() AND table_name = ?",
        (v1_plain,),
    )?;
    if v1_exists.unwrap_or(0) > 0 {
        connection.query_drop(copy(v1, n))?;
        connection.query_drop(format!("DROP TABLE {v1}"))?;
    }
    Ok(())
}

/// The nonce table of version 2. The primary key leads with the shard, so concurrent
/// inserts spread over [`NONCE_SHARDS`] ends of the index, and cleanup walks the key.
///
/// The check `check` keeps every row in the shard the store computes: a nonce recorded
/// under another shard (by version 1's code, which names no shard, in a session that is
/// not in strict mode) would not be found by the store's insert, and would be accepted
/// twice. MariaDB enforces checks since 10.2, MySQL since 8.0.16.
fn sharded_nonces(table: &str, check: &str) -> String {
    format!(
        "CREATE TABLE {table} (
             shard TINYINT UNSIGNED NOT NULL,
             timestamp BIGINT NOT NULL,
             nonce_key BINARY(32) NOT NULL,
             server_url MEDIUMTEXT NOT NULL,
             salt MEDIUMTEXT NOT NULL,
             PRIMARY KEY (shard, timestamp, nonce_key),
             CONSTRAINT {check} CHECK (shard = ASCII(nonce_key) % {NONCE_SHARDS})
         ) {TABLE_OPTIONS}"
    )
}

/// Every table: InnoDB, utf8mb4, compared byte for byte.
const TABLE_OPTIONS: &str = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_quoted() {
        let names = Names::new(&TableNames::with_prefix("x_")).unwrap();
        assert_eq!(names.associations, "`x_associations`");
        assert_eq!(names.versions, "`x_associations_schema_version`");
        for bad in ["", "a-b", "1abc", "x`y", &"a".repeat(65)] {
            let mut tables = TableNames::default();
            tables.set_associations(bad);
            assert!(Names::new(&tables).is_err(), "{bad:?}");
        }
        let mut same = TableNames::default();
        same.set_nonces("openid_associations_schema_version");
        assert!(Names::new(&same).is_err());
    }
}
