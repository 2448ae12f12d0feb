//! The suite fails stores that break the contract: each deliberately broken store below
//! must fail the case that names its defect (a suite that cannot fail proves nothing), and
//! the same wrapper without a defect passes every case.
// Helpers of a test binary: a failed set-up is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openid_consumer::store::{
    Association, BoxError, Clock, Lookup, ManualClock, MemoryStore, NonceRecord, OpenIdStore,
    StoreError, Timing,
};
use openid_store_conformance::{
    BackendSwitch, CASES, Capabilities, Fixture, Outcome, Stoppable, StoreFactory,
};

/// What is wrong with a [`Broken`] store.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Defect {
    /// Reads time from a clock that never moves (python-openid's memory store returned
    /// expired associations).
    IgnoresTheClock,
    /// Checks, then inserts, as two steps.
    NonAtomicNonce,
    /// Cuts secrets to 20 bytes.
    TruncatesSecrets,
    /// Folds server URLs to lower case (a case-insensitive collation).
    CaseInsensitiveKeys,
    /// Reports 0 from cleanup although it deletes.
    MiscountsCleanup,
    /// Says every nonce is fresh.
    ForgetsNonces,
    /// Cleanup deletes nonces 99 s before they leave the window (an off-by-a-little
    /// cutoff, found in review to pass every other case).
    CleansTooEarly,
    /// Cleanup deletes nonces exactly at the window's edge by its own clock (`now - skew`),
    /// with no retention margin, as every store did before issue 15: a node whose clock
    /// runs ahead forgets nonces the others still accept.
    CleansAtTheWindowsEdge,
    /// `record_nonce` first prunes the nonces that left the window by the recording node's
    /// clock, with no retention margin (as `MemoryStore` did before issue 15).
    PrunesAtTheWindowsEdge,
    /// Replaces an association in two steps (the new secret with the old lifetime first),
    /// as a store that updates columns one statement at a time would.
    TornWrites,
    /// Cleanup also deletes nonces recorded more than the window ago (as an `expires_at`
    /// column set to "now plus the window" would): a nonce dated ahead goes too early.
    CleansAWindowAfterRecording,
    /// `record_nonce` answers `Ok(true)` when its backend fails (fail open).
    FailsOpen,
    /// `find_association` answers "not found" when its backend fails.
    NotFoundWhenDown,
    /// A call to a stopped backend waits four times the time limit before failing.
    HangsWhenDown,
    /// Keeps pooled connections that died with the backend: the first call after a restart
    /// fails.
    FailsOnceAfterRestart,
    /// A self-expiring store whose nonce TTL is a fixed second (the 60 s a cache client
    /// defaults to, scaled to the suite's 3-second window), not the window.
    ExpiresNoncesAfterASecond,
    /// A self-expiring store that keeps a nonce for the window counted from now, ignoring
    /// that its timestamp may lie ahead.
    ExpiresNoncesAWindowFromNow,
    /// Check-then-set on files shared by every process, behind an in-process mutex, while
    /// declaring `single_process()`: two processes both accept a nonce.
    ClaimsSingleProcess,
    /// Creates each nonce's file atomically, but in a directory named after the hour of the
    /// store's clock rather than of the nonce: two processes whose clocks are an hour apart
    /// both accept a nonce.
    FilesNoncesByTheClocksHour,
    /// Fails every `store_association` after the first (a server that went away).
    FailsLaterWrites,
    /// No defect: the wrapper itself, which must pass every case.
    Sound,
    /// No defect, on a backend that expires nonces itself (in real time, by its TTL).
    SoundSelfExpiring,
}

impl Defect {
    fn capabilities(self) -> Capabilities {
        match self {
            Self::ExpiresNoncesAfterASecond
            | Self::ExpiresNoncesAWindowFromNow
            | Self::SoundSelfExpiring => Capabilities::new().self_expiring().separate_instances(),
            Self::FilesNoncesByTheClocksHour => Capabilities::new().separate_instances(),
            _ => Capabilities::new().single_process().separate_instances(),
        }
    }

    fn self_expiring(self) -> bool {
        self.capabilities().self_expiring
    }
}

/// A store with a defect: a [`MemoryStore`] for associations (and for nonces when the
/// defect does not concern them), nonces of its own otherwise.
struct Broken {
    defect: Defect,
    inner: MemoryStore,
    timing: Timing,
    nonces: Mutex<HashMap<NonceKey, Recorded>>,
    /// Files shared with a second process.
    dir: PathBuf,
    timeout: Duration,
    state: Arc<Switch>,
    writes: AtomicUsize,
}

/// (server URL, timestamp, salt).
type NonceKey = (String, i64, String);
/// The store time a nonce was recorded, and when the simulated server forgets it.
type Recorded = (i64, Option<Instant>);

/// The simulated backend's state, shared with its [`BackendSwitch`].
#[derive(Default)]
struct Switch {
    down: AtomicBool,
    restarted: AtomicBool,
}

impl Broken {
    fn open(defect: Defect, f: &Fixture, state: Arc<Switch>) -> Self {
        let clock: Arc<dyn Clock> = if defect == Defect::IgnoresTheClock {
            Arc::new(ManualClock::new(f.now()))
        } else {
            f.clock()
        };
        Self {
            defect,
            inner: MemoryStore::new().with_clock(clock.clone()).with_skew(f.skew()),
            timing: Timing::new(clock, f.skew()),
            nonces: Mutex::default(),
            dir: f.dir().to_owned(),
            timeout: f.timeout(),
            state,
            writes: AtomicUsize::new(0),
        }
    }

    fn url(&self, server_url: &str) -> String {
        if self.defect == Defect::CaseInsensitiveKeys {
            server_url.to_lowercase()
        } else {
            server_url.to_owned()
        }
    }

    /// Fails as a stopped backend does.
    fn backend(&self) -> Result<(), StoreError> {
        let down = || StoreError::unavailable("broken store", std::io::Error::other("down"));
        if self.state.down.load(Ordering::SeqCst) {
            if self.defect == Defect::HangsWhenDown {
                std::thread::sleep(self.timeout * 4);
            }
            return Err(down());
        }
        if self.defect == Defect::FailsOnceAfterRestart
            && self.state.restarted.swap(false, Ordering::SeqCst)
        {
            return Err(down());
        }
        Ok(())
    }

    /// How many seconds the simulated server keeps a nonce.
    fn ttl(&self, nonce: &NonceRecord<'_>) -> i64 {
        match self.defect {
            Defect::ExpiresNoncesAfterASecond => 1,
            Defect::ExpiresNoncesAWindowFromNow => nonce.skew + 1,
            _ => nonce.ttl(),
        }
    }

    /// A nonce in the store's own map; check and insert are one step unless the defect
    /// says otherwise.
    fn record_in_map(&self, nonce: &NonceRecord<'_>) -> bool {
        let key = (nonce.server_url.to_owned(), nonce.timestamp, nonce.salt.to_owned());
        let expires = self
            .defect
            .self_expiring()
            .then(|| Instant::now() + Duration::from_secs(u64::try_from(self.ttl(nonce)).unwrap()));
        if self.defect == Defect::NonAtomicNonce {
            let live = self.nonces.lock().unwrap().contains_key(&key);
            if live {
                return false;
            }
            std::thread::sleep(Duration::from_micros(50));
            self.nonces.lock().unwrap().insert(key, (nonce.now, expires));
            return true;
        }
        let mut nonces = self.nonces.lock().unwrap();
        let live =
            nonces.get(&key).is_some_and(|(_, gone)| gone.is_none_or(|t| Instant::now() < t));
        if !live {
            nonces.insert(key, (nonce.now, expires));
        }
        !live
    }

    /// A nonce as a file shared with other processes.
    fn record_in_file(&self, nonce: &NonceRecord<'_>) -> bool {
        let name = format!("{}-{}-{}", nonce.server_url.len(), nonce.timestamp, nonce.salt);
        let name: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
        if self.defect == Defect::ClaimsSingleProcess {
            static LOCK: Mutex<()> = Mutex::new(());
            let _held = LOCK.lock().unwrap();
            let path = self.dir.join(name);
            if path.exists() {
                return false;
            }
            fs::write(path, b"").unwrap();
            return true;
        }
        let hour = self.dir.join((nonce.now / 3_600).to_string());
        fs::create_dir_all(&hour).unwrap();
        fs::OpenOptions::new().write(true).create_new(true).open(hour.join(name)).is_ok()
    }
}

impl OpenIdStore for Broken {
    fn timing(&self) -> &Timing {
        &self.timing
    }

    fn store_association(&self, server_url: &str, a: &Association) -> Result<(), StoreError> {
        self.backend()?;
        if self.defect == Defect::FailsLaterWrites && self.writes.fetch_add(1, Ordering::SeqCst) > 0
        {
            return Err(StoreError::unavailable(
                "store_association",
                std::io::Error::other("the server went away"),
            ));
        }
        if self.defect == Defect::TornWrites
            && let Some(old) = self.inner.get_association(server_url, Some(a.handle()))?
        {
            let half = Association::new(
                a.handle(),
                a.secret().to_vec(),
                a.issued(),
                old.lifetime(),
                a.assoc_type(),
            )
            .unwrap();
            self.inner.store_association(server_url, &half)?;
            std::thread::sleep(Duration::from_micros(200));
        }
        let mut a = a.clone();
        if self.defect == Defect::TruncatesSecrets {
            let secret: Vec<u8> = a.secret().iter().copied().take(20).collect();
            a = Association::new(a.handle(), secret, a.issued(), a.lifetime(), a.assoc_type())
                .unwrap();
        }
        self.inner.store_association(&self.url(server_url), &a)
    }

    fn find_association(&self, lookup: &Lookup<'_>) -> Result<Option<Association>, StoreError> {
        match self.backend() {
            Err(_) if self.defect == Defect::NotFoundWhenDown => return Ok(None),
            other => other?,
        }
        let url = self.url(lookup.server_url);
        self.inner.find_association(&Lookup::new(&url, lookup.handle, lookup.now))
    }

    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
        self.backend()?;
        self.inner.remove_association(&self.url(server_url), handle)
    }

    fn record_nonce(&self, nonce: &NonceRecord<'_>) -> Result<bool, StoreError> {
        match self.backend() {
            Err(_) if self.defect == Defect::FailsOpen => return Ok(true),
            other => other?,
        }
        match self.defect {
            Defect::ForgetsNonces => Ok(true),
            Defect::ClaimsSingleProcess | Defect::FilesNoncesByTheClocksHour => {
                Ok(self.record_in_file(nonce))
            }
            Defect::NonAtomicNonce
            | Defect::CleansTooEarly
            | Defect::CleansAWindowAfterRecording
            | Defect::ExpiresNoncesAfterASecond
            | Defect::ExpiresNoncesAWindowFromNow
            | Defect::SoundSelfExpiring => Ok(self.record_in_map(nonce)),
            _ => {
                let url = self.url(nonce.server_url);
                if self.defect == Defect::PrunesAtTheWindowsEdge {
                    self.inner.delete_nonces_before(nonce.oldest_accepted())?;
                }
                let nonce =
                    NonceRecord::new(&url, nonce.timestamp, nonce.salt, nonce.now, nonce.skew)
                        .with_retention(nonce.retention);
                self.inner.record_nonce(&nonce)
            }
        }
    }

    fn delete_nonces_before(&self, oldest: i64) -> Result<usize, StoreError> {
        self.backend()?;
        let mut nonces = self.nonces.lock().unwrap();
        let before = nonces.len();
        match self.defect {
            _ if self.defect.self_expiring() => return Ok(0),
            Defect::CleansTooEarly => {
                nonces.retain(|(_, timestamp, _), _| *timestamp >= oldest + 99);
            }
            Defect::CleansAWindowAfterRecording => {
                nonces.retain(|(_, timestamp, _), (recorded, _)| {
                    *timestamp >= oldest && *recorded >= oldest
                });
            }
            Defect::NonAtomicNonce => nonces.retain(|(_, timestamp, _), _| *timestamp >= oldest),
            _ => {
                let removed = self.inner.delete_nonces_before(oldest)?;
                return Ok(if self.defect == Defect::MiscountsCleanup { 0 } else { removed });
            }
        }
        Ok(before - nonces.len())
    }

    fn cleanup_nonces(&self) -> Result<usize, StoreError> {
        let timing = self.timing();
        let now = timing.now();
        if self.defect == Defect::CleansAtTheWindowsEdge {
            return self.delete_nonces_before(now - timing.skew());
        }
        self.delete_nonces_before(timing.oldest_kept(now))
    }

    fn delete_expired_associations(&self, now: i64) -> Result<usize, StoreError> {
        self.backend()?;
        if self.defect.self_expiring() {
            return Ok(0);
        }
        let removed = self.inner.delete_expired_associations(now)?;
        Ok(if self.defect == Defect::MiscountsCleanup { 0 } else { removed })
    }
}

/// The factory of [`Broken`] stores, with a backend the fault cases can stop.
struct Factory(Defect);

impl StoreFactory for Factory {
    fn open(&self, fixture: &Fixture) -> Result<Box<dyn OpenIdStore>, StoreError> {
        Ok(Box::new(Broken::open(self.0, fixture, Arc::default())))
    }

    fn capabilities(&self) -> Capabilities {
        self.0.capabilities()
    }

    fn open_stoppable(&self, fixture: &Fixture) -> Option<Result<Stoppable, StoreError>> {
        let state = Arc::new(Switch::default());
        let store = Broken::open(self.0, fixture, Arc::clone(&state));
        Some(Ok(Stoppable::new(store, SwitchHandle(state))))
    }
}

/// Stops and starts a [`Broken`] store's simulated backend.
struct SwitchHandle(Arc<Switch>);

impl BackendSwitch for SwitchHandle {
    fn stop(&self) -> Result<(), BoxError> {
        self.0.down.store(true, Ordering::SeqCst);
        Ok(())
    }

    fn start(&self) -> Result<(), BoxError> {
        self.0.down.store(false, Ordering::SeqCst);
        self.0.restarted.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// Runs the case named `case` on a store with `defect`, outside the harness.
fn outcome(defect: Defect, case: &str) -> Outcome {
    let case = CASES.iter().find(|c| c.name.ends_with(case)).expect("a case of that name");
    case.check(&Factory(defect))
}

/// True if the case fails on a store with `defect` with a message containing `expected`
/// (so a failure in set-up, or the wrong check, does not count).
#[track_caller]
fn fails(defect: Defect, case: &str, expected: &str) -> bool {
    judge(defect, case, expected, outcome(defect, case))
}

/// As [`fails`], for a case that needs the test harness (it runs its test again in a child
/// process): `test` is the name of the calling `#[test]`, which the child runs.
#[track_caller]
fn fails_in_harness(defect: Defect, case: &str, expected: &str, test: &'static str) -> bool {
    let found = CASES.iter().find(|c| c.name.ends_with(case)).expect("a case of that name");
    let factory = Factory(defect);
    let run = catch_unwind(AssertUnwindSafe(|| {
        openid_store_conformance::run_case(
            "broken_stores",
            module_path!(),
            test,
            usize::MAX,
            &factory,
            found.run,
        );
    }));
    let outcome = match run {
        Ok(()) => Outcome::Passed,
        Err(payload) => Outcome::Failed(
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default(),
        ),
    };
    judge(defect, case, expected, outcome)
}

#[track_caller]
fn judge(defect: Defect, case: &str, expected: &str, outcome: Outcome) -> bool {
    match outcome {
        Outcome::Failed(message) => {
            assert!(
                message.contains(expected),
                "{case} failed on {defect:?}, but not with {expected:?}: {message}"
            );
            true
        }
        Outcome::Skipped(reason) => panic!("{case} skipped on {defect:?}: {reason}"),
        _ => false,
    }
}

/// True if the case passes on a store with `defect`.
fn passes(defect: Defect, case: &str) -> bool {
    outcome(defect, case) == Outcome::Passed
}

#[test]
fn the_suite_fails_a_store_that_returns_expired_associations() {
    assert!(fails(Defect::IgnoresTheClock, "an_expired_association_is_never_returned", "expired"));
    assert!(fails(
        Defect::IgnoresTheClock,
        "a_refused_nonce_is_not_recorded",
        "accepted once in range"
    ));
}

#[test]
fn the_suite_fails_a_store_whose_use_nonce_is_not_atomic() {
    assert!(fails(
        Defect::NonAtomicNonce,
        "eight_threads_racing_use_nonce_get_exactly_one_true_per_nonce",
        "total trues",
    ));
}

#[test]
fn the_suite_fails_a_store_that_truncates_secrets() {
    assert!(fails(
        Defect::TruncatesSecrets,
        "secrets_of_any_bytes_and_length_round_trip",
        "secret"
    ));
}

#[test]
fn the_suite_fails_a_store_with_case_insensitive_keys() {
    assert!(fails(
        Defect::CaseInsensitiveKeys,
        "keys_differing_only_in_case_are_distinct",
        "taken as one"
    ));
}

#[test]
fn the_suite_fails_a_store_that_miscounts_cleanup_and_names_the_capability() {
    assert!(fails(
        Defect::MiscountsCleanup,
        "cleanup_nonces_removes_only_expired_nonces_and_counts_them",
        "declare Capabilities::self_expiring()",
    ));
    assert!(fails(
        Defect::MiscountsCleanup,
        "cleanup_associations_removes_only_expired_ones_and_counts_them",
        "associations removed",
    ));
    assert!(fails(
        Defect::MiscountsCleanup,
        "cleanup_keeps_nonces_at_the_edge_of_the_window",
        "nonces removed",
    ));
}

#[test]
fn the_suite_fails_a_store_whose_nonce_cleanup_is_a_little_early() {
    assert!(fails(
        Defect::CleansTooEarly,
        "cleanup_keeps_nonces_at_the_edge_of_the_window",
        "before the window plus the retention margin had passed",
    ));
    // The case the defect slipped through before.
    assert!(passes(
        Defect::CleansTooEarly,
        "cleanup_nonces_removes_only_expired_nonces_and_counts_them"
    ));
}

// See: issue 15, item 1 (clock skew between nodes).
#[test]
fn the_suite_fails_a_store_that_deletes_nonces_at_the_windows_edge() {
    assert!(fails(
        Defect::CleansAtTheWindowsEdge,
        "cleanup_keeps_nonces_at_the_edge_of_the_window",
        "before the window plus the retention margin had passed",
    ));
    assert!(fails(
        Defect::CleansAtTheWindowsEdge,
        "a_node_whose_clock_runs_ahead_forgets_no_nonce_the_others_accept",
        "still accepts: a replay",
    ));
    assert!(fails(
        Defect::CleansAtTheWindowsEdge,
        "cleanup_nonces_removes_only_expired_nonces_and_counts_them",
        "before the window plus the retention margin passed",
    ));
}

// See: issue 15, item 1 (MemoryStore pruned at the window's edge as it recorded).
#[test]
fn the_suite_fails_a_store_that_prunes_nonces_at_the_windows_edge_as_it_records() {
    assert!(fails(
        Defect::PrunesAtTheWindowsEdge,
        "a_node_whose_clock_runs_ahead_forgets_no_nonce_the_others_accept",
        "still accepts: a replay",
    ));
}

#[test]
fn the_suite_fails_a_store_that_forgets_nonces() {
    assert!(fails(
        Defect::ForgetsNonces,
        "first_use_of_a_nonce_is_fresh_and_the_second_is_a_replay",
        "second use",
    ));
}

#[test]
fn the_suite_fails_a_store_that_replaces_associations_in_two_steps() {
    assert!(fails(
        Defect::TornWrites,
        "readers_never_see_a_partial_replacement",
        "a torn association"
    ));
    // The other association cases cannot see it: only the race does.
    assert!(passes(Defect::TornWrites, "storing_the_same_handle_again_replaces_it"));
}

#[test]
fn the_suite_fails_a_store_that_forgets_a_future_nonce_before_its_timestamp_plus_the_window() {
    assert!(fails(
        Defect::CleansAWindowAfterRecording,
        "a_future_dated_nonce_is_kept_until_its_timestamp_plus_the_window",
        "removed a nonce before its timestamp plus the window",
    ));
    // The cleanup cases date their nonces now or in the past: recorded a window ago means
    // dated at least that long ago, so the extra rule never fires there.
    assert!(passes(
        Defect::CleansAWindowAfterRecording,
        "cleanup_nonces_removes_only_expired_nonces_and_counts_them"
    ));
}

#[test]
fn the_suite_fails_a_store_whose_use_nonce_fails_open() {
    assert!(fails(
        Defect::FailsOpen,
        "calls_fail_as_unavailable_while_the_backend_is_down_and_work_after_restart",
        "answered Ok(true) for a fresh nonce while the backend was down",
    ));
}

#[test]
fn the_suite_fails_a_store_that_says_not_found_when_its_backend_is_down() {
    assert!(fails(
        Defect::NotFoundWhenDown,
        "calls_fail_as_unavailable_while_the_backend_is_down_and_work_after_restart",
        "answered Ok(None) while the backend was down",
    ));
}

#[test]
fn the_suite_fails_a_store_that_outwaits_its_time_limit_when_its_backend_is_down() {
    assert!(fails(
        Defect::HangsWhenDown,
        "calls_fail_as_unavailable_while_the_backend_is_down_and_work_after_restart",
        "give it Fixture::timeout()",
    ));
}

#[test]
fn the_suite_fails_a_store_whose_first_call_after_a_restart_fails() {
    assert!(fails(
        Defect::FailsOnceAfterRestart,
        "a_restart_between_two_calls_costs_no_failed_call",
        "the first call after a restart failed",
    ));
}

#[test]
fn the_suite_fails_a_self_expiring_store_whose_nonce_ttl_is_shorter_than_the_window() {
    assert!(fails(
        Defect::ExpiresNoncesAfterASecond,
        "a_server_that_expires_keys_keeps_each_nonce_for_its_whole_window",
        "forgot a nonce dated 0 s ahead of its recording",
    ));
    // Every case on the fixture's clock misses it: only real time shows a TTL.
    assert!(passes(
        Defect::ExpiresNoncesAfterASecond,
        "first_use_of_a_nonce_is_fresh_and_the_second_is_a_replay"
    ));
    assert!(passes(
        Defect::ExpiresNoncesAfterASecond,
        "a_future_dated_nonce_is_kept_until_its_timestamp_plus_the_window"
    ));
}

#[test]
fn the_suite_fails_a_self_expiring_store_that_keeps_a_future_nonce_for_the_window_from_now() {
    assert!(fails(
        Defect::ExpiresNoncesAWindowFromNow,
        "a_server_that_expires_keys_keeps_each_nonce_for_its_whole_window",
        "forgot a nonce dated 3 s ahead of its recording",
    ));
}

#[test]
fn the_suite_fails_a_store_shared_between_processes_that_claims_single_process() {
    assert!(fails_in_harness(
        Defect::ClaimsSingleProcess,
        "two_processes_racing_use_nonce_get_exactly_one_true_per_nonce",
        "remove single_process()",
        "the_suite_fails_a_store_shared_between_processes_that_claims_single_process",
    ));
}

#[test]
fn the_suite_fails_a_store_that_files_nonces_by_its_clock_for_processes_with_clocks_apart() {
    assert!(fails_in_harness(
        Defect::FilesNoncesByTheClocksHour,
        "two_processes_racing_use_nonce_get_exactly_one_true_per_nonce",
        "nonces not won exactly once across two processes",
        "the_suite_fails_a_store_that_files_nonces_by_its_clock_for_processes_with_clocks_apart",
    ));
}

#[test]
fn a_sound_single_process_store_passes_the_two_process_case() {
    assert!(!fails_in_harness(
        Defect::Sound,
        "two_processes_racing_use_nonce_get_exactly_one_true_per_nonce",
        "",
        "a_sound_single_process_store_passes_the_two_process_case",
    ));
}

#[test]
fn every_case_passes_on_the_wrapper_without_a_defect() {
    // The wrapper itself is sound, so the failures above come from the defects. The cases
    // its capabilities rule out, and the cross-process case outside the harness, skip.
    let summary = openid_store_conformance::run_all(&Factory(Defect::Sound));
    assert!(summary.failed.is_empty(), "{summary:#?}");
    let skipped: Vec<&str> = summary.skipped.iter().map(|(case, _)| *case).collect();
    assert_eq!(
        skipped,
        [
            "association::two_instances_see_each_others_writes",
            "nonce::a_server_that_expires_keys_keeps_each_nonce_for_its_whole_window",
            "concurrency::two_processes_racing_use_nonce_get_exactly_one_true_per_nonce",
        ]
    );
}

#[test]
fn every_case_passes_on_the_self_expiring_wrapper_without_a_defect() {
    let summary = openid_store_conformance::run_all(&Factory(Defect::SoundSelfExpiring));
    assert!(summary.failed.is_empty(), "{summary:#?}");
    let skipped: Vec<&str> = summary.skipped.iter().map(|(case, _)| *case).collect();
    assert_eq!(
        skipped,
        [
            "association::two_instances_see_each_others_writes",
            "concurrency::two_processes_racing_use_nonce_get_exactly_one_true_per_nonce",
        ]
    );
}

#[test]
fn a_store_error_in_the_replacement_race_fails_the_case_instead_of_hanging_it() {
    // A writer that fails must not leave the readers waiting for it forever.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let outcome = outcome(Defect::FailsLaterWrites, "readers_never_see_a_partial_replacement");
        let _ = done.send(outcome);
    });
    let outcome = finished
        .recv_timeout(Duration::from_secs(60))
        .expect("the case hung after a writer failed");
    match outcome {
        Outcome::Failed(message) => assert!(message.contains("store_association"), "{message}"),
        other => panic!("the case did not fail although every write failed: {other:?}"),
    }
}
