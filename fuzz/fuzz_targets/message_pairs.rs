//! `Message::from_pairs` on decoded pairs (what a web framework's form extractor gives).
#![no_main]

use libfuzzer_sys::fuzz_target;
use openid_consumer::message::Message;

fuzz_target!(|pairs: Vec<(String, String)>| {
    if let Ok(message) = Message::from_pairs(pairs) {
        let _ = message.to_kvform();
        let _ = message.to_url("https://rp.example/back?x=1");
    }
});
