//! `checkid_setup` / `checkid_immediate`: assertions, transports, identifier selection,
//! delegation, OpenID 1.x answers, cancel, setup needed, errors, invalid requests.

use std::fmt::Write as _;

use openid_consumer::crypto::{AssociationType, SessionType, check_signature};
use openid_consumer::message::{Message, Namespace, OPENID2_NS};
use openid_consumer::nonce::ResponseNonce;
use openid_testkit::browser::{self, Method};
use openid_testkit::{Answer, IDENTIFIER_SELECT, Protocol, Provider, Transport};

use crate::common::{
    REALM, RETURN_TO, associate, associate_as, check_authentication, checkid, get, message, now,
    run, signed,
};

#[test]
fn a_setup_request_is_answered_with_a_redirect_whose_assertion_verifies() {
    let provider = Provider::start().unwrap();
    let association = associate(&provider);
    let alice = provider.identity_url("alice");
    let request = checkid(&alice, &[("openid.assoc_handle", association.handle())]);
    let answer = get(&request.to_url(&provider.endpoint_url()));
    assert_eq!(answer.status, 302);
    let location = answer.header("location").unwrap();
    // The relying party's own query argument stays, the assertion is appended.
    assert!(location.starts_with("http://rp.example/return?session=42&openid."), "{location}");
    let (_, query) = location.split_once('?').unwrap();
    let assertion = Message::from_query(query).unwrap();
    assert_eq!(assertion.get(&Namespace::Bare, "session"), Some("42"));
    assert_eq!(assertion.wire_value("openid.ns").as_deref(), Some(OPENID2_NS));
    assert_eq!(assertion.get_openid("mode"), Some("id_res"));
    assert_eq!(assertion.get_openid("op_endpoint"), Some(provider.endpoint_url().as_str()));
    assert_eq!(assertion.get_openid("claimed_id"), Some(alice.as_str()));
    assert_eq!(assertion.get_openid("identity"), Some(alice.as_str()));
    assert_eq!(assertion.get_openid("return_to"), Some(RETURN_TO));
    assert_eq!(assertion.get_openid("assoc_handle"), Some(association.handle()));
    let nonce = ResponseNonce::parse(assertion.get_openid("response_nonce").unwrap()).unwrap();
    assert!((nonce.timestamp() - now()).abs() < 3600);
    let signed = signed(&assertion);
    for field in
        ["op_endpoint", "return_to", "response_nonce", "assoc_handle", "claimed_id", "identity"]
    {
        assert!(signed.iter().any(|s| s == field), "{field} not signed: {signed:?}");
    }
    check_signature(&assertion, &association).unwrap();
}

#[test]
fn each_assertion_has_a_fresh_nonce() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    let first = message(&run(&provider, &checkid(&alice, &[])));
    let second = message(&run(&provider, &checkid(&alice, &[])));
    let (first, second) =
        (first.get_openid("response_nonce").unwrap(), second.get_openid("response_nonce").unwrap());
    assert_ne!(first, second);
    // A random salt as a provider's, then the counter that makes it unique here: the
    // random part differs too (the counter alone would hide a constant one).
    let random = |nonce: &str| -> String {
        let salt = ResponseNonce::parse(nonce).unwrap().salt().to_owned();
        salt.rsplit_once('-').unwrap().0.to_owned()
    };
    assert_eq!(random(first).len(), 6, "{first}");
    assert_ne!(random(first), random(second), "{first} {second}");
}

#[test]
fn form_post_transport_becomes_a_post_callback_that_verifies() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.transport = Transport::FormPost);
    let association = associate(&provider);
    let alice = provider.identity_url("alice");
    let request = checkid(&alice, &[("openid.assoc_handle", association.handle())]);
    let page = get(&request.to_url(&provider.endpoint_url()));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("document.forms[0].submit()"));
    let callback = run(&provider, &request);
    assert_eq!(callback.method, Method::Post);
    assert_eq!(callback.url, RETURN_TO);
    let assertion = message(&callback);
    assert_eq!(assertion.get_openid("return_to"), Some(RETURN_TO));
    assert_eq!(assertion.get(&Namespace::Bare, "session"), None);
    check_signature(&assertion, &association).unwrap();
}

#[test]
fn auto_transport_posts_only_answers_too_long_for_a_url() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    let short = run(&provider, &checkid(&alice, &[]));
    assert_eq!(short.method, Method::Get);
    let long_return_to = format!("{RETURN_TO}&pad={}", "p".repeat(1500));
    let long = checkid(&alice, &[("openid.return_to", &long_return_to)]);
    let callback = run(&provider, &long);
    assert_eq!(callback.method, Method::Post);
    assert_eq!(callback.url, long_return_to);
    provider.configure(|b| b.transport = Transport::Redirect);
    let callback = run(&provider, &long);
    assert_eq!(callback.method, Method::Get);
    assert!(callback.url.len() > 2047);
}

#[test]
fn identifier_select_asserts_the_configured_user() {
    let provider = Provider::start().unwrap();
    let select = [("openid.claimed_id", IDENTIFIER_SELECT), ("openid.identity", IDENTIFIER_SELECT)];
    let assertion = message(&run(&provider, &checkid(IDENTIFIER_SELECT, &select)));
    let alice = provider.identity_url("alice");
    assert_eq!(assertion.get_openid("claimed_id"), Some(alice.as_str()));
    assert_eq!(assertion.get_openid("identity"), Some(alice.as_str()));
    provider.configure(|b| b.identifier_select_user = "carol".into());
    let assertion = message(&run(&provider, &checkid(IDENTIFIER_SELECT, &select)));
    let carol = provider.identity_url("carol");
    assert_eq!(assertion.get_openid("claimed_id"), Some(carol.as_str()));
    assert_eq!(assertion.get_openid("identity"), Some(carol.as_str()));
}

#[test]
fn delegation_asserts_the_claimed_id_with_the_local_identity() {
    let provider = Provider::start().unwrap();
    let association = associate(&provider);
    let alice = provider.identity_url("alice");
    let claimed = "https://bob.example/";
    let request = checkid(
        &alice,
        &[("openid.claimed_id", claimed), ("openid.assoc_handle", association.handle())],
    );
    let assertion = message(&run(&provider, &request));
    assert_eq!(assertion.get_openid("claimed_id"), Some(claimed));
    assert_eq!(assertion.get_openid("identity"), Some(alice.as_str()));
    check_signature(&assertion, &association).unwrap();
}

#[test]
fn identities_of_this_provider_under_localhost_and_html_are_asserted() {
    let provider = Provider::start().unwrap();
    let localhost = provider.identity_url("alice").replace("127.0.0.1", "localhost");
    for identity in [localhost, provider.html_identity_url("alice")] {
        let assertion = message(&run(&provider, &checkid(&identity, &[])));
        assert_eq!(assertion.get_openid("mode"), Some("id_res"), "{identity}");
        assert_eq!(assertion.get_openid("identity"), Some(identity.as_str()));
    }
}

#[test]
fn an_identity_of_another_provider_gets_an_error() {
    let provider = Provider::start().unwrap();
    let other = Provider::start().unwrap();
    for identity in [
        "https://elsewhere.example/id/alice".to_owned(),
        other.identity_url("alice"),
        format!("{}/op", provider.base_url()),
        format!("{}?x=1", provider.identity_url("alice")),
    ] {
        let answer = message(&run(&provider, &checkid(&identity, &[])));
        assert_eq!(answer.get_openid("mode"), Some("error"), "{identity}");
        assert!(answer.get_openid("error").unwrap().contains("not an identifier"));
    }
}

#[test]
fn an_immediate_request_is_asserted() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    let request = checkid(&alice, &[("openid.mode", "checkid_immediate")]);
    assert_eq!(message(&run(&provider, &request)).get_openid("mode"), Some("id_res"));
}

#[test]
fn a_request_without_identifier_gets_an_assertion_without_identifier() {
    let provider = Provider::start().unwrap();
    let request = checkid("", &[("openid.claimed_id", ""), ("openid.identity", "")]);
    let assertion = message(&run(&provider, &request));
    assert_eq!(assertion.get_openid("mode"), Some("id_res"));
    assert_eq!(assertion.get_openid("claimed_id"), None);
    assert_eq!(assertion.get_openid("identity"), None);
}

#[test]
fn v1_only_answers_in_openid1_form() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.protocol = Protocol::V1Only);
    let association = associate_as(&provider, AssociationType::HmacSha1, SessionType::DhSha1, true);
    let alice = provider.identity_url("alice");
    let request = checkid(&alice, &[("openid.assoc_handle", association.handle())]);
    let assertion = message(&run(&provider, &request));
    assert!(assertion.is_openid1());
    assert_eq!(assertion.wire_value("openid.ns"), None);
    for absent in ["claimed_id", "op_endpoint", "response_nonce"] {
        assert_eq!(assertion.get_openid(absent), None, "{absent}");
    }
    assert_eq!(assertion.get_openid("mode"), Some("id_res"));
    assert_eq!(assertion.get_openid("identity"), Some(alice.as_str()));
    check_signature(&assertion, &association).unwrap();
}

#[test]
fn openid1_requests_get_openid1_answers_from_a_2_0_provider() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    let request = Message::from_pairs([
        ("openid.mode", "checkid_setup"),
        ("openid.identity", alice.as_str()),
        ("openid.return_to", RETURN_TO),
        ("openid.trust_root", REALM),
    ])
    .unwrap();
    let assertion = message(&run(&provider, &request));
    assert!(assertion.is_openid1());
    assert_eq!(assertion.get_openid("identity"), Some(alice.as_str()));
    // Signed privately with HMAC-SHA1, and the provider vouches for it.
    assert_eq!(check_authentication(&provider, &assertion)["is_valid"], "true");
}

#[test]
fn cancel_is_sent_to_the_return_to() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.answer = Answer::Cancel);
    let alice = provider.identity_url("alice");
    for mode in ["checkid_setup", "checkid_immediate"] {
        let callback = run(&provider, &checkid(&alice, &[("openid.mode", mode)]));
        assert!(callback.url.starts_with(RETURN_TO));
        let answer = message(&callback);
        assert_eq!(answer.get_openid("mode"), Some("cancel"));
        assert_eq!(answer.get_openid("sig"), None);
    }
}

#[test]
fn setup_needed_answers_immediate_requests_and_cancels_setup_requests() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.answer = Answer::SetupNeeded);
    let alice = provider.identity_url("alice");
    let immediate = checkid(&alice, &[("openid.mode", "checkid_immediate")]);
    assert_eq!(message(&run(&provider, &immediate)).get_openid("mode"), Some("setup_needed"));
    let setup = checkid(&alice, &[]);
    assert_eq!(message(&run(&provider, &setup)).get_openid("mode"), Some("cancel"));
}

#[test]
fn setup_needed_in_openid1_is_id_res_with_a_setup_url() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| {
        b.answer = Answer::SetupNeeded;
        b.protocol = Protocol::V1Only;
    });
    let alice = provider.identity_url("alice");
    let immediate = checkid(&alice, &[("openid.mode", "checkid_immediate")]);
    let answer = message(&run(&provider, &immediate));
    assert_eq!(answer.get_openid("mode"), Some("id_res"));
    let setup_url = answer.get_openid("user_setup_url").unwrap();
    assert!(setup_url.starts_with(&provider.endpoint_url()));
    // The setup URL is the same request in setup mode: following it logs alice in.
    provider.configure(|b| b.answer = Answer::Assert);
    let assertion = message(&browser::follow(setup_url).unwrap());
    assert_eq!(assertion.get_openid("mode"), Some("id_res"));
    assert_eq!(assertion.get_openid("identity"), Some(alice.as_str()));
}

#[test]
fn error_answers_carry_contact_and_reference() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| {
        b.answer = Answer::Error {
            message: "server on fire".into(),
            contact: Some("admin@op.example".into()),
            reference: Some("ref-7".into()),
        };
    });
    let answer = message(&run(&provider, &checkid(&provider.identity_url("alice"), &[])));
    assert_eq!(answer.get_openid("mode"), Some("error"));
    assert_eq!(answer.get_openid("error"), Some("server on fire"));
    assert_eq!(answer.get_openid("contact"), Some("admin@op.example"));
    assert_eq!(answer.get_openid("reference"), Some("ref-7"));
}

#[test]
fn a_return_to_outside_the_realm_gets_an_error_there() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    for realm in ["http://other.example/", "https://rp.example/", "not a realm"] {
        let callback = run(&provider, &checkid(&alice, &[("openid.realm", realm)]));
        assert!(callback.url.starts_with(RETURN_TO), "{realm}");
        let answer = message(&callback);
        assert_eq!(answer.get_openid("mode"), Some("error"), "{realm}");
        assert!(answer.get_openid("error").unwrap().contains("realm"), "{realm}");
    }
    let wildcard = run(&provider, &checkid(&alice, &[("openid.realm", "http://*.example/")]));
    assert_eq!(message(&wildcard).get_openid("mode"), Some("id_res"));
}

#[test]
fn a_request_without_usable_return_to_gets_an_error_page() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    for return_to in ["", "ftp://rp.example/", "/relative", "http://rp.example/a b"] {
        let request = checkid(&alice, &[("openid.return_to", return_to)]);
        let answer = get(&request.to_url(&provider.endpoint_url()));
        assert_eq!(answer.status, 400, "{return_to:?}");
        assert!(answer.content_type().starts_with("text/html"));
        assert!(answer.body.contains("return_to"));
    }
}

#[test]
fn claimed_id_without_identity_gets_an_error() {
    let provider = Provider::start().unwrap();
    let request = checkid(&provider.identity_url("alice"), &[("openid.identity", "")]);
    let answer = message(&run(&provider, &request));
    assert_eq!(answer.get_openid("mode"), Some("error"));
    assert!(answer.get_openid("error").unwrap().contains("both present or both absent"));
}

#[test]
fn an_unknown_handle_gets_a_private_signature_and_is_invalidated() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    let request = checkid(&alice, &[("openid.assoc_handle", "{HMAC-SHA256}{0}{unknown}")]);
    let assertion = message(&run(&provider, &request));
    assert_eq!(assertion.get_openid("invalidate_handle"), Some("{HMAC-SHA256}{0}{unknown}"));
    assert_ne!(assertion.get_openid("assoc_handle"), Some("{HMAC-SHA256}{0}{unknown}"));
    assert!(signed(&assertion).iter().any(|f| f == "invalidate_handle"));
    assert_eq!(check_authentication(&provider, &assertion)["is_valid"], "true");
}

#[test]
fn an_expired_association_is_no_longer_used_and_is_invalidated() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.association_lifetime = std::time::Duration::ZERO);
    let association = associate(&provider);
    assert_eq!(association.lifetime(), 0);
    let alice = provider.identity_url("alice");
    let request = checkid(&alice, &[("openid.assoc_handle", association.handle())]);
    let assertion = message(&run(&provider, &request));
    assert_eq!(assertion.get_openid("invalidate_handle"), Some(association.handle()));
    assert!(check_signature(&assertion, &association).is_err());
}

#[test]
fn requests_can_be_posted_by_the_browser() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    let request = checkid(&alice, &[]);
    let mut form = format!("<form method=\"post\" action=\"{}\">", provider.endpoint_url());
    for (key, value) in request.to_form_pairs() {
        write!(form, "<input type=\"hidden\" name=\"{key}\" value=\"{value}\">").unwrap();
    }
    form.push_str("</form>");
    let callback = browser::submit_form(&form).unwrap();
    assert_eq!(message(&callback).get_openid("mode"), Some("id_res"));
    let log = provider.requests();
    assert_eq!(log.last().unwrap().method, "POST");
    assert_eq!(log.last().unwrap().mode.as_deref(), Some("checkid_setup"));
}
