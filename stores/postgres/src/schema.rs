//! Table layout, the SQL the store runs, and migrations.
//!
//! Keys are SHA-256 digests (`bytea`) of the server URL, and of the whole nonce, so a URL
//! or salt of any length fits a B-tree index (whose entries are limited to about 2.7 kB);
//! the server URL is also kept in clear for operators. Times are `bigint` Unix seconds.

use openid_store_kit::sql::{NameError, Statements, TableNames, check_name};

/// Names of the schema and tables, checked and quoted.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    pub(crate) schema: String,
    pub(crate) associations: String,
    pub(crate) nonces: String,
    pub(crate) versions: String,
}

impl Names {
    pub(crate) fn new(schema: &str, tables: &TableNames) -> Result<Self, NameError> {
        check_name("PostgreSQL", schema, MAX_NAME, None)?;
        tables.check("PostgreSQL", MAX_NAME, None)?;
        let qualified = |table: &str| format!("\"{schema}\".\"{table}\"");
        Ok(Self {
            schema: format!("\"{schema}\""),
            associations: qualified(tables.associations()),
            nonces: qualified(tables.nonces()),
            versions: qualified(tables.schema_version()),
        })
    }
}

/// The statements of this dialect.
pub(crate) fn statements(names: &Names) -> Statements {
    let (a, n) = (&names.associations, &names.nonces);
    Statements {
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
        // One batch of at most $2 rows, found through the timestamp index and deleted by
        // their row addresses.
        cleanup_nonces: format!(
            "DELETE FROM {n} WHERE ctid = ANY(ARRAY(\
             SELECT ctid FROM {n} WHERE timestamp < $1 LIMIT $2))"
        ),
        cleanup_associations: format!("DELETE FROM {a} WHERE expires_at <= $1"),
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

/// Longest schema or table name: PostgreSQL's identifiers are at most 63 bytes.
const MAX_NAME: usize = 63;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_quoted() {
        let names = Names::new("openid", &TableNames::with_prefix("x_")).unwrap();
        assert_eq!(names.associations, "\"openid\".\"x_associations\"");
        assert_eq!(names.versions, "\"openid\".\"x_associations_schema_version\"");
        for bad in ["", "a-b", "1abc", "x\"y", &"a".repeat(64), "a b"] {
            assert!(Names::new(bad, &TableNames::default()).is_err(), "{bad:?}");
            let mut tables = TableNames::default();
            tables.set_nonces(bad);
            assert!(Names::new("s", &tables).is_err(), "{bad:?}");
        }
        let mut same = TableNames::default();
        same.set_nonces("openid_associations");
        assert!(Names::new("s", &same).is_err());
    }
}
