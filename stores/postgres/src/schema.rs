//! Table layout, the SQL the store runs, and migrations.
//!
//! Keys are SHA-256 digests (`bytea`) of the server URL, and of the whole nonce, so a URL
//! or salt of any length fits a B-tree index (whose entries are limited to about 2.7 kB);
//! the server URL is also kept in clear for operators. Times are `bigint` Unix seconds.

use openid_consumer::store::StoreError;
use openid_consumer::store::url_options::check_sql_name;

/// The schema version this code writes and reads.
pub(crate) const SCHEMA_VERSION: i32 = 1;

/// Names of the schema and tables, checked and quoted.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    pub(crate) schema: String,
    pub(crate) associations: String,
    pub(crate) nonces: String,
    pub(crate) versions: String,
}

impl Names {
    pub(crate) fn new(schema: &str, associations: &str, nonces: &str) -> Result<Self, StoreError> {
        for name in [schema, associations, nonces] {
            check_sql_name("PostgreSQL name", name, MAX_NAME)?;
        }
        if nonces == associations || nonces == format!("{associations}_schema_version") {
            return Err(StoreError::config(
                format!("the nonces table {nonces:?} must differ from the associations tables"),
                None,
            ));
        }
        let qualified = |table: &str| format!("\"{schema}\".\"{table}\"");
        Ok(Self {
            schema: format!("\"{schema}\""),
            associations: qualified(associations),
            nonces: qualified(nonces),
            versions: qualified(&format!("{associations}_schema_version")),
        })
    }
}

/// The statements, with the table names filled in.
#[derive(Debug, Clone)]
pub(crate) struct Statements {
    pub(crate) store_association: String,
    pub(crate) get_by_handle: String,
    pub(crate) get_newest: String,
    pub(crate) remove_association: String,
    pub(crate) use_nonce: String,
    pub(crate) cleanup_nonces: String,
    pub(crate) cleanup_associations: String,
    pub(crate) schema_version: String,
}

impl Statements {
    pub(crate) fn new(names: &Names) -> Self {
        let (a, n, v) = (&names.associations, &names.nonces, &names.versions);
        Self {
            store_association: format!(
                "INSERT INTO {a} (server_key, handle, server_url, secret, issued, lifetime, assoc_type, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (server_key, handle) DO UPDATE SET server_url = EXCLUDED.server_url, \
                 secret = EXCLUDED.secret, issued = EXCLUDED.issued, lifetime = EXCLUDED.lifetime, \
                 assoc_type = EXCLUDED.assoc_type, expires_at = EXCLUDED.expires_at"
            ),
            get_by_handle: format!(
                "SELECT handle, secret, issued, lifetime, assoc_type FROM {a} \
                 WHERE server_key = $1 AND handle = $2 AND expires_at > $3"
            ),
            get_newest: format!(
                "SELECT handle, secret, issued, lifetime, assoc_type FROM {a} \
                 WHERE server_key = $1 AND expires_at > $2 ORDER BY issued DESC, handle DESC LIMIT 1"
            ),
            remove_association: format!("DELETE FROM {a} WHERE server_key = $1 AND handle = $2"),
            use_nonce: format!(
                "INSERT INTO {n} (nonce_key, server_url, timestamp, salt) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING"
            ),
            cleanup_nonces: format!("DELETE FROM {n} WHERE timestamp < $1"),
            cleanup_associations: format!("DELETE FROM {a} WHERE expires_at <= $1"),
            schema_version: format!("SELECT max(version) FROM {v}"),
        }
    }
}

/// The migrations, in order; migration `i` brings the schema to version `i + 1`.
pub(crate) fn migrations(names: &Names) -> Vec<String> {
    let (s, a, n, v) = (&names.schema, &names.associations, &names.nonces, &names.versions);
    vec![format!(
        "CREATE SCHEMA IF NOT EXISTS {s};
         CREATE TABLE IF NOT EXISTS {v} (version integer PRIMARY KEY, applied_at bigint NOT NULL);
         CREATE TABLE {a} (
             server_key bytea NOT NULL,
             handle text NOT NULL,
             server_url text NOT NULL,
             secret bytea NOT NULL,
             issued bigint NOT NULL,
             lifetime bigint NOT NULL,
             assoc_type text NOT NULL,
             expires_at bigint NOT NULL,
             PRIMARY KEY (server_key, handle)
         );
         CREATE INDEX ON {a} (server_key, issued DESC);
         CREATE INDEX ON {a} (expires_at);
         CREATE TABLE {n} (
             nonce_key bytea PRIMARY KEY,
             server_url text NOT NULL,
             timestamp bigint NOT NULL,
             salt text NOT NULL
         );
         -- BRIN, not B-tree: nonces arrive in time order, and concurrent inserts of equal
         -- timestamps would all contend for the last leaf page of a B-tree.
         CREATE INDEX ON {n} USING brin (timestamp);"
    )]
}

/// SQL that creates the version table if needed (so the version can be read).
pub(crate) fn bootstrap(names: &Names) -> String {
    format!(
        "CREATE SCHEMA IF NOT EXISTS {}; \
         CREATE TABLE IF NOT EXISTS {} (version integer PRIMARY KEY, applied_at bigint NOT NULL)",
        names.schema, names.versions
    )
}

/// Longest schema or table name: PostgreSQL allows 63 bytes, and the version table adds
/// `_schema_version` to the associations table's name.
const MAX_NAME: usize = 48;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_quoted() {
        let names = Names::new("openid", "assoc", "nonce").unwrap();
        assert_eq!(names.associations, "\"openid\".\"assoc\"");
        assert_eq!(names.versions, "\"openid\".\"assoc_schema_version\"");
        for bad in ["", "a-b", "1abc", "x\"y", &"a".repeat(49), "a b"] {
            let error = Names::new(bad, "a", "n").unwrap_err();
            assert!(error.is_config(), "{bad:?}");
        }
        assert!(Names::new("s", "same", "same").unwrap_err().is_config());
    }
}
