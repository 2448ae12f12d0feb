//! Discovery documents, served with the right content types and read by the consumer's
//! discovery.

use openid_consumer::discovery::discover;
use openid_consumer::discovery::endpoint::{TYPE_OP_IDENTIFIER, TYPE_SIGNON_1_1, TYPE_SIGNON_2_0};
use openid_consumer::discovery::html::{find_xrds_location, parse_links};
use openid_consumer::discovery::xrds;
use openid_consumer::extensions::ax::AX_NS;
use openid_consumer::extensions::sreg::SREG_1_1_NS;
use openid_testkit::{Page, Protocol, Provider};

use crate::common::{fetcher, get};

#[test]
fn identity_page_is_html_with_links_and_a_yadis_pointer() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    let page = get(&alice);
    assert_eq!(page.status, 200);
    assert!(page.content_type().starts_with("text/html"), "{}", page.content_type());
    let xrds_url = format!("{}/xrds/alice", provider.base_url());
    assert_eq!(page.header("x-xrds-location"), Some(xrds_url.as_str()));
    assert_eq!(find_xrds_location(&page.body).as_deref(), Some(xrds_url.as_str()));
    let links = parse_links(&page.body);
    assert_eq!(links.openid2_provider(), Some(provider.endpoint_url().as_str()));
    assert_eq!(links.openid2_local_id(), Some(alice.as_str()));
    assert_eq!(links.openid_server(), Some(provider.endpoint_url().as_str()));
    assert_eq!(links.openid_delegate(), Some(alice.as_str()));
}

#[test]
fn xrds_document_is_application_xrds_xml_with_a_2_0_and_1_1_service() {
    let provider = Provider::start().unwrap();
    let answer = get(&format!("{}/xrds/alice", provider.base_url()));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type(), "application/xrds+xml");
    let document = xrds::parse(answer.body.as_bytes()).unwrap();
    let services = document.services();
    assert_eq!(services.len(), 1);
    // OpenID 2.0 and 1.1, and the extensions it answers: Simple Registration and AX.
    assert_eq!(
        services[0].types,
        [TYPE_SIGNON_2_0, TYPE_SIGNON_1_1, SREG_1_1_NS, AX_NS].map(str::to_owned)
    );
    assert_eq!(services[0].local_ids, vec![provider.identity_url("alice")]);
}

#[test]
fn identity_url_discovers_the_endpoint_through_yadis() {
    let provider = Provider::start().unwrap();
    let (fetcher, policy) = fetcher();
    let alice = provider.identity_url("alice");
    let found = discover(&alice, &fetcher, &policy).unwrap();
    assert_eq!(found.claimed_id, alice);
    let endpoint = &found.endpoints[0];
    assert!(endpoint.used_yadis());
    assert_eq!(endpoint.server_url(), provider.endpoint_url());
    assert_eq!(endpoint.claimed_id(), Some(alice.as_str()));
    assert_eq!(endpoint.local_id(), Some(alice.as_str()));
    assert!(endpoint.type_uris().iter().any(|t| t == TYPE_SIGNON_2_0));
}

#[test]
fn html_identity_url_discovers_through_links_without_yadis() {
    let provider = Provider::start().unwrap();
    let bob = provider.html_identity_url("bob");
    let page = get(&bob);
    assert!(page.content_type().starts_with("text/html"));
    assert_eq!(page.header("x-xrds-location"), None);
    assert_eq!(find_xrds_location(&page.body), None);
    let (fetcher, policy) = fetcher();
    let found = discover(&bob, &fetcher, &policy).unwrap();
    assert_eq!(found.claimed_id, bob);
    assert!(found.endpoints.iter().all(|e| !e.used_yadis()));
    let types: Vec<&str> = found.endpoints.iter().map(|e| e.type_uris()[0].as_str()).collect();
    assert_eq!(types, [TYPE_SIGNON_2_0, TYPE_SIGNON_1_1]);
    assert!(found.endpoints.iter().all(|e| e.server_url() == provider.endpoint_url()));
}

#[test]
fn op_identifier_discovers_the_server_service() {
    let provider = Provider::start().unwrap();
    let answer = get(&provider.op_identifier_url());
    assert_eq!(answer.content_type(), "application/xrds+xml");
    let (fetcher, policy) = fetcher();
    let found = discover(&provider.op_identifier_url(), &fetcher, &policy).unwrap();
    assert_eq!(found.endpoints.len(), 1);
    let endpoint = &found.endpoints[0];
    assert_eq!(endpoint.type_uris(), [TYPE_OP_IDENTIFIER, SREG_1_1_NS, AX_NS].map(str::to_owned));
    assert_eq!(endpoint.server_url(), provider.endpoint_url());
    assert_eq!(endpoint.claimed_id(), None);
}

#[test]
fn v1_only_documents_advertise_only_openid_1_1() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.protocol = Protocol::V1Only);
    let page = get(&provider.identity_url("alice"));
    let links = parse_links(&page.body);
    assert_eq!(links.openid2_provider(), None);
    assert_eq!(links.openid_server(), Some(provider.endpoint_url().as_str()));
    let (fetcher, policy) = fetcher();
    let (alice, html) = (provider.identity_url("alice"), provider.html_identity_url("alice"));
    for url in [&alice, &html] {
        let found = discover(url, &fetcher, &policy).unwrap();
        assert!(!found.endpoints.is_empty());
        for endpoint in &found.endpoints {
            assert_eq!(endpoint.type_uris()[0], TYPE_SIGNON_1_1, "{url}");
            assert!(!endpoint.type_uris().iter().any(|t| t == TYPE_SIGNON_2_0), "{url}");
            assert_eq!(endpoint.local_id(), Some(url.as_str()));
        }
    }
}

#[test]
fn a_delegating_page_discovers_the_provider_with_a_local_id() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    provider.add_page(
        "/bob",
        "text/html; charset=utf-8",
        format!(
            "<html><head><link rel=\"openid2.provider\" href=\"{}\">\
             <link rel=\"openid2.local_id\" href=\"{alice}\"></head></html>",
            provider.endpoint_url()
        ),
    );
    let bob = format!("{}/bob", provider.base_url());
    let (fetcher, policy) = fetcher();
    let found = discover(&bob, &fetcher, &policy).unwrap();
    assert_eq!(found.claimed_id, bob);
    assert_eq!(found.endpoints[0].local_id(), Some(alice.as_str()));
}

#[test]
fn added_pages_keep_their_status_content_type_and_headers_and_win_over_built_in_ones() {
    let provider = Provider::start().unwrap();
    provider.add_page_with(
        "/id/alice",
        Page::new("application/xrds+xml", "<broken").with_status(203).with_header("X-Test", "yes"),
    );
    let answer = get(&provider.identity_url("alice"));
    assert_eq!(answer.status, 203);
    assert_eq!(answer.content_type(), "application/xrds+xml");
    assert_eq!(answer.header("x-test"), Some("yes"));
    assert_eq!(answer.body, "<broken");
    assert!(provider.remove_page("/id/alice"));
    assert!(!provider.remove_page("/id/alice"));
    assert!(get(&provider.identity_url("alice")).content_type().starts_with("text/html"));
}

#[test]
fn a_redirecting_claimed_identifier_ends_at_the_identity() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    provider.add_page_with("/me", Page::redirect(302, alice.clone()));
    let (fetcher, policy) = fetcher();
    let found = discover(&format!("{}/me", provider.base_url()), &fetcher, &policy).unwrap();
    assert_eq!(found.claimed_id, alice);
}

#[test]
fn identity_names_are_percent_encoded_and_unknown_paths_are_not_found() {
    let provider = Provider::start().unwrap();
    let odd = provider.identity_url("o'neil & co/x");
    assert_eq!(odd, format!("{}/id/o%27neil%20%26%20co%2Fx", provider.base_url()));
    assert_eq!(get(&odd).status, 200);
    assert_eq!(get(&format!("{}/nothing", provider.base_url())).status, 404);
    assert_eq!(get(&format!("{}/id/", provider.base_url())).status, 404);
    assert_eq!(get(&format!("{}/id/a/b", provider.base_url())).status, 404);
}
