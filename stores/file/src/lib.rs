//! A file-system [`OpenIdStore`] for `openid-consumer`: one directory, shared safely by
//! every thread and process that opens it. No server, no set-up: the directory and its
//! layout are created on first use.
//!
//! ```
//! use openid_consumer::crypto::AssociationType;
//! use openid_consumer::store::{Association, Clock, OpenIdStore, SystemClock};
//! use openid_store_file::FileStore;
//!
//! let dir = tempfile::tempdir()?;
//! let store = FileStore::open(dir.path().join("openid"))?;
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
//! let (nonces, associations) = store.cleanup()?;
//! # assert_eq!((nonces, associations), (0, 0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Semantics
//! - **Layout.** `associations/<H(server URL)>/<H(handle)>` holds one association in the
//!   text form of [`Association::serialize`]; `nonces/<hour>/<timestamp>_<H(server URL,
//!   timestamp, salt)>` is an empty file per used nonce; `tmp/` holds files being written;
//!   `openid-store-version` the layout version (1). `H` is SHA-256 in hex, so file names
//!   are safe and fixed-length for any server URL (2,000 characters, non-ASCII), handle or
//!   salt. Directories are created `0700` and files `0600`: the association files hold
//!   secrets.
//! - **Expiry.** An association is never returned once expired at the clock's now (read
//!   time check); expired files stay until [`OpenIdStore::cleanup_associations`] deletes
//!   them and counts them. The contract refuses a nonce outside the window (5 hours by
//!   default) before the store sees it, so that costs no disk access;
//!   [`OpenIdStore::cleanup_nonces`] deletes (and counts) nonce files whose timestamps left
//!   the window more than the retention margin ago (5 minutes by default,
//!   `nonce_retention_s`: a process whose clock runs ahead must not delete nonces the
//!   others still accept), whole hour directories at a time.
//! - **Atomicity.** `use_nonce` creates its file with `O_EXCL` (`create_new`): among all
//!   threads and processes, exactly one creation succeeds and gets `true`. An association
//!   is written to `tmp/` and renamed over its final name, so a reader sees the old or the
//!   new association, never a partial one, and storing the same handle again replaces it.
//!   The lock file (`flock`) serialises first-time set-up and association cleanup between
//!   processes; association writes and removals hold it shared, so they run together but
//!   never while a cleanup reads a file and unlinks its path (which would delete a fresh
//!   association renamed over an expired one); reads, nonces and nonce cleanup take no
//!   lock (a nonce file is never replaced, so unlinking an old one cannot take a new one).
//!   A call waits for the lock at most the time limit ([`FileStoreBuilder::timeout`], 5 s by
//!   default, `timeout_ms`), then fails as [`StoreError::Unavailable`]. A directory
//!   created for a new hour of nonces is synced into its parent, so it survives a crash.
//! - **Durability.** By default a nonce is flushed (`fsync` of its directory) before
//!   `use_nonce` returns, so an acknowledged nonce survives a power loss and cannot be
//!   replayed after it. An association's contents are flushed before it is renamed into
//!   place (never torn), its directory entry is not: a power cut may forget an association
//!   of the last seconds, which is negotiated again, as python-openid's store also allows.
//!   [`FileStoreBuilder::sync`]`(false)` skips the flushes: faster, and a machine crash may
//!   forget the last seconds of writes (a process crash cannot).
//! - **Bad data.** A file that does not parse, or holds another handle than its name
//!   says, is [`StoreError::Corrupt`] naming the file: never a panic, never a wrong
//!   association. A directory that cannot be created or written is
//!   [`StoreError::Config`] at [`FileStore::open`], naming the path. I/O errors later are
//!   [`StoreError::Unavailable`]: never "not found", never "nonce fresh".
//! - **Limits.** Use a local file system: `O_EXCL` and `rename` are atomic there (and on
//!   NFS v3 and later, where `flock` may not be). Each nonce costs an inode until cleanup.
//!
//! [`StoreError::Corrupt`]: openid_consumer::store::StoreError::Corrupt
//! [`StoreError::Config`]: openid_consumer::store::StoreError::Config
//! [`StoreError::Unavailable`]: openid_consumer::store::StoreError::Unavailable
//! [`Association::serialize`]: openid_consumer::store::Association::serialize
#![deny(missing_docs)]

mod error;
mod keys;
mod store;

pub use store::{FileStore, FileStoreBuilder};

#[doc(no_inline)]
pub use openid_consumer::store::{OpenIdStore, StoreError};

#[cfg(test)]
mod tests;
