//! A MySQL and MariaDB [`OpenIdStore`](openid_consumer::store::OpenIdStore): associations
//! and nonces shared by every web server of a site.
//!
//! ```
//! use openid_consumer::store::OpenIdStore;
//! use openid_store_mysql::MysqlStore;
//!
//! # // The doctest starts a throwaway MariaDB; in an application the URL is configuration.
//! # let Some(server) = openid_test_servers::shared(openid_test_servers::Backend::Mysql)? else { return Ok(()) };
//! # let url = format!("{}?associations_table=doc_assoc&nonces_table=doc_nonce&migrate=true", server.url());
//! // e.g. "mysql://openid:secret@db.internal/site?migrate=true"
//! let store = MysqlStore::from_url(&url)?;
//! let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
//! let salt = format!("doc-{now}");
//! assert!(store.use_nonce("https://op.example/server", now, &salt)?);
//! assert!(!store.use_nonce("https://op.example/server", now, &salt)?, "a replay is refused");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Semantics
//!
//! - **Schema.** Two InnoDB tables in utf8mb4 with binary collation and a version table
//!   (`openid_associations`, `openid_nonces`, `openid_associations_schema_version` by default;
//!   `table_prefix` and each name are configurable), created or upgraded by [`MysqlStore::migrate`] or `?migrate=true`
//!   in the URL, never implicitly. Migrations are idempotent and serialised by a named
//!   lock (`GET_LOCK`). A store built without migrating checks the version first and
//!   refuses old tables with a configuration error that says to migrate. Version 2 moved
//!   the nonces into the sharded table below, copying every one (a nonce lost in a
//!   migration would be accepted again).
//! - **Keys.** Server URLs and whole nonces are SHA-256 digests in `BINARY(32)` keys: no
//!   index-prefix collisions between long URLs that share their first bytes, and any
//!   length or character works.
//! - **Nonce table.** The primary key is `(shard, timestamp, nonce key)`, the shard being
//!   a byte of the nonce's digest modulo 16: cleanup reaches old nonces through the key,
//!   and concurrent inserts spread over 16 ends of the index instead of contending for the
//!   last page of a timestamp index.
//! - **Expiry.** Every time comes from the store's clock and is bound as a parameter,
//!   never `NOW()`. An association row is returned only while `expires_at > now`;
//!   `cleanup_associations` deletes the others and returns the count. The contract refuses
//!   a nonce outside the window (5 hours by default) before the store sees it, so that
//!   costs no query; `cleanup_nonces` deletes the nonces whose timestamp left it more than
//!   the retention margin ago (5 minutes by default, `nonce_retention_s`), so a node whose
//!   clock runs ahead does not delete nonces the others still accept. It deletes shard by
//!   shard in batches of 20,000 rows (about 60 ms each on a small machine), each a
//!   statement and transaction of its own under the time limit, so a large backlog shrinks
//!   without one long statement holding its rows' locks. A call runs at least 16
//!   statements, and its whole length grows with the backlog.
//! - **Atomicity.** `use_nonce` is a plain `INSERT` on the nonce's primary key: exactly one
//!   concurrent caller inserts it. Only the duplicate-key error (1062) means "seen before";
//!   every other error is returned (unlike `INSERT IGNORE`, which would turn errors into
//!   warnings). `store_association` is `INSERT ... ON DUPLICATE KEY UPDATE`.
//! - **Connections.** The pool of `openid-store-kit` (16 connections by default,
//!   `pool_size`), statements prepared once per connection and kept (connections are not
//!   reset on return); a checkout costs no round trip. When the server goes away every call
//!   fails with [`StoreError::Unavailable`](openid_consumer::store::StoreError::Unavailable)
//!   within the timeout (5 s default, `timeout_ms`); when it comes back the same store
//!   reconnects, within the first call.
//! - **Durability.** Whatever the server's settings give (`innodb_flush_log_at_trx_commit`):
//!   a `true` from `use_nonce` is committed before it is returned.
//! - **Secrets.** `Debug` and errors show the server and tables, never the password.

#![deny(missing_docs)]

mod error;
mod pool;
mod schema;
mod store;

pub use store::{MysqlStore, MysqlStoreBuilder};

/// The `mysql` driver, whose `Opts` [`MysqlStore::builder`] takes.
pub use mysql;
