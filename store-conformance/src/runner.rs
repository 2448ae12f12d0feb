//! Running cases: under the test harness (one `#[test]` each, tallied per suite so the
//! suite prints its own passed, failed and skipped counts) or outside it ([`Case::check`],
//! [`run_all`](crate::run_all)); and the loud line of a skipped case.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Mutex, PoisonError};

use crate::factory::StoreFactory;

/// One case of the suite.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// Its name, a sentence (`group::name`).
    pub name: &'static str,
    /// The function that runs it; it panics when the store breaks the contract.
    pub run: fn(&dyn StoreFactory),
}

/// How a case went.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The store kept this part of the contract.
    Passed,
    /// The store broke it: the case's message.
    Failed(String),
    /// The case does not apply to this store or run: why.
    Skipped(String),
}

impl Case {
    /// Runs the case against `factory` in this thread, outside the test harness: its
    /// failure is caught and returned. The cross-process case is skipped this way (it needs
    /// the harness to run its test again in a child process).
    pub fn check(&self, factory: &dyn StoreFactory) -> Outcome {
        match execute(self.name, factory, None, self.run) {
            Ok(None) => Outcome::Passed,
            Ok(Some(reason)) => Outcome::Skipped(reason),
            Err(payload) => Outcome::Failed(panic_message(&*payload)),
        }
    }
}

thread_local! {
    /// The libtest name of the case running on this thread, for the cross-process case.
    static CURRENT_TEST: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Why the case running on this thread skipped, once it did.
    static SKIPPED: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Cases finished under the harness, per suite (the module the macro expanded into).
static TALLIES: Mutex<Option<HashMap<&'static str, Tally>>> = Mutex::new(None);

#[derive(Debug, Default)]
struct Tally {
    passed: usize,
    failed: Vec<&'static str>,
    skipped: Vec<&'static str>,
}

/// Runs one case as the `#[test]` named `case` in module `module` (as `module_path!()`
/// gives it) of the test binary of crate `suite`; used by
/// [`store_conformance_tests!`](crate::store_conformance_tests). The name lets the
/// cross-process case run exactly this test again in a child. When the suite's `total`th
/// case finishes, the suite's counts are printed.
///
/// # Panics
/// When the case fails, with its message.
#[doc(hidden)]
pub fn run_case(
    suite: &'static str,
    module: &'static str,
    case: &'static str,
    total: usize,
    factory: &dyn StoreFactory,
    run: fn(&dyn StoreFactory),
) {
    // libtest names tests by their path without the crate name.
    let path = module.split_once("::").map_or("", |(_, rest)| rest);
    let test = if path.is_empty() { case.to_owned() } else { format!("{path}::{case}") };
    let result = execute(case, factory, Some(test), run);
    tally(suite, module, case, total, &result);
    if let Err(payload) = result {
        resume_unwind(payload);
    }
}

/// Runs `run`, catching its panic: `Ok(None)` passed, `Ok(Some(reason))` skipped.
fn execute(
    case: &str,
    factory: &dyn StoreFactory,
    test: Option<String>,
    run: fn(&dyn StoreFactory),
) -> Result<Option<String>, Box<dyn Any + Send>> {
    if let Some(reason) = factory.skip_reason() {
        skip(case, &reason);
        return Ok(SKIPPED.with(RefCell::take));
    }
    CURRENT_TEST.with(|current| *current.borrow_mut() = test);
    SKIPPED.with(RefCell::take);
    let result = catch_unwind(AssertUnwindSafe(|| run(factory)));
    CURRENT_TEST.with(|current| *current.borrow_mut() = None);
    let skipped = SKIPPED.with(RefCell::take);
    result.map(|()| skipped)
}

/// Counts a finished case; prints the suite's line after its last one.
fn tally(
    suite: &'static str,
    module: &'static str,
    case: &'static str,
    total: usize,
    result: &Result<Option<String>, Box<dyn Any + Send>>,
) {
    let mut tallies = TALLIES.lock().unwrap_or_else(PoisonError::into_inner);
    let tally = tallies.get_or_insert_with(HashMap::new).entry(module).or_default();
    match result {
        Ok(None) => tally.passed += 1,
        Ok(Some(_)) => tally.skipped.push(case),
        Err(_) => tally.failed.push(case),
    }
    if tally.passed + tally.failed.len() + tally.skipped.len() == total {
        tally.failed.sort_unstable();
        tally.skipped.sort_unstable();
        let mut line = format!(
            "conformance suite {suite}: {} passed, {} failed, {} skipped",
            tally.passed,
            tally.failed.len(),
            tally.skipped.len()
        );
        for (label, cases) in [("failed", &tally.failed), ("skipped", &tally.skipped)] {
            if !cases.is_empty() {
                let _ = write!(line, "; {label}: {}", cases.join(", "));
            }
        }
        // Straight to stderr, past the harness's capture, so it shows in `cargo test`.
        let _ = writeln!(std::io::stderr(), "{line}");
    }
}

/// The libtest name of the case running on this thread, if it runs under the harness.
pub(crate) fn current_test() -> Option<String> {
    CURRENT_TEST.with(|current| current.borrow().clone())
}

/// Marks the running case skipped and prints its loud line (straight to stderr, past the
/// test harness's capture, so it shows in `cargo test` output).
pub(crate) fn skip(case: &str, reason: &str) {
    SKIPPED.with(|skipped| *skipped.borrow_mut() = Some(reason.to_owned()));
    let _ = writeln!(std::io::stderr(), "SKIPPED conformance case {case}: {reason}");
}

/// The text of a panic's payload (a case's failed assertion), for reports.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "the case panicked".to_owned()
    }
}
