//! [`MemoryStore`]: associations and nonces in this process's memory.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::nonce_set::NonceSet;
use super::{Association, Clock, Lookup, NonceRecord, OpenIdStore, StoreError, Timing};
use crate::nonce::within_skew;

/// Associations and nonces kept in memory, behind one mutex.
///
/// For tests, single-process sites and as the reference implementation of
/// [`OpenIdStore`]. Everything is lost when the process ends, and processes do not share
/// it: a site with several processes needs a shared store (file, SQLite or a server).
///
/// Clones share the same data (the store is a handle), so one store can be handed to
/// several components.
///
/// # Semantics
/// - Expiry: an association is never returned once [`Association::is_expired`] at the
///   clock's now. Storing an association drops the expired ones of that server once the
///   server's map has doubled since the last pruning: O(1) per store, amortised, and at
///   most twice the live associations held.
/// - Nonces: `use_nonce` reads the clock, checks the window and inserts, all under the
///   mutex, so exactly one caller gets `true`, and no caller judges the window by a time
///   read before another caller pruned. Memory stays bounded without calling cleanup: each
///   recorded nonce first drops the nonces older than the window plus the retention margin
///   ([`Timing::oldest_kept`]; oldest first, each dropped once), so the set holds at most
///   the nonces of the last `2 * skew + retention` seconds.
/// - A nonce is kept as (timestamp, 128-bit digest of its server URL and salt), not as the
///   two strings: fixed-size keys, no allocation per nonce, a hash set to ask whether it
///   was seen and buckets by timestamp to drop the oldest (O(1) per nonce, amortised). The
///   URL is length-prefixed, so another split of the same bytes into URL and salt is
///   another nonce. A digest collision could only make a fresh nonce look used (a refused
///   login, never an accepted replay), and forcing one on a given nonce takes a second
///   preimage of SHA-256 truncated to 128 bits (2^128 work).
/// - Cleanup counts what it removes (exactly).
/// - A poisoned mutex is recovered: every operation leaves the maps consistent before it
///   can panic, so a panic elsewhere cannot leave half-written state.
///
/// # Example
/// ```
/// use openid_consumer::store::{MemoryStore, OpenIdStore, SystemClock, Clock};
///
/// let store = MemoryStore::new();
/// let now = SystemClock.now();
/// assert!(store.use_nonce("https://op.example/", now, "abc")?);
/// assert!(!store.use_nonce("https://op.example/", now, "abc")?);
/// # Ok::<(), openid_consumer::store::StoreError>(())
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
    timing: Timing,
}

#[derive(Default)]
struct Inner {
    /// server URL -> its associations.
    associations: HashMap<String, Handles>,
    nonces: NonceSet,
}

impl MemoryStore {
    /// An empty store on the [`SystemClock`](super::SystemClock) and the protocol's window.
    pub fn new() -> Self {
        Self { inner: Arc::default(), timing: Timing::system() }
    }

    /// The same store reading time from `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.timing = self.timing.with_clock(clock);
        self
    }

    /// The same store with a nonce window of `skew` seconds instead of the protocol's 5
    /// hours (for tests that wait through a whole window).
    #[must_use]
    pub fn with_skew(mut self, skew: i64) -> Self {
        self.timing = self.timing.with_skew(skew);
        self
    }

    /// The same store keeping nonces `seconds` past the window instead of
    /// [`NONCE_RETENTION`](super::NONCE_RETENTION).
    #[must_use]
    pub fn with_retention(mut self, seconds: i64) -> Self {
        self.timing = self.timing.with_retention(seconds);
        self
    }

    /// How many associations (expired included) and nonces it holds.
    pub fn len(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.associations.values().map(|h| h.by_handle.len()).sum(), inner.nonces.len())
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (associations, nonces) = self.len();
        f.debug_struct("MemoryStore")
            .field("associations", &associations)
            .field("nonces", &nonces)
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
}

impl OpenIdStore for MemoryStore {
    fn store_association(
        &self,
        server_url: &str,
        association: &Association,
    ) -> Result<(), StoreError> {
        let now = self.timing.now();
        let mut inner = self.lock();
        // The server's entry exists after its first association: no key copied then.
        if !inner.associations.contains_key(server_url) {
            inner.associations.insert(server_url.to_owned(), Handles::default());
        }
        if let Some(server) = inner.associations.get_mut(server_url) {
            server.insert(association, now);
        }
        Ok(())
    }

    fn find_association(&self, lookup: &Lookup<'_>) -> Result<Option<Association>, StoreError> {
        let Lookup { server_url, handle, now, .. } = *lookup;
        let inner = self.lock();
        let Some(server) = inner.associations.get(server_url).map(|h| &h.by_handle) else {
            return Ok(None);
        };
        let found = match handle {
            Some(handle) => server.get(handle),
            // Ties on `issued` go to the greatest handle, so the answer is deterministic.
            None => server
                .values()
                .filter(|a| !a.is_expired(now))
                .max_by(|a, b| (a.issued(), a.handle()).cmp(&(b.issued(), b.handle()))),
        };
        Ok(found.cloned())
    }

    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let Some(server) = inner.associations.get_mut(server_url) else {
            return Ok(false);
        };
        let removed = server.by_handle.remove(handle).is_some();
        if server.by_handle.is_empty() {
            inner.associations.remove(server_url);
        }
        Ok(removed)
    }

    fn record_nonce(&self, nonce: &NonceRecord<'_>) -> Result<bool, StoreError> {
        Ok(record_locked(&mut self.lock(), nonce))
    }

    /// The contract's rule, with the clock read under the lock: a caller that read it
    /// before waiting for the lock would judge the window by a time older than the one
    /// the caller before it pruned by.
    fn use_nonce(&self, server_url: &str, timestamp: i64, salt: &str) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let (now, skew) = (self.timing.now(), self.timing.skew());
        if !within_skew(timestamp, now, skew) {
            return Ok(false);
        }
        let nonce = NonceRecord::new(server_url, timestamp, salt, now, skew)
            .with_retention(self.timing.retention());
        Ok(record_locked(&mut inner, &nonce))
    }

    fn timing(&self) -> &Timing {
        &self.timing
    }

    fn delete_nonces_before(&self, oldest: i64) -> Result<usize, StoreError> {
        Ok(self.lock().nonces.prune(oldest))
    }

    fn delete_expired_associations(&self, now: i64) -> Result<usize, StoreError> {
        let mut inner = self.lock();
        let mut removed = 0;
        inner.associations.retain(|_, server| {
            removed += server.prune(now);
            !server.by_handle.is_empty()
        });
        Ok(removed)
    }
}

/// One server's associations by handle. Expired ones are dropped when a store finds the
/// map grown to twice what the last pruning left (at least [`Handles::MIN_PRUNE`]), not on
/// every store: a walk over all of them on each store made storing cost grow with the
/// number held (issue 17), while this costs O(1) per store, amortised, and the map holds at
/// most twice the live associations.
#[derive(Default)]
struct Handles {
    by_handle: HashMap<String, Association>,
    /// The size at which the next store prunes first.
    prune_at: usize,
}

impl Handles {
    const MIN_PRUNE: usize = 16;

    fn insert(&mut self, association: &Association, now: i64) {
        if self.by_handle.len() >= self.prune_at.max(Self::MIN_PRUNE) {
            self.prune(now);
        }
        match self.by_handle.get_mut(association.handle()) {
            Some(old) => association.clone_into(old),
            None => {
                self.by_handle.insert(association.handle().to_owned(), association.clone());
            }
        }
    }

    /// Drops the expired associations and returns how many.
    fn prune(&mut self, now: i64) -> usize {
        let before = self.by_handle.len();
        self.by_handle.retain(|_, a| !a.is_expired(now));
        self.prune_at = (self.by_handle.len() * 2).max(Self::MIN_PRUNE);
        before - self.by_handle.len()
    }
}

/// Records `nonce` in the locked data after dropping what it no longer needs to keep;
/// `true` if it was new.
fn record_locked(inner: &mut Inner, nonce: &NonceRecord<'_>) -> bool {
    inner.nonces.prune(nonce.oldest_kept());
    inner.nonces.insert(nonce.timestamp, nonce.server_url, nonce.salt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::AssociationType;
    use crate::store::{ManualClock, SystemClock};

    #[test]
    fn expired_associations_are_dropped_as_the_map_grows_and_never_returned() {
        let clock = Arc::new(ManualClock::new(100_000));
        let store = MemoryStore::new().with_clock(clock.clone());
        let association = |n: usize| {
            let handle = format!("h{n}");
            Association::new(&handle, vec![1; 32], clock.now(), 10, AssociationType::HmacSha256)
                .unwrap()
        };
        for n in 0..1_000 {
            store.store_association("s", &association(n)).unwrap();
        }
        clock.advance(20);
        assert_eq!(store.get_association("s", Some("h5")).unwrap(), None);
        assert_eq!(store.get_association("s", None).unwrap(), None);
        for n in 1_000..2_000 {
            store.store_association("s", &association(n)).unwrap();
        }
        // The 1,000 expired ones went when the map had doubled; the live ones all stay.
        assert_eq!(store.len().0, 1_000);
        assert!(store.get_association("s", Some("h1999")).unwrap().is_some());
        // Storing a handle again replaces it.
        let again =
            Association::new("h1999", vec![2; 32], clock.now(), 99, AssociationType::HmacSha256)
                .unwrap();
        store.store_association("s", &again).unwrap();
        assert_eq!(store.get_association("s", Some("h1999")).unwrap(), Some(again));
        assert_eq!(store.len().0, 1_000);
    }

    #[test]
    fn use_nonce_prunes_what_fell_out_of_the_window_and_the_margin() {
        use crate::nonce::SKEW;
        use crate::store::NONCE_RETENTION;
        let clock = Arc::new(ManualClock::new(100_000));
        let store = MemoryStore::new().with_clock(clock.clone());
        assert!(store.use_nonce("s", 100_000, "a").unwrap());
        assert!(store.use_nonce("s", 100_001, "b").unwrap());
        clock.advance(SKEW + 1);
        assert!(store.use_nonce("s", 100_000 + SKEW + 1, "c").unwrap());
        assert_eq!(store.len(), (0, 3), "out of the window, still within the margin");
        clock.advance(NONCE_RETENTION);
        assert!(store.use_nonce("s", 100_000 + SKEW + 1, "d").unwrap());
        assert_eq!(store.len(), (0, 3), "the nonce at 100000 is gone, the one at 100001 kept");
    }

    #[test]
    fn a_shorter_window_refuses_and_forgets_by_it() {
        let clock = Arc::new(ManualClock::new(100_000));
        let store = MemoryStore::new().with_clock(clock.clone()).with_skew(10).with_retention(5);
        assert_eq!(store.timing().skew(), 10);
        assert!(!store.use_nonce("s", 100_011, "a").unwrap(), "11 s ahead of a 10 s window");
        assert!(store.use_nonce("s", 100_010, "a").unwrap());
        clock.advance(25);
        assert_eq!(store.cleanup_nonces().unwrap(), 0, "kept for the margin");
        clock.advance(1);
        assert_eq!(store.cleanup_nonces().unwrap(), 1);
    }

    #[test]
    fn a_clone_whose_clock_runs_ahead_by_less_than_the_margin_forgets_nothing_others_accept() {
        let clock = Arc::new(ManualClock::new(100_000));
        let store = MemoryStore::new().with_clock(clock.clone()).with_skew(60);
        let fast = store.clone().with_clock(Arc::new(ManualClock::new(100_000 + 299)));
        assert!(store.use_nonce("s", 100_000 - 60, "edge").unwrap());
        assert!(fast.use_nonce("s", 100_000 + 299, "prunes").unwrap());
        assert_eq!(fast.cleanup_nonces().unwrap(), 0);
        assert!(!store.use_nonce("s", 100_000 - 60, "edge").unwrap(), "a replay accepted");
    }

    #[test]
    fn the_clock_is_read_under_the_lock() {
        /// A clock that says whether the store's mutex was held when it was read.
        struct Probe(Arc<Mutex<Inner>>, std::sync::atomic::AtomicBool);
        impl fmt::Debug for Probe {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("Probe")
            }
        }
        impl Clock for Probe {
            fn now(&self) -> i64 {
                let held = self.0.try_lock().is_err();
                self.1.store(held, std::sync::atomic::Ordering::SeqCst);
                100_000
            }
        }
        let store = MemoryStore::new();
        let probe = Arc::new(Probe(store.inner.clone(), false.into()));
        let store = store.with_clock(probe.clone());
        assert!(store.use_nonce("s", 100_000, "a").unwrap());
        assert!(probe.1.load(std::sync::atomic::Ordering::SeqCst), "read before the lock");
    }

    #[test]
    fn debug_shows_counts_not_secrets() {
        let store = MemoryStore::new().with_clock(Arc::new(ManualClock::new(0)));
        let association =
            Association::new("h", b"topsecret".to_vec(), 0, 10, AssociationType::HmacSha1).unwrap();
        store.store_association("s", &association).unwrap();
        let shown = format!("{store:?}");
        assert!(shown.contains("associations: 1"), "{shown}");
        assert!(!shown.contains("topsecret") && !shown.contains("116"), "{shown}");
    }

    #[test]
    fn the_boundary_between_url_and_salt_is_not_ambiguous() {
        let store = MemoryStore::new();
        let now = SystemClock.now();
        assert!(store.use_nonce("https://op.example/ab", now, "c").unwrap());
        assert!(
            store.use_nonce("https://op.example/a", now, "bc").unwrap(),
            "same bytes, other split"
        );
        assert!(!store.use_nonce("https://op.example/a", now, "bc").unwrap());
    }

    #[test]
    fn a_salt_used_at_one_server_is_fresh_at_another() {
        let store = MemoryStore::new();
        let now = SystemClock.now();
        assert!(store.use_nonce("https://a.example/", now, "salt").unwrap());
        assert!(store.use_nonce("https://b.example/", now, "salt").unwrap());
        assert!(!store.use_nonce("https://a.example/", now, "salt").unwrap());
        assert!(!store.use_nonce("https://b.example/", now, "salt").unwrap());
        assert_eq!(store.len(), (0, 2));
    }

    #[test]
    fn clones_share_data() {
        let store = MemoryStore::new();
        let other = store.clone();
        let now = SystemClock.now();
        assert!(store.use_nonce("s", now, "x").unwrap());
        assert!(!other.use_nonce("s", now, "x").unwrap());
    }
}
