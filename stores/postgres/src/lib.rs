//! A PostgreSQL [`OpenIdStore`](openid_consumer::store::OpenIdStore): associations and
//! nonces shared by every web server of a site.
//!
//! ```
//! use openid_consumer::store::OpenIdStore;
//! use openid_store_postgres::PostgresStore;
//!
//! # // The doctest starts a throwaway server; in an application the URL is configuration.
//! # let Some(server) = openid_test_servers::shared(openid_test_servers::Backend::Postgres)? else { return Ok(()) };
//! # let url = format!("{}?schema=doc_example&migrate=true", server.url());
//! // e.g. "postgres://openid:secret@db.internal/site?migrate=true"
//! let store = PostgresStore::from_url(&url)?;
//! let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
//! let salt = format!("doc-{now}");
//! assert!(store.use_nonce("https://op.example/server", now, &salt)?);
//! assert!(!store.use_nonce("https://op.example/server", now, &salt)?, "a replay is refused");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Semantics
//!
//! - **Schema.** Two tables and a version table (`openid_associations`, `openid_nonces`,
//!   `openid_associations_schema_version` in schema `public` by default; `table_prefix`, each name and
//!   the schema are configurable). They are created or upgraded by [`PostgresStore::migrate`], or by
//!   `?migrate=true` in the URL: never implicitly, because operators decide when schemas
//!   change. Migrations are idempotent and serialised by an advisory lock.
//! - **Keys.** Server URLs and whole nonces are hashed (SHA-256) into `bytea` keys, so any
//!   length and any characters work; the URL is kept in clear beside the key.
//! - **Expiry.** Every time comes from the store's clock and is bound as a parameter,
//!   never the database's `now()`. An association row is returned only while
//!   `expires_at > now`; [`cleanup_associations`](openid_consumer::store::OpenIdStore::cleanup_associations)
//!   deletes the others and returns the count. The contract refuses a nonce outside the
//!   window (5 hours by default) before the store sees it, so that costs no query;
//!   [`cleanup_nonces`](openid_consumer::store::OpenIdStore::cleanup_nonces) deletes the
//!   nonces whose timestamp left it more than the retention margin ago (5 minutes by
//!   default, `nonce_retention_s`), so a node whose clock runs ahead does not delete nonces
//!   the others still accept. It deletes in batches of 20,000 rows, each a statement of
//!   its own under the time limit, so a large backlog shrinks instead of being cancelled
//!   by `statement_timeout` (a million expired nonces: under a second here).
//! - **Atomicity.** `use_nonce` is one `INSERT ... ON CONFLICT DO NOTHING` on the nonce's
//!   primary key: exactly one concurrent caller inserts the row and gets `true`.
//!   `store_association` is a real upsert (`ON CONFLICT ... DO UPDATE`).
//! - **Connections.** The pool of `openid-store-kit` (16 connections by default,
//!   `pool_size`) with statements prepared once per connection; a checkout costs no round
//!   trip. When the server goes away every call fails with
//!   [`StoreError::Unavailable`](openid_consumer::store::StoreError::Unavailable) within
//!   the timeout (5 s default, `timeout_ms`); when it comes back the same store
//!   reconnects, within the first call. Statements run with `statement_timeout` and
//!   `lock_timeout` set to the same timeout, so a call stuck behind a lock fails in time.
//!   A server that is alive but frozen (stopped, a hung disk, a paused machine) answers
//!   neither those nor TCP keepalives (its kernel acknowledges for it), so every
//!   operation also has a client-side deadline of the timeout (`tokio-postgres` on a
//!   runtime per connection); the connection that ran out of time is dropped. TCP
//!   keepalives and `tcp_user_timeout` (the timeout) find a dead host or a cut network.
//!   An insert that ran out of time may still commit on the server after the call failed:
//!   the nonce is then recorded though its login failed, so a retry of it is a replay
//!   (closed, never open).
//! - **Threads.** Like the rest of the library, call it from a thread that may block
//!   (`spawn_blocking` in an async application): each connection drives its operations on
//!   a runtime of its own, and tokio refuses (panics) to block on one inside an async task.
//!   Dropping the store anywhere is fine, inside an async runtime included.
//! - **Durability.** Whatever the server's settings give: a `true` from `use_nonce` is
//!   committed before it is returned.
//! - **Secrets.** `Debug` shows the server and tables, never the password or secrets.

#![deny(missing_docs)]

mod error;
mod pool;
mod schema;
mod store;

pub use store::{PostgresStore, PostgresStoreBuilder};

/// The `postgres` driver, whose `Config` [`PostgresStore::builder`] takes.
pub use postgres;
