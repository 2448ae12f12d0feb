//! `urinorm::normalize`: never panics, and is idempotent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openid_consumer::urinorm;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(normal) = urinorm::normalize(text) {
        assert_eq!(urinorm::normalize(&normal).as_deref(), Ok(normal.as_str()), "not idempotent");
    }
});
