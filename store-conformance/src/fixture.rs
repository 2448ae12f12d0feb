//! [`Fixture`]: the clock, window, time limit, namespace and directory of one case.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use openid_consumer::crypto::random_string;
use openid_consumer::nonce::SKEW;
use openid_consumer::store::{Clock, ManualClock, NONCE_RETENTION, SystemClock, Timing};

/// The time every case starts at: 2023-11-14T22:13:20Z.
pub(crate) const START: i64 = 1_700_000_000;

/// The time limit of a case's store, unless the case needs a short one (the fault cases).
const TIMEOUT: Duration = Duration::from_secs(5);

/// What one case runs in: a [`ManualClock`] (at 2023-11-14T22:13:20Z for most cases), the
/// nonce window, a time limit, a namespace unique to this case run, and a temporary
/// directory removed when the fixture is dropped.
///
/// A factory gives the store everything: it must read time from [`Fixture::clock`] and use
/// [`Fixture::skew`] as its window (the suite checks both when it opens a store, and fails
/// with a message that says which is missing), and should take [`Fixture::timeout`] as its
/// time limit (the fault cases check calls fail within it). It keeps each case's data
/// apart with the namespace (a valid SQL identifier and key prefix: lower-case letters,
/// digits and `_`, at most 24 characters) or the directory.
#[derive(Debug)]
pub struct Fixture {
    clock: Arc<ManualClock>,
    skew: i64,
    timeout: Duration,
    namespace: String,
    dir: PathBuf,
    /// Owns the directory in the process that made it; `None` in a child process.
    _temp: Option<tempfile::TempDir>,
}

impl Fixture {
    /// A fresh fixture for the case `case` (the name is kept in the temporary directory's
    /// name to ease debugging): the clock at 2023-11-14T22:13:20Z, the protocol's 5-hour
    /// window, a 5-second time limit.
    ///
    /// # Panics
    /// If no temporary directory can be made or the OS random generator fails.
    pub fn new(case: &str) -> Self {
        Self::make(case, START, SKEW, TIMEOUT)
    }

    /// A fixture whose clock starts at the system's time and whose window is `skew`
    /// seconds: for the cases that wait in real time on a server that expires keys.
    pub(crate) fn real_time(case: &str, skew: i64) -> Self {
        Self::make(case, SystemClock.now(), skew, TIMEOUT)
    }

    /// A fixture with a short time limit: for the fault cases, which check that calls fail
    /// within it.
    pub(crate) fn short_timeout(case: &str, timeout: Duration) -> Self {
        Self::make(case, START, SKEW, timeout)
    }

    fn make(case: &str, start: i64, skew: i64, timeout: Duration) -> Self {
        let suffix = random_string(12, b"abcdefghijklmnopqrstuvwxyz0123456789")
            .expect("the OS random number generator failed");
        let short: String = case.chars().filter(char::is_ascii_alphanumeric).take(24).collect();
        let temp = tempfile::Builder::new()
            .prefix(&format!("openid-conformance-{short}-"))
            .tempdir()
            .expect("cannot create a temporary directory for a conformance case");
        Self {
            clock: Arc::new(ManualClock::new(start)),
            skew,
            timeout,
            namespace: format!("oc_{suffix}"),
            dir: temp.path().to_owned(),
            _temp: Some(temp),
        }
    }

    /// The fixture of another process, as it made it there: same namespace, directory and
    /// window (the directory is not removed by this one), the clock at `now`.
    pub(crate) fn attach(namespace: String, dir: PathBuf, now: i64, skew: i64) -> Self {
        Self {
            clock: Arc::new(ManualClock::new(now)),
            skew,
            timeout: TIMEOUT,
            namespace,
            dir,
            _temp: None,
        }
    }

    /// The clock to give the store.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// The same clock, to move time in a case.
    pub fn manual_clock(&self) -> &ManualClock {
        &self.clock
    }

    /// The current time of the fixture's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The nonce window (seconds) to give the store: the protocol's 5 hours, or a few
    /// seconds for the cases that wait in real time.
    pub fn skew(&self) -> i64 {
        self.skew
    }

    /// How long past the window the store keeps nonces: the default,
    /// [`NONCE_RETENTION`] (5 minutes), which a store keeps unless configured otherwise.
    /// The cleanup cases count on it.
    pub fn retention(&self) -> i64 {
        NONCE_RETENTION
    }

    /// The clock, the window and the retention margin together, for a store that takes a
    /// [`Timing`].
    pub fn timing(&self) -> Timing {
        Timing::new(self.clock(), self.skew).with_retention(self.retention())
    }

    /// The time limit to give the store: 5 seconds, or a short one for the fault cases.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// A name unique to this case run: `oc_` and 12 random lower-case letters and digits.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// An empty temporary directory for this case's files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A server URL unique to this fixture, so cases never share keys even on a store
    /// that ignores the namespace.
    pub fn server_url(&self) -> String {
        format!("https://op.example/{}/server", self.namespace)
    }
}
