//! Property tests: no parser panics on any input, and the encodings round-trip.

// Test code: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use openid_consumer::crypto::{DiffieHellman, check_signature, decode_btwoc_base64};
use openid_consumer::message::{Message, Namespace, OpenIdVersion, kvform};
use openid_consumer::nonce;
use openid_consumer::realm::Realm;
use openid_consumer::store::Association;
use openid_consumer::urinorm;
use proptest::prelude::*;

/// Text that exercises the parsers' special characters more often than uniform Unicode.
fn tricky_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z0-9:/?#\\[\\]@!$&'()*+,;=%._~\\-\n\r\t é*]{0,40}",
        "(https?|HTTP|ftp)://[a-zA-Z0-9.*%:@\\[\\]-]{0,20}(/[a-z0-9.%/?#&=]{0,20})?",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z.{0,5}",
    ]
}

fn kv_key() -> impl Strategy<Value = String> {
    "[^:\n\\s]([^:\n]{0,12}[^:\n\\s])?"
}

fn kv_value() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[^\n\\s]([^\n]{0,20}[^\n\\s])?"]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn text_parsers_never_panic(text in tricky_text(), other in tricky_text()) {
        let _ = urinorm::normalize(&text);
        if let Ok(realm) = Realm::parse(&text) {
            let _ = realm.is_sane();
            let _ = realm.matches(&other);
        }
        let _ = kvform::parse(&text);
        let _ = nonce::split(&text);
        let _ = Association::deserialize(&text);
        let _ = decode_btwoc_base64(&text);
        let _ = DiffieHellman::from_private_key(&[5]).map(|dh| dh.shared_secret(&text));
        let _ = DiffieHellman::with_params(&text, &other);
        let _ = Message::from_kvform(&text);
        if let Ok(message) = Message::from_query(&text) {
            let _ = message.to_kvform();
            let assoc = Association::new("h", vec![1; 20], 0, 1, openid_consumer::crypto::AssociationType::HmacSha1);
            if let Ok(assoc) = assoc {
                let _ = check_signature(&message, &assoc);
            }
        }
    }

    #[test]
    fn pair_parser_never_panics(pairs in prop::collection::vec((tricky_text(), tricky_text()), 0..8)) {
        if let Ok(message) = Message::from_pairs(pairs) {
            let _ = message.to_form_pairs();
            let _ = message.to_url("http://op.example/");
        }
    }

    #[test]
    fn kv_encode_then_parse_round_trips(
        pairs in prop::collection::vec((kv_key(), kv_value()), 0..10)
    ) {
        let text = kvform::encode(pairs.iter().map(|(k, v)| (k, v))).unwrap();
        let parsed = kvform::parse(&text);
        prop_assert!(parsed.issues.is_empty(), "{:?}", parsed.issues);
        prop_assert_eq!(parsed.pairs, pairs);
    }

    #[test]
    fn message_query_message_round_trips(
        openid_args in prop::collection::btree_map("[a-z_]{1,12}", any::<String>(), 0..6),
        ext_args in prop::collection::btree_map("[a-z_.]{1,12}", any::<String>(), 0..4),
        bare_args in prop::collection::btree_map("[a-zA-Z0-9_ %&=+é]{1,12}", any::<String>(), 0..4),
        version in prop_oneof![Just(OpenIdVersion::V1_1), Just(OpenIdVersion::V2_0)],
    ) {
        let mut message = Message::new(version);
        for (k, v) in &openid_args {
            // Keys that are alias declarations or the namespace itself are not plain fields.
            prop_assume!(k != "ns");
            message.set_openid(k.clone(), v.clone());
        }
        if version == OpenIdVersion::V2_0 {
            for (k, v) in &ext_args {
                message.set(Namespace::extension("urn:example:ext"), k.clone(), v.clone());
            }
        }
        for (k, v) in &bare_args {
            prop_assume!(!k.starts_with("openid."));
            message.set(Namespace::Bare, k.clone(), v.clone());
        }
        let back = Message::from_query(&message.to_query_string()).unwrap();
        prop_assert_eq!(back.to_form_pairs(), message.to_form_pairs());
        // OpenID 1.0 and 1.1 are the same on the wire: neither sends openid.ns.
        let expected = if version.is_openid1() { OpenIdVersion::V1_0 } else { version };
        prop_assert_eq!(back.version(), expected);
        let url = message.to_url("https://op.example/endpoint?existing=1");
        let query = url.split_once('?').unwrap().1;
        let with_existing = Message::from_query(query).unwrap();
        prop_assert_eq!(with_existing.get(&Namespace::Bare, "existing"), Some("1"));
        // Field-by-field lookup (what signatures use) agrees with the rendered message.
        for (key, value) in back.to_form_pairs() {
            if let Some(field) = key.strip_prefix("openid.") {
                prop_assert_eq!(back.openid_field(field), Some(value.as_str()), "{}", key);
            } else {
                prop_assert_eq!(back.wire_value(&key), Some(value), "{}", key);
            }
        }
    }

    #[test]
    fn field_lookup_agrees_with_the_rendered_message_for_parsed_callbacks(
        pairs in prop::collection::vec(
            (prop_oneof![
                Just("openid.ns".to_owned()),
                "openid\\.ns\\.[a-c]",
                "openid\\.[a-c]\\.[a-c]",
                "openid\\.[a-z_]{1,6}",
                "[a-z]{1,4}",
            ], prop_oneof![
                Just("http://specs.openid.net/auth/2.0".to_owned()),
                Just("http://openid.net/extensions/sreg/1.1".to_owned()),
                "urn:[a-c]",
                any::<String>(),
            ]),
            0..10,
        ),
    ) {
        let Ok(message) = Message::from_pairs(pairs) else { return Ok(()) };
        let rendered = message.to_form_pairs();
        for (key, value) in &rendered {
            if rendered.iter().filter(|(k, _)| k == key).count() > 1 {
                continue; // a wire key rendered twice has no single value
            }
            if let Some(field) = key.strip_prefix("openid.") {
                prop_assert_eq!(message.openid_field(field), Some(value.as_str()), "{}", key);
            }
        }
    }

    #[test]
    fn urinorm_is_idempotent(text in tricky_text()) {
        if let Ok(once) = urinorm::normalize(&text) {
            prop_assert_eq!(urinorm::normalize(&once), Ok(once.clone()));
        }
    }

    #[test]
    fn nonce_format_round_trips(seconds in -62_135_596_800i64..=253_402_300_799) {
        let text = nonce::format_timestamp(seconds).unwrap();
        prop_assert_eq!(nonce::split(&text), Ok((seconds, "")));
    }
}
