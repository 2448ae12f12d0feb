//! Each [`Tamper`], visibly applied to the assertion.

use openid_consumer::crypto::{SignatureError, check_signature};
use openid_consumer::message::{Message, Namespace};
use openid_consumer::nonce::ResponseNonce;
use openid_consumer::store::Association;
use openid_testkit::{Provider, Tamper};

use crate::common::{associate, check_authentication, checkid, message, now, run, signed};

/// A provider with `tampering`, an association with it, and the assertion for alice.
fn tampered(tampering: Vec<Tamper>) -> (Provider, Association, Message) {
    let provider = Provider::start().unwrap();
    let association = associate(&provider);
    provider.configure(|b| b.tampering = tampering);
    let assertion = assert_alice(&provider, &association);
    (provider, association, assertion)
}

fn assert_alice(provider: &Provider, association: &Association) -> Message {
    let alice = provider.identity_url("alice");
    let request = checkid(&alice, &[("openid.assoc_handle", association.handle())]);
    message(&run(provider, &request))
}

#[test]
fn bad_signature_does_not_verify() {
    let (_provider, association, assertion) = tampered(vec![Tamper::BadSignature]);
    assert_eq!(assertion.get_openid("mode"), Some("id_res"));
    assert_eq!(check_signature(&assertion, &association), Err(SignatureError::Mismatch));
}

#[test]
fn an_unsigned_field_is_left_out_of_the_signed_list_and_the_rest_verifies() {
    for field in ["claimed_id", "return_to", "op_endpoint", "response_nonce", "assoc_handle"] {
        let (_provider, association, assertion) = tampered(vec![Tamper::Unsigned(field.into())]);
        assert!(assertion.get_openid(field).is_some(), "{field} still sent");
        assert!(!signed(&assertion).iter().any(|f| f == field), "{field} signed");
        check_signature(&assertion, &association).unwrap();
    }
}

#[test]
fn op_endpoint_claims_another_endpoint_signed() {
    let (_provider, association, assertion) =
        tampered(vec![Tamper::OpEndpoint("https://evil.example/op".into())]);
    assert_eq!(assertion.get_openid("op_endpoint"), Some("https://evil.example/op"));
    assert!(signed(&assertion).iter().any(|f| f == "op_endpoint"));
    check_signature(&assertion, &association).unwrap();
}

#[test]
fn replay_nonce_reuses_the_first_nonce_ever_issued() {
    let provider = Provider::start().unwrap();
    let association = associate(&provider);
    let first = assert_alice(&provider, &association);
    provider.configure(|b| b.tampering = vec![Tamper::ReplayNonce]);
    let second = assert_alice(&provider, &association);
    let third = assert_alice(&provider, &association);
    let nonce = first.get_openid("response_nonce").unwrap();
    assert_eq!(second.get_openid("response_nonce"), Some(nonce));
    assert_eq!(third.get_openid("response_nonce"), Some(nonce));
    check_signature(&second, &association).unwrap();
}

#[test]
fn nonce_age_shifts_the_timestamp() {
    let before = now();
    let (_provider, association, old) = tampered(vec![Tamper::NonceAge(-7200)]);
    let after = now();
    let timestamp =
        ResponseNonce::parse(old.get_openid("response_nonce").unwrap()).unwrap().timestamp();
    assert!((before - 7200..=after - 7200).contains(&timestamp), "{timestamp} {before}");
    check_signature(&old, &association).unwrap();
    let (_provider, _, future) = tampered(vec![Tamper::NonceAge(86_400)]);
    let timestamp =
        ResponseNonce::parse(future.get_openid("response_nonce").unwrap()).unwrap().timestamp();
    assert!(timestamp >= before + 86_400);
}

#[test]
fn claimed_id_is_replaced_and_signed() {
    let (_provider, association, assertion) =
        tampered(vec![Tamper::ClaimedId("https://victim.example/".into())]);
    assert_eq!(assertion.get_openid("claimed_id"), Some("https://victim.example/"));
    assert_eq!(assertion.get_openid("identity"), Some("https://victim.example/"));
    check_signature(&assertion, &association).unwrap();
}

#[test]
fn no_identifier_drops_claimed_id_and_identity() {
    let (_provider, association, assertion) = tampered(vec![Tamper::NoIdentifier]);
    assert_eq!(assertion.get_openid("mode"), Some("id_res"));
    assert_eq!(assertion.get_openid("claimed_id"), None);
    assert_eq!(assertion.get_openid("identity"), None);
    check_signature(&assertion, &association).unwrap();
}

#[test]
fn private_association_ignores_the_shared_one_and_invalidates_it() {
    let (provider, association, assertion) = tampered(vec![Tamper::PrivateAssociation]);
    assert_ne!(assertion.get_openid("assoc_handle"), Some(association.handle()));
    assert_eq!(assertion.get_openid("invalidate_handle"), Some(association.handle()));
    assert!(check_signature(&assertion, &association).is_err());
    let answer = check_authentication(&provider, &assertion);
    assert_eq!(answer["is_valid"], "true");
    // The shared association is still known, so the provider does not confirm the drop.
    assert_eq!(answer.get("invalidate_handle"), None);
}

#[test]
fn return_to_is_replaced_but_the_answer_goes_to_the_real_one() {
    let provider = Provider::start().unwrap();
    let association = associate(&provider);
    provider.configure(|b| b.tampering = vec![Tamper::ReturnTo("https://evil.example/".into())]);
    let alice = provider.identity_url("alice");
    let request = checkid(&alice, &[("openid.assoc_handle", association.handle())]);
    let callback = run(&provider, &request);
    assert!(callback.url.starts_with(crate::common::RETURN_TO));
    let assertion = message(&callback);
    assert_eq!(assertion.get_openid("return_to"), Some("https://evil.example/"));
    check_signature(&assertion, &association).unwrap();
}

#[test]
fn openid1_form_downgrades_a_2_0_request() {
    let (_provider, association, assertion) = tampered(vec![Tamper::OpenId1Form]);
    assert!(assertion.is_openid1());
    assert_eq!(assertion.wire_value("openid.ns"), None);
    assert_eq!(assertion.get_openid("claimed_id"), None);
    assert_eq!(assertion.get_openid("response_nonce"), None);
    assert!(assertion.get_openid("identity").is_some());
    check_signature(&assertion, &association).unwrap();
}

#[test]
fn extra_fields_are_added_and_signed() {
    let sreg = "http://openid.net/extensions/sreg/1.1";
    let (_provider, association, assertion) = tampered(vec![Tamper::Extra(vec![
        ("openid.ns.sreg".into(), sreg.into()),
        ("sreg.nickname".into(), "alice".into()),
        ("mode".into(), "id_res".into()),
    ])]);
    assert_eq!(assertion.get(&Namespace::extension(sreg), "nickname"), Some("alice"));
    let signed = signed(&assertion);
    assert!(signed.iter().any(|f| f == "sreg.nickname") && signed.iter().any(|f| f == "ns.sreg"));
    check_signature(&assertion, &association).unwrap();
}

#[test]
fn defects_apply_in_order() {
    let victim = || Tamper::ClaimedId("https://victim.example/".into());
    let (_, _, dropped) = tampered(vec![victim(), Tamper::NoIdentifier]);
    assert_eq!(dropped.get_openid("claimed_id"), None);
    let (_, _, replaced) = tampered(vec![Tamper::NoIdentifier, victim()]);
    assert_eq!(replaced.get_openid("claimed_id"), Some("https://victim.example/"));
}
