//! `openid store check URL`: the store conformance suite against a live store, one line
//! per case as it runs, then a table by group.
//!
//! The cases fail by panicking (they are a test suite). Each runs under `catch_unwind`
//! with a panic hook that records the message instead of printing it, so one failed case
//! is one line and the run goes on.

use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::process::ExitCode;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use openid_store_conformance::{CASES, Case, Fixture, Outcome, StoreFactory, panic_message};
use serde::Serialize;

use crate::error::{CliError, collapse};
use crate::output::{Format, Table, print, print_json, progress, status};
use crate::stores::{FixtureStores, shown};

/// `openid store check`.
#[derive(Debug, clap::Args)]
#[expect(clippy::doc_markdown, reason = "the field docs are --help text, read as plain text")]
pub(crate) struct Args {
    /// The store: memory:, sqlite:PATH, sqlite::memory:, file:///DIR, postgres://,
    /// mysql://, redis://, redis+cluster:// or memcache://. Each case works in its own
    /// tables, schema, directory or key prefix, removed afterwards (Redis and memcached
    /// keys expire on their own).
    url: String,
}

/// Runs every case and prints the results; exit code 1 when a case failed.
pub(crate) fn run(args: &Args, format: Format) -> Result<ExitCode, CliError> {
    let factory = FixtureStores::new(&args.url)?;
    let store = shown(&args.url);
    let report = quietly(|| -> Result<Report, CliError> {
        // A wrong path or an unreachable server is one error, not a failure per case.
        match catch(|| factory.open(&Fixture::new("probe")).map(drop)) {
            Ok(Ok(())) => {}
            Ok(Err(source)) => return Err(CliError::OpenStore { url: store.clone(), source }),
            Err(message) => {
                return Err(CliError::Failed(format!("cannot open {store}: {message}")));
            }
        }
        let width = CASES.iter().map(|case| case.name.len()).max().unwrap_or(0);
        let cases = CASES
            .iter()
            .map(|case| {
                let result = run_case(&factory, case);
                let line = result.line(width);
                // With --json, stdout is the document: progress goes to stderr.
                match format {
                    Format::Human => progress(&line),
                    Format::Json => status(&line),
                }
                result
            })
            .collect();
        Ok(Report::new(store.clone(), cases))
    });
    let notes = factory.clean_up();
    let mut report = report?;
    report.notes = notes;
    match format {
        Format::Json => print_json(&report)?,
        Format::Human => print(&report.human())?,
    }
    Ok(if report.failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// How one case went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Pass,
    Fail,
    /// The case does not apply to this store or runner (the message says why).
    Skip,
}

#[derive(Debug, Serialize)]
struct CaseResult {
    name: &'static str,
    result: Status,
    millis: u128,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

impl CaseResult {
    fn line(&self, width: usize) -> String {
        let status = match self.result {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        };
        let mut line = format!("{status}  {:<width$}  {:>6} ms", self.name, self.millis);
        if let Some(message) = &self.message {
            line.push_str("  ");
            line.push_str(message);
        }
        line
    }
}

/// Runs one case.
fn run_case(factory: &dyn StoreFactory, case: &Case) -> CaseResult {
    PANICS.lock().unwrap_or_else(PoisonError::into_inner).clear();
    let started = Instant::now();
    let outcome = case.check(factory);
    let millis = started.elapsed().as_millis();
    let (result, message) = match outcome {
        Outcome::Passed => (Status::Pass, None),
        Outcome::Skipped(reason) => (Status::Skip, Some(collapse(&reason))),
        // The first panic recorded is the original failure; a race's scope panics again
        // with a vaguer message, which is what the case returns.
        Outcome::Failed(message) => {
            (Status::Fail, Some(first_panic().unwrap_or_else(|| collapse(&message))))
        }
        other => (Status::Fail, Some(format!("an outcome this tool does not know: {other:?}"))),
    };
    CaseResult { name: case.name, result, millis, message }
}

/// The whole run.
#[derive(Debug, Serialize)]
struct Report {
    store: String,
    passed: usize,
    failed: usize,
    skipped: usize,
    cases: Vec<CaseResult>,
    /// Test data that could not be removed, or removes itself.
    notes: Vec<String>,
}

impl Report {
    fn new(store: String, cases: Vec<CaseResult>) -> Self {
        let count = |outcome| cases.iter().filter(|case| case.result == outcome).count();
        Self {
            store,
            passed: count(Status::Pass),
            failed: count(Status::Fail),
            skipped: count(Status::Skip),
            cases,
            notes: Vec::new(),
        }
    }

    fn human(&self) -> String {
        let mut groups: Vec<(&str, Counts)> = Vec::new();
        for case in &self.cases {
            let group = case.name.split_once("::").map_or(case.name, |(group, _)| group);
            if let Some((_, counts)) = groups.iter_mut().find(|(name, _)| *name == group) {
                counts.add(case.result);
            } else {
                let mut counts = Counts::default();
                counts.add(case.result);
                groups.push((group, counts));
            }
        }
        let mut table = Table::new(&["group", "passed", "failed", "skipped"]);
        let total = Counts { passed: self.passed, failed: self.failed, skipped: self.skipped };
        for (group, counts) in groups.iter().chain([&("total", total)]) {
            table.row(vec![
                (*group).to_owned(),
                counts.passed.to_string(),
                counts.failed.to_string(),
                counts.skipped.to_string(),
            ]);
        }
        let mut text = format!("\n{}", table.render());
        for note in &self.notes {
            let _ = writeln!(text, "note: {note}");
        }
        let verdict = if self.failed == 0 { "conforms" } else { "does NOT conform" };
        let _ = writeln!(text, "{} {verdict} ({} cases)", self.store, self.cases.len());
        text
    }
}

/// Cases by outcome.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    passed: usize,
    failed: usize,
    skipped: usize,
}

impl Counts {
    fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.passed += 1,
            Status::Fail => self.failed += 1,
            Status::Skip => self.skipped += 1,
        }
    }
}

/// Panic messages recorded while the cases run (from any thread: the concurrency cases
/// panic in their own threads, and the scope then panics again with a vaguer message).
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Runs `work` with panics recorded in [`PANICS`] instead of printed, then puts the
/// previous hook back.
fn quietly<T>(work: impl FnOnce() -> T) -> T {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(|info: &PanicHookInfo<'_>| {
        let mut message = panic_message(info.payload());
        if let Some(location) = info.location() {
            let _ = write!(message, " (at {}:{})", location.file(), location.line());
        }
        PANICS.lock().unwrap_or_else(PoisonError::into_inner).push(message);
    }));
    let result = work();
    panic::set_hook(previous);
    result
}

/// Runs `work`; a panic becomes the first message recorded since [`PANICS`] was cleared
/// (the original failure), on one line.
fn catch<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(work))
        .map_err(|payload| first_panic().unwrap_or_else(|| collapse(&panic_message(&*payload))))
}

/// The first panic message recorded since [`PANICS`] was cleared, on one line.
fn first_panic() -> Option<String> {
    PANICS.lock().unwrap_or_else(PoisonError::into_inner).first().map(|first| collapse(first))
}

#[cfg(test)]
mod tests {
    use openid_consumer::store::{
        Association, Lookup, MemoryStore, NonceRecord, OpenIdStore, StoreError, Timing,
    };
    use openid_store_conformance::{MemoryFactory, stores};

    use super::*;

    /// A memory store that forgets nonces (every `use_nonce` in the window says "fresh")
    /// and cannot remove associations.
    struct Broken(MemoryStore);

    impl OpenIdStore for Broken {
        fn timing(&self) -> &Timing {
            self.0.timing()
        }
        fn store_association(&self, url: &str, a: &Association) -> Result<(), StoreError> {
            self.0.store_association(url, a)
        }
        fn find_association(&self, lookup: &Lookup<'_>) -> Result<Option<Association>, StoreError> {
            self.0.find_association(lookup)
        }
        fn remove_association(&self, _: &str, _: &str) -> Result<bool, StoreError> {
            Err(StoreError::unavailable("removing", std::io::Error::other("disk on fire")))
        }
        fn record_nonce(&self, _: &NonceRecord<'_>) -> Result<bool, StoreError> {
            Ok(true)
        }
        fn delete_nonces_before(&self, oldest: i64) -> Result<usize, StoreError> {
            self.0.delete_nonces_before(oldest)
        }
        fn delete_expired_associations(&self, now: i64) -> Result<usize, StoreError> {
            self.0.delete_expired_associations(now)
        }
    }

    /// Held by each test that runs cases: [`PANICS`] is one record for the process, as the
    /// tool runs one case at a time.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    fn case(name: &str) -> &'static Case {
        CASES.iter().find(|case| case.name == name).unwrap()
    }

    #[test]
    fn failed_cases_are_reported_with_their_first_message_and_the_run_goes_on() {
        let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
        let broken =
            stores(|f| Ok(Broken(MemoryStore::new().with_clock(f.clock()).with_skew(f.skew()))));
        let [replay, race, intact] = quietly(|| {
            [
                "nonce::first_use_of_a_nonce_is_fresh_and_the_second_is_a_replay",
                "concurrency::racing_removes_get_exactly_one_true",
                "association::both_association_types_round_trip",
            ]
            .map(|name| run_case(&broken, case(name)))
        });
        assert_eq!(replay.result, Status::Fail);
        let message = replay.message.unwrap();
        assert!(message.contains(" (at store-conformance/src/cases/nonce.rs:"), "{message}");
        assert!(!message.contains('\n'), "{message}");
        // The race fails in its threads: their message, not the scope's vaguer one.
        assert_eq!(race.result, Status::Fail);
        let message = race.message.unwrap();
        assert!(
            message.contains("remove_association") && message.contains("disk on fire"),
            "{message}"
        );
        assert_eq!(intact.result, Status::Pass, "{intact:?}");
    }

    #[test]
    fn a_case_that_does_not_apply_is_a_skip_that_says_why() {
        let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
        let memory = MemoryFactory::new();
        let shared = run_case(&memory, case("association::two_instances_see_each_others_writes"));
        assert_eq!(shared.result, Status::Pass, "{shared:?}");
        let cross = run_case(
            &memory,
            case("concurrency::two_processes_racing_use_nonce_get_exactly_one_true_per_nonce"),
        );
        assert_eq!(cross.result, Status::Skip);
        assert!(cross.message.unwrap().contains("in a child"));
    }
}
