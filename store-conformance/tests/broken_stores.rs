//! The suite fails stores that break the contract: each deliberately broken store below
//! must fail the case that names its defect (a suite that cannot fail proves nothing).
// Helpers of a test binary: a failed set-up is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openid_consumer::nonce::{SKEW, within_skew};
use openid_consumer::store::{
    Association, Clock, ManualClock, MemoryStore, OpenIdStore, StoreError,
};
use openid_store_conformance::{CASES, Capabilities, Fixture, StoreFactory, with_capabilities};

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
    /// Cleanup deletes nonces 99 s before they leave the skew window (an off-by-a-little
    /// cutoff, found in review to pass every other case).
    CleansTooEarly,
}

struct Broken {
    defect: Defect,
    inner: MemoryStore,
    seen: Mutex<HashSet<(String, i64, String)>>,
    clock: Arc<dyn Clock>,
}

impl Broken {
    fn open(defect: Defect, f: &Fixture) -> Self {
        let clock: Arc<dyn Clock> = if defect == Defect::IgnoresTheClock {
            Arc::new(ManualClock::new(f.now()))
        } else {
            f.clock()
        };
        Self {
            defect,
            inner: MemoryStore::new().with_clock(clock.clone()),
            seen: Mutex::default(),
            clock,
        }
    }

    fn url(&self, server_url: &str) -> String {
        if self.defect == Defect::CaseInsensitiveKeys {
            server_url.to_lowercase()
        } else {
            server_url.to_owned()
        }
    }
}

impl OpenIdStore for Broken {
    fn store_association(&self, server_url: &str, a: &Association) -> Result<(), StoreError> {
        let mut a = a.clone();
        if self.defect == Defect::TruncatesSecrets {
            let secret: Vec<u8> = a.secret().iter().copied().take(20).collect();
            a = Association::new(a.handle(), secret, a.issued(), a.lifetime(), a.assoc_type())
                .unwrap();
        }
        self.inner.store_association(&self.url(server_url), &a)
    }

    fn get_association(
        &self,
        server_url: &str,
        handle: Option<&str>,
    ) -> Result<Option<Association>, StoreError> {
        self.inner.get_association(&self.url(server_url), handle)
    }

    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
        self.inner.remove_association(&self.url(server_url), handle)
    }

    fn use_nonce(&self, server_url: &str, timestamp: i64, salt: &str) -> Result<bool, StoreError> {
        match self.defect {
            Defect::ForgetsNonces => Ok(within_skew(timestamp, self.clock.now(), SKEW)),
            Defect::NonAtomicNonce => {
                if !within_skew(timestamp, self.clock.now(), SKEW) {
                    return Ok(false);
                }
                let key = (server_url.to_owned(), timestamp, salt.to_owned());
                if self.seen.lock().unwrap().contains(&key) {
                    return Ok(false);
                }
                std::thread::sleep(Duration::from_micros(50));
                self.seen.lock().unwrap().insert(key);
                Ok(true)
            }
            Defect::CleansTooEarly => {
                if !within_skew(timestamp, self.clock.now(), SKEW) {
                    return Ok(false);
                }
                let key = (server_url.to_owned(), timestamp, salt.to_owned());
                Ok(self.seen.lock().unwrap().insert(key))
            }
            _ => self.inner.use_nonce(&self.url(server_url), timestamp, salt),
        }
    }

    fn cleanup_nonces(&self) -> Result<usize, StoreError> {
        if self.defect == Defect::CleansTooEarly {
            let cutoff = self.clock.now() - SKEW + 99;
            let mut seen = self.seen.lock().unwrap();
            let before = seen.len();
            seen.retain(|(_, timestamp, _)| *timestamp >= cutoff);
            return Ok(before - seen.len());
        }
        let removed = self.inner.cleanup_nonces()?;
        Ok(if self.defect == Defect::MiscountsCleanup { 0 } else { removed })
    }

    fn cleanup_associations(&self) -> Result<usize, StoreError> {
        let removed = self.inner.cleanup_associations()?;
        Ok(if self.defect == Defect::MiscountsCleanup { 0 } else { removed })
    }
}

fn factory(defect: Defect) -> impl StoreFactory {
    with_capabilities(
        Capabilities::new().single_process().separate_instances(),
        move |f: &Fixture| Ok(Broken::open(defect, f)),
    )
}

/// Runs the case named `case` on a store with `defect`; true if the case failed.
fn fails(defect: Defect, case: &str) -> bool {
    let case = CASES.iter().find(|c| c.name.ends_with(case)).expect("a case of that name");
    let factory = factory(defect);
    catch_unwind(AssertUnwindSafe(|| (case.run)(&factory))).is_err()
}

#[test]
fn the_suite_fails_a_store_that_returns_expired_associations() {
    assert!(fails(Defect::IgnoresTheClock, "an_expired_association_is_never_returned"));
    assert!(fails(Defect::IgnoresTheClock, "a_refused_nonce_is_not_recorded"));
}

#[test]
fn the_suite_fails_a_store_whose_use_nonce_is_not_atomic() {
    assert!(fails(
        Defect::NonAtomicNonce,
        "eight_threads_racing_use_nonce_get_exactly_one_true_per_nonce"
    ));
}

#[test]
fn the_suite_fails_a_store_that_truncates_secrets() {
    assert!(fails(Defect::TruncatesSecrets, "secrets_of_any_bytes_and_length_round_trip"));
}

#[test]
fn the_suite_fails_a_store_with_case_insensitive_keys() {
    assert!(fails(Defect::CaseInsensitiveKeys, "keys_differing_only_in_case_are_distinct"));
}

#[test]
fn the_suite_fails_a_store_that_miscounts_cleanup() {
    assert!(fails(
        Defect::MiscountsCleanup,
        "cleanup_nonces_removes_only_expired_nonces_and_counts_them"
    ));
    assert!(fails(
        Defect::MiscountsCleanup,
        "cleanup_associations_removes_only_expired_ones_and_counts_them"
    ));
}

#[test]
fn the_suite_fails_a_store_whose_nonce_cleanup_is_a_little_early() {
    assert!(fails(Defect::CleansTooEarly, "cleanup_keeps_nonces_at_the_edge_of_the_window"));
    // The case the defect slipped through before.
    assert!(!fails(
        Defect::CleansTooEarly,
        "cleanup_nonces_removes_only_expired_nonces_and_counts_them"
    ));
}

#[test]
fn the_suite_fails_a_store_that_forgets_nonces() {
    assert!(fails(
        Defect::ForgetsNonces,
        "first_use_of_a_nonce_is_fresh_and_the_second_is_a_replay"
    ));
}

#[test]
fn every_case_passes_on_the_same_wrapper_without_the_defect_hooks() {
    // The wrapper itself is sound: with a defect that only affects cleanup counts, the
    // association and nonce cases pass, so the failures above come from the defects.
    assert!(!fails(Defect::MiscountsCleanup, "an_expired_association_is_never_returned"));
    assert!(!fails(
        Defect::IgnoresTheClock,
        "first_use_of_a_nonce_is_fresh_and_the_second_is_a_replay"
    ));
    assert!(!fails(Defect::CaseInsensitiveKeys, "secrets_of_any_bytes_and_length_round_trip"));
}
