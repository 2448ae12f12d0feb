//! `cleanup_nonces` and `cleanup_associations`: remove what expired, keep the rest, count.

use crate::factory::StoreFactory;
use crate::support::{association, get, nonce, put, setup};

/// `cleanup_nonces` removes the nonces that left the skew window more than the retention
/// margin ago, counts them (0 for self-expiring backends), and live nonces stay replays.
pub fn cleanup_nonces_removes_only_expired_nonces_and_counts_them(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "cleanup-nonces");
    let (server, now, skew, margin) = (f.server_url(), f.now(), f.skew(), f.retention());
    assert!(nonce(&*store, &server, now - skew + 10, "old1"));
    assert!(nonce(&*store, &server, now - skew + 20, "old2"));
    assert!(nonce(&*store, &server, now - skew + 200, "recent1"));
    assert!(nonce(&*store, &server, now, "recent2"));
    f.manual_clock().advance(100);
    // old1 and old2 have left the window but not the margin: they stay.
    let removed = store.cleanup_nonces().expect("cleanup_nonces");
    assert_eq!(removed, 0, "nonces removed before the window plus the retention margin passed");
    f.manual_clock().advance(margin);
    let removed = store.cleanup_nonces().expect("cleanup_nonces");
    let expected = if factory.capabilities().self_expiring { 0 } else { 2 };
    assert_eq!(removed, expected, "nonces removed{}", self_expiring_hint(removed, expected));
    // Back to a time whose window still holds the recent nonces: only the store can
    // refuse them now.
    f.manual_clock().set(now + 100);
    assert!(!nonce(&*store, &server, now - skew + 200, "recent1"), "a live nonce was removed");
    assert!(!nonce(&*store, &server, now, "recent2"), "a live nonce was removed");
    assert!(!nonce(&*store, &server, now - skew + 10, "old1"), "out of the window");
    assert_eq!(store.cleanup_nonces().expect("cleanup_nonces"), 0, "second cleanup");
}

/// Nonces are kept until the window plus the retention margin has passed, to the second:
/// a nonce exactly that old stays (so does one a second younger), and only one a second
/// older goes. A store that deletes at the window's edge fails here.
pub fn cleanup_keeps_nonces_at_the_edge_of_the_window(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "cleanup-edge");
    let (server, now, skew, margin) = (f.server_url(), f.now(), f.skew(), f.retention());
    assert!(nonce(&*store, &server, now - skew, "edge"));
    assert!(nonce(&*store, &server, now - skew + 1, "inside"));
    assert!(nonce(&*store, &server, now - skew + 150, "later"));
    assert_eq!(store.cleanup_nonces().expect("cleanup_nonces"), 0, "nothing has expired yet");
    assert!(!nonce(&*store, &server, now - skew, "edge"), "a nonce the window old was forgotten");
    assert!(!nonce(&*store, &server, now - skew + 1, "inside"), "a live nonce was forgotten");
    f.manual_clock().advance(margin);
    // "edge" is now exactly the window plus the margin old: kept.
    assert_eq!(
        store.cleanup_nonces().expect("cleanup_nonces"),
        0,
        "a nonce was removed before the window plus the retention margin had passed (a store \
         must delete only nonces before Timing::oldest_kept, not at the window's edge)"
    );
    f.manual_clock().advance(1);
    // Now "edge" is one second past the window and the margin, and only it may go.
    let expected = usize::from(!factory.capabilities().self_expiring);
    let removed = store.cleanup_nonces().expect("cleanup_nonces");
    assert_eq!(removed, expected, "nonces removed{}", self_expiring_hint(removed, expected));
    f.manual_clock().set(now);
    assert!(!nonce(&*store, &server, now - skew + 1, "inside"), "a kept nonce was forgotten");
    assert!(!nonce(&*store, &server, now - skew + 150, "later"), "a kept nonce was forgotten");
}

/// Two nodes share the store and their clocks disagree: one runs a little ahead (less than
/// the retention margin) and cleans up, or records a nonce (a store may prune as it
/// records). The node with the correct clock, which still accepts a nonce at the edge of
/// its window, must still find it a replay. A store that forgets nonces at the window's
/// edge by its own clock accepts it again.
pub fn a_node_whose_clock_runs_ahead_forgets_no_nonce_the_others_accept(
    factory: &dyn StoreFactory,
) {
    let (f, store) = setup(factory, "cleanup-clock-ahead");
    let (server, now, skew, margin) = (f.server_url(), f.now(), f.skew(), f.retention());
    assert!(nonce(&*store, &server, now - skew, "edge"), "first use");
    // The clock of the node that runs ahead; one store is enough, as the clock is shared.
    f.manual_clock().set(now + margin - 1);
    assert!(nonce(&*store, &server, now + margin - 1, "ahead"), "first use on the fast node");
    store.cleanup_nonces().expect("cleanup_nonces");
    f.manual_clock().set(now);
    assert!(
        !nonce(&*store, &server, now - skew, "edge"),
        "a node whose clock ran {} s ahead forgot a nonce that a node with the right clock \
         still accepts: a replay (keep nonces until Timing::oldest_kept, the window plus the \
         retention margin, whether cleaning up or pruning while recording)",
        margin - 1
    );
}

/// `cleanup_associations` removes the expired associations of every server, counts them
/// (0 for self-expiring backends), and live ones stay.
pub fn cleanup_associations_removes_only_expired_ones_and_counts_them(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "cleanup-associations");
    let (one, two) = (f.server_url(), format!("{}/2", f.server_url()));
    let now = f.now();
    let live = association("live", now - 50, 1_000);
    put(&*store, &one, &association("short", now, 100));
    put(&*store, &one, &live);
    put(&*store, &two, &association("short", now, 50));
    f.manual_clock().advance(100);
    let removed = store.cleanup_associations().expect("cleanup_associations");
    let expected = if factory.capabilities().self_expiring { 0 } else { 2 };
    assert_eq!(removed, expected, "associations removed{}", self_expiring_hint(removed, expected));
    assert_eq!(get(&*store, &one, None), Some(live.clone()));
    assert_eq!(get(&*store, &one, Some("live")), Some(live));
    assert_eq!(get(&*store, &one, Some("short")), None);
    assert_eq!(get(&*store, &two, None), None);
    assert_eq!(store.cleanup_associations().expect("cleanup_associations"), 0, "second cleanup");
}

/// Cleanup of a store with nothing expired removes nothing.
pub fn cleanup_of_an_empty_store_removes_nothing(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "cleanup-empty");
    assert_eq!(store.cleanup_nonces().expect("cleanup_nonces"), 0);
    assert_eq!(store.cleanup_associations().expect("cleanup_associations"), 0);
    let server = f.server_url();
    assert!(nonce(&*store, &server, f.now(), "salt"));
    put(&*store, &server, &association("h", f.now(), 600));
    assert_eq!(store.cleanup().expect("cleanup"), (0, 0));
    assert!(!nonce(&*store, &server, f.now(), "salt"));
    assert!(get(&*store, &server, Some("h")).is_some());
}

/// When a cleanup removed nothing where it should have, the capability that explains it
/// for a store whose server expires keys in its own time.
fn self_expiring_hint(removed: usize, expected: usize) -> &'static str {
    if removed == 0 && expected > 0 {
        " (a store whose server expires keys itself removes none and counts 0: if that is \
         this store, declare Capabilities::self_expiring())"
    } else {
        ""
    }
}
