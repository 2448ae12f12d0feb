//! A SQLite [`OpenIdStore`] for `openid-consumer`: one database file (bundled SQLite, no
//! server), shared safely by every thread and process that opens it. The schema is created
//! on first use.
//!
//! ```
//! use openid_consumer::crypto::AssociationType;
//! use openid_consumer::store::{Association, Clock, OpenIdStore, SystemClock};
//! use openid_store_sqlite::SqliteStore;
//!
//! let dir = tempfile::tempdir()?;
//! let store = SqliteStore::open(dir.path().join("openid.sqlite"))?;
//! let now = SystemClock.now();
//!
//! let association = Association::new("h1", vec![1; 32], now, 3_600, AssociationType::HmacSha256)?;
//! store.store_association("https://op.example/server", &association)?;
//! assert_eq!(store.get_association("https://op.example/server", None)?, Some(association));
//!
//! assert!(store.use_nonce("https://op.example/server", now, "salt")?);
//! assert!(!store.use_nonce("https://op.example/server", now, "salt")?, "a replay");
//!
//! // Run from time to time (a cron job, a background thread): deletes what expired.
//! assert_eq!(store.cleanup()?, (0, 0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! For tests, [`SqliteStore::open_in_memory`] (or the URL `sqlite::memory:`) gives a
//! private database that disappears with the store.
//!
//! # Semantics
//! - **Schema.** Three tables (default prefix `openid_`, see
//!   [`SqliteStoreBuilder::table_prefix`]): associations keyed by (server URL, handle),
//!   nonces keyed by (timestamp, server URL, salt), and a schema-version table that later
//!   versions use to migrate. Created in one immediate transaction on first open; a
//!   database from a newer version is refused with [`StoreError::Config`]. Times are
//!   64-bit integers (no 2038 limit), secrets are BLOBs, text compares byte-exact
//!   (`BINARY` collation) with no length limit, so any server URL, handle or salt works.
//! - **Expiry.** Every time comes from the store's [`Clock`](openid_consumer::store::Clock)
//!   and is bound as a parameter (never SQL's own time). Lookups select only rows with
//!   `expires_at > now`, so an expired association is never returned;
//!   [`OpenIdStore::cleanup_associations`] deletes rows with `expires_at <= now` and
//!   [`OpenIdStore::cleanup_nonces`] nonces whose timestamp left the window (5 hours by
//!   default) more than the retention margin ago (5 minutes by default,
//!   `nonce_retention_s`: a process whose clock runs ahead must not delete nonces the
//!   others still accept), returning exact counts. Nonce cleanup deletes in batches of
//!   5,000 rows, each its own transaction, pausing between them as long as a batch took:
//!   one delete of a large backlog would hold the write lock for seconds and make other
//!   processes' writes run out their busy timeout. The contract refuses a nonce outside the window
//!   before the store sees it, so that costs no write.
//! - **Atomicity.** `use_nonce` is one `INSERT OR IGNORE` on the primary key: of all
//!   threads and processes, exactly one inserts the row and gets `true`. Storing an
//!   association is one `INSERT ... ON CONFLICT DO UPDATE` (an atomic upsert).
//! - **Concurrency.** By default one connection per store behind a lock; other processes
//!   use their own connections, WAL lets readers run during a write, and a writer waits
//!   for the write lock up to the busy timeout ([`SqliteStoreBuilder::timeout`], 5 s by
//!   default) before [`StoreError::Unavailable`]; a call also waits for the store's lock (or
//!   a pooled connection) at most that long, then fails the same way, so a call stuck
//!   behind another never waits without bound. [`SqliteStoreBuilder::pool_size`] turns
//!   the lock into a pool. The lock was chosen by measurement (`BENCHMARKS.md`: 4 threads calling
//!   `use_nonce`, 2 shared cores, lock and pool interleaved in rounds): with
//!   `synchronous=NORMAL` they were equal (15-19 µs per call either way), with the default
//!   `synchronous=FULL` the lock was 1.5 to 1.9 times faster (74-157 µs against
//!   135-234 µs). SQLite lets one writer in at a time, so a pool adds no write
//!   parallelism; its waiting connections sleep in SQLite's busy handler instead of
//!   queueing, and under a slow disk they can run out the busy timeout. A pool may help
//!   read-heavy loads (`get_association` from many threads); that was not measured.
//! - **Permissions.** A database file the store creates is `0600` (owner only: it holds
//!   association secrets); SQLite gives its `-wal` and `-shm` files the same mode.
//! - **Durability.** WAL mode with `synchronous=FULL` by default: an acknowledged write
//!   survives a power loss. [`Synchronous::Normal`] is faster and still never corrupts the
//!   database, but a power loss can forget the last commits (a forgotten nonce could be
//!   replayed within its window). See [`Synchronous`].
//! - **Bad data.** A row with an unknown association type, an invalid handle, a negative
//!   lifetime, a value of the wrong SQL type or an `expires_at` that disagrees with
//!   `issued + lifetime` is [`StoreError::Corrupt`] naming the table and handle; a file
//!   that is not a database, or cannot be opened or created, is [`StoreError::Config`] at
//!   construction naming the path. Errors are never "not found" or "nonce fresh".
//!
//! [`StoreError::Config`]: openid_consumer::store::StoreError::Config
//! [`StoreError::Corrupt`]: openid_consumer::store::StoreError::Corrupt
//! [`StoreError::Unavailable`]: openid_consumer::store::StoreError::Unavailable
#![deny(missing_docs)]

mod error;
mod pool;
mod schema;
mod store;

pub use store::{DEFAULT_TABLE_PREFIX, SqliteStore, SqliteStoreBuilder, Synchronous};

#[doc(no_inline)]
pub use openid_consumer::store::{OpenIdStore, StoreError};
/// The `rusqlite` this crate uses, for [`SqliteStore::new`].
pub use rusqlite;

#[cfg(test)]
mod tests;
