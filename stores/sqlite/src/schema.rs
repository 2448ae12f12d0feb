//! Table names, the SQL of every statement, and creating or migrating the schema.
//!
//! Version 1 of the schema, for the default prefix `openid_`:
//!
//! ```sql
//! CREATE TABLE openid_associations_schema_version (
//!     id      INTEGER PRIMARY KEY CHECK (id = 1),
//!     version INTEGER NOT NULL
//! );
//! CREATE TABLE openid_associations (
//!     server_url TEXT    NOT NULL,
//!     handle     TEXT    NOT NULL,
//!     secret     BLOB    NOT NULL,
//!     issued     INTEGER NOT NULL,  -- Unix seconds, 64-bit
//!     lifetime   INTEGER NOT NULL,  -- seconds
//!     assoc_type TEXT    NOT NULL,  -- HMAC-SHA1 or HMAC-SHA256
//!     expires_at INTEGER NOT NULL,  -- issued + lifetime (saturating), for cleanup
//!     PRIMARY KEY (server_url, handle)
//! ) WITHOUT ROWID;
//! CREATE INDEX openid_associations_expires_at ON openid_associations (expires_at);
//! CREATE TABLE openid_nonces (
//!     timestamp  INTEGER NOT NULL,  -- Unix seconds, 64-bit
//!     server_url TEXT    NOT NULL,
//!     salt       TEXT    NOT NULL,
//!     PRIMARY KEY (timestamp, server_url, salt)
//! ) WITHOUT ROWID;
//! ```
//!
//! Text compares with SQLite's default `BINARY` collation: case-sensitive, byte-exact, no
//! length limit. The nonce key starts with the timestamp so cleanup deletes a key range.

use openid_consumer::store::StoreError;
use openid_store_kit::sql::{SchemaError, Statements, TableNames, pending};
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior};

use crate::error::SqliteError;

/// Longest table name accepted (PostgreSQL's identifier limit, to stay portable).
pub(crate) const MAX_TABLE_NAME: usize = 63;

/// The statements of this dialect.
pub(crate) fn statements(tables: &TableNames) -> Statements {
    let (a, n) = (tables.associations(), tables.nonces());
    let columns = "handle, secret, issued, lifetime, assoc_type, expires_at";
    Statements {
        store_association: format!(
            "INSERT INTO {a} (server_url, handle, secret, issued, lifetime, assoc_type, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (server_url, handle) DO UPDATE SET secret = excluded.secret, \
             issued = excluded.issued, lifetime = excluded.lifetime, \
             assoc_type = excluded.assoc_type, expires_at = excluded.expires_at"
        ),
        get_by_handle: format!(
            "SELECT {columns} FROM {a} WHERE server_url = ?1 AND handle = ?2 AND expires_at > ?3"
        ),
        get_newest: format!(
            "SELECT {columns} FROM {a} WHERE server_url = ?1 AND expires_at > ?2 \
             ORDER BY issued DESC, handle DESC LIMIT 1"
        ),
        remove_association: format!("DELETE FROM {a} WHERE server_url = ?1 AND handle = ?2"),
        use_nonce: format!(
            "INSERT OR IGNORE INTO {n} (timestamp, server_url, salt) VALUES (?1, ?2, ?3)"
        ),
        // One batch: the keys lead with the timestamp, so the subquery reads a key range.
        cleanup_nonces: format!(
            "DELETE FROM {n} WHERE (timestamp, server_url, salt) IN \
             (SELECT timestamp, server_url, salt FROM {n} WHERE timestamp < ?1 LIMIT ?2)"
        ),
        cleanup_associations: format!("DELETE FROM {a} WHERE expires_at <= ?1"),
    }
}

/// Creates the schema on first use, or checks (and, in later versions, migrates) an
/// existing one. Runs in an immediate transaction, so concurrent first opens from several
/// processes agree.
pub(crate) fn ensure(
    conn: &mut Connection,
    tables: &TableNames,
    location: &str,
) -> Result<(), StoreError> {
    let setup = |action| {
        let location = location.to_owned();
        move |source| SqliteError::Setup { action, location, source }
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(setup("begin the schema transaction"))?;
    let version_table = tables.schema_version();
    tx.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {version_table} (
             id INTEGER PRIMARY KEY CHECK (id = 1),
             version INTEGER NOT NULL
         );"
    ))
    .map_err(setup("create the schema version table"))?;
    let found: Option<i64> = tx
        .query_row(&format!("SELECT version FROM {version_table} WHERE id = 1"), [], |row| {
            row.get(0)
        })
        .optional()
        .map_err(setup("read the schema version"))?;
    let steps = [create_v1(tables)];
    let migrations = pending(&steps, found.unwrap_or(0)).map_err(|newer| {
        SqliteError::Schema(SchemaError::TooNew {
            target: format!("SQLite database {location}"),
            table: version_table.to_owned(),
            newer,
            package: "openid-store-sqlite",
        })
    })?;
    for (version, statements) in migrations {
        tx.execute_batch(statements).map_err(setup("create the tables"))?;
        tx.execute(
            &format!(
                "INSERT INTO {version_table} (id, version) VALUES (1, ?1) \
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version"
            ),
            [version],
        )
        .map_err(setup("record the schema version"))?;
        tracing::info!(location, version, "created the OpenID store schema");
    }
    tx.commit().map_err(setup("commit the schema"))?;
    Ok(())
}

fn create_v1(tables: &TableNames) -> String {
    let (a, n) = (tables.associations(), tables.nonces());
    format!(
        "CREATE TABLE IF NOT EXISTS {a} (
             server_url TEXT NOT NULL,
             handle TEXT NOT NULL,
             secret BLOB NOT NULL,
             issued INTEGER NOT NULL,
             lifetime INTEGER NOT NULL,
             assoc_type TEXT NOT NULL,
             expires_at INTEGER NOT NULL,
             PRIMARY KEY (server_url, handle)
         ) WITHOUT ROWID;
         CREATE INDEX IF NOT EXISTS {a}_expires_at ON {a} (expires_at);
         CREATE TABLE IF NOT EXISTS {n} (
             timestamp INTEGER NOT NULL,
             server_url TEXT NOT NULL,
             salt TEXT NOT NULL,
             PRIMARY KEY (timestamp, server_url, salt)
         ) WITHOUT ROWID;"
    )
}
