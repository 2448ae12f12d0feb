//! `discovery::xrds::parse`, then the endpoints a relying party would make of it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openid_consumer::discovery::{endpoint, xrds, xri};

fuzz_target!(|data: &[u8]| {
    if let Ok(document) = xrds::parse(data) {
        let _ = endpoint::from_xrds("https://example.com/alice", &document);
        let _ = xri::canonical_id("=example", &document);
    }
});
