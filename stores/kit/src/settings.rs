//! [`Settings`]: what every store's builder holds besides its own options (the clock, the
//! nonce window and retention margin, the time limit and the pool size), and [`builder_settings!`], which gives
//! a builder the same setters for them in every store.
//!
//! [`builder_settings!`]: crate::builder_settings

use std::sync::Arc;
use std::time::Duration;

use openid_consumer::nonce::SKEW;
use openid_consumer::store::{Clock, NONCE_RETENTION, StoreError, SystemClock, Timing};

/// The prefix of every key of a store on a key-value server unless its builder sets one.
pub const DEFAULT_KEY_PREFIX: &str = "openid:";
/// The time limit of a store's operations unless its builder sets one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections a pooled store keeps at most unless its builder sets a size.
pub const DEFAULT_POOL_SIZE: u32 = 16;
/// The widest nonce window a store accepts: 7 days, far beyond the protocol's 5 hours.
///
/// A store must remember a nonce for up to twice its window (one dated the window ahead is
/// acceptable until its timestamp plus the window), and servers that expire keys cap how
/// long they keep one: memcached reads a TTL above 30 days as an absolute time, so a wider
/// window would make such a store forget nonces that are still acceptable (a replay).
pub const MAX_SKEW: i64 = 7 * 24 * 60 * 60;

/// The settings every store's builder shares.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    /// Where every time of the store comes from.
    pub clock: Arc<dyn Clock>,
    /// The nonce window, seconds.
    pub skew: i64,
    /// How long (seconds) past the window a nonce is kept.
    pub retention: i64,
    /// How long an operation may wait for the backend before it fails as unavailable.
    pub timeout: Duration,
    /// The most connections a pooled store keeps.
    pub pool_size: u32,
}

/// What the stores on key-value servers (Redis, memcached) add to [`Settings`]: the prefix
/// of their keys, and whether a server that may evict keys is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeySettings {
    /// The prefix of every key.
    pub prefix: String,
    /// Whether a server that evicts keys when full is accepted.
    pub allow_eviction: bool,
}

impl KeySettings {
    /// The defaults: keys prefixed `openid:`, no evicting server.
    pub fn new() -> Self {
        Self { prefix: DEFAULT_KEY_PREFIX.to_owned(), allow_eviction: false }
    }
}

impl Default for KeySettings {
    fn default() -> Self {
        Self::new()
    }
}

/// A setting no store can work with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {store} store setting: {problem}")]
pub struct SettingsError {
    store: &'static str,
    problem: &'static str,
}

impl Settings {
    /// The defaults: the system clock, the protocol's 5-hour window, nonces kept 5 minutes
    /// past it, a 5-second time limit and 16 connections.
    pub fn new() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            skew: SKEW,
            retention: NONCE_RETENTION,
            timeout: DEFAULT_TIMEOUT,
            pool_size: DEFAULT_POOL_SIZE,
        }
    }

    /// The store's [`Timing`]: the clock, the window and the retention margin.
    pub fn timing(&self) -> Timing {
        Timing::new(Arc::clone(&self.clock), self.skew).with_retention(self.retention)
    }

    /// Checks the settings before a store is built; `store` names it in the error.
    ///
    /// # Errors
    /// A window under a second or over [`MAX_SKEW`], a retention margin below zero or over
    /// [`MAX_SKEW`], a zero time limit or a pool of no connections.
    pub fn check(&self, store: &'static str) -> Result<(), SettingsError> {
        let problem = if self.skew < 1 {
            "the nonce window (skew) must be at least 1 second"
        } else if self.skew > MAX_SKEW {
            "the nonce window (skew) must be at most 7 days (MAX_SKEW)"
        } else if self.retention < 0 {
            "the nonce retention margin must be 0 seconds or more"
        } else if self.retention > MAX_SKEW {
            "the nonce retention margin must be at most 7 days (MAX_SKEW)"
        } else if self.timeout.is_zero() {
            "the timeout must be more than zero"
        } else if self.pool_size == 0 {
            "the pool size must be at least 1"
        } else {
            return Ok(());
        };
        Err(SettingsError { store, problem })
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self::new()
    }
}

impl From<SettingsError> for StoreError {
    fn from(error: SettingsError) -> Self {
        StoreError::config(error.to_string(), None)
    }
}

/// Writes the setters of shared settings into a builder's `impl` block: the same names,
/// types and documentation in every store.
///
/// `builder_settings!(settings: clock, skew, retention, timeout, pool_size);` inside
/// `impl MyStoreBuilder { ... }` gives `clock(Arc<dyn Clock>)`, `skew(i64)`,
/// `nonce_retention(i64)`, `timeout(Duration)` and `pool_size(u32)`, each setting that
/// field of `self.settings`, a
/// [`Settings`] (any subset, in any order). `prefix(&str)` and `allow_eviction(bool)` set
/// the fields of a [`KeySettings`] the same way.
///
/// ```
/// use openid_store_kit::settings::Settings;
///
/// #[derive(Debug, Default)]
/// struct MyStoreBuilder {
///     settings: Settings,
/// }
///
/// impl MyStoreBuilder {
///     openid_store_kit::builder_settings!(settings: clock, skew);
/// }
///
/// let builder = MyStoreBuilder::default().skew(60);
/// assert_eq!(builder.settings.skew, 60);
/// ```
#[macro_export]
macro_rules! builder_settings {
    ($field:ident : $($setting:ident),+ $(,)?) => {
        $($crate::__builder_setting!($field $setting);)+
    };
}

/// One setter of [`builder_settings!`](crate::builder_settings).
#[doc(hidden)]
#[macro_export]
macro_rules! __builder_setting {
    ($field:ident clock) => {
        /// The clock every time of the store comes from (default: the system clock).
        /// Expiry, the nonce window and server-side TTLs are all computed from it, never
        /// from the backend's own time; a test gives a settable clock to move time instead
        /// of sleeping.
        #[must_use]
        pub fn clock(mut self, clock: ::std::sync::Arc<dyn $crate::__private::Clock>) -> Self {
            self.$field.clock = clock;
            self
        }
    };
    ($field:ident skew) => {
        /// The nonce window in seconds (default 5 hours, the protocol's): how far a
        /// nonce's timestamp may be from now, and so how long a used nonce is remembered.
        /// Shorter only in tests: a real provider's clock may be minutes off. At most
        /// `MAX_SKEW` (7 days): `build` refuses a wider window.
        #[must_use]
        pub fn skew(mut self, seconds: i64) -> Self {
            self.$field.skew = seconds;
            self
        }
    };
    ($field:ident retention) => {
        /// How long (seconds) past the nonce window a used nonce is still remembered
        /// (default 300, 5 minutes; URL option `nonce_retention_s`). The window is judged
        /// by each node's clock: a node whose clock runs ahead deletes nonces early, and
        /// another node would accept them again. This margin covers clocks up to this far
        /// apart. It never widens what is accepted, which stays the window (`skew`). 0 keeps
        /// nonces for the window alone, safe only with one clock.
        #[must_use]
        pub fn nonce_retention(mut self, seconds: i64) -> Self {
            self.$field.retention = seconds;
            self
        }
    };
    ($field:ident timeout) => {
        /// How long an operation may wait for the backend before it fails with
        /// `StoreError::Unavailable` (default 5 s): connecting, a free pooled connection,
        /// each read and write, a lock. The crate docs say what it bounds for this store.
        #[must_use]
        pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.$field.timeout = timeout;
            self
        }
    };
    ($field:ident prefix) => {
        /// The prefix of every key (default `openid:`), to share a server with other data
        /// or other sites. The crate docs say which characters it may hold.
        #[must_use]
        pub fn prefix(mut self, prefix: &str) -> Self {
            prefix.clone_into(&mut self.$field.prefix);
            self
        }
    };
    ($field:ident allow_eviction) => {
        /// Accepts a server that may evict keys before their TTL when it fills up (off by
        /// default). An evicted nonce is accepted again: a replay. Turn it on only for a
        /// server that cannot fill up; the crate docs say how the store checks.
        #[must_use]
        pub fn allow_eviction(mut self, allow: bool) -> Self {
            self.$field.allow_eviction = allow;
            self
        }
    };
    ($field:ident pool_size) => {
        /// The most connections the store keeps open (default 16, at least 1); an
        /// operation waits up to the timeout for a free one.
        #[must_use]
        pub fn pool_size(mut self, size: u32) -> Self {
            self.$field.pool_size = size;
            self
        }
    };
}

/// Writes the deletions of a store whose server expires keys itself (by the TTLs the store
/// gives them) into its `impl OpenIdStore` block: both return `Ok(0)`, as the contract
/// asks of such a store.
#[macro_export]
macro_rules! expired_by_the_server {
    () => {
        /// Returns 0: the server deletes each nonce itself when its TTL, the rest of its
        /// window, runs out.
        fn delete_nonces_before(
            &self,
            _oldest: i64,
        ) -> ::std::result::Result<usize, $crate::__private::StoreError> {
            Ok(0)
        }

        /// Returns 0: the server deletes each association itself when it expires.
        fn delete_expired_associations(
            &self,
            _now: i64,
        ) -> ::std::result::Result<usize, $crate::__private::StoreError> {
            Ok(0)
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_protocols() {
        let settings = Settings::new();
        assert_eq!(settings.skew, SKEW);
        assert_eq!(settings.retention, NONCE_RETENTION);
        assert_eq!(settings.timing().retention(), NONCE_RETENTION);
        assert_eq!(Settings { retention: 7, ..Settings::new() }.timing().retention(), 7);
        assert_eq!(settings.timeout, DEFAULT_TIMEOUT);
        assert!(settings.check("Test").is_ok());
        assert!(Settings { skew: MAX_SKEW, ..Settings::new() }.check("Test").is_ok());
    }

    #[test]
    fn unusable_settings_are_refused_by_name() {
        for (settings, expected) in [
            (Settings { skew: 0, ..Settings::new() }, "window"),
            (Settings { skew: -1, ..Settings::new() }, "window"),
            (Settings { skew: MAX_SKEW + 1, ..Settings::new() }, "at most 7 days"),
            (Settings { skew: i64::MAX, ..Settings::new() }, "at most 7 days"),
            (Settings { retention: -1, ..Settings::new() }, "retention"),
            (
                Settings { retention: MAX_SKEW + 1, ..Settings::new() },
                "retention margin must be at most",
            ),
            (
                Settings { retention: i64::MAX, ..Settings::new() },
                "retention margin must be at most",
            ),
            (Settings { timeout: Duration::ZERO, ..Settings::new() }, "timeout"),
            (Settings { pool_size: 0, ..Settings::new() }, "pool size"),
        ] {
            let error = settings.check("Test").unwrap_err();
            assert!(error.to_string().contains(expected), "{error}");
            assert!(StoreError::from(error).is_config());
        }
    }
}
