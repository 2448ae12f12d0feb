//! Keys and times at the edges: long and non-ASCII URLs, the longest handles and salts,
//! case, and timestamps past 2038 up to the year 9999.

use openid_consumer::crypto::AssociationType;
use openid_consumer::store::Association;

use crate::factory::StoreFactory;
use crate::support::{association, get, nonce, printable, put, remove, setup};

/// A 2,000-character server URL works for associations and nonces, and is distinct from
/// the same URL one character shorter.
pub fn a_2000_character_server_url_works(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "long-url");
    let base = format!("{}/", f.server_url());
    let long: String = base.chars().chain(std::iter::repeat('p')).take(2_000).collect();
    let shorter: String = long.chars().take(1_999).collect();
    assert_eq!(long.chars().count(), 2_000);
    check_server_url(&*store, &long, &shorter, f.now());
}

/// A non-ASCII server URL (IRI) works for associations and nonces, and is distinct from its
/// percent-encoded form.
pub fn a_non_ascii_server_url_works(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "unicode-url");
    let url = format!("{}/ünïcødé/日本語/😀?q=é", f.server_url());
    let encoded = format!("{}/%C3%BCn%C3%AFc%C3%B8d%C3%A9/日本語/😀?q=é", f.server_url());
    check_server_url(&*store, &url, &encoded, f.now());
}

/// A 255-character handle made of every printable ASCII character (`/`, `\`, `.`, `%`,
/// `*`, quotes and all) works, and so do handles of one character.
pub fn a_255_character_handle_of_every_printable_character_works(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "long-handle");
    let server = f.server_url();
    let handle = printable(255);
    let a = association(&handle, f.now(), 600);
    put(&*store, &server, &a);
    for tricky in ["/", ".", "..", "\\", "%", "*", "'", "\"", "~"] {
        put(&*store, &server, &association(tricky, f.now() - 1, 600));
    }
    assert_eq!(get(&*store, &server, Some(&handle)), Some(a.clone()));
    assert_eq!(get(&*store, &server, None), Some(a));
    for tricky in ["/", ".", "..", "\\", "%", "*", "'", "\"", "~"] {
        let found = get(&*store, &server, Some(tricky));
        assert_eq!(found.as_ref().map(Association::handle), Some(tricky));
    }
    assert!(remove(&*store, &server, &handle));
    assert!(remove(&*store, &server, ".."));
    assert_eq!(get(&*store, &server, Some(&handle)), None);
    assert!(get(&*store, &server, Some(".")).is_some(), "removing '..' removed '.'");
}

/// Server URLs, handles and salts that differ only in letter case are distinct keys (a
/// case-insensitive collation would merge them).
pub fn keys_differing_only_in_case_are_distinct(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "case");
    let lower = format!("{}/path", f.server_url());
    let upper = format!("{}/PATH", f.server_url());
    let a = association("handle", f.now(), 600);
    let b = Association::new("HANDLE", vec![2; 20], f.now(), 600, AssociationType::HmacSha1)
        .expect("valid association");
    put(&*store, &lower, &a);
    put(&*store, &lower, &b);
    let folded = "keys differing only in case were taken as one";
    assert_eq!(get(&*store, &lower, Some("handle")), Some(a), "{folded}: handles");
    assert_eq!(get(&*store, &lower, Some("HANDLE")), Some(b), "{folded}: handles");
    assert_eq!(get(&*store, &upper, None), None, "{folded}: server URLs");
    assert!(nonce(&*store, &lower, f.now(), "salt"));
    assert!(nonce(&*store, &upper, f.now(), "salt"), "{folded}: nonce server URLs");
    assert!(nonce(&*store, &lower, f.now(), "SALT"), "{folded}: salts");
    assert!(!nonce(&*store, &upper, f.now(), "salt"));
}

/// A 255-character salt of every printable ASCII character works and is distinct from its
/// 254-character prefix.
pub fn a_255_character_salt_works(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "long-salt");
    let server = f.server_url();
    let salt = printable(255);
    assert!(nonce(&*store, &server, f.now(), &salt));
    assert!(!nonce(&*store, &server, f.now(), &salt));
    assert!(nonce(&*store, &server, f.now(), &salt[..254]));
}

/// An empty salt and a non-ASCII salt work.
pub fn empty_and_non_ascii_salts_work(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "odd-salts");
    let server = f.server_url();
    for salt in ["", "sälz", "塩", " \t\n"] {
        assert!(nonce(&*store, &server, f.now(), salt), "{salt:?} first use");
        assert!(!nonce(&*store, &server, f.now(), salt), "{salt:?} second use");
    }
}

/// Times after 2038-01-19 (past 32-bit `time_t`) work for associations and nonces.
pub fn timestamps_past_2038_work(factory: &dyn StoreFactory) {
    check_times_at(factory, "after-2038", 2_147_483_647 + 86_400);
}

/// Times up to 9999-12-31T23:59:59Z work for associations and nonces.
pub fn timestamps_up_to_the_year_9999_work(factory: &dyn StoreFactory) {
    check_times_at(factory, "year-9999", 253_402_300_799 - 100);
}

fn check_times_at(factory: &dyn StoreFactory, case: &str, now: i64) {
    let (f, store) = setup(factory, case);
    f.manual_clock().set(now);
    let server = f.server_url();
    let a = association("far", now - 1, 50);
    put(&*store, &server, &a);
    assert_eq!(get(&*store, &server, None), Some(a.clone()));
    assert_eq!(get(&*store, &server, Some("far")).map(|a| a.issued()), Some(now - 1));
    assert!(nonce(&*store, &server, now, "salt"));
    assert!(nonce(&*store, &server, now + 100, "salt"));
    assert!(!nonce(&*store, &server, now, "salt"));
    assert_eq!(store.cleanup_nonces().expect("cleanup_nonces"), 0, "nothing expired yet");
    f.manual_clock().advance(49);
    assert_eq!(get(&*store, &server, Some("far")), None, "expired at issued + lifetime");
    assert!(!nonce(&*store, &server, now + 100, "salt"));
}

fn check_server_url(
    store: &dyn openid_consumer::store::OpenIdStore,
    url: &str,
    other: &str,
    now: i64,
) {
    let a = association("handle", now, 600);
    put(store, url, &a);
    assert_eq!(get(store, url, Some("handle")), Some(a.clone()));
    assert_eq!(get(store, url, None), Some(a));
    assert_eq!(get(store, other, None), None, "a different URL");
    assert!(nonce(store, url, now, "salt"));
    assert!(!nonce(store, url, now, "salt"));
    assert!(nonce(store, other, now, "salt"));
    assert!(remove(store, url, "handle"));
    assert_eq!(get(store, url, None), None);
}
