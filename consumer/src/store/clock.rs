//! Where stores get the time: [`Clock`], the [`SystemClock`] and a settable
//! [`ManualClock`]; and [`Timing`], a store's clock with its nonce window.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::nonce::SKEW;

/// How long (seconds) a store keeps a nonce after it left the window, unless configured
/// otherwise: 5 minutes.
///
/// The window is judged by each node's own clock. A node whose clock runs `d` seconds
/// fast would, deleting exactly at the window's edge, forget nonces that a correct node
/// still accepts for `d` more seconds: a replay. Keeping nonces this much longer covers
/// clocks up to this far apart (NTP keeps them within a second); it never widens what is
/// accepted, which stays the window.
pub const NONCE_RETENTION: i64 = 300;

/// A source of the current time in Unix seconds.
///
/// Stores take one (`Arc<dyn Clock>`) and read every time from it, so tests can move time
/// instead of sleeping. Production code uses [`SystemClock`].
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time, Unix seconds.
    fn now(&self) -> i64;
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
        }
    }
}

/// A clock that only moves when told: for tests.
///
/// Share it with `Arc<ManualClock>`: the test keeps one handle to move time and gives the
/// store another (as `Arc<dyn Clock>`).
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use openid_consumer::store::{Clock, ManualClock};
///
/// let clock = Arc::new(ManualClock::new(1_000));
/// let for_store: Arc<dyn Clock> = clock.clone();
/// clock.advance(60);
/// assert_eq!(for_store.now(), 1_060);
/// clock.set(5);
/// assert_eq!(for_store.now(), 5);
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    now: AtomicI64,
}

impl ManualClock {
    /// A clock stopped at `now` (Unix seconds).
    pub fn new(now: i64) -> Self {
        Self { now: AtomicI64::new(now) }
    }

    /// Sets the time.
    pub fn set(&self, now: i64) {
        self.now.store(now, Ordering::SeqCst);
    }

    /// Moves the time by `seconds` (negative goes back), saturating.
    pub fn advance(&self, seconds: i64) {
        // fetch_update only fails when the closure returns None, which it never does.
        let _ = self
            .now
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| Some(t.saturating_add(seconds)));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }
}

/// Where a store's times come from: its clock, the nonce window the protocol allows
/// around it (OpenID 2.0 section 11.4.2.1), and how long past the window a nonce is kept
/// (the retention margin). The inputs of every rule the contract applies for a store;
/// [`OpenIdStore::timing`](super::OpenIdStore::timing) hands them over.
///
/// ```
/// use std::sync::Arc;
/// use openid_consumer::store::{ManualClock, NONCE_RETENTION, Timing};
///
/// let timing = Timing::new(Arc::new(ManualClock::new(1_000)), 60);
/// assert_eq!((timing.now(), timing.skew(), timing.retention()), (1_000, 60, NONCE_RETENTION));
/// // At 1000, nonces from 940 on are accepted, and those from 640 on kept (the window
/// // plus the default 300 s margin).
/// assert_eq!(timing.oldest_kept(1_000), 640);
/// assert_eq!(timing.with_retention(10).oldest_kept(1_000), 930);
/// assert_eq!(Timing::system().skew(), openid_consumer::nonce::SKEW);
/// ```
#[derive(Debug, Clone)]
pub struct Timing {
    clock: Arc<dyn Clock>,
    skew: i64,
    retention: i64,
}

impl Timing {
    /// `clock`, with a nonce window of `skew` seconds either way and the default retention
    /// margin, [`NONCE_RETENTION`].
    pub fn new(clock: Arc<dyn Clock>, skew: i64) -> Self {
        Self { clock, skew, retention: NONCE_RETENTION }
    }

    /// The [`SystemClock`] and the protocol's window, [`SKEW`] (5 hours): what a store uses
    /// unless told otherwise.
    pub fn system() -> Self {
        Self::new(Arc::new(SystemClock), SKEW)
    }

    /// The clock's time now (Unix seconds).
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The nonce window: how far (seconds) a nonce's timestamp may be from now.
    pub fn skew(&self) -> i64 {
        self.skew
    }

    /// The retention margin: how long (seconds) past the window a store keeps a nonce,
    /// so that a node whose clock runs up to this far ahead never deletes a nonce another
    /// node still accepts.
    pub fn retention(&self) -> i64 {
        self.retention
    }

    /// The oldest nonce timestamp a store must still keep at `now`: the window and the
    /// retention margin back from it. Nonces older than this may be deleted.
    pub fn oldest_kept(&self, now: i64) -> i64 {
        now.saturating_sub(self.skew).saturating_sub(self.retention)
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The same window on `clock`.
    #[must_use]
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    /// The same clock with a window of `skew` seconds.
    #[must_use]
    pub fn with_skew(self, skew: i64) -> Self {
        Self { skew, ..self }
    }

    /// The same clock and window, keeping nonces `retention` seconds past the window
    /// (negative counts as 0).
    #[must_use]
    pub fn with_retention(self, retention: i64) -> Self {
        Self { retention: retention.max(0), ..self }
    }
}

impl Default for Timing {
    fn default() -> Self {
        Self::system()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now() > 1_577_836_800);
    }

    #[test]
    fn manual_clock_moves_only_when_told_and_saturates() {
        let clock = ManualClock::new(10);
        assert_eq!(clock.now(), 10);
        clock.advance(-20);
        assert_eq!(clock.now(), -10);
        clock.set(i64::MAX - 1);
        clock.advance(5);
        assert_eq!(clock.now(), i64::MAX);
    }
}
