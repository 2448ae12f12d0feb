//! What a relying party keeps between requests: associations and used nonces.
//!
//! [`OpenIdStore`] is the contract every backend keeps; [`MemoryStore`] is the in-process
//! implementation. The file and SQLite stores live in the crates `openid-store-file` and
//! `openid-store-sqlite`, and the crate `openid-store-conformance` holds the suite that
//! proves a backend keeps the contract.
//!
//! # Example
//! ```
//! use openid_consumer::crypto::AssociationType;
//! use openid_consumer::store::{Association, MemoryStore, OpenIdStore};
//!
//! let store = MemoryStore::new();
//! let now = 1_700_000_000;
//! let store = store.with_clock(std::sync::Arc::new(openid_consumer::store::ManualClock::new(now)));
//! let association =
//!     Association::new("handle-1", vec![7; 32], now, 3_600, AssociationType::HmacSha256)?;
//! store.store_association("https://op.example/server", &association)?;
//! let found = store.get_association("https://op.example/server", None)?;
//! assert_eq!(found, Some(association));
//!
//! assert!(store.use_nonce("https://op.example/server", now, "salt")?);
//! assert!(!store.use_nonce("https://op.example/server", now, "salt")?, "a replay");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Writing your own store
//! Implement [`OpenIdStore`] (every method takes `&self`; use interior mutability or a
//! connection pool), read every time from an injected [`Clock`], and run the conformance
//! suite against it with one line in `tests/conformance.rs`:
//!
//! ```text
//! openid_store_conformance::store_conformance_tests!(|f: &Fixture| MyStore::open(f.clock()));
//! ```

mod association;
mod clock;
mod error;
pub mod keys;
mod memory;
pub mod url_options;

use std::sync::Arc;

pub use association::{Association, AssociationError, MAX_HANDLE_LEN, is_valid_handle};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{BoxError, StoreError};
pub use memory::MemoryStore;

/// The shared state of a relying party: associations with providers and the nonces it has
/// seen. Shared between threads (`Send + Sync`, methods take `&self`).
///
/// The contract (DESIGN.md section 5), which `openid-store-conformance` tests:
///
/// - Times are Unix seconds from the store's [`Clock`]; an association is expired when
///   [`Association::is_expired`] says so at the store's `now`.
/// - Keys are the exact strings given: long (2,000 characters) and non-ASCII server URLs,
///   255-character handles and salts work; server URLs and handles differing only in case
///   are different keys.
/// - A backend error is always an `Err`: never "not found", never "nonce fresh".
pub trait OpenIdStore: Send + Sync {
    /// Stores `association` for `server_url`, replacing any association with the same
    /// (server URL, handle).
    fn store_association(
        &self,
        server_url: &str,
        association: &Association,
    ) -> Result<(), StoreError>;

    /// With a handle, that association of `server_url`; without, the one issued most
    /// recently. Never an expired association: an expired one is `None` (with a handle) or
    /// passed over (without).
    fn get_association(
        &self,
        server_url: &str,
        handle: Option<&str>,
    ) -> Result<Option<Association>, StoreError>;

    /// Removes the association (server URL, handle); `true` if it existed. When several
    /// callers race to remove one association, exactly one gets `true`.
    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError>;

    /// Records the nonce (server URL, timestamp, salt) and says whether it was fresh.
    ///
    /// `false` if `timestamp` is more than [`SKEW`](crate::nonce::SKEW) from now in either
    /// direction, or the triple was used before. Atomic: under any concurrency, across
    /// threads and processes sharing the backend, exactly one caller gets `true`.
    fn use_nonce(&self, server_url: &str, timestamp: i64, salt: &str) -> Result<bool, StoreError>;

    /// Deletes the nonces too old to be accepted again and returns how many. Backends whose
    /// server expires keys itself return 0 and say so in their docs.
    fn cleanup_nonces(&self) -> Result<usize, StoreError>;

    /// Deletes the expired associations and returns how many. Backends whose server expires
    /// keys itself return 0 and say so in their docs.
    fn cleanup_associations(&self) -> Result<usize, StoreError>;

    /// Runs both cleanups; returns (nonces, associations) removed.
    fn cleanup(&self) -> Result<(usize, usize), StoreError> {
        Ok((self.cleanup_nonces()?, self.cleanup_associations()?))
    }
}

macro_rules! forward_store {
    ($($target:ty),*) => {$(
        impl<T: OpenIdStore + ?Sized> OpenIdStore for $target {
            fn store_association(
                &self,
                server_url: &str,
                association: &Association,
            ) -> Result<(), StoreError> {
                (**self).store_association(server_url, association)
            }

            fn get_association(
                &self,
                server_url: &str,
                handle: Option<&str>,
            ) -> Result<Option<Association>, StoreError> {
                (**self).get_association(server_url, handle)
            }

            fn remove_association(
                &self,
                server_url: &str,
                handle: &str,
            ) -> Result<bool, StoreError> {
                (**self).remove_association(server_url, handle)
            }

            fn use_nonce(
                &self,
                server_url: &str,
                timestamp: i64,
                salt: &str,
            ) -> Result<bool, StoreError> {
                (**self).use_nonce(server_url, timestamp, salt)
            }

            fn cleanup_nonces(&self) -> Result<usize, StoreError> {
                (**self).cleanup_nonces()
            }

            fn cleanup_associations(&self) -> Result<usize, StoreError> {
                (**self).cleanup_associations()
            }
        }
    )*};
}

forward_store!(Arc<T>, Box<T>, &T);
