//! `message::kvform::parse`, and `Message::from_kvform` (a provider's direct answer).
#![no_main]

use libfuzzer_sys::fuzz_target;
use openid_consumer::message::{Message, kvform};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = kvform::parse(&text);
    // What parses encodes again (keys without ':' or newlines, values without newlines).
    let _ = kvform::encode(parsed.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let _ = Message::from_kvform(&text);
});
