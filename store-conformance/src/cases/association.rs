//! Storing, finding, replacing, expiring and removing associations.

use openid_consumer::crypto::AssociationType;
use openid_consumer::store::Association;

use crate::factory::StoreFactory;
use crate::runner::skip;
use crate::support::{association, bytes, get, nonce, open, put, remove, setup};

/// A stored association is found by its handle, and without a handle when it is the only
/// one; an unknown handle finds nothing.
pub fn an_association_is_found_by_handle_and_without_one(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "found");
    let server = f.server_url();
    let a = association("handle-a", f.now(), 600);
    put(&*store, &server, &a);
    assert_eq!(get(&*store, &server, Some("handle-a")), Some(a.clone()));
    assert_eq!(get(&*store, &server, None), Some(a));
    assert_eq!(get(&*store, &server, Some("handle-b")), None, "unknown handle");
}

/// An empty store finds nothing, with or without a handle, and removes nothing.
pub fn an_empty_store_finds_nothing(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "empty");
    let server = f.server_url();
    assert_eq!(get(&*store, &server, None), None);
    assert_eq!(get(&*store, &server, Some("handle")), None);
    assert!(!remove(&*store, &server, "handle"));
}

/// Without a handle the association issued most recently is returned, whatever the order
/// of storing.
pub fn the_most_recently_issued_association_wins_without_a_handle(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "newest");
    let server = f.server_url();
    let now = f.now();
    let middle = association("middle", now - 10, 600);
    let newest = association("newest", now - 1, 600);
    let oldest = association("oldest", now - 100, 600);
    put(&*store, &server, &middle);
    put(&*store, &server, &newest);
    put(&*store, &server, &oldest);
    assert_eq!(get(&*store, &server, None), Some(newest));
    for a in [&middle, &oldest] {
        assert_eq!(get(&*store, &server, Some(a.handle())).as_ref(), Some(a));
    }
}

/// Removing the newest association makes the next newest the answer without a handle, and
/// removing the last leaves none.
pub fn removing_the_newest_association_updates_the_lookup_without_a_handle(
    factory: &dyn StoreFactory,
) {
    let (f, store) = setup(factory, "remove-newest");
    let server = f.server_url();
    let older = association("older", f.now() - 50, 600);
    let newer = association("newer", f.now() - 5, 600);
    put(&*store, &server, &older);
    put(&*store, &server, &newer);
    assert_eq!(get(&*store, &server, None).as_ref(), Some(&newer));
    assert!(remove(&*store, &server, "newer"));
    assert_eq!(get(&*store, &server, None), Some(older));
    assert!(remove(&*store, &server, "older"));
    assert_eq!(get(&*store, &server, None), None);
}

/// `remove_association` returns true when the association existed, then false.
pub fn remove_returns_true_once_then_false(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "remove-once");
    let server = f.server_url();
    put(&*store, &server, &association("h", f.now(), 600));
    assert!(remove(&*store, &server, "h"), "first remove");
    assert!(!remove(&*store, &server, "h"), "second remove");
    assert!(!remove(&*store, &format!("{server}/other"), "h"), "other server");
}

/// After removal the association is not found, and another server's association with the
/// same handle is untouched.
pub fn get_after_remove_is_none(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "get-after-remove");
    let server = f.server_url();
    let other = format!("{server}/other");
    let a = association("shared-handle", f.now(), 600);
    put(&*store, &server, &a);
    put(&*store, &other, &a);
    assert!(remove(&*store, &server, "shared-handle"));
    assert_eq!(get(&*store, &server, Some("shared-handle")), None);
    assert_eq!(get(&*store, &server, None), None);
    assert_eq!(get(&*store, &other, Some("shared-handle")), Some(a));
}

/// An association is not returned from the second it expires (issued + lifetime), with or
/// without a handle; without a handle an older live association is returned instead.
pub fn an_expired_association_is_never_returned(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "expired");
    let server = f.server_url();
    let now = f.now();
    let short = association("short", now, 100);
    let long = association("long", now - 10, 1_000);
    put(&*store, &server, &short);
    put(&*store, &server, &long);
    f.manual_clock().advance(99);
    assert_eq!(get(&*store, &server, None).as_ref(), Some(&short), "one second left");
    f.manual_clock().advance(1);
    assert_eq!(get(&*store, &server, Some("short")), None, "expired, by handle");
    assert_eq!(get(&*store, &server, None).as_ref(), Some(&long), "expired, without handle");
    f.manual_clock().set(now - 10 + 1_000);
    assert_eq!(get(&*store, &server, Some("long")), None);
    assert_eq!(get(&*store, &server, None), None);
}

/// An association stored after it expired is never returned.
pub fn an_association_stored_already_expired_is_not_returned(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "stored-expired");
    let server = f.server_url();
    put(&*store, &server, &association("dead", f.now() - 1_000, 999));
    put(&*store, &server, &association("zero", f.now(), 0));
    assert_eq!(get(&*store, &server, Some("dead")), None);
    assert_eq!(get(&*store, &server, Some("zero")), None);
    assert_eq!(get(&*store, &server, None), None);
}

/// Storing the same (server URL, handle) again replaces the association: secret, times
/// and type all come from the second.
pub fn storing_the_same_handle_again_replaces_it(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "replace");
    let server = f.server_url();
    let first = Association::new("h", vec![1; 20], f.now() - 100, 600, AssociationType::HmacSha1)
        .expect("valid association");
    let second = Association::new("h", vec![2; 32], f.now(), 1_200, AssociationType::HmacSha256)
        .expect("valid association");
    put(&*store, &server, &first);
    put(&*store, &server, &second);
    assert_eq!(get(&*store, &server, Some("h")).as_ref(), Some(&second));
    assert_eq!(get(&*store, &server, None), Some(second));
    assert!(remove(&*store, &server, "h"));
    assert_eq!(get(&*store, &server, None), None, "the replaced one must not come back");
}

/// The same handle at two servers is two associations.
pub fn associations_of_different_servers_are_separate(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "servers");
    let (one, two) = (f.server_url(), format!("{}/2", f.server_url()));
    let a = association("h", f.now(), 600);
    let b = Association::new("h", vec![9; 20], f.now(), 600, AssociationType::HmacSha1)
        .expect("valid association");
    put(&*store, &one, &a);
    put(&*store, &two, &b);
    assert_eq!(get(&*store, &one, Some("h")), Some(a));
    assert_eq!(get(&*store, &two, Some("h")), Some(b));
}

/// Secrets of 0, 1, 20, 32 and 64 arbitrary bytes (zeros, 0xff, invalid UTF-8) come back
/// exactly.
pub fn secrets_of_any_bytes_and_length_round_trip(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "secrets");
    let server = f.server_url();
    let mut secrets: Vec<Vec<u8>> =
        [0usize, 1, 20, 32, 64].iter().map(|&n| bytes(n as u64, n)).collect();
    secrets.push(vec![0; 32]);
    secrets.push(vec![0xff; 20]);
    secrets.push(b"\x00\xc3\x28\xa0\xa1\xe2\x28\xa1\n\r\t:\\'\"".to_vec());
    for (i, secret) in secrets.into_iter().enumerate() {
        let handle = format!("secret-{i}");
        let a = Association::new(&handle, secret, f.now(), 600, AssociationType::HmacSha256)
            .expect("valid association");
        put(&*store, &server, &a);
        assert_eq!(get(&*store, &server, Some(&handle)), Some(a), "secret {i}");
    }
}

/// HMAC-SHA1 and HMAC-SHA256 associations keep their type.
pub fn both_association_types_round_trip(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "types");
    let server = f.server_url();
    for (handle, kind, len) in
        [("sha1", AssociationType::HmacSha1, 20), ("sha256", AssociationType::HmacSha256, 32)]
    {
        let a = Association::new(handle, bytes(7, len), f.now(), 600, kind).expect("valid");
        put(&*store, &server, &a);
        let found = get(&*store, &server, Some(handle)).expect("stored association");
        assert_eq!(found.assoc_type(), kind);
        assert_eq!(found, a);
    }
}

/// Two store instances opened on the same fixture see each other's associations, removals
/// and nonces.
pub fn two_instances_see_each_others_writes(factory: &dyn StoreFactory) {
    if !factory.capabilities().shared_instances {
        skip("two_instances_see_each_others_writes", "instances of this store share nothing");
        return;
    }
    let (f, first) = setup(factory, "two-instances");
    let second = open(factory, &f);
    let server = f.server_url();
    // The failure that a store whose instances share nothing meets: say what to declare.
    let unshared = "a second store opened on the same fixture did not see the first one's \
                    writes (if instances of this store share nothing, declare \
                    Capabilities::separate_instances())";
    let a = association("h", f.now(), 600);
    put(&*first, &server, &a);
    assert_eq!(get(&*second, &server, None), Some(a.clone()), "{unshared}");
    let replacement = Association::new("h", vec![5; 20], f.now(), 60, AssociationType::HmacSha1)
        .expect("valid association");
    put(&*second, &server, &replacement);
    assert_eq!(get(&*first, &server, Some("h")), Some(replacement), "{unshared}");
    assert!(remove(&*second, &server, "h"), "{unshared}");
    assert_eq!(get(&*first, &server, None), None, "{unshared}");
    assert!(!remove(&*first, &server, "h"));
    assert!(nonce(&*first, &server, f.now(), "salt"));
    assert!(!nonce(&*second, &server, f.now(), "salt"), "{unshared}");
}
