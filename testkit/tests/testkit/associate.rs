//! `associate`: every type combination, decrypted with the consumer's Diffie-Hellman and
//! checked against a signature the provider made; refusals and suggestions.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openid_consumer::crypto::{
    AssociationType, DhError, DiffieHellman, SessionType, check_signature, encode_btwoc_base64,
};
use openid_consumer::message::OPENID2_NS;
use openid_consumer::store::Association;
use openid_testkit::{AssociationBehaviour, Protocol, Provider};

use crate::common::{associate, associate_as, checkid, get, message, now, post, post_with, run};

/// Checks that `association` is the one the provider signs with: an assertion for a request
/// carrying its handle verifies with its key.
fn provider_signs_with(provider: &Provider, association: &Association) {
    let alice = provider.identity_url("alice");
    let request = checkid(&alice, &[("openid.assoc_handle", association.handle())]);
    let assertion = message(&run(provider, &request));
    assert_eq!(assertion.get_openid("assoc_handle"), Some(association.handle()));
    assert_eq!(assertion.get_openid("invalidate_handle"), None);
    check_signature(&assertion, association).unwrap();
}

fn request(assoc_type: &str, session_type: &str, public: &str) -> Vec<(&'static str, String)> {
    vec![
        ("openid.ns", OPENID2_NS.to_owned()),
        ("openid.mode", "associate".to_owned()),
        ("openid.assoc_type", assoc_type.to_owned()),
        ("openid.session_type", session_type.to_owned()),
        ("openid.dh_consumer_public", public.to_owned()),
    ]
}

fn send(
    provider: &Provider,
    form: &[(&'static str, String)],
    https: bool,
) -> crate::common::Answer {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let headers: &[(&str, &str)] = if https { &[("X-Forwarded-Proto", "https")] } else { &[] };
    post_with(&provider.endpoint_url(), &form, headers)
}

#[test]
fn diffie_hellman_associations_of_both_types_decrypt_and_sign() {
    let provider = Provider::start().unwrap();
    for (assoc_type, session) in [
        (AssociationType::HmacSha1, SessionType::DhSha1),
        (AssociationType::HmacSha256, SessionType::DhSha256),
    ] {
        let association = associate_as(&provider, assoc_type, session, false);
        assert_eq!(association.secret().len(), assoc_type.secret_len());
        provider_signs_with(&provider, &association);
    }
}

#[test]
fn no_encryption_over_https_sends_the_key_in_clear() {
    let provider = Provider::start().unwrap();
    for assoc_type in [AssociationType::HmacSha1, AssociationType::HmacSha256] {
        let answer = send(&provider, &request(assoc_type.as_str(), "no-encryption", ""), true);
        assert_eq!(answer.status, 200, "{}", answer.body);
        let kv = answer.kv();
        assert_eq!(kv["session_type"], "no-encryption");
        assert!(!kv.contains_key("enc_mac_key"));
        let secret = STANDARD.decode(&kv["mac_key"]).unwrap();
        let association =
            Association::new(&kv["assoc_handle"], secret, now(), 3600, assoc_type).unwrap();
        provider_signs_with(&provider, &association);
    }
}

#[test]
fn no_encryption_over_http_is_unsupported_with_a_dh_suggestion() {
    let provider = Provider::start().unwrap();
    let answer = send(&provider, &request("HMAC-SHA1", "no-encryption", ""), false);
    assert_eq!(answer.status, 400);
    let kv = answer.kv();
    assert_eq!(kv["ns"], OPENID2_NS);
    assert_eq!(kv["error_code"], "unsupported-type");
    assert_eq!((kv["assoc_type"].as_str(), kv["session_type"].as_str()), ("HMAC-SHA1", "DH-SHA1"));
    assert!(kv["error"].contains("https"), "{}", kv["error"]);
    assert!(provider.issued_handles().is_empty());
}

#[test]
fn the_relying_partys_modulus_and_generator_are_used() {
    let provider = Provider::start().unwrap();
    // 2^127 - 1, a Mersenne prime, and generator 3: not the defaults.
    let modulus = encode_btwoc_base64(&[
        0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff,
    ]);
    let generator = encode_btwoc_base64(&[3]);
    let dh = DiffieHellman::with_params(&modulus, &generator).unwrap();
    let mut form = request("HMAC-SHA256", "DH-SHA256", &dh.public_key_base64());
    form.push(("openid.dh_modulus", modulus));
    form.push(("openid.dh_gen", generator));
    let kv = send(&provider, &form, false).kv();
    let secret = dh
        .xor_secret(
            &kv["dh_server_public"],
            &STANDARD.decode(&kv["enc_mac_key"]).unwrap(),
            SessionType::DhSha256,
        )
        .unwrap();
    let association = Association::new(
        &kv["assoc_handle"],
        secret.as_slice(),
        now(),
        3600,
        AssociationType::HmacSha256,
    )
    .unwrap();
    provider_signs_with(&provider, &association);
}

#[test]
fn openid1_requests_get_openid1_answers() {
    let provider = Provider::start().unwrap();
    let association = associate_as(&provider, AssociationType::HmacSha1, SessionType::DhSha1, true);
    provider_signs_with(&provider, &association);
    let dh = DiffieHellman::new().unwrap();
    let answer = post(
        &provider.endpoint_url(),
        &[
            ("openid.mode", "associate"),
            ("openid.assoc_type", "HMAC-SHA1"),
            ("openid.session_type", "DH-SHA1"),
            ("openid.dh_consumer_public", &dh.public_key_base64()),
        ],
    );
    assert!(!answer.kv().contains_key("ns"), "{}", answer.body);
    // OpenID 1.1 defaults: HMAC-SHA1, and no session_type means no-encryption (over https).
    let answer = post_with(
        &provider.endpoint_url(),
        &[("openid.mode", "associate")],
        &[("X-Forwarded-Proto", "https")],
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let kv = answer.kv();
    assert_eq!(kv["assoc_type"], "HMAC-SHA1");
    assert_eq!(kv.get("session_type"), None);
    assert_eq!(STANDARD.decode(&kv["mac_key"]).unwrap().len(), 20);
}

#[test]
fn unknown_or_mismatched_types_get_a_suggestion_that_works() {
    let provider = Provider::start().unwrap();
    let public = DiffieHellman::new().unwrap().public_key_base64();
    for (assoc_type, session, expected) in [
        ("HMAC-SHA512", "DH-SHA512", ("HMAC-SHA256", "DH-SHA256")),
        ("HMAC-SHA1", "DH-SHA256", ("HMAC-SHA256", "DH-SHA256")),
        ("HMAC-SHA256", "DH-SHA1", ("HMAC-SHA1", "DH-SHA1")),
        ("HMAC-SHA1", "DH-SHA512", ("HMAC-SHA1", "DH-SHA1")),
    ] {
        let answer = send(&provider, &request(assoc_type, session, &public), false);
        assert_eq!(answer.status, 400, "{assoc_type} {session}");
        let kv = answer.kv();
        assert_eq!(kv["error_code"], "unsupported-type");
        let suggestion = (kv["assoc_type"].as_str(), kv["session_type"].as_str());
        assert_eq!(suggestion, expected, "{assoc_type} {session}");
        let retry = send(&provider, &request(suggestion.0, suggestion.1, &public), false);
        assert_eq!(retry.status, 200, "{}", retry.body);
    }
}

#[test]
fn sha1_only_refuses_sha256_and_suggests_sha1() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.association = AssociationBehaviour::Sha1Only);
    let public = DiffieHellman::new().unwrap().public_key_base64();
    let kv = send(&provider, &request("HMAC-SHA256", "DH-SHA256", &public), false).kv();
    assert_eq!(kv["error_code"], "unsupported-type");
    assert_eq!((kv["assoc_type"].as_str(), kv["session_type"].as_str()), ("HMAC-SHA1", "DH-SHA1"));
    let association =
        associate_as(&provider, AssociationType::HmacSha1, SessionType::DhSha1, false);
    provider_signs_with(&provider, &association);
}

#[test]
fn v1_only_providers_do_not_offer_sha256() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.protocol = Protocol::V1Only);
    let public = DiffieHellman::new().unwrap().public_key_base64();
    let kv = send(&provider, &request("HMAC-SHA256", "DH-SHA256", &public), false).kv();
    assert_eq!(kv.get("ns"), None);
    assert_eq!((kv["assoc_type"].as_str(), kv["session_type"].as_str()), ("HMAC-SHA1", "DH-SHA1"));
}

#[test]
fn refuse_answers_an_error_without_suggestion() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.association = AssociationBehaviour::Refuse);
    let public = DiffieHellman::new().unwrap().public_key_base64();
    let answer = send(&provider, &request("HMAC-SHA256", "DH-SHA256", &public), false);
    assert_eq!(answer.status, 400);
    let kv = answer.kv();
    assert!(kv.contains_key("error"));
    for absent in ["error_code", "assoc_type", "session_type", "assoc_handle"] {
        assert!(!kv.contains_key(absent), "{absent} in {}", answer.body);
    }
}

#[test]
fn suggest_answers_exactly_the_configured_suggestion() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| {
        b.association = AssociationBehaviour::Suggest {
            assoc_type: "HMAC-MD5".into(),
            session_type: "DH-SHA256".into(),
        };
    });
    let public = DiffieHellman::new().unwrap().public_key_base64();
    for (assoc_type, session) in [("HMAC-SHA256", "DH-SHA256"), ("HMAC-SHA1", "DH-SHA1")] {
        let kv = send(&provider, &request(assoc_type, session, &public), false).kv();
        assert_eq!(kv["error_code"], "unsupported-type");
        assert_eq!(kv["assoc_type"], "HMAC-MD5");
        assert_eq!(kv["session_type"], "DH-SHA256");
    }
}

#[test]
fn bad_dh_public_key_is_out_of_range_for_the_relying_party() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.association = AssociationBehaviour::BadDhPublicKey);
    let dh = DiffieHellman::new().unwrap();
    let kv =
        send(&provider, &request("HMAC-SHA256", "DH-SHA256", &dh.public_key_base64()), false).kv();
    assert_eq!(kv["dh_server_public"], encode_btwoc_base64(&[1]));
    let encrypted = STANDARD.decode(&kv["enc_mac_key"]).unwrap();
    assert_eq!(
        dh.xor_secret(&kv["dh_server_public"], &encrypted, SessionType::DhSha256),
        Err(DhError::PublicKeyOutOfRange)
    );
}

#[test]
fn plaintext_sends_the_key_in_clear_whatever_was_asked() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.association = AssociationBehaviour::Plaintext);
    let public = DiffieHellman::new().unwrap().public_key_base64();
    let answer = send(&provider, &request("HMAC-SHA256", "DH-SHA256", &public), false);
    assert_eq!(answer.status, 200);
    let kv = answer.kv();
    assert_eq!(kv["session_type"], "no-encryption");
    assert_eq!(STANDARD.decode(&kv["mac_key"]).unwrap().len(), 32);
    assert!(!kv.contains_key("enc_mac_key") && !kv.contains_key("dh_server_public"));
}

#[test]
fn issued_handles_and_lifetime_are_reported() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.association_lifetime = std::time::Duration::from_secs(60));
    let first = associate(&provider);
    let second = associate(&provider);
    assert_eq!(provider.issued_handles(), [first.handle(), second.handle()]);
    assert_eq!(first.lifetime(), 60);
    assert_ne!(first.secret(), second.secret());
    assert!(first.handle().bytes().all(|b| (33..=126).contains(&b)));
}

#[test]
fn default_lifetime_is_two_weeks() {
    let provider = Provider::start().unwrap();
    assert_eq!(associate(&provider).lifetime(), 1_209_600);
}

#[test]
fn malformed_association_requests_are_direct_errors() {
    let provider = Provider::start().unwrap();
    let public = DiffieHellman::new().unwrap().public_key_base64();
    let mut no_session = request("HMAC-SHA256", "DH-SHA256", &public);
    no_session.retain(|(k, _)| *k != "openid.session_type");
    let mut no_public = request("HMAC-SHA256", "DH-SHA256", &public);
    no_public.retain(|(k, _)| *k != "openid.dh_consumer_public");
    let mut no_type = request("HMAC-SHA256", "DH-SHA256", &public);
    no_type.retain(|(k, _)| *k != "openid.assoc_type");
    let mut bad_modulus = request("HMAC-SHA256", "DH-SHA256", &public);
    bad_modulus.push(("openid.dh_modulus", "Cw==".to_owned()));
    for (form, expected) in [
        (no_session, "session_type"),
        (no_public, "dh_consumer_public"),
        (no_type, "assoc_type"),
        (request("HMAC-SHA256", "DH-SHA256", "AQ=="), "dh_consumer_public"),
        (request("HMAC-SHA256", "DH-SHA256", "!!"), "dh_consumer_public"),
        (bad_modulus, "modulus"),
    ] {
        let answer = send(&provider, &form, false);
        assert_eq!(answer.status, 400, "{expected}");
        let kv = answer.kv();
        assert!(kv["error"].contains(expected), "{expected}: {}", kv["error"]);
        assert!(!kv.contains_key("error_code"));
    }
    assert!(provider.issued_handles().is_empty());
}

#[test]
fn associate_over_get_is_refused() {
    let provider = Provider::start().unwrap();
    let answer = get(&format!(
        "{}?openid.ns={OPENID2_NS}&openid.mode=associate&openid.assoc_type=HMAC-SHA1\
         &openid.session_type=no-encryption",
        provider.endpoint_url()
    ));
    assert_eq!(answer.status, 400);
    assert!(answer.kv()["error"].contains("POST"));
}
