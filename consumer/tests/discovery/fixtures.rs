//! Every fixture of python-openid's `test_discover/`, `test_etxrd/`, `accept.txt` and
//! `example-xrds.xml`, with the expected endpoints written out.

use openid_consumer::discovery::accept::{match_types, parse_accept_header};
use openid_consumer::discovery::endpoint::{
    TYPE_OP_IDENTIFIER, TYPE_SIGNON_1_0, TYPE_SIGNON_1_1, TYPE_SIGNON_2_0,
};
use openid_consumer::discovery::xrds::{self, XrdsError};
use openid_consumer::discovery::xri::{self, XriError};
use openid_consumer::discovery::{
    Discoverer, DiscoveryConfig, DiscoveryError, DiscoveryResult, ServiceEndpoint, ServiceError,
    discover,
};
use openid_consumer::fetch::{FetchResponse, NetworkPolicy};

use super::support::{MapFetcher, vector, vectors_dir};

const ID_URL: &str = "http://someuser.unittest/";
const XRDS_TYPE: &str = "application/xrds+xml";
const MYOPENID: &str = "http://www.myopenid.com/server";
const SMOKER: &str = "http://smoker.myopenid.com/";

/// What one endpoint must look like.
struct Expect<'a> {
    server: &'a str,
    claimed: Option<&'a str>,
    local: Option<&'a str>,
    types: &'a [&'a str],
    op_identifier: bool,
    used_yadis: bool,
}

fn check(endpoint: &ServiceEndpoint, expect: &Expect<'_>) {
    assert_eq!(endpoint.server_url(), expect.server, "server_url");
    assert_eq!(endpoint.claimed_id(), expect.claimed, "claimed_id");
    assert_eq!(endpoint.declared_local_id(), expect.local, "declared local id");
    assert_eq!(endpoint.local_id(), expect.local.or(expect.claimed), "local_id with fallback");
    let types: Vec<&str> = endpoint.type_uris().iter().map(String::as_str).collect();
    assert_eq!(types, expect.types, "type URIs");
    assert_eq!(endpoint.is_op_identifier(), expect.op_identifier, "is_op_identifier");
    assert_eq!(endpoint.used_yadis(), expect.used_yadis, "used_yadis");
    let openid2 = expect.op_identifier || expect.types.contains(&TYPE_SIGNON_2_0);
    assert_eq!(endpoint.compat_mode(), !openid2, "compat_mode");
    assert_eq!(
        endpoint.preferred_namespace(),
        if openid2 { "http://specs.openid.net/auth/2.0" } else { "http://openid.net/signon/1.0" }
    );
}

/// Discovers `ID_URL` serving `file` with `content_type`.
fn discover_fixture(
    file: &str,
    content_type: &str,
) -> Option<Result<DiscoveryResult, DiscoveryError>> {
    let body = vector(&format!("test_discover/{file}"))?;
    let fetcher = MapFetcher::new().serve(ID_URL, content_type, body);
    Some(discover(ID_URL, &fetcher, &NetworkPolicy::default()))
}

fn endpoints(file: &str, content_type: &str) -> Option<Vec<ServiceEndpoint>> {
    let result = discover_fixture(file, content_type)?.unwrap();
    assert_eq!(result.claimed_id, ID_URL);
    Some(result.endpoints)
}

#[test]
fn openid_html_gives_one_openid_1_1_endpoint_with_delegate() {
    let Some(found) = endpoints("openid.html", "text/html") else { return };
    assert_eq!(found.len(), 1);
    check(
        &found[0],
        &Expect {
            server: MYOPENID,
            claimed: Some(ID_URL),
            local: Some(SMOKER),
            types: &[TYPE_SIGNON_1_1],
            op_identifier: false,
            used_yadis: false,
        },
    );
}

#[test]
fn openid2_html_gives_one_openid_2_endpoint_with_local_id() {
    let Some(found) = endpoints("openid2.html", "text/html") else { return };
    assert_eq!(found.len(), 1);
    check(
        &found[0],
        &Expect {
            server: MYOPENID,
            claimed: Some(ID_URL),
            local: Some(SMOKER),
            types: &[TYPE_SIGNON_2_0],
            op_identifier: false,
            used_yadis: false,
        },
    );
}

#[test]
fn openid_1_and_2_html_gives_the_2_0_endpoint_before_the_1_1_endpoint() {
    let Some(found) = endpoints("openid_1_and_2.html", "text/html") else { return };
    assert_eq!(found.len(), 2);
    for (endpoint, types) in found.iter().zip([[TYPE_SIGNON_2_0], [TYPE_SIGNON_1_1]]) {
        check(
            endpoint,
            &Expect {
                server: MYOPENID,
                claimed: Some(ID_URL),
                local: Some(SMOKER),
                types: &types,
                op_identifier: false,
                used_yadis: false,
            },
        );
    }
}

#[test]
fn openid_no_delegate_html_falls_back_to_the_claimed_id_as_local_id() {
    let Some(found) = endpoints("openid_no_delegate.html", "text/html") else { return };
    assert_eq!(found.len(), 1);
    check(
        &found[0],
        &Expect {
            server: MYOPENID,
            claimed: Some(ID_URL),
            local: None,
            types: &[TYPE_SIGNON_1_1],
            op_identifier: false,
            used_yadis: false,
        },
    );
    assert_eq!(found[0].local_id(), Some(ID_URL));
}

#[test]
fn openid_and_yadis_html_follows_the_meta_xrds_location() {
    let (Some(page), Some(xrds)) = (
        vector("test_discover/openid_and_yadis.html"),
        vector("test_discover/yadis_another_delegate.xml"),
    ) else {
        return;
    };
    let fetcher = MapFetcher::new().serve(ID_URL, "text/html", page).serve(
        "http://someuser.unittest/xrds",
        XRDS_TYPE,
        xrds,
    );
    let result = discover(ID_URL, &fetcher, &NetworkPolicy::default()).unwrap();
    assert_eq!(result.claimed_id, ID_URL);
    assert_eq!(result.endpoints.len(), 1);
    check(
        &result.endpoints[0],
        &Expect {
            server: "http://vroom.unittest/server",
            claimed: Some(ID_URL),
            local: Some(SMOKER),
            types: &[TYPE_SIGNON_1_0],
            op_identifier: false,
            used_yadis: true,
        },
    );
}

#[test]
fn openid_and_yadis_html_fails_when_the_xrds_location_is_missing() {
    let Some(page) = vector("test_discover/openid_and_yadis.html") else { return };
    let fetcher = MapFetcher::new().serve(ID_URL, "text/html", page);
    let error = discover(ID_URL, &fetcher, &NetworkPolicy::default()).unwrap_err();
    assert!(
        matches!(&error, DiscoveryError::HttpStatus { url, status: 404 } if url == "http://someuser.unittest/xrds"),
        "{error:?}"
    );
}

#[test]
fn unicode_html_without_links_is_no_endpoints_not_a_crash() {
    let Some(outcome) = discover_fixture("unicode.html", "text/html") else { return };
    let error = outcome.unwrap_err();
    assert!(
        matches!(&error, DiscoveryError::NoEndpoints { claimed_id, rejected, .. } if claimed_id == ID_URL && rejected.is_empty()),
        "{error:?}"
    );
}

#[test]
fn unicode3_html_that_is_not_utf8_still_yields_its_xrds_location() {
    let (Some(page), Some(xrds)) =
        (vector("test_discover/unicode3.html"), vector("test_discover/yadis_idp.xml"))
    else {
        return;
    };
    assert!(std::str::from_utf8(&page).is_err(), "the fixture is meant to be invalid UTF-8");
    let fetcher = MapFetcher::new().serve(ID_URL, "text/html; charset=UTF-8", page).serve(
        "http://someuser.unittest/xrds",
        XRDS_TYPE,
        xrds,
    );
    let result = discover(ID_URL, &fetcher, &NetworkPolicy::default()).unwrap();
    assert_eq!(result.endpoints.len(), 1);
    assert!(result.endpoints[0].is_op_identifier());
}

#[test]
fn openid2_xrds_gives_a_2_0_endpoint_with_local_id() {
    let Some(found) = endpoints("openid2_xrds.xml", XRDS_TYPE) else { return };
    assert_eq!(found.len(), 1);
    check(
        &found[0],
        &Expect {
            server: MYOPENID,
            claimed: Some(ID_URL),
            local: Some(SMOKER),
            types: &[TYPE_SIGNON_2_0],
            op_identifier: false,
            used_yadis: true,
        },
    );
}

#[test]
fn openid2_xrds_no_local_id_gives_an_endpoint_without_local_id() {
    let Some(found) = endpoints("openid2_xrds_no_local_id.xml", XRDS_TYPE) else { return };
    assert_eq!(found.len(), 1);
    check(
        &found[0],
        &Expect {
            server: MYOPENID,
            claimed: Some(ID_URL),
            local: None,
            types: &[TYPE_SIGNON_2_0],
            op_identifier: false,
            used_yadis: true,
        },
    );
}

#[test]
fn openid_1_and_2_xrds_gives_one_endpoint_with_both_types() {
    let Some(found) = endpoints("openid_1_and_2_xrds.xml", "Application/XRDS+XML; charset=utf-8")
    else {
        return;
    };
    assert_eq!(found.len(), 1);
    check(
        &found[0],
        &Expect {
            server: MYOPENID,
            claimed: Some(ID_URL),
            local: Some(SMOKER),
            types: &[TYPE_SIGNON_2_0, TYPE_SIGNON_1_1],
            op_identifier: false,
            used_yadis: true,
        },
    );
}

#[test]
fn openid_1_and_2_xrds_bad_delegate_rejects_the_service_with_conflicting_local_ids() {
    let Some(outcome) = discover_fixture("openid_1_and_2_xrds_bad_delegate.xml", XRDS_TYPE) else {
        return;
    };
    match outcome.unwrap_err() {
        DiscoveryError::NoEndpoints { claimed_id, xrds_error: None, rejected } => {
            assert_eq!(claimed_id, ID_URL);
            assert_eq!(
                rejected,
                [ServiceError::ConflictingLocalIds {
                    server_url: MYOPENID.into(),
                    first: "http://localid.mismatch.invalid/".into(),
                    second: SMOKER.into(),
                }]
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn yadis_2_bad_local_id_rejects_the_service_with_two_local_ids() {
    let Some(outcome) = discover_fixture("yadis_2_bad_local_id.xml", XRDS_TYPE) else { return };
    match outcome.unwrap_err() {
        DiscoveryError::NoEndpoints { rejected, .. } => assert_eq!(
            rejected,
            [ServiceError::ConflictingLocalIds {
                server_url: MYOPENID.into(),
                first: SMOKER.into(),
                second: "http://localid.mismatch.invalid/".into(),
            }]
        ),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn yadis_0entries_has_no_openid_service() {
    let Some(outcome) = discover_fixture("yadis_0entries.xml", XRDS_TYPE) else { return };
    assert!(
        matches!(
            outcome,
            Err(DiscoveryError::NoEndpoints { xrds_error: None, ref rejected, .. }) if rejected.is_empty()
        ),
        "{outcome:?}"
    );
}

#[test]
fn yadis_2entries_delegate_gives_two_endpoints_in_priority_order() {
    let Some(found) = endpoints("yadis_2entries_delegate.xml", XRDS_TYPE) else { return };
    assert_eq!(found.len(), 2);
    check(
        &found[0],
        &Expect {
            server: MYOPENID,
            claimed: Some(ID_URL),
            local: Some(SMOKER),
            types: &[TYPE_SIGNON_1_0],
            op_identifier: false,
            used_yadis: true,
        },
    );
    check(
        &found[1],
        &Expect {
            server: "http://www.livejournal.com/openid/server.bml",
            claimed: Some(ID_URL),
            local: Some("http://frank.livejournal.com/"),
            types: &[TYPE_SIGNON_1_0],
            op_identifier: false,
            used_yadis: true,
        },
    );
}

#[test]
fn yadis_2entries_idp_puts_the_op_identifier_service_first() {
    let Some(found) = endpoints("yadis_2entries_idp.xml", XRDS_TYPE) else { return };
    assert_eq!(found.len(), 2);
    check(
        &found[0],
        &Expect {
            server: "http://www.livejournal.com/openid/server.bml",
            claimed: None,
            local: None,
            types: &[TYPE_OP_IDENTIFIER],
            op_identifier: true,
            used_yadis: true,
        },
    );
    // `openid:LocalID` is not an element OpenID defines (LocalID lives in the XRD
    // namespace), so this service has no local id.
    check(
        &found[1],
        &Expect {
            server: MYOPENID,
            claimed: Some(ID_URL),
            local: None,
            types: &[TYPE_SIGNON_2_0],
            op_identifier: false,
            used_yadis: true,
        },
    );
}

#[test]
fn yadis_another_delegate_gives_the_vroom_endpoint() {
    let Some(found) = endpoints("yadis_another_delegate.xml", XRDS_TYPE) else { return };
    assert_eq!(found.len(), 1);
    check(
        &found[0],
        &Expect {
            server: "http://vroom.unittest/server",
            claimed: Some(ID_URL),
            local: Some(SMOKER),
            types: &[TYPE_SIGNON_1_0],
            op_identifier: false,
            used_yadis: true,
        },
    );
}

#[test]
fn yadis_idp_gives_an_op_identifier_endpoint_without_claimed_id() {
    let Some(found) = endpoints("yadis_idp.xml", XRDS_TYPE) else { return };
    assert_eq!(found.len(), 1);
    check(
        &found[0],
        &Expect {
            server: MYOPENID,
            claimed: None,
            local: None,
            types: &[TYPE_OP_IDENTIFIER],
            op_identifier: true,
            used_yadis: true,
        },
    );
    assert!(found[0].supports_type(TYPE_SIGNON_2_0));
    assert!(!found[0].supports_type(TYPE_SIGNON_1_1));
    assert_eq!(found[0].display_identifier(), None);
}

#[test]
fn yadis_idp_delegate_ignores_the_delegate_of_an_op_identifier_service() {
    let Some(found) = endpoints("yadis_idp_delegate.xml", XRDS_TYPE) else { return };
    assert_eq!(found.len(), 1);
    check(
        &found[0],
        &Expect {
            server: MYOPENID,
            claimed: None,
            local: None,
            types: &[TYPE_OP_IDENTIFIER],
            op_identifier: true,
            used_yadis: true,
        },
    );
}

#[test]
fn yadis_no_delegate_gives_an_openid_1_0_endpoint_without_local_id() {
    let Some(found) = endpoints("yadis_no_delegate.xml", XRDS_TYPE) else { return };
    assert_eq!(found.len(), 1);
    check(
        &found[0],
        &Expect {
            server: MYOPENID,
            claimed: Some(ID_URL),
            local: None,
            types: &[TYPE_SIGNON_1_0],
            op_identifier: false,
            used_yadis: true,
        },
    );
}

#[test]
fn xrds_served_as_text_xml_is_still_parsed_as_xrds() {
    // python-openid tries the body as XRDS whatever its content type.
    let Some(found) = endpoints("yadis_no_delegate.xml", "text/xml") else { return };
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].server_url(), MYOPENID);
}

#[test]
fn claimed_id_is_the_final_url_normalised_without_fragment() {
    let Some(body) = vector("test_discover/openid2_xrds.xml") else { return };
    let final_url = "HTTP://SomeUser.unittest:80/a/../final#frag";
    let response =
        FetchResponse::new(final_url, 200, vec![("content-type".into(), XRDS_TYPE.into())], body);
    let fetcher = MapFetcher::new().serve_response("http://start.unittest/", response);
    let result = discover("start.unittest", &fetcher, &NetworkPolicy::default()).unwrap();
    assert_eq!(result.claimed_id, "http://someuser.unittest/final");
    assert_eq!(result.endpoints[0].claimed_id(), Some("http://someuser.unittest/final"));
}

#[test]
fn the_fragment_of_the_user_input_is_not_sent_and_not_claimed() {
    let Some(body) = vector("test_discover/openid2.html") else { return };
    let fetcher = MapFetcher::new().serve(ID_URL, "text/html", body);
    let result =
        discover("http://someuser.unittest/#me", &fetcher, &NetworkPolicy::default()).unwrap();
    assert_eq!(result.claimed_id, ID_URL);
    assert_eq!(fetcher.requests.lock().unwrap()[0].0, ID_URL);
}

#[test]
fn the_yadis_request_sends_the_accept_header() {
    let Some(body) = vector("test_discover/openid2.html") else { return };
    let fetcher = MapFetcher::new().serve(ID_URL, "text/html", body);
    discover(ID_URL, &fetcher, &NetworkPolicy::default()).unwrap();
    let requests = fetcher.requests.lock().unwrap();
    assert_eq!(
        requests[0].1,
        [(
            "Accept".to_owned(),
            "text/html; q=0.3, application/xhtml+xml; q=0.5, application/xrds+xml".to_owned()
        )]
    );
}

// ---- test_etxrd ------------------------------------------------------------------------

#[test]
fn valid_populated_xrds_lists_services_by_priority() {
    let Some(body) = vector("test_etxrd/valid-populated-xrds.xml") else { return };
    let document = xrds::parse(&body).unwrap();
    let services = document.services();
    let first_uris: Vec<Vec<&str>> = services.iter().map(|s| s.uris_by_priority()).collect();
    assert_eq!(
        first_uris,
        [
            vec!["http://www.myopenid.com/server"],
            vec!["http://www.schtuff.com/openid"],
            vec!["http://www.livejournal.com/openid/server.bml"],
            vec![],
            vec!["http://mylid.net/josh"],
        ]
    );
    assert_eq!(services[3].types, ["http://typekey.com/services/1.0"]);
    assert_eq!(
        services[4].types,
        ["http://lid.netmesh.org/sso/2.0b5", "http://lid.netmesh.org/2.0b5"]
    );
    let (found, rejected) = openid_consumer::discovery::endpoint::from_xrds(ID_URL, &document);
    assert!(rejected.is_empty());
    let summary: Vec<(&str, Option<&str>)> =
        found.iter().map(|e| (e.server_url(), e.declared_local_id())).collect();
    assert_eq!(
        summary,
        [
            ("http://www.myopenid.com/server", Some("http://josh.myopenid.com/")),
            ("http://www.schtuff.com/openid", Some("http://users.schtuff.com/josh")),
            (
                "http://www.livejournal.com/openid/server.bml",
                Some("http://www.livejournal.com/users/nedthealpaca/")
            ),
        ]
    );
}

#[test]
fn no_xrd_is_an_error() {
    let Some(body) = vector("test_etxrd/no-xrd.xml") else { return };
    assert_eq!(xrds::parse(&body), Err(XrdsError::NoXrd));
}

#[test]
fn not_xrds_is_an_error() {
    let Some(body) = vector("test_etxrd/not-xrds.xml") else { return };
    assert_eq!(xrds::parse(&body), Err(XrdsError::NotXrds));
}

#[test]
fn example_xrds_has_a_service_that_is_not_openid() {
    let Some(body) = vector("example-xrds.xml") else { return };
    let document = xrds::parse(&body).unwrap();
    let services = document.services();
    assert_eq!(services.len(), 1);
    assert_eq!(services[0].types, ["http://example.com/"]);
    assert_eq!(services[0].uris_by_priority(), ["http://www.openidenabled.com/"]);
    let (found, _) = openid_consumer::discovery::endpoint::from_xrds(ID_URL, &document);
    assert!(found.is_empty());
}

fn canonical(xri: &str, file: &str) -> Option<Result<Option<String>, XriError>> {
    let body = vector(&format!("test_etxrd/{file}"))?;
    Some(xri::canonical_id(xri, &xrds::parse(&body).unwrap()))
}

#[test]
fn canonical_ids_of_the_delegated_documents_are_verified() {
    let expected = "@!5BAD.2AA.3C72.AF46!0000.0000.3B9A.CA01";
    for file in [
        "delegated-20060809.xrds",
        "delegated-20060809-r1.xrds",
        "delegated-20060809-r2.xrds",
        "sometimesprefix.xrds",
        "prefixsometimes.xrds",
    ] {
        let Some(outcome) = canonical("@ootao*test1", file) else { return };
        assert_eq!(outcome, Ok(Some(expected.to_owned())), "{file}");
    }
}

#[test]
fn spoofed_canonical_ids_are_rejected() {
    for (xri, file) in [
        ("=keturn*isDrummond", "spoof1.xrds"),
        ("=keturn*isDrummond", "spoof2.xrds"),
        ("@keturn*is*drummond", "spoof3.xrds"),
    ] {
        let Some(outcome) = canonical(xri, file) else { return };
        assert!(matches!(outcome, Err(XriError::CanonicalIdFraud { .. })), "{file}: {outcome:?}");
    }
}

#[test]
fn status222_has_no_canonical_id() {
    let Some(outcome) = canonical("=x", "status222.xrds") else { return };
    assert_eq!(outcome, Ok(None));
    let body = vector("test_etxrd/status222.xrds").unwrap();
    let document = xrds::parse(&body).unwrap();
    assert_eq!(document.xrds[0].status_code.as_deref(), Some("222"));
}

#[test]
fn multisegment_xri_canonical_id_is_verified() {
    let Some(outcome) = canonical("xri://=nishitani*masaki", "subsegments.xrds") else { return };
    assert_eq!(outcome, Ok(Some("=!E117.EF2F.454B.C707!0000.0000.3B9A.CA01".to_owned())));
}

#[test]
fn an_iri_authority_cannot_be_canonical_for_a_global_context_symbol() {
    let Some(outcome) = canonical("phreak.example.com", "delegated-20060809-r2.xrds") else {
        return;
    };
    assert!(matches!(outcome, Err(XriError::CanonicalIdFraud { .. })), "{outcome:?}");
}

#[test]
fn ref_xrds_skips_the_nested_xrds_and_its_unverifiable_chain_is_refused() {
    // XRI references are not followed (python-openid does not either): the chain of the
    // top-level XRDs does not verify, which fails safe.
    let Some(body) = vector("test_etxrd/ref.xrds") else { return };
    let document = xrds::parse(&body).unwrap();
    assert_eq!(document.xrds.len(), 3);
    assert_eq!(document.services().len(), 4);
    assert!(matches!(
        xri::canonical_id("@ootao*test.ref", &document),
        Err(XriError::CanonicalIdFraud { .. })
    ));
}

#[test]
fn xri_discovery_through_a_proxy_uses_the_canonical_id_as_claimed_id() {
    let Some(body) = vector("test_discover/yadis_2entries_delegate.xml") else { return };
    let config = DiscoveryConfig::default().with_xri_proxy("http://proxy.unittest/");
    let query = "http://proxy.unittest/=smoker?_xrd_r=application%2Fxrds%2Bxml%3Bsep%3Dfalse";
    let fetcher = MapFetcher::new().serve(query, XRDS_TYPE, body);
    let result = Discoverer::new(config)
        .discover("xri://=smoker", &fetcher, &NetworkPolicy::default())
        .unwrap();
    assert_eq!(result.claimed_id, "=!1000");
    assert_eq!(result.display_identifier, "=smoker");
    assert_eq!(result.endpoints.len(), 2);
    let first = &result.endpoints[0];
    check(
        first,
        &Expect {
            server: MYOPENID,
            claimed: Some("=!1000"),
            local: Some(SMOKER),
            types: &[TYPE_SIGNON_1_0],
            op_identifier: false,
            used_yadis: true,
        },
    );
    assert_eq!(first.canonical_id(), Some("=!1000"));
    assert_eq!(first.display_identifier(), Some("=smoker"));
}

#[test]
fn xri_discovery_rejects_a_spoofed_resolution() {
    let Some(body) = vector("test_etxrd/spoof1.xrds") else { return };
    let config = DiscoveryConfig::default().with_xri_proxy("http://proxy.unittest");
    let query =
        "http://proxy.unittest/=keturn*isDrummond?_xrd_r=application%2Fxrds%2Bxml%3Bsep%3Dfalse";
    let fetcher = MapFetcher::new().serve(query, XRDS_TYPE, body);
    let error = Discoverer::new(config)
        .discover("=keturn*isDrummond", &fetcher, &NetworkPolicy::default())
        .unwrap_err();
    assert!(
        matches!(error, DiscoveryError::Xri { source: XriError::CanonicalIdFraud { .. }, .. }),
        "{error:?}"
    );
}

#[test]
fn xri_discovery_without_a_proxy_says_how_to_configure_one() {
    let fetcher = MapFetcher::new();
    let error = discover("=smoker", &fetcher, &NetworkPolicy::default()).unwrap_err();
    assert!(matches!(error, DiscoveryError::XriResolverNotConfigured { .. }), "{error:?}");
    assert!(error.to_string().contains("xri_proxy"), "{error}");
    assert_eq!(fetcher.request_count(), 0);
}

// ---- accept.txt --------------------------------------------------------------------------

#[test]
fn accept_header_vectors_match_python_openid() {
    let Some(text) = vector("accept.txt") else { return };
    let text = String::from_utf8(text).unwrap();
    let mut cases = 0;
    for block in text.split("\n\n") {
        let mut accept = None;
        let mut available = None;
        let mut expected = None;
        let lines: Vec<&str> =
            block.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).collect();
        if lines.is_empty() {
            continue; // a block of comments only
        }
        for line in lines {
            let (key, value) = line.split_once(':').unwrap();
            let slot = match key {
                "Accept" => &mut accept,
                "Available" => &mut available,
                "Expected" => &mut expected,
                other => panic!("unknown key {other}"),
            };
            let previous = slot.replace(value.trim().to_owned());
            assert!(previous.is_none(), "{key} twice in one block of accept.txt:\n{block}");
        }
        let (Some(accept), Some(available), Some(expected)) = (accept, available, expected) else {
            panic!(
                "incomplete block in accept.txt (Accept, Available and Expected needed):\n{block}"
            );
        };
        let available: Vec<&str> = available.split(',').map(str::trim).collect();
        let expected: Vec<(String, f32)> = expected
            .split(',')
            .filter(|chunk| !chunk.trim().is_empty())
            .map(|chunk| {
                let (media_type, q) = chunk.split_once(';').unwrap();
                let q = q.trim().strip_prefix("q=").unwrap().parse().unwrap();
                (media_type.trim().to_owned(), q)
            })
            .collect();
        let got: Vec<(String, f32)> = match_types(&parse_accept_header(&accept), &available)
            .into_iter()
            .map(|(t, q)| (t.to_owned(), q))
            .collect();
        assert_eq!(got, expected, "Accept: {accept}; Available: {available:?}");
        cases += 1;
    }
    assert_eq!(cases, 25, "accept.txt has 25 cases");
}

// ---- every fixture is covered -------------------------------------------------------------

/// The fixture files the tests above read. A file the folder gains must get a test.
const COVERED: &[&str] = &[
    "test_discover/openid.html",
    "test_discover/openid2.html",
    "test_discover/openid2_xrds.xml",
    "test_discover/openid2_xrds_no_local_id.xml",
    "test_discover/openid_1_and_2.html",
    "test_discover/openid_1_and_2_xrds.xml",
    "test_discover/openid_1_and_2_xrds_bad_delegate.xml",
    "test_discover/openid_and_yadis.html",
    "test_discover/openid_no_delegate.html",
    "test_discover/unicode.html",
    "test_discover/unicode3.html",
    "test_discover/yadis_0entries.xml",
    "test_discover/yadis_2_bad_local_id.xml",
    "test_discover/yadis_2entries_delegate.xml",
    "test_discover/yadis_2entries_idp.xml",
    "test_discover/yadis_another_delegate.xml",
    "test_discover/yadis_idp.xml",
    "test_discover/yadis_idp_delegate.xml",
    "test_discover/yadis_no_delegate.xml",
    "test_etxrd/delegated-20060809-r1.xrds",
    "test_etxrd/delegated-20060809-r2.xrds",
    "test_etxrd/delegated-20060809.xrds",
    "test_etxrd/no-xrd.xml",
    "test_etxrd/not-xrds.xml",
    "test_etxrd/prefixsometimes.xrds",
    "test_etxrd/ref.xrds",
    "test_etxrd/sometimesprefix.xrds",
    "test_etxrd/spoof1.xrds",
    "test_etxrd/spoof2.xrds",
    "test_etxrd/spoof3.xrds",
    "test_etxrd/status222.xrds",
    "test_etxrd/subsegments.xrds",
    "test_etxrd/valid-populated-xrds.xml",
];

#[test]
fn every_fixture_file_in_the_vectors_folders_has_a_test() {
    let Some(dir) = vectors_dir() else { return };
    let mut found = Vec::new();
    for folder in ["test_discover", "test_etxrd"] {
        for entry in std::fs::read_dir(dir.join(folder)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name != "README" {
                found.push(format!("{folder}/{name}"));
            }
        }
    }
    found.sort();
    let covered: Vec<String> = COVERED.iter().map(|name| (*name).to_owned()).collect();
    let untested: Vec<&String> = found.iter().filter(|name| !covered.contains(name)).collect();
    let missing: Vec<&String> = covered.iter().filter(|name| !found.contains(name)).collect();
    assert!(untested.is_empty(), "fixtures without a test (add one, then list them): {untested:?}");
    assert!(missing.is_empty(), "fixtures listed but not in the folder: {missing:?}");
}
