//! `Realm::parse`, `matches` and `is_sane` on any realm and return_to.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openid_consumer::realm::Realm;

fuzz_target!(|input: (String, String)| {
    let (realm, return_to) = input;
    if let Ok(realm) = Realm::parse(&realm) {
        let _ = realm.is_sane();
        let _ = realm.matches(&return_to);
        // A realm matches its own URL when it is not a wildcard.
        if !realm.is_wildcard() {
            assert!(realm.matches(realm.as_str()), "{} does not match itself", realm.as_str());
        }
    }
});
