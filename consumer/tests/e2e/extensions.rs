//! Extensions end to end against the test provider, which answers Simple Registration and
//! Attribute Exchange from each identity's made-up profile: signed data only, unless asked.

use openid_consumer::extensions::ExtensionError;
use openid_consumer::extensions::ax::{AX_NS, AttrRequest, FetchRequest, FetchResponse, schema};
use openid_consumer::extensions::pape::{PAPE_NS, PapeRequest, PapeResponse, policy};
use openid_consumer::extensions::profile::{ProfileField, Source};
use openid_consumer::extensions::sreg::{SregField, SregRequest, SregResponse};
use openid_consumer::extensions::ui::UiRequest;
use openid_testkit::{Protocol, Provider, Tamper};

use super::support::{Store, finish, requests_with_mode, rp, send, success};

/// A login of `identity` asking for the whole profile; the verified success.
fn login_with_profile(identity: &str) -> openid_consumer::SuccessResponse {
    let rp = rp(Store::Memory);
    let mut request = rp.consumer.begin(identity).unwrap();
    assert!(request.request_profile(&ProfileField::ALL).unwrap(), "the endpoint advertises them");
    let started = send(request, false);
    success(finish(&rp, Some(&started.pending), &started.callback))
}

#[test]
fn the_profile_comes_signed_through_simple_registration_first() {
    let provider = Provider::start().unwrap();
    let user = login_with_profile(&provider.identity_url("alice"));
    let profile = user.profile();
    assert_eq!(profile.email(), Some("alice@example.com"));
    assert_eq!(profile.nickname(), Some("alice"));
    assert_eq!(profile.fullname(), Some("Alice Example"));
    assert_eq!(profile.get(ProfileField::Timezone), Some("Europe/London"));
    let email = profile.value(ProfileField::Email).unwrap();
    assert_eq!(email.source(), Source::Sreg);
    assert_eq!(email.signed_field(), "openid.sreg.email");
    // Both extensions were asked and answered.
    let sreg: SregResponse = user.extension().unwrap().unwrap();
    assert_eq!(sreg.email(), Some("alice@example.com"));
    let ax: FetchResponse = user.extension().unwrap().unwrap();
    assert_eq!(ax.first(schema::EMAIL), Some("alice@example.com"));
    let asked = &requests_with_mode(&provider, "checkid_setup")[0];
    assert_eq!(
        asked.param("openid.ns.sreg").as_deref(),
        Some("http://openid.net/extensions/sreg/1.1")
    );
    assert_eq!(asked.param("openid.ax.mode").as_deref(), Some("fetch_request"));
}

#[test]
fn an_html_only_endpoint_advertises_nothing_so_nothing_is_asked() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let mut request = rp.consumer.begin(&provider.html_identity_url("alice")).unwrap();
    assert!(!request.request_profile(&ProfileField::ALL).unwrap());
    // Asking explicitly works anyway.
    request.add_extension(&SregRequest::new().require(SregField::Email)).unwrap();
    let started = send(request, false);
    let user = success(finish(&rp, Some(&started.pending), &started.callback));
    assert_eq!(user.profile().email(), Some("alice@example.com"));
}

#[test]
fn openid_1_sends_simple_registration_under_the_implicit_sreg_alias() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.protocol = Protocol::V1Only);
    let user = login_with_profile(&provider.identity_url("bob"));
    assert_eq!(user.profile().email(), Some("bob@example.com"));
    let asked = &requests_with_mode(&provider, "checkid_setup")[0];
    assert_eq!(asked.param("openid.ns.sreg"), None, "no declaration in OpenID 1");
    assert!(asked.param("openid.sreg.optional").is_some());
    assert_eq!(asked.param("openid.ax.mode"), None, "AX is not advertised");
}

#[test]
fn unsigned_extension_values_are_not_read_unless_asked() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.tampering = vec![Tamper::Unsigned("ax.value.email".into())]);
    let user = login_with_profile(&provider.identity_url("carol"));
    let ax = user.extension::<FetchResponse>();
    assert!(
        matches!(ax, Err(ExtensionError::Unsigned { namespace }) if namespace == AX_NS),
        "{ax:?}"
    );
    let unsigned: FetchResponse = user.extension_allow_unsigned().unwrap().unwrap();
    assert_eq!(unsigned.first(schema::EMAIL), Some("carol@example.com"));
    // SReg was signed: the profile still comes, from there.
    assert_eq!(user.profile().value(ProfileField::Email).unwrap().source(), Source::Sreg);
}

#[test]
fn an_unsigned_alias_declaration_voids_the_extension() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| {
        b.tampering = vec![Tamper::Unsigned("ns.sreg".into()), Tamper::Unsigned("ns.ax".into())];
    });
    let user = login_with_profile(&provider.identity_url("dave"));
    assert!(matches!(user.extension::<SregResponse>(), Err(ExtensionError::Unsigned { .. })));
    assert!(user.profile().is_empty());
}

#[test]
fn attribute_exchange_values_are_checked_against_the_request() {
    let provider = Provider::start().unwrap();
    let rp = rp(Store::Memory);
    let mut request = rp.consumer.begin(&provider.identity_url("erin")).unwrap();
    let fetch = FetchRequest::new()
        .attribute(AttrRequest::new(schema::openid_net::EMAIL).required())
        .unwrap()
        .attribute(AttrRequest::new("http://example.com/types/unknown"))
        .unwrap();
    request.add_extension(&fetch).unwrap();
    let started = send(request, false);
    let user = success(finish(&rp, Some(&started.pending), &started.callback));
    let ax: FetchResponse = user.extension().unwrap().unwrap();
    assert_eq!(ax.first(schema::openid_net::EMAIL), Some("erin@example.com"));
    assert_eq!(ax.get("http://example.com/types/unknown"), None);
    assert_eq!(ax.check_against(&fetch), Ok(()));
    // Read as a profile: the schema.openid.net variant counts.
    assert_eq!(user.profile().email(), Some("erin@example.com"));
}

#[test]
fn pape_and_ui_requests_are_sent_and_pape_responses_read() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| {
        b.tampering = vec![Tamper::Extra(vec![
            ("ns.pape".into(), PAPE_NS.into()),
            ("pape.auth_policies".into(), policy::MULTI_FACTOR.into()),
            ("pape.auth_time".into(), "2026-12-02T01:00:00Z".into()),
        ])];
    });
    let rp = rp(Store::Memory);
    let mut request = rp.consumer.begin(&provider.identity_url("frank")).unwrap();
    request
        .add_extension(&PapeRequest::new().prefer(policy::MULTI_FACTOR).max_auth_age(600))
        .unwrap();
    request.add_extension(&UiRequest::new().popup().language("en-GB")).unwrap();
    assert!(request.add_extension(&UiRequest::new()).is_err(), "one request per namespace");
    let started = send(request, false);
    let asked = &requests_with_mode(&provider, "checkid_setup")[0];
    assert_eq!(asked.param("openid.pape.max_auth_age").as_deref(), Some("600"));
    assert_eq!(asked.param("openid.ui.mode").as_deref(), Some("popup"));
    let user = success(finish(&rp, Some(&started.pending), &started.callback));
    let pape: PapeResponse = user.extension().unwrap().unwrap();
    assert!(pape.has_policy(policy::MULTI_FACTOR));
    assert_eq!(pape.auth_time(), Some(1_796_173_200));
}

#[test]
fn a_malformed_extension_response_is_a_typed_error() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| {
        b.tampering = vec![Tamper::Extra(vec![
            ("ns.pape".into(), PAPE_NS.into()),
            ("pape.auth_policies".into(), String::new()),
            ("pape.auth_time".into(), "last tuesday".into()),
        ])];
    });
    let user = login_with_profile(&provider.identity_url("gina"));
    assert!(matches!(user.extension::<PapeResponse>(), Err(ExtensionError::Invalid { .. })));
}
