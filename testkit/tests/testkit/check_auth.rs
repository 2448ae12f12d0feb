//! `check_authentication`: honest verification of private signatures, once; never of shared
//! ones; `invalidate_handle`; the overrides.

use openid_consumer::message::Message;
use openid_testkit::{CheckAuth, Provider, Tamper};

use crate::common::{associate, check_authentication, checkid, message, post, run};

/// An assertion for alice signed privately (the relying party has no association).
fn stateless_assertion(provider: &Provider) -> Message {
    message(&run(provider, &checkid(&provider.identity_url("alice"), &[])))
}

#[test]
fn a_stateless_assertion_is_valid_once_then_invalid() {
    let provider = Provider::start().unwrap();
    let assertion = stateless_assertion(&provider);
    assert_eq!(assertion.get_openid("invalidate_handle"), None);
    let first = check_authentication(&provider, &assertion);
    assert_eq!(first["is_valid"], "true");
    assert_eq!(first["ns"], "http://specs.openid.net/auth/2.0");
    assert_eq!(check_authentication(&provider, &assertion)["is_valid"], "false");
    // Another assertion is still valid.
    assert_eq!(
        check_authentication(&provider, &stateless_assertion(&provider))["is_valid"],
        "true"
    );
}

#[test]
fn a_changed_assertion_is_invalid() {
    let provider = Provider::start().unwrap();
    let mut assertion = stateless_assertion(&provider);
    assertion.set_openid("claimed_id", "https://victim.example/");
    assert_eq!(check_authentication(&provider, &assertion)["is_valid"], "false");
}

#[test]
fn a_bad_signature_is_invalid() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.tampering = vec![Tamper::BadSignature]);
    assert_eq!(
        check_authentication(&provider, &stateless_assertion(&provider))["is_valid"],
        "false"
    );
}

#[test]
fn a_shared_association_signature_is_never_verified() {
    let provider = Provider::start().unwrap();
    let association = associate(&provider);
    let request =
        checkid(&provider.identity_url("alice"), &[("openid.assoc_handle", association.handle())]);
    let assertion = message(&run(&provider, &request));
    openid_consumer::crypto::check_signature(&assertion, &association).unwrap();
    assert_eq!(check_authentication(&provider, &assertion)["is_valid"], "false");
}

#[test]
fn invalidate_handle_is_confirmed_only_for_unknown_handles() {
    let provider = Provider::start().unwrap();
    let association = associate(&provider);
    let mut assertion = stateless_assertion(&provider);
    assertion.set_openid("invalidate_handle", "{HMAC-SHA1}{0}{gone}");
    let answer = check_authentication(&provider, &assertion);
    assert_eq!(answer["invalidate_handle"], "{HMAC-SHA1}{0}{gone}");
    // Added after signing and not in openid.signed: the signature still verifies.
    assert_eq!(answer["is_valid"], "true");
    let mut assertion = stateless_assertion(&provider);
    assertion.set_openid("invalidate_handle", association.handle());
    assert_eq!(check_authentication(&provider, &assertion).get("invalidate_handle"), None);
}

#[test]
fn an_assertion_for_an_unknown_handle_confirms_the_invalidation() {
    let provider = Provider::start().unwrap();
    let request =
        checkid(&provider.identity_url("alice"), &[("openid.assoc_handle", "{HMAC-SHA1}{0}{x}")]);
    let assertion = message(&run(&provider, &request));
    let answer = check_authentication(&provider, &assertion);
    assert_eq!(answer["is_valid"], "true");
    assert_eq!(answer["invalidate_handle"], "{HMAC-SHA1}{0}{x}");
}

#[test]
fn always_valid_and_always_invalid_override_the_answer() {
    let provider = Provider::start().unwrap();
    let mut forged = stateless_assertion(&provider);
    forged.set_openid("claimed_id", "https://victim.example/");
    provider.configure(|b| b.check_authentication = CheckAuth::AlwaysValid);
    assert_eq!(check_authentication(&provider, &forged)["is_valid"], "true");
    provider.configure(|b| b.check_authentication = CheckAuth::AlwaysInvalid);
    assert_eq!(
        check_authentication(&provider, &stateless_assertion(&provider))["is_valid"],
        "false"
    );
}

#[test]
fn a_request_without_signature_is_a_direct_error() {
    let provider = Provider::start().unwrap();
    let answer = post(
        &provider.endpoint_url(),
        &[
            ("openid.ns", "http://specs.openid.net/auth/2.0"),
            ("openid.mode", "check_authentication"),
            ("openid.assoc_handle", "x"),
        ],
    );
    assert_eq!(answer.status, 400);
    assert!(answer.kv()["error"].contains("openid.sig"));
}
