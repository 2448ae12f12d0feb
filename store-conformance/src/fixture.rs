//! [`Fixture`]: the clock, namespace and directory of one case.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use openid_consumer::crypto::random_string;
use openid_consumer::store::{Clock, ManualClock};

/// The time every case starts at: 2023-11-14T22:13:20Z.
pub(crate) const START: i64 = 1_700_000_000;

/// What one case runs in: a [`ManualClock`] starting at 2023-11-14T22:13:20Z, a namespace
/// unique to this case run, and a temporary directory removed when the fixture is dropped.
///
/// Factories use the namespace (a valid SQL identifier and key prefix: lower-case letters,
/// digits and `_`, at most 24 characters) or the directory to keep each case's data apart.
#[derive(Debug)]
pub struct Fixture {
    clock: Arc<ManualClock>,
    namespace: String,
    dir: PathBuf,
    /// Owns the directory in the process that made it; `None` in a child process.
    _temp: Option<tempfile::TempDir>,
}

impl Fixture {
    /// A fresh fixture for the case `case` (the name is kept in the temporary directory's
    /// name to ease debugging).
    ///
    /// # Panics
    /// If no temporary directory can be made or the OS random generator fails.
    pub fn new(case: &str) -> Self {
        let suffix = random_string(12, b"abcdefghijklmnopqrstuvwxyz0123456789")
            .expect("the OS random number generator failed");
        let namespace = format!("oc_{suffix}");
        let short: String = case.chars().filter(char::is_ascii_alphanumeric).take(24).collect();
        let temp = tempfile::Builder::new()
            .prefix(&format!("openid-conformance-{short}-"))
            .tempdir()
            .expect("cannot create a temporary directory for a conformance case");
        Self {
            clock: Arc::new(ManualClock::new(START)),
            namespace,
            dir: temp.path().to_owned(),
            _temp: Some(temp),
        }
    }

    /// The fixture of another process, as [`Fixture::new`] made it there: same namespace
    /// and directory (not removed by this one), clock at `now`.
    pub(crate) fn attach(namespace: String, dir: PathBuf, now: i64) -> Self {
        Self { clock: Arc::new(ManualClock::new(now)), namespace, dir, _temp: None }
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
