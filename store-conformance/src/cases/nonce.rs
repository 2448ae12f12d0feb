//! `use_nonce`: once only, per (server URL, timestamp, salt), within the window, and
//! remembered for as long as the window accepts the nonce.

use std::time::{Duration, Instant};

use crate::factory::StoreFactory;
use crate::fixture::Fixture;
use crate::runner::skip;
use crate::support::{nonce, open, setup};

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

/// A timestamp more than the window in the past is refused; exactly the window is accepted.
pub fn a_timestamp_too_old_is_refused(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "nonce-old");
    let (server, skew) = (f.server_url(), f.skew());
    assert!(!nonce(&*store, &server, f.now() - skew - 1, "salt"), "one second too old");
    assert!(!nonce(&*store, &server, f.now() - 10 * skew, "salt"), "far too old");
    assert!(!nonce(&*store, &server, 0, "salt"), "the epoch");
    assert!(!nonce(&*store, &server, i64::MIN, "salt"), "i64::MIN");
    assert!(nonce(&*store, &server, f.now() - skew, "salt"), "exactly the window old");
}

/// A timestamp more than the window in the future is refused; exactly the window is
/// accepted.
pub fn a_timestamp_too_far_in_the_future_is_refused(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "nonce-future");
    let (server, skew) = (f.server_url(), f.skew());
    assert!(!nonce(&*store, &server, f.now() + skew + 1, "salt"), "one second too far");
    assert!(!nonce(&*store, &server, i64::MAX, "salt"), "i64::MAX");
    assert!(nonce(&*store, &server, f.now() + skew, "salt"), "exactly the window ahead");
}

/// A nonce refused for its timestamp is not recorded: once the clock makes it acceptable
/// it is fresh.
pub fn a_refused_nonce_is_not_recorded(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "nonce-refused");
    let server = f.server_url();
    let timestamp = f.now() + f.skew() + 60;
    assert!(!nonce(&*store, &server, timestamp, "salt"));
    f.manual_clock().advance(60);
    assert!(nonce(&*store, &server, timestamp, "salt"), "accepted once in range");
    assert!(!nonce(&*store, &server, timestamp, "salt"));
}

/// A nonce dated as far ahead as the window allows stays a replay until its timestamp plus
/// the window, twice the window after it was recorded; cleanup keeps it until then, and
/// for the retention margin after. (A store that remembers nonces for the window counted
/// from when it recorded them forgets this one halfway.)
pub fn a_future_dated_nonce_is_kept_until_its_timestamp_plus_the_window(
    factory: &dyn StoreFactory,
) {
    let (f, store) = setup(factory, "nonce-future-kept");
    let (server, skew) = (f.server_url(), f.skew());
    let timestamp = f.now() + skew;
    assert!(nonce(&*store, &server, timestamp, "ahead"), "first use");
    f.manual_clock().advance(2 * skew);
    // Now the timestamp is exactly the window old: still accepted, so it must be known.
    let removed = store.cleanup_nonces().expect("cleanup_nonces");
    assert_eq!(removed, 0, "cleanup removed a nonce before its timestamp plus the window");
    assert!(
        !nonce(&*store, &server, timestamp, "ahead"),
        "a nonce dated the window ahead was forgotten before its timestamp plus the window: \
         a store must keep it until NonceRecord::keep_until, not for the window counted from \
         when it recorded it"
    );
    f.manual_clock().advance(f.retention());
    let removed = store.cleanup_nonces().expect("cleanup_nonces");
    assert_eq!(removed, 0, "cleanup removed a nonce before its window and margin had passed");
    f.manual_clock().advance(1);
    let expected = usize::from(!factory.capabilities().self_expiring);
    let removed = store.cleanup_nonces().expect("cleanup_nonces");
    assert_eq!(removed, expected, "nonces removed once the window and the margin had passed");
}

/// A store whose server expires keys (in the server's own time, which the fixture's clock
/// cannot move) keeps each nonce for its whole window: a nonce dated now until the window
/// has passed, one dated the window ahead until twice that. Checked in real time with a
/// 3-second window, so a TTL shorter than the window (a fixed cache TTL, say) or counted
/// from the recording rather than from the timestamp shows. Retried up to three times when
/// the machine is too slow to time the checks.
pub fn a_server_that_expires_keys_keeps_each_nonce_for_its_whole_window(
    factory: &dyn StoreFactory,
) {
    if !factory.capabilities().self_expiring {
        skip(
            "a_server_that_expires_keys_keeps_each_nonce_for_its_whole_window",
            "the store expires nothing on its own time: the cases on the fixture's clock show \
             how long it keeps nonces",
        );
        return;
    }
    for _ in 0..3 {
        if window_kept_in_real_time(factory) {
            return;
        }
    }
    panic!("three runs of this case were too slow to time its checks (a loaded machine?)");
}

/// The window of [`a_server_that_expires_keys_keeps_each_nonce_for_its_whole_window`].
const REAL_WINDOW: i64 = 3;

/// One run of the real-time case; `false` when a check could not be timed.
fn window_kept_in_real_time(factory: &dyn StoreFactory) -> bool {
    let f = Fixture::real_time("nonce-real-time", REAL_WINDOW);
    let store = open(factory, &f);
    let server = f.server_url();
    let (t, w) = (f.now(), REAL_WINDOW);
    let recorded = Instant::now();
    assert!(nonce(&*store, &server, t, "now"), "first use");
    assert!(nonce(&*store, &server, t + w, "ahead"), "first use");
    // A correct store keeps "now" at least 4 s (w + 1) after it recorded it, and "ahead"
    // 7 s (2w + 1). Each is checked at the end of its window on the fixture's clock: in real
    // time before the server may forget it, and after a TTL of 1 s ("now") or of the window
    // counted from the recording ("ahead") would have run out.
    let checks = [("now", t, 2.5, 4.0), ("ahead", t + w, 5.5, 7.0)];
    for (salt, timestamp, check_at, kept_for) in checks {
        let at = |seconds: f64| recorded + Duration::from_secs_f64(seconds);
        std::thread::sleep(at(check_at).saturating_duration_since(Instant::now()));
        f.manual_clock().set(timestamp + w);
        let forgotten = nonce(&*store, &server, timestamp, salt);
        if forgotten && Instant::now() >= at(kept_for) {
            return false;
        }
        assert!(
            !forgotten,
            "the server forgot a nonce dated {} s ahead of its recording {check_at} s after \
             recording it, before its window ended: the key's TTL must run until the nonce's \
             timestamp plus the window (NonceRecord::ttl), not for a fixed time nor the \
             window from now",
            timestamp - t
        );
    }
    true
}
