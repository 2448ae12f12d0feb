//! `discovery::html::{decode, parse_links, find_xrds_location}` on any bytes and content type.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openid_consumer::discovery::{endpoint, html};

fuzz_target!(|input: (Option<String>, Vec<u8>)| {
    let (content_type, body) = input;
    let text = html::decode(&body, content_type.as_deref());
    let links = html::parse_links(&text);
    let _ = endpoint::from_html("https://example.com/alice", &links);
    let _ = html::find_xrds_location(&text);
});
