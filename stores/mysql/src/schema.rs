//! Table layout, the SQL the store runs, and migrations.
//!
//! InnoDB tables in utf8mb4 with binary collation (keys compare byte for byte, so handles
//! and URLs differing only in case stay distinct). Keys are SHA-256 digests in
//! `BINARY(32)` columns: a long URL cannot overflow an index prefix or collide with another
//! URL sharing its first bytes. Times are `BIGINT` Unix seconds.

use openid_store_kit::sql::{NameError, Statements, TableNames};

/// Nonce rows are spread over this many shards (a byte of the nonce's digest) that lead the
/// primary key `(shard, timestamp, nonce_key)`. Cleanup finds old nonces through the key,
/// with no secondary index on the timestamp: concurrent inserts of equal timestamps into
/// such an index all contend for its last page (8 threads ran at 0.79x a bare insert), and
/// here they spread over the shards' ends.
pub(crate) const NONCE_SHARDS: u8 = 16;

/// Longest table name: MySQL allows 64 characters.
const MAX_NAME: usize = 64;

/// Quoted table names.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    pub(crate) associations: String,
    pub(crate) nonces: String,
    pub(crate) versions: String,
}

impl Names {
    pub(crate) fn new(tables: &TableNames) -> Result<Self, NameError> {
        tables.check("MySQL", MAX_NAME, None)?;
        Ok(Self {
            associations: format!("`{}`", tables.associations()),
            nonces: format!("`{}`", tables.nonces()),
            versions: format!("`{}`", tables.schema_version()),
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
        cleanup_nonces: format!(
            "DELETE FROM {n} WHERE shard IN ({}) AND timestamp < ?",
            (0..NONCE_SHARDS).map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
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

/// The migrations, in order; migration `i` brings the schema to version `i + 1`. Each is
/// a list of statements (MySQL runs DDL one statement at a time).
pub(crate) fn migrations(names: &Names) -> Vec<Vec<String>> {
    let (a, n) = (&names.associations, &names.nonces);
    let table_options = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
    vec![vec![
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
             ) {table_options}"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {n} (
                 shard TINYINT UNSIGNED NOT NULL,
                 timestamp BIGINT NOT NULL,
                 nonce_key BINARY(32) NOT NULL,
                 server_url MEDIUMTEXT NOT NULL,
                 salt MEDIUMTEXT NOT NULL,
                 PRIMARY KEY (shard, timestamp, nonce_key)
             ) {table_options}"
        ),
    ]]
}

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
