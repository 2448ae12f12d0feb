//! Every attack the login flow must refuse: each ends in the failure that names the check,
//! with nothing stored that should not be, and no request to anyone after a bad signature.

use std::sync::Arc;

use openid_consumer::associate::{AssociateError, AssociationPreferences, EndpointKind, associate};
use openid_consumer::consumer::{DiscoveredField, UrlPart};
use openid_consumer::crypto::{DhError, SignatureError};
use openid_consumer::fetch::{FetchError, FetchResponse, Fetcher, NetworkPolicy, UreqFetcher};
use openid_consumer::message::{Message, MessageError, Namespace, OpenIdVersion};
use openid_consumer::nonce::ResponseNonce;
use openid_consumer::nonce::SKEW;
use openid_consumer::store::{
    Association, Clock, Lookup, ManualClock, NonceRecord, OpenIdStore, StoreError, SystemClock,
    Timing,
};
use openid_consumer::{BeginError, Consumer, FailureReason, Response, ServiceEndpoint};
use openid_testkit::{AssociationBehaviour, Protocol, Provider, Tamper};

use super::support::{
    REALM, RETURN_TO, Store, failure, finish, policy, replace_arg, requests_with_mode, rp, rp_with,
    rp_with_clock, start, with_query,
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
    let began = clock.now();
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
    let patient = |store: Arc<dyn OpenIdStore>| {
        Consumer::builder()
            .policy(policy())
            .store(store)
            .clock(clock.clone())
            .pending_max_age(10 * 1_209_600)
            .build()
            .unwrap()
    };
    let rp = super::support::Rp { consumer: patient(rp.store.clone().unwrap()), ..rp };
    let reason = failure(finish(&rp, Some(&started.pending), &started.callback));
    assert!(matches!(reason, FailureReason::AssociationExpired { .. }), "{reason:?}");
    // A store on a clock that lags (another machine's) still hands the association out:
    // the consumer's own clock judges it expired all the same.
    let endpoint = provider.endpoint_url();
    let handle = started.pending.association_handle().unwrap();
    let lookup = Lookup::new(&endpoint, Some(handle), began);
    let association = rp.store.as_ref().unwrap().find_association(&lookup).unwrap().unwrap();
    let lagging =
        openid_consumer::store::MemoryStore::new().with_clock(Arc::new(ManualClock::new(began)));
    lagging.store_association(&endpoint, &association).unwrap();
    let rp = super::support::Rp { consumer: patient(Arc::new(lagging)), ..rp };
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
fn a_provider_asserting_another_provider_s_user_is_refused_by_discovery() {
    let honest = Provider::start().unwrap();
    let evil = Provider::start().unwrap();
    // The evil provider, where the attacker logs in, asserts the honest provider's user.
    let alice = honest.identity_url("alice");
    evil.configure(|b| {
        b.tampering = vec![Tamper::Extra(vec![
            ("claimed_id".into(), alice.clone()),
            ("identity".into(), alice.clone()),
        ])];
    });
    for private in [false, true] {
        if private {
            evil.configure(|b| b.tampering.insert(0, Tamper::PrivateAssociation));
        }
        let rp = rp(Store::Memory);
        let started = start(&rp, &evil.identity_url("mallory"));
        evil.clear_requests();
        let reason = failure(finish(&rp, Some(&started.pending), &started.callback));
        assert!(
            matches!(
                reason,
                FailureReason::DiscoveryMismatch { field: DiscoveredField::OpEndpoint, .. }
            ),
            "{reason:?}"
        );
        // A private signature is confirmed by the login's own endpoint (the one the user
        // chose), never by the endpoint the assertion points discovery to.
        assert_eq!(requests_with_mode(&evil, "check_authentication").len(), usize::from(private));
        assert!(requests_with_mode(&honest, "check_authentication").is_empty());
    }
}

#[test]
fn an_unsolicited_private_signature_is_not_sent_anywhere_for_confirmation() {
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
    honest.clear_requests();
    let reason = failure(finish(&rp, None, &started.callback));
    assert!(matches!(reason, FailureReason::UnverifiedEndpoint { .. }), "{reason:?}");
    assert!(evil.requests().is_empty());
    assert!(honest.requests().is_empty());
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
    fn timing(&self) -> &Timing {
        self.inner.timing()
    }
    fn store_association(
        &self,
        server_url: &str,
        association: &Association,
    ) -> Result<(), StoreError> {
        self.inner.store_association(server_url, association)
    }
    fn find_association(&self, lookup: &Lookup<'_>) -> Result<Option<Association>, StoreError> {
        if !self.fail_nonces_only {
            self.check()?;
        }
        self.inner.find_association(lookup)
    }
    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.remove_association(server_url, handle)
    }
    fn record_nonce(&self, nonce: &NonceRecord<'_>) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.record_nonce(nonce)
    }
    fn delete_nonces_before(&self, oldest: i64) -> Result<usize, StoreError> {
        self.inner.delete_nonces_before(oldest)
    }
    fn delete_expired_associations(&self, now: i64) -> Result<usize, StoreError> {
        self.inner.delete_expired_associations(now)
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

// ---- found in review: each of these failed before its fix --------------------------------

// See: https://nvd.nist.gov/vuln/detail/CVE-2019-11027 (ruby-openid ran discovery on the
// claimed identifier of an assertion before checking its signature).
#[test]
fn cve_2019_11027_an_unsolicited_forgery_makes_no_request_before_its_signature_is_checked() {
    let recorder = Arc::new(Recorder::default());
    let consumer = Consumer::builder()
        .store(Arc::new(openid_consumer::store::MemoryStore::new()))
        .fetcher(recorder.clone())
        .allow_unsolicited(true)
        .build()
        .unwrap();
    let query = forged_query("https://attacker-chosen.example/ssrf-target");
    let response =
        consumer.complete(None, query.as_str(), &format!("https://rp.example/back?{query}"));
    assert!(matches!(failure(response), FailureReason::UnverifiedEndpoint { .. }));
    assert!(recorder.0.lock().unwrap().is_empty(), "{:?}", recorder.0.lock().unwrap());
}

#[test]
fn an_anonymous_assertion_signed_by_another_provider_is_refused() {
    let honest = Provider::start().unwrap();
    let evil = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    // The attacker has the site associate with their provider (any login there)...
    let evil_login = start(&rp, &evil.identity_url("mallory"));
    let evil_handle = evil_login.request.association_handle().unwrap().to_owned();
    // ...starts an anonymous login at the honest provider, but takes the browser to theirs,
    // which signs "extension data" with the site's association to it.
    let mut request = rp.consumer.begin(&honest.op_identifier_url()).unwrap();
    request.set_anonymous(true).unwrap();
    let mut message = request.message(REALM, RETURN_TO, false).unwrap();
    let pending = request.pending();
    message.set_openid("assoc_handle", evil_handle);
    let callback = openid_testkit::browser::follow(&message.to_url(&evil.endpoint_url())).unwrap();
    let reason = failure(finish(&rp, Some(&pending), &callback));
    assert!(
        matches!(
            reason,
            FailureReason::DiscoveryMismatch { field: DiscoveredField::OpEndpoint, .. }
        ),
        "{reason:?}"
    );
}

#[test]
fn an_assertion_another_site_asked_for_is_refused_even_with_a_forged_current_url() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Stateless);
    // The attacker starts a login here and reads its nonce from the redirect.
    let mut request = rp.consumer.begin(&provider.op_identifier_url()).unwrap();
    let url = request.redirect_url(REALM, RETURN_TO, false).unwrap();
    let pending = request.pending();
    let sent = Message::from_query(url.split_once('?').unwrap().1).unwrap();
    let nonce =
        sent.get_openid("return_to").unwrap().split_once("openid_rs_nonce=").unwrap().1.to_owned();
    // The victim logs in at evil.example, whose return_to carries the attacker's nonce
    // (with this site's other arguments, or without them)...
    for return_to in [
        format!("http://evil.example/back?openid_rs_nonce={nonce}"),
        format!("http://evil.example/return?session=s1&openid_rs_nonce={nonce}"),
    ] {
        let mut evil = Message::new(OpenIdVersion::V2_0);
        evil.set_openid("mode", "checkid_setup");
        evil.set_openid("realm", "http://evil.example/");
        evil.set_openid("return_to", return_to);
        evil.set_openid("claimed_id", openid_testkit::IDENTIFIER_SELECT);
        evil.set_openid("identity", openid_testkit::IDENTIFIER_SELECT);
        let callback =
            openid_testkit::browser::follow(&evil.to_url(&provider.endpoint_url())).unwrap();
        // ...and evil.example relays the answer here, where the application builds the
        // current URL from the Host header it was sent.
        let reason =
            failure(rp.consumer.complete(Some(&pending), callback.query.as_str(), &callback.url));
        assert!(matches!(reason, FailureReason::ReturnToNotRequested { .. }), "{reason:?}");
    }
}

#[test]
fn a_failure_displays_as_one_line_whatever_the_callback_says() {
    let consumer =
        Consumer::builder().stateless().fetcher(Arc::new(Recorder::default())).build().unwrap();
    let pending = v2_pending(&consumer);
    let query = "openid.ns=http%3A%2F%2Fspecs.openid.net%2Fauth%2F2.0&openid.mode=error\
                 &openid.error=oops%0A2030-01-01T00%3A00%3A00Z%20INFO%20login%20verified";
    let response =
        consumer.complete(Some(&pending), query, &format!("https://rp.example/back?{query}"));
    let Response::Failure(failure) = response else { panic!("{response:?}") };
    let line = failure.to_string();
    assert!(!line.contains('\n'), "{line:?}");
    assert!(line.contains("oops\\n2030"), "{line:?}");
}

#[test]
fn an_openid_1_setup_url_does_not_answer_a_2_0_login() {
    let consumer =
        Consumer::builder().stateless().fetcher(Arc::new(Recorder::default())).build().unwrap();
    let pending = v2_pending(&consumer);
    let query = "openid.mode=id_res&openid.user_setup_url=https%3A%2F%2Fevil.example%2Fphish";
    let response =
        consumer.complete(Some(&pending), query, &format!("https://rp.example/back?{query}"));
    assert!(matches!(failure(response), FailureReason::VersionMismatch { .. }));
}

#[test]
fn the_pending_state_of_a_hostile_identifier_stays_cookie_sized() {
    let provider = Provider::start().unwrap();
    let long_type = format!("http://example.com/type/{}", "A".repeat(14_000));
    let types: String =
        (0..60).fold(String::new(), |all, i| format!("{all}<Type>{long_type}{i}</Type>"));
    let xrds = format!(
        "<?xml version=\"1.0\"?><xrds:XRDS xmlns:xrds=\"xri://$xrds\" xmlns=\"xri://$xrd*($v*2.0)\">\
         <XRD><Service priority=\"0\"><Type>http://specs.openid.net/auth/2.0/signon</Type>{types}\
         <URI>{}</URI></Service></XRD></xrds:XRDS>",
        provider.endpoint_url()
    );
    provider.add_page("/hostile", "application/xrds+xml", xrds);
    let rp = rp(Store::Memory);
    let mut request = rp.consumer.begin(&format!("{}/hostile", provider.base_url())).unwrap();
    request.redirect_url(REALM, RETURN_TO, false).unwrap();
    let json = serde_json::to_string(&request.pending()).unwrap();
    assert!(json.len() < 1024, "PendingAuth is {} bytes", json.len());
}

#[test]
fn an_endpoint_with_a_huge_url_is_not_used() {
    let provider = Provider::start().unwrap();
    let huge = format!("{}?{}", provider.endpoint_url(), "x".repeat(5_000));
    let rp = rp(Store::Memory);
    let endpoint = ServiceEndpoint::for_claimed_id(
        provider.identity_url("alice"),
        huge,
        None,
        vec![openid_consumer::discovery::endpoint::TYPE_SIGNON_2_0.to_owned()],
    );
    let error = rp.consumer.begin_with_endpoint(endpoint).unwrap_err();
    assert!(matches!(error, BeginError::TooLong { .. }), "{error:?}");
    assert!(provider.requests().is_empty());
}

/// Linear, not quadratic: a 1.2 MB callback of 40,000 alias declarations parses in tens of
/// milliseconds; the old duplicate check took seconds in a release build. The bound is a
/// hang guard with a wide margin for a loaded debug build, not a speed target.
#[test]
fn many_alias_declarations_parse_in_linear_time() {
    let query: String =
        (0..40_000).map(|i| format!("openid.ns.a{i}=urn%3Ax{i}")).collect::<Vec<_>>().join("&");
    let started = std::time::Instant::now();
    let message = Message::from_query(&query).unwrap();
    assert_eq!(message.aliases().iter().count(), 40_000);
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
}

/// The same with an argument under each alias (2.6 MB: `Message::from_query` has no count
/// limit of its own). Finding each argument's extension by comparing URIs one by one was
/// quadratic, about 30 s in a debug build; the message is built in well under a second. The
/// bound sits between the two with a wide margin on each side.
#[test]
fn an_argument_under_each_of_many_aliases_parses_in_linear_time() {
    let query: String = (0..80_000)
        .map(|i| format!("openid.ns.a{i}=urn%3Ax{i}&openid.a{i}.k=v{i}"))
        .collect::<Vec<_>>()
        .join("&");
    let started = std::time::Instant::now();
    let message = Message::from_query(&query).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(message.get(&Namespace::extension("urn:x79999"), "k"), Some("v79999"));
    assert!(elapsed < std::time::Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn a_callback_with_more_arguments_than_any_response_is_refused_before_any_work() {
    let consumer =
        Consumer::builder().stateless().fetcher(Arc::new(Recorder::default())).build().unwrap();
    let pending = v2_pending(&consumer);
    let form: Vec<(String, String)> =
        (0..40_000).map(|i| (format!("a{i}"), String::new())).collect();
    let reason = failure(consumer.complete(Some(&pending), form, "https://rp.example/back"));
    assert!(matches!(reason, FailureReason::TooManyArguments { .. }), "{reason:?}");
    let query: String = (0..40_000).map(|i| format!("a{i}=")).collect::<Vec<_>>().join("&");
    let reason = failure(consumer.complete(
        Some(&pending),
        query.as_str(),
        &format!("https://rp.example/back?{query}"),
    ));
    assert!(matches!(reason, FailureReason::TooManyArguments { .. }), "{reason:?}");
}

/// A fetcher that records every URL and fails.
#[derive(Debug, Default)]
struct Recorder(std::sync::Mutex<Vec<String>>);

impl Fetcher for Recorder {
    fn get(
        &self,
        url: &str,
        _: &[(&str, &str)],
        _: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError> {
        self.0.lock().unwrap().push(format!("GET {url}"));
        Err(FetchError::Timeout { url: url.to_owned() })
    }

    fn post_form(
        &self,
        url: &str,
        _: &[(&str, &str)],
        _: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError> {
        self.0.lock().unwrap().push(format!("POST {url}"));
        Err(FetchError::Timeout { url: url.to_owned() })
    }
}

fn forged_query(claimed_id: &str) -> String {
    let nonce = ResponseNonce::generate(SystemClock.now()).unwrap();
    Message::from_pairs([
        ("openid.ns", "http://specs.openid.net/auth/2.0"),
        ("openid.mode", "id_res"),
        ("openid.op_endpoint", "https://op.example/server"),
        ("openid.claimed_id", claimed_id),
        ("openid.identity", claimed_id),
        ("openid.return_to", "https://rp.example/back"),
        ("openid.response_nonce", nonce.as_str()),
        ("openid.assoc_handle", "no-such-handle"),
        ("openid.signed", "op_endpoint,claimed_id,identity,return_to,response_nonce,assoc_handle"),
        ("openid.sig", "AAAA"),
    ])
    .unwrap()
    .to_query_string()
}

/// A 2.0 login in progress, its request made.
fn v2_pending(consumer: &Consumer) -> openid_consumer::PendingAuth {
    let endpoint = ServiceEndpoint::for_claimed_id(
        "https://alice.example/",
        "https://op.example/server",
        None,
        vec![openid_consumer::discovery::endpoint::TYPE_SIGNON_2_0.to_owned()],
    );
    let mut request = consumer.begin_with_endpoint(endpoint).unwrap();
    request.redirect_url("https://rp.example/", "https://rp.example/back", false).unwrap();
    request.pending()
}
