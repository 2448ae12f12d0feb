//! `Message::from_query` (a GET callback, or a form body), and rendering it back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openid_consumer::message::Message;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(message) = Message::from_query(text) {
        // A parsed message renders and parses to the same wire form.
        let again = Message::from_query(&message.to_query_string()).expect("a rendered message parses");
        assert_eq!(again.to_form_pairs(), message.to_form_pairs());
        for (key, value) in message.to_form_pairs() {
            if let Some(field) = key.strip_prefix("openid.") {
                let _ = (message.openid_field(field), value);
            }
        }
    }
});
