//! Every way a login can go right, or end without an error of the relying party.

use openid_consumer::crypto::AssociationType;
use openid_consumer::discovery::endpoint::TYPE_SIGNON_1_1;
use openid_consumer::message::Namespace;
use openid_consumer::{FailureReason, Response};
use openid_testkit::browser::Method;
use openid_testkit::{Answer, AssociationBehaviour, Protocol, Provider, Tamper, Transport};

use super::support::{
    REALM, RETURN_TO, Store, failure, finish, login, requests_with_mode, rp, send, start,
    start_with, success,
};

const STORES: [Store; 3] = [Store::Memory, Store::Sqlite, Store::Stateless];

#[test]
fn a_yadis_identity_logs_in_with_every_store() {
    for store in STORES {
        let provider = Provider::start().unwrap();
        let rp = rp(store);
        let alice = provider.identity_url("alice");
        let success = success(login(&rp, &alice));
        assert_eq!(success.claimed_id(), alice, "{store:?}");
        assert_eq!(success.display_identifier(), alice);
        assert_eq!(success.endpoint().server_url(), provider.endpoint_url());
        assert!(success.endpoint().used_yadis(), "{store:?}: found through the XRDS document");
        assert_eq!(success.get_signed(&Namespace::OpenId, "claimed_id"), Some(alice.as_str()));
        let stateless = store == Store::Stateless;
        assert_eq!(requests_with_mode(&provider, "associate").len(), usize::from(!stateless));
        assert_eq!(
            requests_with_mode(&provider, "check_authentication").len(),
            usize::from(stateless)
        );
    }
}

#[test]
fn a_second_login_reuses_the_association() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    for name in ["alice", "bob", "carol"] {
        let identity = provider.identity_url(name);
        assert_eq!(success(login(&rp, &identity)).claimed_id(), identity);
    }
    assert_eq!(requests_with_mode(&provider, "associate").len(), 1);
    assert_eq!(requests_with_mode(&provider, "check_authentication").len(), 0);
    // One association, three nonces.
    assert_eq!(rp.held(), (1, 3));
}

#[test]
fn an_html_only_identity_logs_in() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let bob = provider.html_identity_url("bob");
    let success = success(login(&rp, &bob));
    assert_eq!(success.claimed_id(), bob);
    assert!(!success.endpoint().used_yadis());
}

#[test]
fn an_op_identifier_lets_the_provider_choose_the_identity() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.identifier_select_user = "dave".into());
    let rp = rp(Store::Memory);
    let started = start(&rp, &provider.op_identifier_url());
    assert!(started.request.endpoint().is_op_identifier());
    let success = success(finish(&rp, Some(&started.pending), &started.callback));
    assert_eq!(success.claimed_id(), provider.identity_url("dave"));
    // The provider chose: discovery of the asserted identifier verified it.
    assert_eq!(success.endpoint().claimed_id(), Some(provider.identity_url("dave").as_str()));
}

#[test]
fn a_delegated_identifier_logs_in_as_the_delegating_url() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    let page = format!(
        "<html><head><link rel=\"openid2.provider\" href=\"{}\">\
         <link rel=\"openid2.local_id\" href=\"{alice}\"></head></html>",
        provider.endpoint_url()
    );
    provider.add_page("/blog", "text/html", page);
    let blog = format!("{}/blog", provider.base_url());
    for store in STORES {
        let rp = rp(store);
        let success = success(login(&rp, &blog));
        assert_eq!(success.claimed_id(), blog, "{store:?}");
        assert_eq!(success.endpoint().local_id(), Some(alice.as_str()));
        assert_eq!(success.get_signed(&Namespace::OpenId, "identity"), Some(alice.as_str()));
    }
}

#[test]
fn an_openid_1_1_provider_logs_in_with_sha1_and_the_library_s_own_nonce() {
    for store in STORES {
        let provider = Provider::start().unwrap();
        provider.configure(|b| b.protocol = Protocol::V1Only);
        let rp = rp(store);
        let alice = provider.identity_url("alice");
        let started = start(&rp, &alice);
        assert!(started.request.endpoint().type_uris().iter().any(|t| t == TYPE_SIGNON_1_1));
        let success = success(finish(&rp, Some(&started.pending), &started.callback));
        assert_eq!(success.claimed_id(), alice, "{store:?}");
        assert!(success.signed().message().is_openid1());
        if store != Store::Stateless {
            let associate = &requests_with_mode(&provider, "associate")[0];
            assert_eq!(associate.param("openid.assoc_type").as_deref(), Some("HMAC-SHA1"));
            // The library's return_to nonce was used: the same callback again is a replay.
            let again = finish(&rp, Some(&started.pending), &started.callback);
            assert!(matches!(failure(again), FailureReason::NonceReplayed), "{store:?}");
        }
    }
}

#[test]
fn a_provider_that_refuses_to_associate_gets_a_stateless_login_and_is_not_asked_again() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.association = AssociationBehaviour::Refuse);
    let rp = rp(Store::Memory);
    for name in ["alice", "bob"] {
        let started = start(&rp, &provider.identity_url(name));
        assert_eq!(started.request.association_handle(), None);
        success(finish(&rp, Some(&started.pending), &started.callback));
    }
    assert_eq!(requests_with_mode(&provider, "associate").len(), 1);
    assert_eq!(requests_with_mode(&provider, "check_authentication").len(), 2);
    assert_eq!(rp.held(), (0, 2));
}

#[test]
fn a_sha1_only_provider_gets_the_suggested_association_on_the_second_try() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.association = AssociationBehaviour::Sha1Only);
    let rp = rp(Store::Memory);
    success(login(&rp, &provider.identity_url("alice")));
    let asked: Vec<Option<String>> = requests_with_mode(&provider, "associate")
        .iter()
        .map(|r| r.param("openid.assoc_type"))
        .collect();
    assert_eq!(asked, [Some("HMAC-SHA256".to_owned()), Some("HMAC-SHA1".to_owned())]);
    let store = rp.store.as_ref().unwrap();
    let association = store.get_association(&provider.endpoint_url(), None).unwrap().unwrap();
    assert_eq!(association.assoc_type(), AssociationType::HmacSha1);
}

#[test]
fn a_suggestion_the_preferences_refuse_is_not_followed() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| {
        b.association = AssociationBehaviour::Suggest {
            assoc_type: "HMAC-SHA256".into(),
            session_type: "no-encryption".into(),
        };
    });
    let rp = rp(Store::Memory);
    let started = start(&rp, &provider.identity_url("alice"));
    // no-encryption over http is never used: the login goes stateless.
    assert_eq!(started.request.association_handle(), None);
    assert_eq!(requests_with_mode(&provider, "associate").len(), 1);
    success(finish(&rp, Some(&started.pending), &started.callback));
}

#[test]
fn immediate_mode_gets_setup_needed_in_2_0_and_a_setup_url_in_1_1() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.answer = Answer::SetupNeeded);
    let rp = rp(Store::Memory);
    let started = start_with(&rp, &provider.identity_url("alice"), true);
    let request = &requests_with_mode(&provider, "checkid_immediate");
    assert_eq!(request.len(), 1);
    let response = finish(&rp, Some(&started.pending), &started.callback);
    assert!(matches!(response, Response::SetupNeeded { setup_url: None }), "{response:?}");

    provider.configure(|b| b.protocol = Protocol::V1Only);
    let started = start_with(&rp, &provider.identity_url("bob"), true);
    let response = finish(&rp, Some(&started.pending), &started.callback);
    let Response::SetupNeeded { setup_url: Some(url) } = response else {
        panic!("expected a setup URL, got {response:?}")
    };
    assert!(url.starts_with(&provider.endpoint_url()), "{url}");
}

#[test]
fn immediate_mode_succeeds_when_the_provider_can_answer() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let started = start_with(&rp, &provider.identity_url("alice"), true);
    success(finish(&rp, Some(&started.pending), &started.callback));
}

#[test]
fn cancel_is_a_cancel() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.answer = Answer::Cancel);
    let rp = rp(Store::Memory);
    assert!(matches!(login(&rp, &provider.identity_url("alice")), Response::Cancel));
}

#[test]
fn the_error_mode_is_a_failure_with_the_provider_s_message_contact_and_reference() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| {
        b.answer = Answer::Error {
            message: "account locked".into(),
            contact: Some("admin@op.example".into()),
            reference: Some("ref-42".into()),
        };
    });
    let rp = rp(Store::Memory);
    let reason = failure(login(&rp, &provider.identity_url("alice")));
    let FailureReason::ProviderError { error, contact, reference } = reason else {
        panic!("expected a provider error, got {reason:?}")
    };
    assert_eq!(error, "account locked");
    assert_eq!(contact.as_deref(), Some("admin@op.example"));
    assert_eq!(reference.as_deref(), Some("ref-42"));
}

#[test]
fn a_form_post_callback_logs_in() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.transport = Transport::FormPost);
    for store in STORES {
        let rp = rp(store);
        let started = start(&rp, &provider.identity_url("alice"));
        assert_eq!(started.callback.method, Method::Post);
        success(finish(&rp, Some(&started.pending), &started.callback));
    }
}

#[test]
fn a_get_callback_given_as_decoded_pairs_logs_in() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let started = start(&rp, &provider.identity_url("alice"));
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(started.callback.query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    success(rp.consumer.complete(Some(&started.pending), pairs, &started.callback.url));
}

#[test]
fn a_claimed_id_with_a_fragment_keeps_it_and_displays_without_it() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    let recycled = format!("{alice}#2026");
    provider.configure(|b| {
        b.tampering = vec![Tamper::Extra(vec![("claimed_id".into(), recycled.clone())])];
    });
    let rp = rp(Store::Memory);
    let success = success(login(&rp, &alice));
    assert_eq!(success.claimed_id(), recycled);
    assert_eq!(success.display_identifier(), alice);
}

#[test]
fn an_anonymous_request_gets_an_anonymous_response() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let mut request = rp.consumer.begin(&provider.op_identifier_url()).unwrap();
    request.set_anonymous(true).unwrap();
    let started = send(request, false);
    let asked = &requests_with_mode(&provider, "checkid_setup")[0];
    assert_eq!(asked.param("openid.claimed_id"), None);
    let response = finish(&rp, Some(&started.pending), &started.callback);
    let Response::Anonymous(anonymous) = response else {
        panic!("expected an anonymous response, got {response:?}")
    };
    assert_eq!(anonymous.endpoint().server_url(), provider.endpoint_url());
}

#[test]
fn an_assertion_signed_with_a_private_association_is_confirmed_by_the_provider() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    success(login(&rp, &provider.identity_url("alice")));
    provider.configure(|b| b.tampering = vec![Tamper::PrivateAssociation]);
    success(login(&rp, &provider.identity_url("alice")));
    assert_eq!(requests_with_mode(&provider, "check_authentication").len(), 1);
    // The assertion named the shared handle as invalid, but only the provider's direct
    // answer counts (section 11.4.2.2), and it did not confirm: the association stays.
    assert_eq!(rp.held().0, 1);
}

#[test]
fn a_handle_the_provider_does_not_know_is_dropped_when_it_says_so() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let store = rp.store.as_ref().unwrap();
    let now = openid_consumer::store::Clock::now(&openid_consumer::store::SystemClock);
    let unknown = openid_consumer::store::Association::new(
        "handle-the-provider-forgot",
        vec![9; 32],
        now,
        3_600,
        AssociationType::HmacSha256,
    )
    .unwrap();
    store.store_association(&provider.endpoint_url(), &unknown).unwrap();
    let started = start(&rp, &provider.identity_url("alice"));
    assert_eq!(started.request.association_handle(), Some("handle-the-provider-forgot"));
    success(finish(&rp, Some(&started.pending), &started.callback));
    let check = &requests_with_mode(&provider, "check_authentication")[0];
    assert_eq!(
        check.param("openid.invalidate_handle").as_deref(),
        Some("handle-the-provider-forgot")
    );
    assert_eq!(
        store
            .get_association(&provider.endpoint_url(), Some("handle-the-provider-forgot"))
            .unwrap(),
        None
    );
}

#[test]
fn a_redirect_url_and_a_form_reach_the_same_provider() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let mut request = rp.consumer.begin(&provider.identity_url("alice")).unwrap();
    let form = request.form_markup(REALM, RETURN_TO, false, "f").unwrap();
    let callback = openid_testkit::browser::submit_form(&form).unwrap();
    assert_eq!(requests_with_mode(&provider, "checkid_setup")[0].method, "POST");
    success(finish(&rp, Some(&request.pending()), &callback));
}
