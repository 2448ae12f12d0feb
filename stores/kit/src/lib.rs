//! What the stores of `openid-consumer` share besides the contract: for store authors, not
//! for sites.
//!
//! The protocol crate keeps only the [`OpenIdStore`](openid_consumer::store::OpenIdStore)
//! contract; everything a backend needs to speak to its storage, and that more than one
//! backend needs, lives here, written once:
//!
//! - [`url`]: store URLs read strictly: one table of options per store, an unknown option
//!   is an error naming the known ones.
//! - [`settings`]: the clock, nonce window, retention margin, time limit and pool size
//!   every builder takes, and [`builder_settings!`] for the same setters everywhere.
//! - [`keys`]: SHA-256 digests of server URLs, associations and nonces for backends that
//!   limit keys, and [`keys::redact_url`] for messages.
//! - [`sql`]: table names checked before they are written into SQL, [`builder_tables!`],
//!   pending migrations, and associations read back from rows strictly.
//! - [`value`]: associations read back strictly from text values (key-value servers).
//! - `pool` (feature `pool`): a connection pool for server stores that reconnects after a
//!   server restart, with the retry-once rule that makes the first call after it succeed.
//!
//! ```
//! use openid_store_kit::keys::{hex, nonce_digest, redact_url};
//!
//! let key = hex(&nonce_digest("https://op.example/server", 1_700_000_000, "salt"));
//! assert_eq!(key.len(), 64);
//! assert_eq!(redact_url("redis://:hunter2@cache:6379/"), "redis://:***@cache:6379/");
//! ```
//!
//! # Crate features
//! - `pool` (off by default): [`pool::Pool`], over r2d2.
#![deny(missing_docs)]

pub mod keys;
#[cfg(feature = "pool")]
pub mod pool;
pub mod settings;
pub mod sql;
pub mod url;
pub mod value;

/// Paths the macros of this crate expand to.
#[doc(hidden)]
pub mod __private {
    pub use openid_consumer::store::{Clock, StoreError};
}
