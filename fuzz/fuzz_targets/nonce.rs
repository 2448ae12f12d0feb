//! `ResponseNonce::parse` and `nonce::split`: a parsed nonce's time formats back to its text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openid_consumer::nonce::{self, ResponseNonce};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(parsed) = ResponseNonce::parse(text) {
        let stamp = nonce::format_timestamp(parsed.timestamp()).expect("a parsed time formats");
        assert!(text.starts_with(&stamp), "{text:?} parsed as {stamp}");
        let _ = parsed.check_skew(0, nonce::SKEW);
    }
    let _ = nonce::split(text);
});
