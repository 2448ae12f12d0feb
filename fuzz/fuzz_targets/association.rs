//! `Association::deserialize`: the text form stores keep; what it reads serialises back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openid_consumer::store::Association;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(association) = Association::deserialize(text) {
        let again = Association::deserialize(&association.serialize()).expect("round trip");
        assert_eq!(again, association);
    }
});
