use super::*;

const SREG: &str = "http://openid.net/extensions/sreg/1.1";

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn no_openid_ns_means_openid_1_0() {
    let msg = Message::from_pairs([("openid.mode", "id_res")]).unwrap();
    assert_eq!(msg.version(), OpenIdVersion::V1_0);
    assert!(msg.is_openid1());
    assert_eq!(msg.to_form_pairs(), pairs(&[("openid.mode", "id_res")]));
}

#[test]
fn recognises_each_openid_namespace() {
    for (uri, version) in [
        (OPENID1_NS, OpenIdVersion::V1_0),
        (OPENID11_NS, OpenIdVersion::V1_1),
        (OPENID2_NS, OpenIdVersion::V2_0),
    ] {
        let msg = Message::from_pairs([("openid.ns", uri)]).unwrap();
        assert_eq!(msg.version(), version);
        // An explicit namespace is kept on the way out, even for OpenID 1.
        assert_eq!(msg.to_form_pairs(), pairs(&[("openid.ns", uri)]));
    }
}

#[test]
fn rejects_unknown_openid_namespace() {
    let err = Message::from_pairs([("openid.ns", "http://example.com/")]).unwrap_err();
    assert_eq!(err, MessageError::UnknownOpenIdNamespace { uri: "http://example.com/".into() });
    assert_eq!(err.to_string(), "unknown OpenID namespace \"http://example.com/\"");
    assert!(Message::from_pairs([("openid.ns", "")]).is_err());
}

#[test]
fn rejects_duplicate_keys() {
    let err = Message::from_query("openid.mode=a&openid.mode=b").unwrap_err();
    assert_eq!(err, MessageError::DuplicateKey { key: "openid.mode".into() });
    assert_eq!(err.to_string(), "duplicate key \"openid.mode\"");
    assert!(Message::from_query("x=1&x=1").is_err());
}

#[test]
fn keeps_blank_values() {
    let msg = Message::from_query("openid.mode=&x=").unwrap();
    assert_eq!(msg.get_openid("mode"), Some(""));
    assert_eq!(msg.get(&Namespace::Bare, "x"), Some(""));
}

#[test]
fn reports_query_decoding_errors() {
    assert_eq!(
        Message::from_query("openid.mode=%G0").unwrap_err().to_string(),
        "invalid percent-encoding at byte 12"
    );
    assert!(matches!(
        Message::from_query("openid.mode=%FE%FF"),
        Err(MessageError::Query(QueryError::NotUtf8 { .. }))
    ));
}

#[test]
fn declared_aliases_map_to_extension_namespaces() {
    let msg = Message::from_pairs([
        ("openid.ns", OPENID2_NS),
        ("openid.ns.s", SREG),
        ("openid.s.email", "a@b"),
    ])
    .unwrap();
    assert_eq!(msg.get(&Namespace::extension(SREG), "email"), Some("a@b"));
    assert_eq!(msg.alias(SREG), Some("s"));
    assert_eq!(msg.get_openid("s.email"), None);
}

#[test]
fn undeclared_alias_stays_in_the_openid_namespace() {
    let msg =
        Message::from_pairs([("openid.ns", OPENID2_NS), ("openid.sreg.email", "a@b")]).unwrap();
    assert_eq!(msg.get_openid("sreg.email"), Some("a@b"));
    assert_eq!(msg.get(&Namespace::extension(SREG), "email"), None);
}

#[test]
fn openid1_has_an_implicit_sreg_alias() {
    let msg =
        Message::from_pairs([("openid.mode", "id_res"), ("openid.sreg.nickname", "bob")]).unwrap();
    assert_eq!(msg.get(&Namespace::extension(SREG), "nickname"), Some("bob"));
    assert!(msg.aliases().is_implicit("sreg"));
    // Implicit: no declaration is added on the way out.
    assert_eq!(
        msg.to_form_pairs(),
        pairs(&[("openid.mode", "id_res"), ("openid.sreg.nickname", "bob")])
    );
}

#[test]
fn openid1_honours_an_explicit_sreg_declaration() {
    let other = "http://openid.net/sreg/1.0";
    let msg =
        Message::from_pairs([("openid.ns.sreg", other), ("openid.sreg.nickname", "bob")]).unwrap();
    assert_eq!(msg.get(&Namespace::extension(other), "nickname"), Some("bob"));
    assert!(!msg.aliases().is_implicit("sreg"));
}

#[test]
fn rejects_invalid_alias_declarations() {
    for key in ["openid.ns.mode", "openid.ns.a.b", "openid.ns.", "openid.ns.ns"] {
        let err = Message::from_pairs([(key, "urn:x")]).unwrap_err();
        assert!(matches!(err, MessageError::Alias(AliasError::Invalid { .. })), "{key}: {err}");
    }
}

#[test]
fn rejects_one_uri_with_two_aliases() {
    let err =
        Message::from_pairs([("openid.ns.a", "urn:x"), ("openid.ns.b", "urn:x")]).unwrap_err();
    assert!(matches!(err, MessageError::Alias(AliasError::UriTaken { .. })));
}

#[test]
fn set_assigns_aliases_and_renders_declarations() {
    let mut msg = Message::new(OpenIdVersion::V2_0);
    msg.set_openid("mode", "checkid_setup");
    msg.set(Namespace::extension("urn:one"), "k", "v");
    msg.set_alias("urn:two", "two").unwrap();
    msg.set(Namespace::extension("urn:two"), "k", "w");
    msg.set(Namespace::Bare, "app", "1");
    assert_eq!(
        msg.to_form_pairs(),
        pairs(&[
            ("app", "1"),
            ("openid.ext0.k", "v"),
            ("openid.mode", "checkid_setup"),
            ("openid.ns", OPENID2_NS),
            ("openid.ns.ext0", "urn:one"),
            ("openid.ns.two", "urn:two"),
            ("openid.two.k", "w"),
        ])
    );
}

#[test]
fn new_openid1_message_has_no_ns() {
    let mut msg = Message::new(OpenIdVersion::V1_1);
    msg.set_openid("mode", "associate");
    assert_eq!(msg.to_form_pairs(), pairs(&[("openid.mode", "associate")]));
}

#[test]
fn get_set_remove_by_namespace() {
    let mut msg = Message::new(OpenIdVersion::V2_0);
    assert!(!msg.contains(&Namespace::OpenId, "mode"));
    msg.set_openid("mode", "a");
    msg.set_openid("mode", "b");
    assert_eq!(msg.get_openid("mode"), Some("b"));
    assert_eq!(msg.remove(&Namespace::OpenId, "mode"), Some("b".into()));
    assert_eq!(msg.remove(&Namespace::OpenId, "mode"), None);
    assert_eq!(msg.args_in(&Namespace::OpenId).count(), 0);
}

#[test]
fn url_rendering_sorts_and_appends() {
    let mut msg = Message::new(OpenIdVersion::V2_0);
    msg.set_openid("mode", "checkid_setup");
    msg.set_openid("return_to", "http://rp/?a=b c");
    let ns = "openid.ns=http%3A%2F%2Fspecs.openid.net%2Fauth%2F2.0";
    let rest = "openid.return_to=http%3A%2F%2Frp%2F%3Fa%3Db+c";
    assert_eq!(
        msg.to_url("http://op/"),
        format!("http://op/?openid.mode=checkid_setup&{ns}&{rest}")
    );
    assert_eq!(
        msg.to_url("http://op/?x=1"),
        format!("http://op/?x=1&openid.mode=checkid_setup&{ns}&{rest}")
    );
    assert_eq!(
        msg.to_url("http://op/?"),
        format!("http://op/?openid.mode=checkid_setup&{ns}&{rest}")
    );
    assert_eq!(
        msg.to_url("http://op/#top"),
        format!("http://op/?openid.mode=checkid_setup&{ns}&{rest}#top")
    );
    assert_eq!(Message::new(OpenIdVersion::V1_0).to_url("http://op/"), "http://op/");
}

#[test]
fn query_round_trip_preserves_everything() {
    let mut msg = Message::new(OpenIdVersion::V2_0);
    msg.set_openid("mode", "id_res");
    msg.set_openid("empty", "");
    msg.set(Namespace::extension(SREG), "fullname", "Zoë & Co = 100%");
    msg.set(Namespace::Bare, "state", "x y");
    let back = Message::from_query(&msg.to_query_string()).unwrap();
    assert_eq!(back, msg);
}

#[test]
fn kvform_round_trip_and_prefixing() {
    let msg = Message::from_kvform("ns:http://specs.openid.net/auth/2.0\nassoc_type:HMAC-SHA1\n")
        .unwrap();
    assert_eq!(msg.version(), OpenIdVersion::V2_0);
    assert_eq!(msg.get_openid("assoc_type"), Some("HMAC-SHA1"));
    assert_eq!(
        msg.to_kvform().unwrap(),
        "assoc_type:HMAC-SHA1\nns:http://specs.openid.net/auth/2.0\n"
    );
    assert!(matches!(Message::from_kvform("a:1\na:2\n"), Err(MessageError::DuplicateKey { .. })));
}

#[test]
fn kvform_rendering_refuses_bare_args_and_newlines() {
    let mut msg = Message::new(OpenIdVersion::V2_0);
    msg.set(Namespace::Bare, "x", "1");
    assert_eq!(msg.to_kvform(), Err(MessageError::NotKvEncodable { key: "x".into() }));
    let mut msg = Message::new(OpenIdVersion::V2_0);
    msg.set_openid("error", "two\nlines");
    assert!(matches!(msg.to_kvform(), Err(MessageError::KvEncode(_))));
}

#[test]
fn wire_value_sees_declarations() {
    let mut msg = Message::new(OpenIdVersion::V2_0);
    msg.set(Namespace::extension(SREG), "email", "e");
    assert_eq!(msg.wire_value("openid.ns").as_deref(), Some(OPENID2_NS));
    assert_eq!(msg.wire_value("openid.ns.ext0").as_deref(), Some(SREG));
    assert_eq!(msg.wire_value("openid.ext0.email").as_deref(), Some("e"));
    assert_eq!(msg.wire_value("openid.nope"), None);
}

// See: issue 9, item 7. The derived `Debug` printed an association response's MAC key.
#[test]
fn debug_redacts_mac_keys() {
    let response = "assoc_handle:h1\nmac_key:U0VDUkVUTUFDS0VZ\nenc_mac_key:RU5DUllQVEVES0VZ\n\
                    dh_server_public:cHVibGlj\nexpires_in:3600\n";
    let message = Message::from_kvform(response).unwrap();
    let shown = format!("{message:?}");
    for secret in ["U0VDUkVUTUFDS0VZ", "RU5DUllQVEVES0VZ"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("<16 bytes redacted>"), "{shown}");
    // What is not secret still shows, for debugging.
    assert!(shown.contains("cHVibGlj") && shown.contains("h1"), "{shown}");
    let parsed = kvform::parse(response);
    let shown = format!("{parsed:?}");
    assert!(!shown.contains("U0VDUkVUTUFDS0VZ") && !shown.contains("RU5DUllQVEVES0VZ"), "{shown}");
    assert!(shown.contains("cHVibGlj"), "{shown}");
}

// See: review of issue 9 (item 1's class, in direct responses). 1 MiB of `:\n` from a
// provider (any identifier names one) made 72 MiB of pairs before the duplicate was seen.
#[test]
fn a_kv_form_answer_longer_than_any_response_is_refused() {
    let lines =
        |n: usize| "k:v\n".repeat(n).replacen("k:v", "ns:http://specs.openid.net/auth/2.0", 1);
    assert!(matches!(
        Message::from_kvform(&":\n".repeat(MAX_KV_LINES + 1)),
        Err(MessageError::TooManyLines { limit: MAX_KV_LINES })
    ));
    assert_eq!(
        Message::from_kvform(&"\n".repeat(MAX_KV_LINES + 1)).unwrap_err().to_string(),
        "KV form has more than 1000 lines"
    );
    // At the limit the usual rules apply (here: the same key twice).
    assert!(matches!(
        Message::from_kvform(&lines(MAX_KV_LINES)),
        Err(MessageError::DuplicateKey { .. })
    ));
}
