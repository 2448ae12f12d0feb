//! The conformance suite of [`OpenIdStore`]: every backend of `openid-consumer` runs it,
//! and so can yours, with one line in `tests/conformance.rs`.
//!
//! ```
//! use openid_consumer::store::MemoryStore;
//! use openid_store_conformance::{Capabilities, store_conformance_tests, stores, with_capabilities};
//!
//! // A store that lives in this process and whose instances share nothing, as its
//! // capabilities declare; it takes the case's clock and nonce window from the fixture.
//! store_conformance_tests!(with_capabilities(
//!     Capabilities::new().single_process().separate_instances(),
//!     stores(|f| Ok(MemoryStore::new().with_clock(f.clock()).with_skew(f.skew()))),
//! ));
//! # fn main() {
//! #     // A doctest does not run `#[test]`s: run the same cases by hand.
//! #     let summary = openid_store_conformance::run_all(&with_capabilities(
//! #         Capabilities::new().single_process().separate_instances(),
//! #         stores(|f| Ok(MemoryStore::new().with_clock(f.clock()).with_skew(f.skew()))),
//! #     ));
//! #     assert!(summary.failed.is_empty(), "{summary:#?}");
//! #     let skipped: Vec<&str> = summary.skipped.iter().map(|(case, _)| *case).collect();
//! #     assert_eq!(skipped, [
//! #         "association::two_instances_see_each_others_writes",
//! #         "nonce::a_server_that_expires_keys_keeps_each_nonce_for_its_whole_window",
//! #         "concurrency::two_processes_racing_use_nonce_get_exactly_one_true_per_nonce",
//! #         "faults::calls_fail_as_unavailable_while_the_backend_is_down_and_work_after_restart",
//! #         "faults::a_restart_between_two_calls_costs_no_failed_call",
//! #     ]);
//! # }
//! ```
//!
//! A store with the full contract needs only a closure, taking the case's [`Fixture`]:
//! `store_conformance_tests!(|f| MyStore::open(f.dir(), f.clock(), f.skew()));`
//!
//! A store on a server gets one from `openid-test-servers` with [`on_server`], which also
//! gives the fault cases a server of their own to stop and start:
//!
//! ```no_run
//! use openid_store_conformance::{on_server, store_conformance_tests};
//! use openid_test_servers::Backend;
//! # // A stand-in with the builder of openid-store-postgres, which this crate does not use.
//! # use std::{sync::Arc, time::Duration};
//! # use openid_consumer::store::{Clock, MemoryStore, StoreError};
//! # struct PostgresStoreBuilder(MemoryStore);
//! # impl PostgresStoreBuilder {
//! #     fn from_url(_: &str) -> Result<Self, StoreError> { Ok(Self(MemoryStore::new())) }
//! #     fn schema(self, _: &str) -> Self { self }
//! #     fn migrate(self, _: bool) -> Self { self }
//! #     fn clock(self, clock: Arc<dyn Clock>) -> Self { Self(self.0.with_clock(clock)) }
//! #     fn skew(self, skew: i64) -> Self { Self(self.0.with_skew(skew)) }
//! #     fn timeout(self, _: Duration) -> Self { self }
//! #     fn build(self) -> Result<MemoryStore, StoreError> { Ok(self.0) }
//! # }
//!
//! store_conformance_tests!(on_server(Backend::Postgres, |url, f| {
//!     PostgresStoreBuilder::from_url(url)?
//!         .schema(f.namespace())
//!         .migrate(true)
//!         .clock(f.clock())
//!         .skew(f.skew())
//!         .timeout(f.timeout())
//!         .build()
//! }));
//! # fn main() {}
//! ```
//!
//! `README.md` beside this crate walks a store author through it.
//!
//! # How it works
//! Each case is a public function in [`cases`] taking a [`StoreFactory`]. It makes a
//! [`Fixture`] (a [`ManualClock`], the nonce window, a time limit, a unique namespace, a
//! temporary directory), asks the factory for a store with it, and checks one part of the
//! contract. Cases move the clock instead of sleeping (except one, for stores whose server
//! expires keys in its own time), so the whole suite takes seconds; cases are independent,
//! so they run in parallel, also against one shared server when the factory isolates them
//! by [`Fixture::namespace`]. When a store is opened, the suite checks that it reads the
//! fixture's clock and window, and says so if not.
//!
//! [`store_conformance_tests!`] expands the one list of cases ([`CASES`] comes from the
//! same list) into a module `conformance` with one `#[test]` per case. A case that does not
//! apply to a backend, as [`Capabilities`] declares, prints a loud
//! `SKIPPED conformance case ...` line on stderr. When the suite's last case finishes, it
//! prints `conformance suite <test target>: P passed, F failed, S skipped` (libtest counts
//! a skipped case as passed; this line does not).
//!
//! The cross-process case runs the test binary again (`std::env::current_exe`) with an
//! environment variable that makes the child race the parent on the same backing data,
//! its clock an hour ahead of the parent's.
//!
//! Beyond the cases, [`helpers`] has what a store's own tests of its time limits need on a
//! loaded machine: a cleanup of a large nonce backlog that calls again after a call ran out
//! of time, and a retry for building a store whose short limit bounds its own connection.
//!
//! [`ManualClock`]: openid_consumer::store::ManualClock
#![deny(missing_docs)]
// This crate is a test suite: failing a case by panicking with a message is its job.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::missing_panics_doc,
    reason = "a case fails by panicking with its message"
)]

pub mod cases;
mod factory;
mod fixture;
pub mod helpers;
mod process;
mod runner;
mod server;
mod support;

pub use factory::{
    BackendSwitch, Capabilities, MemoryFactory, Stoppable, StoreFactory, Stores, WithCapabilities,
    stores, with_capabilities,
};
pub use fixture::Fixture;
#[doc(no_inline)]
pub use openid_consumer::store::{Clock, ManualClock, OpenIdStore, StoreError};
pub use runner::{Case, Outcome, panic_message, run_case};
pub use server::{OnServer, on_server};

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
            nonce::a_future_dated_nonce_is_kept_until_its_timestamp_plus_the_window,
            nonce::a_server_that_expires_keys_keeps_each_nonce_for_its_whole_window,
            cleanup::cleanup_nonces_removes_only_expired_nonces_and_counts_them,
            cleanup::cleanup_keeps_nonces_at_the_edge_of_the_window,
            cleanup::a_node_whose_clock_runs_ahead_forgets_no_nonce_the_others_accept,
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
            faults::calls_fail_as_unavailable_while_the_backend_is_down_and_work_after_restart,
            faults::a_restart_between_two_calls_costs_no_failed_call,
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
                $crate::run_case(
                    env!("CARGO_CRATE_NAME"),
                    module_path!(),
                    stringify!($case),
                    $crate::CASES.len(),
                    &$factory,
                    $crate::cases::$group::$case,
                );
            }
        )*
    };
}

/// Every case, in the order of the list.
pub const CASES: &[Case] = __for_each_case!(__case_table!());

/// Generates a module `conformance` with one `#[test]` per case of the suite, each running
/// against the stores `factory` makes.
///
/// `factory` is either a closure `|f| ...` that opens a store from the case's [`Fixture`]
/// (returning `Result<impl OpenIdStore, StoreError>`; no type needed on `f`), or any
/// expression whose value implements [`StoreFactory`]: [`stores`] or [`on_server`] around
/// a closure, [`with_capabilities`] around one of those. It is evaluated once per test.
/// Names in scope where the macro is used are visible in it.
#[macro_export]
macro_rules! store_conformance_tests {
    (|$fixture:ident| $body:expr $(,)?) => {
        $crate::store_conformance_tests!($crate::stores(|$fixture: &$crate::Fixture| $body));
    };
    ($factory:expr $(,)?) => {
        /// The store conformance suite (`openid-store-conformance`): one test per case.
        #[allow(unused_imports)]
        mod conformance {
            use super::*;
            $crate::__for_each_case!(__case_tests!($factory));
        }
    };
}

/// What [`run_all`] did: the cases that passed, failed (with their messages) and were
/// skipped (with why).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Cases that ran and passed.
    pub passed: Vec<&'static str>,
    /// Cases that failed, and their messages.
    pub failed: Vec<(&'static str, String)>,
    /// Cases that did not apply to the factory (its capabilities, its hooks, this run),
    /// and why.
    pub skipped: Vec<(&'static str, String)>,
}

/// Runs every case against `factory` in this thread, outside the test harness, and says
/// which passed, failed and were skipped (the cross-process case always is: it needs the
/// harness to run itself again in a child process).
pub fn run_all(factory: &dyn StoreFactory) -> Summary {
    let mut summary = Summary::default();
    for case in CASES {
        match case.check(factory) {
            Outcome::Passed => summary.passed.push(case.name),
            Outcome::Failed(message) => summary.failed.push((case.name, message)),
            Outcome::Skipped(reason) => summary.skipped.push((case.name, reason)),
        }
    }
    summary
}
