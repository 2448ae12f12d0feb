//! The conformance suite of [`OpenIdStore`]: every backend of `openid-consumer` runs it,
//! and so can yours, with one line.
//!
//! ```
//! use openid_consumer::store::{MemoryStore, StoreError};
//! use openid_store_conformance::{Capabilities, Fixture, store_conformance_tests, with_capabilities};
//!
//! // Your store: here a wrapper around the memory store, which lives in one process and
//! // whose instances share nothing.
//! fn open_my_store(fixture: &Fixture) -> Result<MemoryStore, StoreError> {
//!     Ok(MemoryStore::new().with_clock(fixture.clock()))
//! }
//!
//! // The one line, in `tests/conformance.rs`: one `#[test]` per case.
//! store_conformance_tests!(with_capabilities(Capabilities::new().single_process().separate_instances(), open_my_store));
//! # fn main() {
//! #     // A doctest does not run `#[test]`s: run the same cases by hand.
//! #     let factory = with_capabilities(Capabilities::new().single_process().separate_instances(), open_my_store);
//! #     let summary = openid_store_conformance::run_all(&factory);
//! #     // The two cases these capabilities rule out are skipped; every other one passed.
//! #     assert_eq!(summary.skipped, [
//! #         "association::two_instances_see_each_others_writes",
//! #         "concurrency::two_processes_racing_use_nonce_get_exactly_one_true_per_nonce",
//! #     ]);
//! #     assert_eq!(summary.passed.len(), openid_store_conformance::CASES.len() - 2);
//! # }
//! ```
//!
//! A store that needs no capability flags is shorter still:
//! `store_conformance_tests!(|f: &Fixture| MyStore::open(f.dir(), f.clock()));`
//!
//! A store on a shared server keeps cases apart with the fixture's namespace, for example
//! as a table or key prefix:
//! `store_conformance_tests!(|f: &Fixture| MyServerStore::connect(&url(), f.namespace(), f.clock()));`
//! Opening twice with one fixture must reach the same data (the sharing cases do that).
//!
//! # How it works
//! Each case is a public function in [`cases`] taking a [`StoreFactory`]. It makes a
//! [`Fixture`] (a [`ManualClock`], a unique namespace, a temporary directory), asks the
//! factory for a store with it, and checks one part of the contract. Cases move the clock
//! instead of sleeping, so the whole suite takes seconds; cases are independent, so they
//! run in parallel, also against one shared server when the factory isolates them by
//! [`Fixture::namespace`].
//!
//! [`store_conformance_tests!`] expands the one list of cases ([`CASES`] comes from the
//! same list) into a module `conformance` with one `#[test]` per case. A case that does not
//! apply to a backend, as [`Capabilities`] declares, passes after printing a loud
//! `SKIPPED conformance case ...` line on stderr.
//!
//! The cross-process case re-executes the test binary (`std::env::current_exe`) with an
//! environment variable that makes the child race the parent on the same backing data.
//!
//! [`ManualClock`]: openid_consumer::store::ManualClock
#![deny(missing_docs)]
#![forbid(unsafe_code)]
// This crate is a test suite: failing a case by panicking with a message is its job.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::missing_panics_doc
)]

pub mod cases;
mod factory;
mod fixture;
mod process;
mod support;

pub use factory::{
    Capabilities, MemoryFactory, SkipWhen, StoreFactory, WithCapabilities, skip_when,
    with_capabilities,
};
pub use fixture::Fixture;
#[doc(no_inline)]
pub use openid_consumer::store::{Clock, ManualClock, OpenIdStore, StoreError};

use std::cell::{Cell, RefCell};
use std::io::Write as _;

/// One case of the suite.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// Its name, a sentence (`group::name`).
    pub name: &'static str,
    /// The function that runs it.
    pub run: fn(&dyn StoreFactory),
}

/// The one list of cases. [`store_conformance_tests!`] and [`CASES`] both expand it, so
/// neither can miss a case.
#[doc(hidden)]
#[macro_export]
macro_rules! __for_each_case {
    ($callback:ident ! ($($args:tt)*)) => {
        $crate::$callback! { ($($args)*)
            association::an_association_is_found_by_handle_and_without_one,
            association::an_empty_store_finds_nothing,
            association::the_most_recently_issued_association_wins_without_a_handle,
            association::removing_the_newest_association_updates_the_lookup_without_a_handle,
            association::remove_returns_true_once_then_false,
            association::get_after_remove_is_none,
            association::an_expired_association_is_never_returned,
            association::an_association_stored_already_expired_is_not_returned,
            association::storing_the_same_handle_again_replaces_it,
            association::associations_of_different_servers_are_separate,
            association::secrets_of_any_bytes_and_length_round_trip,
            association::both_association_types_round_trip,
            association::two_instances_see_each_others_writes,
            nonce::first_use_of_a_nonce_is_fresh_and_the_second_is_a_replay,
            nonce::a_different_salt_is_independent,
            nonce::a_different_server_url_is_independent,
            nonce::a_different_timestamp_is_independent,
            nonce::a_timestamp_too_old_is_refused,
            nonce::a_timestamp_too_far_in_the_future_is_refused,
            nonce::a_refused_nonce_is_not_recorded,
            cleanup::cleanup_nonces_removes_only_expired_nonces_and_counts_them,
            cleanup::cleanup_keeps_nonces_at_the_edge_of_the_window,
            cleanup::cleanup_associations_removes_only_expired_ones_and_counts_them,
            cleanup::cleanup_of_an_empty_store_removes_nothing,
            limits::a_2000_character_server_url_works,
            limits::a_non_ascii_server_url_works,
            limits::a_255_character_handle_of_every_printable_character_works,
            limits::keys_differing_only_in_case_are_distinct,
            limits::a_255_character_salt_works,
            limits::empty_and_non_ascii_salts_work,
            limits::timestamps_past_2038_work,
            limits::timestamps_up_to_the_year_9999_work,
            concurrency::eight_threads_racing_use_nonce_get_exactly_one_true_per_nonce,
            concurrency::racing_removes_get_exactly_one_true,
            concurrency::readers_never_see_a_partial_replacement,
            concurrency::two_processes_racing_use_nonce_get_exactly_one_true_per_nonce,
        }
    };
}

/// Expands the case list into a table.
#[doc(hidden)]
#[macro_export]
macro_rules! __case_table {
    (() $($group:ident :: $case:ident),* $(,)?) => {
        &[$($crate::Case {
            name: concat!(stringify!($group), "::", stringify!($case)),
            run: $crate::cases::$group::$case,
        }),*]
    };
}

/// Expands the case list into `#[test]` functions.
#[doc(hidden)]
#[macro_export]
macro_rules! __case_tests {
    (($factory:expr) $($group:ident :: $case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::run_case(module_path!(), stringify!($case), &$factory, $crate::cases::$group::$case);
            }
        )*
    };
}

/// Every case, in the order of the list.
pub const CASES: &[Case] = __for_each_case!(__case_table!());

/// Generates a module `conformance` with one `#[test]` per case of the suite, each running
/// against a store made by `factory` (any expression whose value implements
/// [`StoreFactory`], evaluated once per test: a closure `|f: &Fixture| ...` returning
/// `Result<impl OpenIdStore, StoreError>`, or [`with_capabilities`] around one).
///
/// Names in scope where the macro is used are visible in `factory`.
#[macro_export]
macro_rules! store_conformance_tests {
    ($factory:expr $(,)?) => {
        /// The store conformance suite (`openid-store-conformance`).
        #[allow(unused_imports)]
        mod conformance {
            use super::*;
            $crate::__for_each_case!(__case_tests!($factory));
        }
    };
}

thread_local! {
    /// The libtest name of the case running on this thread, for the cross-process case.
    static CURRENT_TEST: RefCell<Option<String>> = const { RefCell::new(None) };
    /// How many cases this thread has skipped, so [`run_all`] can tell skipped from passed.
    static SKIPS: Cell<usize> = const { Cell::new(0) };
}

/// What [`run_all`] did: the names of the cases that passed and of those that did not
/// apply (each skipped with a loud line). A failed case panics instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Cases that ran and passed.
    pub passed: Vec<&'static str>,
    /// Cases that did not apply to the factory (its capabilities or skip reason).
    pub skipped: Vec<&'static str>,
}

/// Runs one case as the `#[test]` named `case` in module `module_path` (as
/// `module_path!()` gives it) of the current test binary. Used by
/// [`store_conformance_tests!`]; the name lets the cross-process case re-run exactly this
/// test in a child process.
pub fn run_case(
    module_path: &str,
    case: &str,
    factory: &dyn StoreFactory,
    run: fn(&dyn StoreFactory),
) {
    if let Some(reason) = factory.skip_reason() {
        skip(case, &reason);
        return;
    }
    // libtest names tests by their path without the crate name.
    let module = module_path.split_once("::").map_or("", |(_, rest)| rest);
    let name = if module.is_empty() { case.to_owned() } else { format!("{module}::{case}") };
    CURRENT_TEST.with(|current| *current.borrow_mut() = Some(name));
    run(factory);
    CURRENT_TEST.with(|current| *current.borrow_mut() = None);
}

/// Runs every case against `factory` in this thread, outside the test harness, and says
/// which passed and which were skipped (the cross-process case always is: it needs the
/// harness to re-run itself in a child process).
///
/// # Panics
/// When a case fails, with that case's message.
pub fn run_all(factory: &dyn StoreFactory) -> Summary {
    let mut summary = Summary::default();
    let reason = factory.skip_reason();
    for case in CASES {
        if let Some(reason) = &reason {
            skip(case.name, reason);
            summary.skipped.push(case.name);
            continue;
        }
        let before = SKIPS.with(Cell::get);
        (case.run)(factory);
        if SKIPS.with(Cell::get) == before {
            summary.passed.push(case.name);
        } else {
            summary.skipped.push(case.name);
        }
    }
    summary
}

pub(crate) fn current_test() -> Option<String> {
    CURRENT_TEST.with(|current| current.borrow().clone())
}

/// Prints the loud line of a case that does not apply (straight to stderr, past the test
/// harness's capture, so it shows in `cargo test` output).
pub(crate) fn skip(case: &str, reason: &str) {
    SKIPS.with(|skips| skips.set(skips.get() + 1));
    let _ = writeln!(std::io::stderr(), "SKIPPED conformance case {case}: {reason}");
}
