//! What a relying party keeps between requests: associations and used nonces.
//!
//! [`OpenIdStore`] is the contract every backend keeps; [`MemoryStore`] is the in-process
//! implementation. The other stores live in crates of their own (`openid-store-file`,
//! `-sqlite`, `-postgres`, `-mysql`, `-redis`, `-memcache`), and the crate
//! `openid-store-conformance` holds the suite that proves a backend keeps the contract.
//!
//! # Example
//! ```
//! use std::sync::Arc;
//!
//! use openid_consumer::crypto::AssociationType;
//! use openid_consumer::store::{Association, ManualClock, MemoryStore, OpenIdStore};
//!
//! let now = 1_700_000_000;
//! let store = MemoryStore::new().with_clock(Arc::new(ManualClock::new(now)));
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
//! A store implements the backend half of [`OpenIdStore`]: keep associations, find one,
//! record a nonce once, delete what is old. The protocol's rules (the nonce window, never
//! returning an expired association, what "old" means) are the trait's provided methods,
//! applied the same way for every backend, so a store only stores. Every method takes
//! `&self` (use interior mutability or a connection pool) and every time comes from the
//! store's [`Timing`] (a [`Clock`] and the nonce window), so the conformance suite can move
//! time instead of sleeping.
//!
//! Here is a whole store, and the one line that runs the conformance suite against it (in
//! `tests/conformance.rs`; the `openid-store-conformance` crate's README walks through it):
//!
//! ```
//! use std::collections::{HashMap, HashSet};
//! use std::sync::{Mutex, MutexGuard, PoisonError};
//!
//! use openid_consumer::store::{Association, Lookup, NonceRecord, OpenIdStore, StoreError, Timing};
//!
//! /// Associations and nonces in two maps behind a mutex: in one process, lost at exit.
//! struct MapStore {
//!     timing: Timing,
//!     data: Mutex<Data>,
//! }
//!
//! #[derive(Default)]
//! struct Data {
//!     /// (server URL, handle) -> association.
//!     associations: HashMap<(String, String), Association>,
//!     /// (server URL, timestamp, salt).
//!     nonces: HashSet<(String, i64, String)>,
//! }
//!
//! impl MapStore {
//!     fn new(timing: Timing) -> Self {
//!         Self { timing, data: Mutex::default() }
//!     }
//!
//!     fn data(&self) -> MutexGuard<'_, Data> {
//!         // Every write below is one map operation: a panic cannot leave half of one.
//!         self.data.lock().unwrap_or_else(PoisonError::into_inner)
//!     }
//! }
//!
//! impl OpenIdStore for MapStore {
//!     fn timing(&self) -> &Timing {
//!         &self.timing
//!     }
//!
//!     fn store_association(&self, server_url: &str, a: &Association) -> Result<(), StoreError> {
//!         let key = (server_url.to_owned(), a.handle().to_owned());
//!         self.data().associations.insert(key, a.clone());
//!         Ok(())
//!     }
//!
//!     fn find_association(&self, lookup: &Lookup<'_>) -> Result<Option<Association>, StoreError> {
//!         let data = self.data();
//!         let server_url = lookup.server_url;
//!         if let Some(handle) = lookup.handle {
//!             let key = (server_url.to_owned(), handle.to_owned());
//!             return Ok(data.associations.get(&key).cloned());
//!         }
//!         // Without a handle: the newest live one (an expired newest is passed over).
//!         Ok(data
//!             .associations
//!             .iter()
//!             .filter(|((url, _), a)| url == server_url && !a.is_expired(lookup.now))
//!             .map(|(_, a)| a)
//!             .max_by(|x, y| (x.issued(), x.handle()).cmp(&(y.issued(), y.handle())))
//!             .cloned())
//!     }
//!
//!     fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
//!         let key = (server_url.to_owned(), handle.to_owned());
//!         Ok(self.data().associations.remove(&key).is_some())
//!     }
//!
//!     fn record_nonce(&self, nonce: &NonceRecord<'_>) -> Result<bool, StoreError> {
//!         // One insert under the lock: of all racing callers exactly one gets `true`.
//!         let key = (nonce.server_url.to_owned(), nonce.timestamp, nonce.salt.to_owned());
//!         Ok(self.data().nonces.insert(key))
//!     }
//!
//!     fn delete_nonces_before(&self, oldest: i64) -> Result<usize, StoreError> {
//!         let mut data = self.data();
//!         let before = data.nonces.len();
//!         data.nonces.retain(|(_, timestamp, _)| *timestamp >= oldest);
//!         Ok(before - data.nonces.len())
//!     }
//!
//!     fn delete_expired_associations(&self, now: i64) -> Result<usize, StoreError> {
//!         let mut data = self.data();
//!         let before = data.associations.len();
//!         data.associations.retain(|_, a| !a.is_expired(now));
//!         Ok(before - data.associations.len())
//!     }
//! }
//!
//! // tests/conformance.rs: one #[test] per case. The maps live in one process and two
//! // stores share nothing, which the capabilities declare.
//! use openid_store_conformance::{Capabilities, store_conformance_tests, stores, with_capabilities};
//!
//! store_conformance_tests!(with_capabilities(
//!     Capabilities::new().single_process().separate_instances(),
//!     stores(|f| Ok(MapStore::new(f.timing()))),
//! ));
//! # fn main() {
//! #     // A doctest does not run #[test]s: run the same cases here.
//! #     let summary = openid_store_conformance::run_all(&with_capabilities(
//! #         Capabilities::new().single_process().separate_instances(),
//! #         stores(|f| Ok(MapStore::new(f.timing()))),
//! #     ));
//! #     assert!(summary.failed.is_empty(), "{summary:#?}");
//! #     assert!(summary.passed.len() > 30, "{summary:#?}");
//! # }
//! ```

mod clock;
mod error;
mod lookup;
mod memory;
mod nonce_set;
mod record;

use std::sync::Arc;

/// Associations live in [`crate::crypto`] (a shared MAC key is cryptography); stores keep
/// them, so they are here too.
pub use crate::crypto::{Association, AssociationError, MAX_HANDLE_LEN, is_valid_handle};
pub use clock::{Clock, ManualClock, NONCE_RETENTION, SystemClock, Timing};
pub use error::{BoxError, StoreError};
pub use lookup::Lookup;
pub use memory::MemoryStore;
pub use record::NonceRecord;

use crate::nonce::within_skew;

/// The shared state of a relying party: associations with providers and the nonces it has
/// seen. Shared between threads (`Send + Sync`, methods take `&self`).
///
/// The trait has two halves. A backend implements the first: [`OpenIdStore::timing`], the
/// storage operations ([`store_association`](OpenIdStore::store_association),
/// [`find_association`](OpenIdStore::find_association),
/// [`remove_association`](OpenIdStore::remove_association),
/// [`record_nonce`](OpenIdStore::record_nonce) and the two deletions). Callers use the
/// second, provided methods: [`get_association`](OpenIdStore::get_association),
/// [`use_nonce`](OpenIdStore::use_nonce) and the cleanups. These apply the protocol's
/// rules once for every backend (the nonce window of OpenID 2.0 section 11.4.2.1, never an
/// expired association, nonces kept past the window by the retention margin); a store has
/// no reason to override them, except to read the clock under its own lock as
/// [`MemoryStore`] does.
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
    /// Where this store's times come from: its clock, and its nonce window (the protocol's
    /// [`SKEW`](crate::nonce::SKEW), 5 hours, unless the store was configured otherwise;
    /// the conformance suite shortens it to test self-expiring stores in real time).
    fn timing(&self) -> &Timing;

    /// Stores `association` for `server_url`, replacing any association with the same
    /// (server URL, handle).
    fn store_association(
        &self,
        server_url: &str,
        association: &Association,
    ) -> Result<(), StoreError>;

    /// The backend's lookup. With a handle: that association of the server URL, which may
    /// be expired (the caller's [`get_association`](OpenIdStore::get_association) filters
    /// it). Without: the association of the server URL issued most recently among those
    /// not expired at the lookup's `now`; an expired newer one must be passed over, not
    /// returned.
    fn find_association(&self, lookup: &Lookup<'_>) -> Result<Option<Association>, StoreError>;

    /// Removes the association (server URL, handle); `true` if it existed. When several
    /// callers race to remove one association, exactly one gets `true`.
    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError>;

    /// Records a nonce that the window accepted; `true` if it was not recorded before.
    ///
    /// Atomic: under any concurrency, across threads and processes sharing the backend,
    /// exactly one caller gets `true` for a (server URL, timestamp, salt). The store must
    /// remember the nonce until [`NonceRecord::keep_until`] at least (a store whose server
    /// expires keys gives it [`NonceRecord::ttl`]; a store that prunes as it records
    /// deletes only nonces before [`NonceRecord::oldest_kept`]). An error of the backend is an `Err`,
    /// never `Ok(true)`: the login that needed the nonce then fails.
    fn record_nonce(&self, nonce: &NonceRecord<'_>) -> Result<bool, StoreError>;

    /// Deletes the nonces whose timestamp is before `oldest` and returns how many. A store
    /// whose server expires keys itself returns `Ok(0)` and says so in its docs. The
    /// caller, [`cleanup_nonces`](OpenIdStore::cleanup_nonces), passes
    /// [`Timing::oldest_kept`]: the store compares, and does no arithmetic on times.
    fn delete_nonces_before(&self, oldest: i64) -> Result<usize, StoreError>;

    /// Deletes the associations expired at `now` and returns how many. A store whose
    /// server expires keys itself returns `Ok(0)` and says so in its docs.
    fn delete_expired_associations(&self, now: i64) -> Result<usize, StoreError>;

    /// With a handle, that association of `server_url`; without, the one issued most
    /// recently. Never an expired association: an expired one is `None` (with a handle) or
    /// passed over (without).
    fn get_association(
        &self,
        server_url: &str,
        handle: Option<&str>,
    ) -> Result<Option<Association>, StoreError> {
        let now = self.timing().now();
        let found = self.find_association(&Lookup::new(server_url, handle, now))?;
        // The association's own times decide, whatever the backend's query compared.
        Ok(found.filter(|a| !a.is_expired(now)))
    }

    /// Records the nonce (server URL, timestamp, salt) and says whether it was fresh.
    ///
    /// `false` if `timestamp` is more than the store's window ([`Timing::skew`]) from now
    /// in either direction (OpenID 2.0 section 11.4.2.1; nothing is recorded then), or the triple was
    /// used before. Atomic: under any concurrency, across threads and processes sharing the
    /// backend, exactly one caller gets `true`.
    fn use_nonce(&self, server_url: &str, timestamp: i64, salt: &str) -> Result<bool, StoreError> {
        let (now, skew) = (self.timing().now(), self.timing().skew());
        if !within_skew(timestamp, now, skew) {
            return Ok(false);
        }
        let retention = self.timing().retention();
        self.record_nonce(
            &NonceRecord::new(server_url, timestamp, salt, now, skew).with_retention(retention),
        )
    }

    /// Deletes the nonces older than the window plus the retention margin
    /// ([`Timing::oldest_kept`]) and returns how many. Not at the window's edge: a node
    /// whose clock runs ahead would delete nonces that the other nodes still accept.
    /// Backends whose server expires keys itself return 0 and say so in their docs.
    fn cleanup_nonces(&self) -> Result<usize, StoreError> {
        let timing = self.timing();
        self.delete_nonces_before(timing.oldest_kept(timing.now()))
    }

    /// Deletes the expired associations and returns how many. Backends whose server expires
    /// keys itself return 0 and say so in their docs.
    fn cleanup_associations(&self) -> Result<usize, StoreError> {
        self.delete_expired_associations(self.timing().now())
    }

    /// Runs both cleanups; returns (nonces, associations) removed.
    fn cleanup(&self) -> Result<(usize, usize), StoreError> {
        Ok((self.cleanup_nonces()?, self.cleanup_associations()?))
    }
}

macro_rules! forward_store {
    ($($target:ty),*) => {$(
        /// The store behind the pointer, every method forwarded.
        impl<T: OpenIdStore + ?Sized> OpenIdStore for $target {
            fn timing(&self) -> &Timing {
                (**self).timing()
            }

            fn store_association(
                &self,
                server_url: &str,
                association: &Association,
            ) -> Result<(), StoreError> {
                (**self).store_association(server_url, association)
            }

            fn find_association(
                &self,
                lookup: &Lookup<'_>,
            ) -> Result<Option<Association>, StoreError> {
                (**self).find_association(lookup)
            }

            fn remove_association(
                &self,
                server_url: &str,
                handle: &str,
            ) -> Result<bool, StoreError> {
                (**self).remove_association(server_url, handle)
            }

            fn record_nonce(&self, nonce: &NonceRecord<'_>) -> Result<bool, StoreError> {
                (**self).record_nonce(nonce)
            }

            fn delete_nonces_before(&self, oldest: i64) -> Result<usize, StoreError> {
                (**self).delete_nonces_before(oldest)
            }

            fn delete_expired_associations(&self, now: i64) -> Result<usize, StoreError> {
                (**self).delete_expired_associations(now)
            }

            fn get_association(
                &self,
                server_url: &str,
                handle: Option<&str>,
            ) -> Result<Option<Association>, StoreError> {
                (**self).get_association(server_url, handle)
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
