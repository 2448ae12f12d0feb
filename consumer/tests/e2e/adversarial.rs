//! Every attack the login flow must refuse: each ends in the failure that names the check,
//! with nothing stored that should not be, and no request to anyone after a bad signature.

use std::sync::Arc;

use openid_consumer::associate::{AssociateError, AssociationPreferences, EndpointKind, associate};
use openid_consumer::consumer::{DiscoveredField, UrlPart};
use openid_consumer::crypto::{DhError, SignatureError};
use openid_consumer::fetch::UreqFetcher;
use openid_consumer::message::MessageError;
use openid_consumer::nonce::SKEW;
use openid_consumer::store::{Association, ManualClock, OpenIdStore, StoreError};
use openid_consumer::{Consumer, FailureReason, Response};
use openid_testkit::{AssociationBehaviour, Protocol, Provider, Tamper};

use super::support::{
    Store, failure, finish, policy, replace_arg, requests_with_mode, rp, rp_with, rp_with_clock,
    start, with_query,
};

/// A login at `provider` for alice, with the provider tampering with its assertion.
fn tampered(provider: &Provider, tamper: Tamper) -> (super::support::Rp, FailureReason) {
    provider.configure(|b| b.tampering = vec![tamper]);
    let rp = rp(Store::Memory);
    let started = start(&rp, &provider.identity_url("alice"));
    provider.clear_requests();
    let reason = failure(finish(&rp, Some(&started.pending), &started.callback));
    (rp, reason)
}

#[test]
fn a_forged_signature_fails_without_any_request() {
    let provider = Provider::start().unwrap();
    let (rp, reason) = tampered(&provider, Tamper::BadSignature);
    assert!(matches!(reason, FailureReason::BadSignature(SignatureError::Mismatch)), "{reason:?}");
    assert!(provider.requests().is_empty(), "{:?}", provider.requests());
    assert_eq!(rp.held(), (1, 0), "no nonce is recorded");
}

#[test]
fn a_claimed_id_changed_in_transit_breaks_the_signature() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let started = start(&rp, &provider.identity_url("alice"));
    provider.clear_requests();
    let query =
        replace_arg(&started.callback.query, "openid.claimed_id", &provider.identity_url("bob"));
    let query = replace_arg(&query, "openid.identity", &provider.identity_url("bob"));
    let response = rp.consumer.complete(
        Some(&started.pending),
        query.as_str(),
        &with_query(&started.callback, &query),
    );
    assert!(matches!(failure(response), FailureReason::BadSignature(_)));
    assert!(provider.requests().is_empty());
}

#[test]
fn every_field_that_must_be_signed_is_required_in_the_signed_list() {
    for field in
        ["claimed_id", "identity", "return_to", "op_endpoint", "response_nonce", "assoc_handle"]
    {
        let provider = Provider::start().unwrap();
        let (rp, reason) = tampered(&provider, Tamper::Unsigned(field.into()));
        assert!(
            matches!(&reason, FailureReason::UnsignedField { field: f } if f == field),
            "{field}: {reason:?}"
        );
        assert!(provider.requests().is_empty(), "{field}");
        assert_eq!(rp.held().1, 0, "{field}");
    }
    // OpenID 1: return_to and identity.
    for field in ["return_to", "identity"] {
        let provider = Provider::start().unwrap();
        provider.configure(|b| b.protocol = Protocol::V1Only);
        let (_, reason) = tampered(&provider, Tamper::Unsigned(field.into()));
        assert!(
            matches!(&reason, FailureReason::UnsignedField { field: f } if f == field),
            "{reason:?}"
        );
    }
}

#[test]
fn a_changed_op_endpoint_is_never_asked_to_confirm() {
    let provider = Provider::start().unwrap();
    let evil = Provider::start().unwrap();
    let (_, reason) = tampered(&provider, Tamper::OpEndpoint(evil.endpoint_url()));
    assert!(matches!(reason, FailureReason::UnverifiedEndpoint { .. }), "{reason:?}");
    assert!(evil.requests().is_empty());
    assert!(provider.requests().is_empty());
}

#[test]
fn a_claimed_id_that_delegates_to_someone_else_is_refused_by_discovery() {
    let provider = Provider::start().unwrap();
    // The victim's page delegates to the victim's account at the provider.
    let page = format!(
        "<html><head><link rel=\"openid2.provider\" href=\"{}\">\
         <link rel=\"openid2.local_id\" href=\"{}\"></head></html>",
        provider.endpoint_url(),
        provider.identity_url("victim")
    );
    provider.add_page("/victim", "text/html", page);
    let victim_page = format!("{}/victim", provider.base_url());
    // The attacker, logged in at the provider as themself, has it assert the victim's page.
    provider.configure(|b| {
        b.tampering = vec![Tamper::Extra(vec![("claimed_id".into(), victim_page.clone())])];
    });
    let rp = rp(Store::Memory);
    let started = start(&rp, &provider.identity_url("attacker"));
    let reason = failure(finish(&rp, Some(&started.pending), &started.callback));
    let FailureReason::DiscoveryMismatch { field, expected, got } = reason else {
        panic!("expected a discovery mismatch, got {reason:?}")
    };
    assert_eq!(field, DiscoveredField::LocalId);
    assert_eq!(expected, provider.identity_url("victim"));
    assert_eq!(got, provider.identity_url("attacker"));
}

#[test]
fn an_identifier_less_assertion_is_not_a_login() {
    let provider = Provider::start().unwrap();
    let (_, reason) = tampered(&provider, Tamper::NoIdentifier);
    assert!(matches!(reason, FailureReason::NoIdentifier), "{reason:?}");
}

#[test]
fn a_replayed_assertion_is_refused_with_a_store_and_without_one() {
    let provider = Provider::start().unwrap();
    for store in [Store::Memory, Store::Sqlite] {
        let rp = rp(store);
        let started = start(&rp, &provider.identity_url("alice"));
        super::support::success(finish(&rp, Some(&started.pending), &started.callback));
        let again = finish(&rp, Some(&started.pending), &started.callback);
        assert!(matches!(failure(again), FailureReason::NonceReplayed), "{store:?}");
    }
    // Stateless: the provider verifies each assertion once.
    let rp = rp(Store::Stateless);
    let started = start(&rp, &provider.identity_url("alice"));
    super::support::success(finish(&rp, Some(&started.pending), &started.callback));
    let again = finish(&rp, Some(&started.pending), &started.callback);
    assert!(matches!(failure(again), FailureReason::SignatureNotConfirmed));
}

#[test]
fn a_provider_that_replays_its_nonce_is_caught() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.tampering = vec![Tamper::ReplayNonce]);
    let rp = rp(Store::Memory);
    super::support::success(super::support::login(&rp, &provider.identity_url("alice")));
    let reason = failure(super::support::login(&rp, &provider.identity_url("alice")));
    assert!(matches!(reason, FailureReason::NonceReplayed), "{reason:?}");
}

#[test]
fn nonces_too_old_and_too_new_are_refused() {
    for offset in [-SKEW - 60, SKEW + 60] {
        let provider = Provider::start().unwrap();
        let (rp, reason) = tampered(&provider, Tamper::NonceAge(offset));
        assert!(matches!(reason, FailureReason::NonceOutOfRange { .. }), "{offset}: {reason:?}");
        assert_eq!(rp.held().1, 0);
    }
}

#[test]
fn return_to_must_be_where_the_browser_came_back_to() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let started = start(&rp, &provider.identity_url("alice"));
    let query = &started.callback.query;
    for (url, part) in [
        ("https://rp.example/return", UrlPart::Scheme),
        ("http://other.example/return", UrlPart::Host),
        ("http://rp.example:8080/return", UrlPart::Port),
        ("http://rp.example/elsewhere", UrlPart::Path),
    ] {
        let response =
            rp.consumer.complete(Some(&started.pending), query.as_str(), &format!("{url}?{query}"));
        let reason = failure(response);
        assert!(
            matches!(&reason, FailureReason::ReturnToMismatch { part: p, .. } if *p == part),
            "{url}: {reason:?}"
        );
    }
    // The same URL, written differently, is the same URL.
    let response = rp.consumer.complete(
        Some(&started.pending),
        query.as_str(),
        &format!("HTTP://RP.example:80/./return?{query}"),
    );
    super::support::success(response);
}

#[test]
fn return_to_arguments_must_all_be_there_and_nothing_else() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let started = start(&rp, &provider.identity_url("alice"));
    let changed = replace_arg(&started.callback.query, "session", "s2");
    let reason = failure(rp.consumer.complete(
        Some(&started.pending),
        changed.as_str(),
        &with_query(&started.callback, &changed),
    ));
    assert!(
        matches!(&reason, FailureReason::ReturnToArgument { name, expected: Some(e), got: Some(g) } if name == "session" && e == "s1" && g == "s2"),
        "{reason:?}"
    );
    let extra = format!("{}&admin=1", started.callback.query);
    let reason = failure(rp.consumer.complete(
        Some(&started.pending),
        extra.as_str(),
        &with_query(&started.callback, &extra),
    ));
    assert!(
        matches!(&reason, FailureReason::ReturnToArgument { name, expected: None, .. } if name == "admin"),
        "{reason:?}"
    );
    let missing: String = started
        .callback
        .query
        .split('&')
        .filter(|pair| !pair.starts_with("session="))
        .collect::<Vec<_>>()
        .join("&");
    let reason = failure(rp.consumer.complete(
        Some(&started.pending),
        missing.as_str(),
        &with_query(&started.callback, &missing),
    ));
    assert!(matches!(&reason, FailureReason::ReturnToArgument { got: None, .. }), "{reason:?}");
}

#[test]
fn duplicated_parameters_are_refused() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let started = start(&rp, &provider.identity_url("alice"));
    let doubled =
        format!("{}&openid.claimed_id=http%3A%2F%2Fevil.example%2F", started.callback.query);
    let reason = failure(rp.consumer.complete(
        Some(&started.pending),
        doubled.as_str(),
        &with_query(&started.callback, &doubled),
    ));
    assert!(
        matches!(reason, FailureReason::MalformedCallback(MessageError::DuplicateKey { .. })),
        "{reason:?}"
    );
}

#[test]
fn an_openid_1_answer_to_a_2_0_request_is_a_downgrade() {
    let provider = Provider::start().unwrap();
    let (_, reason) = tampered(&provider, Tamper::OpenId1Form);
    assert!(matches!(reason, FailureReason::VersionMismatch { .. }), "{reason:?}");
}

#[test]
fn an_unsolicited_assertion_is_refused_unless_allowed() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let started = start(&rp, &provider.identity_url("alice"));
    let reason = failure(finish(&rp, None, &started.callback));
    assert!(matches!(reason, FailureReason::Unsolicited), "{reason:?}");
    // Allowed, the same assertion is verified by discovery and its signature.
    let open = rp_with(Store::Memory, |b| b.allow_unsolicited(true));
    let started = start(&open, &provider.identity_url("alice"));
    super::support::success(finish(&open, None, &started.callback));
}

#[test]
fn the_pending_state_of_another_login_is_refused() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let first = start(&rp, &provider.identity_url("alice"));
    let second = start(&rp, &provider.identity_url("alice"));
    let reason = failure(finish(&rp, Some(&second.pending), &first.callback));
    assert!(matches!(reason, FailureReason::PendingMismatch), "{reason:?}");
}

#[test]
fn an_expired_association_fails_without_asking_the_provider() {
    let provider = Provider::start().unwrap();
    let clock = Arc::new(ManualClock::new(openid_consumer::store::Clock::now(
        &openid_consumer::store::SystemClock,
    )));
    let rp = rp_with_clock(clock.clone());
    let started = start(&rp, &provider.identity_url("alice"));
    // Two weeks later (the provider's association lifetime), the browser comes back.
    clock.advance(1_209_600 + 1);
    provider.clear_requests();
    let reason = failure(finish(&rp, Some(&started.pending), &started.callback));
    assert!(
        matches!(
            reason,
            FailureReason::AssociationExpired { .. } | FailureReason::PendingExpired { .. }
        ),
        "{reason:?}"
    );
    // With a longer login allowance the association's expiry is what fails.
    let rp = super::support::Rp {
        consumer: Consumer::builder()
            .policy(policy())
            .store(rp.store.clone().unwrap())
            .clock(clock.clone())
            .pending_max_age(10 * 1_209_600)
            .build()
            .unwrap(),
        ..rp
    };
    let reason = failure(finish(&rp, Some(&started.pending), &started.callback));
    assert!(matches!(reason, FailureReason::AssociationExpired { .. }), "{reason:?}");
    assert!(provider.requests().is_empty());
}

#[test]
fn a_diffie_hellman_key_out_of_range_makes_no_association() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.association = AssociationBehaviour::BadDhPublicKey);
    let error = associate(
        &UreqFetcher::new(),
        &policy(),
        &provider.endpoint_url(),
        EndpointKind::of(&provider.endpoint_url(), false),
        &AssociationPreferences::default(),
        0,
    )
    .unwrap_err();
    assert!(matches!(error, AssociateError::Dh(DhError::PublicKeyOutOfRange)), "{error:?}");
    let rp = rp(Store::Memory);
    let started = start(&rp, &provider.identity_url("alice"));
    assert_eq!(started.request.association_handle(), None);
    assert_eq!(rp.held().0, 0);
}

#[test]
fn a_plaintext_answer_to_a_diffie_hellman_request_makes_no_association() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.association = AssociationBehaviour::Plaintext);
    let error = associate(
        &UreqFetcher::new(),
        &policy(),
        &provider.endpoint_url(),
        EndpointKind::of(&provider.endpoint_url(), false),
        &AssociationPreferences::default(),
        0,
    )
    .unwrap_err();
    assert!(matches!(error, AssociateError::TypeMismatch { .. }), "{error:?}");
    let rp = rp(Store::Memory);
    assert_eq!(start(&rp, &provider.identity_url("alice")).request.association_handle(), None);
    assert_eq!(rp.held().0, 0);
}

#[test]
fn check_authentication_goes_only_to_the_endpoint_discovered_for_the_claimed_id() {
    let honest = Provider::start().unwrap();
    let evil = Provider::start().unwrap();
    // The evil provider asserts the honest provider's user, with its own endpoint.
    let alice = honest.identity_url("alice");
    evil.configure(|b| {
        b.tampering = vec![Tamper::Extra(vec![
            ("claimed_id".into(), alice.clone()),
            ("identity".into(), alice.clone()),
        ])];
    });
    let rp = rp_with(Store::Memory, |b| b.allow_unsolicited(true));
    let started = start(&rp, &evil.identity_url("mallory"));
    evil.clear_requests();
    let reason = failure(finish(&rp, None, &started.callback));
    // Not signed with the shared association the login set up? It was: the evil provider
    // can sign, but discovery of alice names the honest endpoint.
    assert!(
        matches!(
            reason,
            FailureReason::DiscoveryMismatch { field: DiscoveredField::OpEndpoint, .. }
        ),
        "{reason:?}"
    );
    assert!(requests_with_mode(&evil, "check_authentication").is_empty());
}

#[test]
fn a_private_signature_of_another_endpoint_is_not_sent_to_it_for_confirmation() {
    let honest = Provider::start().unwrap();
    let evil = Provider::start().unwrap();
    let alice = honest.identity_url("alice");
    evil.configure(|b| {
        b.tampering = vec![
            Tamper::PrivateAssociation,
            Tamper::Extra(vec![
                ("claimed_id".into(), alice.clone()),
                ("identity".into(), alice.clone()),
            ]),
        ];
    });
    let rp = rp_with(Store::Memory, |b| b.allow_unsolicited(true));
    let started = start(&rp, &evil.identity_url("mallory"));
    evil.clear_requests();
    let reason = failure(finish(&rp, None, &started.callback));
    assert!(matches!(reason, FailureReason::DiscoveryMismatch { .. }), "{reason:?}");
    assert!(requests_with_mode(&evil, "check_authentication").is_empty());
    assert!(requests_with_mode(&honest, "check_authentication").is_empty());
}

/// A store that fails every call after it was told to.
#[derive(Debug, Default)]
struct FailingStore {
    inner: openid_consumer::store::MemoryStore,
    failing: std::sync::atomic::AtomicBool,
    fail_nonces_only: bool,
}

impl FailingStore {
    fn check(&self) -> Result<(), StoreError> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            Err(StoreError::unavailable("test store", std::io::Error::other("down")))
        } else {
            Ok(())
        }
    }
}

impl OpenIdStore for FailingStore {
    fn store_association(
        &self,
        server_url: &str,
        association: &Association,
    ) -> Result<(), StoreError> {
        self.inner.store_association(server_url, association)
    }
    fn get_association(
        &self,
        server_url: &str,
        handle: Option<&str>,
    ) -> Result<Option<Association>, StoreError> {
        if !self.fail_nonces_only {
            self.check()?;
        }
        self.inner.get_association(server_url, handle)
    }
    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.remove_association(server_url, handle)
    }
    fn use_nonce(&self, server_url: &str, timestamp: i64, salt: &str) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.use_nonce(server_url, timestamp, salt)
    }
    fn cleanup_nonces(&self) -> Result<usize, StoreError> {
        self.inner.cleanup_nonces()
    }
    fn cleanup_associations(&self) -> Result<usize, StoreError> {
        self.inner.cleanup_associations()
    }
}

#[test]
fn a_store_failing_during_complete_fails_the_login() {
    let provider = Provider::start().unwrap();
    for fail_nonces_only in [false, true] {
        let store = Arc::new(FailingStore { fail_nonces_only, ..FailingStore::default() });
        let consumer = Consumer::builder().policy(policy()).store(store.clone()).build().unwrap();
        let rp = super::support::Rp::from_consumer(consumer);
        let started = start(&rp, &provider.identity_url("alice"));
        store.failing.store(true, std::sync::atomic::Ordering::SeqCst);
        let reason = failure(finish(&rp, Some(&started.pending), &started.callback));
        assert!(matches!(reason, FailureReason::Store(_)), "{fail_nonces_only}: {reason:?}");
    }
}

/// A check of a failure reason.
type ExpectedReason = fn(&FailureReason) -> bool;

#[test]
fn malformed_callbacks_are_failures_not_panics() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let started = start(&rp, &provider.identity_url("alice"));
    let base = "http://rp.example/return";
    let cases: [(&str, ExpectedReason); 5] = [
        ("openid.mode=id_res&session=%FF", |r| {
            matches!(r, FailureReason::MalformedCallback(MessageError::Query(_)))
        }),
        ("openid.mode=id_res&session=%G1", |r| {
            matches!(r, FailureReason::MalformedCallback(MessageError::Query(_)))
        }),
        (
            "openid.ns=http%3A%2F%2Fspecs.openid.net%2Fauth%2F2.0&openid.ns.a=urn%3Ax&openid.ns.b=urn%3Ax&openid.mode=id_res",
            |r| matches!(r, FailureReason::MalformedCallback(MessageError::Alias(_))),
        ),
        ("openid.ns=urn%3Anot-openid&openid.mode=id_res", |r| {
            matches!(r, FailureReason::MalformedCallback(_))
        }),
        ("session=s1", |r| matches!(r, FailureReason::MissingMode)),
    ];
    for (query, expected) in cases {
        let reason = failure(rp.consumer.complete(
            Some(&started.pending),
            query,
            &format!("{base}?{query}"),
        ));
        assert!(expected(&reason), "{query}: {reason:?}");
    }
    // 1 MiB values: an unsigned extra field is never exposed, a changed argument fails.
    let huge = format!("{}&openid.x={}", started.callback.query, "A".repeat(1 << 20));
    let response = rp.consumer.complete(
        Some(&started.pending),
        huge.as_str(),
        &with_query(&started.callback, &huge),
    );
    let Response::Success(success) = response else { panic!("{response:?}") };
    assert_eq!(success.get_signed(&openid_consumer::message::Namespace::OpenId, "x"), None);
    let huge = replace_arg(&started.callback.query, "session", &"A".repeat(1 << 20));
    let reason = failure(rp.consumer.complete(
        Some(&started.pending),
        huge.as_str(),
        &with_query(&started.callback, &huge),
    ));
    assert!(matches!(reason, FailureReason::ReturnToArgument { .. }), "{reason:?}");
}
