//! `use_nonce`: once only, per (server URL, timestamp, salt), within the skew window.

use openid_consumer::nonce::SKEW;

use crate::StoreFactory;
use crate::support::{nonce, setup};

/// The first use of a nonce is fresh (`true`), every later use a replay (`false`).
pub fn first_use_of_a_nonce_is_fresh_and_the_second_is_a_replay(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "nonce-once");
    let server = f.server_url();
    assert!(nonce(&*store, &server, f.now(), "salt"), "first use");
    assert!(!nonce(&*store, &server, f.now(), "salt"), "second use");
    assert!(!nonce(&*store, &server, f.now(), "salt"), "third use");
}

/// A nonce differing only in salt is a different nonce.
pub fn a_different_salt_is_independent(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "nonce-salt");
    let server = f.server_url();
    assert!(nonce(&*store, &server, f.now(), "salt"));
    assert!(nonce(&*store, &server, f.now(), "salu"));
    assert!(nonce(&*store, &server, f.now(), "SALT"), "salts are case-sensitive");
    assert!(nonce(&*store, &server, f.now(), "salt2"), "a salt extending another");
    assert!(!nonce(&*store, &server, f.now(), "salu"));
}

/// A nonce differing only in server URL is a different nonce.
pub fn a_different_server_url_is_independent(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "nonce-server");
    let server = f.server_url();
    assert!(nonce(&*store, &server, f.now(), "salt"));
    assert!(nonce(&*store, &format!("{server}/"), f.now(), "salt"));
    assert!(nonce(&*store, &server.replace("https:", "http:"), f.now(), "salt"));
    assert!(!nonce(&*store, &format!("{server}/"), f.now(), "salt"));
}

/// A nonce differing only in timestamp is a different nonce.
pub fn a_different_timestamp_is_independent(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "nonce-time");
    let server = f.server_url();
    assert!(nonce(&*store, &server, f.now(), "salt"));
    assert!(nonce(&*store, &server, f.now() - 1, "salt"));
    assert!(nonce(&*store, &server, f.now() + 1, "salt"));
    assert!(!nonce(&*store, &server, f.now() - 1, "salt"));
}

/// A timestamp more than SKEW in the past is refused; exactly SKEW is accepted.
pub fn a_timestamp_too_old_is_refused(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "nonce-old");
    let server = f.server_url();
    assert!(!nonce(&*store, &server, f.now() - SKEW - 1, "salt"), "one second too old");
    assert!(!nonce(&*store, &server, f.now() - 10 * SKEW, "salt"), "far too old");
    assert!(!nonce(&*store, &server, 0, "salt"), "the epoch");
    assert!(!nonce(&*store, &server, i64::MIN, "salt"), "i64::MIN");
    assert!(nonce(&*store, &server, f.now() - SKEW, "salt"), "exactly SKEW old");
}

/// A timestamp more than SKEW in the future is refused; exactly SKEW is accepted.
pub fn a_timestamp_too_far_in_the_future_is_refused(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "nonce-future");
    let server = f.server_url();
    assert!(!nonce(&*store, &server, f.now() + SKEW + 1, "salt"), "one second too far");
    assert!(!nonce(&*store, &server, i64::MAX, "salt"), "i64::MAX");
    assert!(nonce(&*store, &server, f.now() + SKEW, "salt"), "exactly SKEW ahead");
}

/// A nonce refused for its timestamp is not recorded: once the clock makes it acceptable
/// it is fresh.
pub fn a_refused_nonce_is_not_recorded(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "nonce-refused");
    let server = f.server_url();
    let timestamp = f.now() + SKEW + 60;
    assert!(!nonce(&*store, &server, timestamp, "salt"));
    f.manual_clock().advance(60);
    assert!(nonce(&*store, &server, timestamp, "salt"), "accepted once in range");
    assert!(!nonce(&*store, &server, timestamp, "salt"));
}
