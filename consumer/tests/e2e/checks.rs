//! The checks and settings the other modules do not reach: each failure reason produced by a
//! callback that fails exactly that check, pinning, the public base URL, identifier-less
//! assertions, and configuration mistakes.

use std::sync::Arc;

use openid_consumer::fetch::{FetchError, FetchResponse, Fetcher, NetworkPolicy, UreqFetcher};
use openid_consumer::message::Namespace;
use openid_consumer::nonce::SKEW;
use openid_consumer::store::{Clock, ManualClock, SystemClock};
use openid_consumer::{ConfigError, Consumer, FailureReason, PendingAuth, ProviderPin, Response};
use openid_testkit::{Provider, Tamper};

use super::support::{
    Store, failure, finish, policy, requests_with_mode, rp, rp_with, start, success,
};

fn alice_login(provider: &Provider, rp: &super::support::Rp) -> super::support::Started {
    start(rp, &provider.identity_url("alice"))
}

#[test]
fn a_mode_a_relying_party_never_receives_is_unexpected() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let started = alice_login(&provider, &rp);
    let query = "openid.ns=http%3A%2F%2Fspecs.openid.net%2Fauth%2F2.0&openid.mode=checkid_setup";
    let reason = failure(rp.consumer.complete(
        Some(&started.pending),
        query,
        &format!("http://rp.example/return?{query}"),
    ));
    assert!(
        matches!(&reason, FailureReason::UnexpectedMode { mode } if mode == "checkid_setup"),
        "{reason:?}"
    );
}

#[test]
fn setup_needed_is_a_mode_of_openid_2_only() {
    // OpenID 1 says "setup needed" with id_res and user_setup_url; its own setup_needed
    // mode does not exist, so a message without the 2.0 namespace that uses it is refused.
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let started = alice_login(&provider, &rp);
    let query = "openid.mode=setup_needed";
    let reason = failure(rp.consumer.complete(
        Some(&started.pending),
        query,
        &format!("http://rp.example/return?{query}"),
    ));
    assert!(
        matches!(&reason, FailureReason::UnexpectedMode { mode } if mode == "setup_needed"),
        "{reason:?}"
    );
}

#[test]
fn a_return_to_the_provider_wrote_differently_but_equivalently_is_this_logins() {
    // A provider may echo return_to normalised or not: scheme and host case and the default
    // port do not make it another URL.
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Stateless);
    let mut request = rp.consumer.begin(&provider.op_identifier_url()).unwrap();
    let url =
        request.redirect_url(super::support::REALM, super::support::RETURN_TO, false).unwrap();
    let pending = request.pending();
    let mut sent =
        openid_consumer::message::Message::from_query(url.split_once('?').unwrap().1).unwrap();
    let return_to = sent.get_openid("return_to").unwrap().to_owned();
    let rewritten = return_to.replacen("http://rp.example/", "HTTP://RP.Example:80/", 1);
    assert_ne!(rewritten, return_to);
    sent.set_openid("return_to", rewritten);
    let callback = openid_testkit::browser::follow(&sent.to_url(&provider.endpoint_url())).unwrap();
    success(rp.consumer.complete(Some(&pending), callback.query.as_str(), &callback.url));
}

#[test]
fn a_login_that_matches_what_begin_discovered_completes_without_a_request() {
    // The association is in the store and the claimed id is the one discovered at begin:
    // complete has nothing to ask the network (no second discovery, no check_authentication).
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let started = alice_login(&provider, &rp);
    provider.clear_requests();
    success(finish(&rp, Some(&started.pending), &started.callback));
    assert!(provider.requests().is_empty(), "{:?}", provider.requests());
}

#[test]
fn a_missing_required_field_is_named() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let started = alice_login(&provider, &rp);
    for (query, field) in [
        ("openid.ns=http%3A%2F%2Fspecs.openid.net%2Fauth%2F2.0&openid.mode=id_res", "return_to"),
        (
            "openid.ns=http%3A%2F%2Fspecs.openid.net%2Fauth%2F2.0&openid.mode=id_res&openid.return_to=x\
             &openid.assoc_handle=h&openid.sig=s&openid.claimed_id=http%3A%2F%2Fa.example%2F",
            "identity",
        ),
    ] {
        let reason = failure(rp.consumer.complete(
            Some(&started.pending),
            query,
            &format!("http://rp.example/return?{query}"),
        ));
        assert!(
            matches!(&reason, FailureReason::MissingField { field: f } if *f == field),
            "{reason:?}"
        );
    }
}

#[test]
fn a_current_url_that_is_not_absolute_needs_a_public_base_url() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let started = alice_login(&provider, &rp);
    let relative = format!("/return?{}", started.callback.query);
    let reason = failure(rp.consumer.complete(
        Some(&started.pending),
        started.callback.query.as_str(),
        &relative,
    ));
    assert!(matches!(reason, FailureReason::InvalidCurrentUrl { .. }), "{reason:?}");
    // With the public base URL, the same relative URL (or an internal address) works.
    for current in
        [relative.clone(), format!("http://10.0.0.5:8080/return?{}", started.callback.query)]
    {
        let behind_proxy = rp_with(Store::Memory, |b| b.public_base_url("http://rp.example"));
        let started = alice_login(&provider, &behind_proxy);
        let current = current.replace(current.split_once('?').unwrap().1, &started.callback.query);
        success(behind_proxy.consumer.complete(
            Some(&started.pending),
            started.callback.query.as_str(),
            &current,
        ));
    }
}

#[test]
fn a_nonce_that_is_not_a_nonce_is_invalid() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| {
        b.tampering = vec![Tamper::Extra(vec![("response_nonce".into(), "yesterday".into())])];
    });
    let rp = rp(Store::Memory);
    let started = alice_login(&provider, &rp);
    let reason = failure(finish(&rp, Some(&started.pending), &started.callback));
    assert!(matches!(reason, FailureReason::InvalidNonce(_)), "{reason:?}");
}

#[test]
fn saved_state_of_another_format_version_is_refused() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let started = alice_login(&provider, &rp);
    let json = serde_json::to_string(&started.pending).unwrap().replacen("\"v\":1", "\"v\":2", 1);
    let future: PendingAuth = serde_json::from_str(&json).unwrap();
    let reason = failure(finish(&rp, Some(&future), &started.callback));
    assert!(
        matches!(reason, FailureReason::PendingVersion { found: 2, expected: 1 }),
        "{reason:?}"
    );
}

#[test]
fn saved_state_taken_before_the_request_was_made_is_refused() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let request = rp.consumer.begin(&provider.identity_url("alice")).unwrap();
    let too_early = request.pending();
    assert_eq!(too_early.return_to(), None);
    let started = super::support::send(request, false);
    let reason = failure(finish(&rp, Some(&too_early), &started.callback));
    assert!(matches!(reason, FailureReason::PendingIncomplete), "{reason:?}");
    assert!(reason.to_string().contains("AuthRequest::pending"), "{reason}");
}

#[test]
fn a_login_that_took_too_long_is_refused() {
    let provider = Provider::start().unwrap();
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let consumer = Consumer::builder()
        .policy(policy())
        .stateless()
        .clock(clock.clone())
        .pending_max_age(600)
        .build()
        .unwrap();
    let rp = super::support::Rp::from_consumer(consumer);
    let started = alice_login(&provider, &rp);
    // Exactly the allowance is still in time...
    clock.advance(600);
    success(finish(&rp, Some(&started.pending), &started.callback));
    // ...a second more is not (checked before the signature: the provider is not asked).
    clock.advance(1);
    let reason = failure(finish(&rp, Some(&started.pending), &started.callback));
    assert!(matches!(reason, FailureReason::PendingExpired { age: 601, limit: 600 }), "{reason:?}");
}

/// A fetcher whose `check_authentication` (a POST) takes `lasts` seconds of `clock`.
#[derive(Debug)]
struct SlowPost {
    inner: UreqFetcher,
    clock: Arc<ManualClock>,
    lasts: i64,
}

impl Fetcher for SlowPost {
    fn get(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        policy: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError> {
        self.inner.get(url, headers, policy)
    }

    fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        policy: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError> {
        let answer = self.inner.post_form(url, form, policy);
        self.clock.advance(self.lasts);
        answer
    }
}

#[test]
fn the_nonce_window_is_judged_after_a_check_authentication_round_trip() {
    let provider = Provider::start().unwrap();
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let consumer_with = |lasts: i64| {
        let fetcher = SlowPost { inner: UreqFetcher::new(), clock: clock.clone(), lasts };
        let consumer = Consumer::builder()
            .policy(policy())
            .stateless()
            .fetcher(Arc::new(fetcher))
            .clock(clock.clone())
            .build()
            .unwrap();
        super::support::Rp::from_consumer(consumer)
    };
    // A quick answer: the nonce, made just now, is in its window.
    let rp = consumer_with(1);
    let started = alice_login(&provider, &rp);
    success(finish(&rp, Some(&started.pending), &started.callback));
    // The provider confirms the signature, but the answer took the nonce out of its window
    // on the way: the nonce is judged by the clock after the request, not before it.
    let rp = consumer_with(SKEW + 60);
    let started = alice_login(&provider, &rp);
    let reason = failure(finish(&rp, Some(&started.pending), &started.callback));
    assert!(matches!(reason, FailureReason::NonceOutOfRange { .. }), "{reason:?}");
}

#[test]
fn an_identifier_less_assertion_is_accepted_when_the_consumer_allows_it() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.tampering = vec![Tamper::NoIdentifier]);
    let rp = rp_with(Store::Memory, |b| b.allow_identifierless(true));
    let started = alice_login(&provider, &rp);
    let response = finish(&rp, Some(&started.pending), &started.callback);
    let Response::Anonymous(anonymous) = response else { panic!("{response:?}") };
    assert_eq!(anonymous.endpoint().server_url(), provider.endpoint_url());
    assert_eq!(anonymous.signed().get(&Namespace::OpenId, "claimed_id"), None);
}

/// A pin like Steam's, for the test provider: its endpoint, identities `/id/` + 5 digits,
/// no delegation.
fn pin_for(provider: &Provider) -> ProviderPin {
    ProviderPin::new()
        .endpoint(provider.endpoint_url())
        .claimed_id_pattern(&format!("{}/id/[0-9]{{5}}", regex_escape(&provider.base_url())))
        .unwrap()
        .refuse_delegation()
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_string() } else { format!("\\{c}") })
        .collect()
}

#[test]
fn a_pinned_provider_logs_in_its_own_users_statelessly_like_steam() {
    let provider = Provider::start().unwrap();
    let rp = rp_with(Store::Stateless, |b| b.pin(pin_for(&provider)));
    // Steam's way: start at the OP endpoint, the provider chooses the identifier.
    provider.configure(|b| b.identifier_select_user = "12345".into());
    let endpoint = openid_consumer::ServiceEndpoint::from_op_endpoint_url(provider.endpoint_url());
    let started = super::support::send(rp.consumer.begin_with_endpoint(endpoint).unwrap(), false);
    let user = success(finish(&rp, Some(&started.pending), &started.callback));
    assert_eq!(user.claimed_id(), provider.identity_url("12345"));
    // A pinned endpoint may also confirm an unsolicited assertion, by name.
    let unsolicited =
        rp_with(Store::Stateless, |b| b.pin(pin_for(&provider)).allow_unsolicited(true));
    let started = super::support::send(
        unsolicited
            .consumer
            .begin_with_endpoint(openid_consumer::ServiceEndpoint::from_op_endpoint_url(
                provider.endpoint_url(),
            ))
            .unwrap(),
        false,
    );
    provider.clear_requests();
    success(finish(&unsolicited, None, &started.callback));
    assert_eq!(requests_with_mode(&provider, "check_authentication").len(), 1);
}

#[test]
fn pinning_refuses_other_providers_other_identifiers_and_delegation() {
    let provider = Provider::start().unwrap();
    let other = Provider::start().unwrap();
    let pin = pin_for(&provider);
    // Another provider: refused at begin, and in complete before any request.
    let rp = rp_with(Store::Memory, |b| b.pin(pin.clone()));
    let error = rp.consumer.begin(&other.identity_url("12345")).unwrap_err();
    assert!(matches!(error, openid_consumer::BeginError::NoAllowedEndpoint { .. }), "{error:?}");
    let open = rp_with(Store::Memory, |b| b);
    let elsewhere = start(&open, &other.identity_url("12345"));
    other.clear_requests();
    let reason = failure(finish(&rp, Some(&elsewhere.pending), &elsewhere.callback));
    assert!(matches!(reason, FailureReason::ProviderNotAllowed { .. }), "{reason:?}");
    assert!(other.requests().is_empty());
    // An identifier outside the pattern.
    let started = start(&open, &provider.identity_url("alice"));
    let reason = failure(finish(&rp, Some(&started.pending), &started.callback));
    assert!(matches!(reason, FailureReason::ClaimedIdNotAllowed { .. }), "{reason:?}");
    // A delegated identifier (claimed id 12345, local id 54321 at the provider).
    provider.configure(|b| {
        b.tampering =
            vec![Tamper::Extra(vec![("claimed_id".into(), provider.identity_url("12345"))])];
    });
    let started = start(&open, &provider.identity_url("54321"));
    let reason = failure(finish(&rp, Some(&started.pending), &started.callback));
    assert!(matches!(reason, FailureReason::DelegationRefused { .. }), "{reason:?}");
}

#[test]
fn configuration_mistakes_are_errors_that_say_what_to_do() {
    let error = Consumer::builder().build().unwrap_err();
    assert!(matches!(error, ConfigError::NoStoreChoice));
    assert!(error.to_string().contains("stateless()"), "{error}");
    let both = Consumer::builder()
        .store(Arc::new(openid_consumer::store::MemoryStore::new()))
        .stateless()
        .build()
        .unwrap_err();
    assert!(matches!(both, ConfigError::StoreAndStateless), "{both:?}");
    let zero = Consumer::builder().stateless().pending_max_age(0).build().unwrap_err();
    assert!(zero.to_string().contains("pending_max_age"), "{zero}");
    let base = Consumer::builder().stateless().public_base_url("rp.example").build().unwrap_err();
    assert!(matches!(base, ConfigError::InvalidPublicBaseUrl { .. }), "{base:?}");
    let base = Consumer::builder().stateless().public_base_url("https://rp.example/?x=1").build();
    assert!(base.is_err());
}
