//! Hostile documents: typed errors, bounded time, no panic.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use openid_consumer::discovery::html::{find_xrds_location, parse_links};
use openid_consumer::discovery::xrds::{self, MAX_DEPTH, MAX_DOCUMENT_BYTES, XrdsError};
use openid_consumer::discovery::{DiscoveryError, discover};
use openid_consumer::fetch::UreqFetcher;

use super::support::{Reply, TestServer, loopback_policy};

const VALID: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"
  xmlns:openid="http://openid.net/xmlns/1.0">
  <XRD>
    <Service priority="10">
      <Type>http://specs.openid.net/auth/2.0/signon</Type>
      <URI>https://op.example/a?x=1&amp;y=&#50;</URI>
      <LocalID><![CDATA[https://me.example/]]></LocalID>
    </Service>
  </XRD>
</xrds:XRDS>"#;

fn timed<T>(work: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = work();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    out
}

#[test]
fn the_valid_reference_document_parses_with_entities_and_cdata_decoded() {
    let document = xrds::parse(VALID.as_bytes()).unwrap();
    let services = document.services();
    assert_eq!(services[0].uris_by_priority(), ["https://op.example/a?x=1&y=2"]);
    assert_eq!(services[0].local_ids, ["https://me.example/"]);
}

// See: https://en.wikipedia.org/wiki/Billion_laughs_attack
#[test]
fn billion_laughs_is_refused_as_a_doctype() {
    let mut doc =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for level in 1..10 {
        let previous = if level == 1 { "lol".to_owned() } else { format!("lol{}", level - 1) };
        let expansion = format!("&{previous};").repeat(10);
        writeln!(doc, "<!ENTITY lol{level} \"{expansion}\">").unwrap();
    }
    doc.push_str("]>\n<xrds:XRDS xmlns:xrds=\"xri://$xrds\"><XRD>&lol9;</XRD></xrds:XRDS>");
    assert_eq!(timed(|| xrds::parse(doc.as_bytes())), Err(XrdsError::DoctypeNotAllowed));
}

// See: CVE-2013-4701 (php-openid), CVE-2013-1812 (ruby-openid)
#[test]
fn cve_2013_4701_external_entity_doctype_is_refused() {
    let doc = r#"<?xml version="1.0"?>
<!DOCTYPE xrds [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"><XRD><Service>
<Type>http://specs.openid.net/auth/2.0/signon</Type><URI>&xxe;</URI></Service></XRD></xrds:XRDS>"#;
    assert_eq!(xrds::parse(doc.as_bytes()), Err(XrdsError::DoctypeNotAllowed));
}

#[test]
fn an_undeclared_entity_is_an_unknown_entity_error() {
    let doc = r#"<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"><XRD><Service>
<URI>&xxe;</URI></Service></XRD></xrds:XRDS>"#;
    assert_eq!(xrds::parse(doc.as_bytes()), Err(XrdsError::UnknownEntity { name: "xxe".into() }));
}

#[test]
fn ten_megabytes_of_nested_tags_are_refused_quickly() {
    let doc = "<a>".repeat(10 * 1024 * 1024 / 3);
    assert_eq!(
        timed(|| xrds::parse(doc.as_bytes())),
        Err(XrdsError::TooLarge { limit: MAX_DOCUMENT_BYTES })
    );
}

#[test]
fn deep_nesting_under_the_size_cap_is_refused_at_the_depth_limit() {
    let mut doc = String::from(r#"<xrds:XRDS xmlns:xrds="xri://$xrds">"#);
    doc.push_str(&"<a>".repeat(300_000));
    assert!(doc.len() < MAX_DOCUMENT_BYTES);
    assert_eq!(timed(|| xrds::parse(doc.as_bytes())), Err(XrdsError::TooDeep { limit: MAX_DEPTH }));
}

#[test]
fn every_truncated_prefix_of_a_valid_document_fails_cleanly() {
    let end = VALID.rfind('>').unwrap();
    for cut in 0..end {
        let Some(prefix) = VALID.get(..cut) else { continue };
        let outcome = xrds::parse(prefix.as_bytes());
        assert!(outcome.is_err(), "prefix of {cut} bytes parsed: {outcome:?}");
    }
    assert!(xrds::parse(VALID.as_bytes()).is_ok());
}

#[test]
fn truncation_inside_an_element_is_reported_as_truncated() {
    let cut = VALID.find("</XRD>").unwrap();
    assert_eq!(xrds::parse(&VALID.as_bytes()[..cut]), Err(XrdsError::Truncated));
}

#[test]
fn a_document_that_is_not_utf8_is_a_typed_error() {
    let mut doc = VALID.as_bytes().to_vec();
    let at = VALID.find("op.example").unwrap();
    doc[at] = 0xFF;
    assert_eq!(xrds::parse(&doc), Err(XrdsError::NotUtf8 { position: at }));
    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><x>caf\xE9</x>";
    assert!(matches!(xrds::parse(latin1), Err(XrdsError::NotUtf8 { .. })));
}

#[test]
fn mismatched_and_garbage_documents_are_malformed() {
    for doc in
        ["<xrds:XRDS xmlns:xrds=\"xri://$xrds\"><XRD></Service></xrds:XRDS>", "\0\0\0\0", "<<<>>>"]
    {
        let outcome = xrds::parse(doc.as_bytes());
        assert!(
            matches!(
                outcome,
                Err(XrdsError::Malformed { .. } | XrdsError::NotXrds | XrdsError::Truncated)
            ),
            "{doc:?}: {outcome:?}"
        );
    }
    assert_eq!(xrds::parse(b""), Err(XrdsError::Truncated));
}

#[test]
fn namespaces_are_honoured_not_prefixes() {
    // Same prefixes, wrong namespace: not XRDS.
    let wrong = r#"<xrds:XRDS xmlns:xrds="urn:not-xrds"><XRD/></xrds:XRDS>"#;
    assert_eq!(xrds::parse(wrong.as_bytes()), Err(XrdsError::NotXrds));
    // Other prefixes, right namespaces: XRDS.
    let renamed = r#"<a:XRDS xmlns:a="xri://$xrds" xmlns:b="xri://$xrd*($v*2.0)"><b:XRD>
      <b:Service><b:Type>t</b:Type><b:URI>https://u.example/</b:URI></b:Service></b:XRD></a:XRDS>"#;
    let document = xrds::parse(renamed.as_bytes()).unwrap();
    assert_eq!(document.services()[0].types, ["t"]);
    // An XRD element outside the XRD namespace does not count.
    let foreign = r#"<XRDS xmlns="xri://$xrds"><XRD xmlns="urn:other"/></XRDS>"#;
    assert_eq!(xrds::parse(foreign.as_bytes()), Err(XrdsError::NoXrd));
}

#[test]
fn equal_priorities_keep_document_order_and_invalid_priorities_sort_last() {
    let doc = r#"<XRDS xmlns="xri://$xrds"><XRD xmlns="xri://$xrd*($v*2.0)">
      <Service priority="-1"><Type>negative</Type></Service>
      <Service><Type>none</Type></Service>
      <Service priority="5"><Type>first-5</Type></Service>
      <Service priority="abc"><Type>garbage</Type></Service>
      <Service priority="0"><Type>zero</Type></Service>
      <Service priority="5"><Type>second-5</Type></Service>
    </XRD></XRDS>"#;
    let document = xrds::parse(doc.as_bytes()).unwrap();
    let order: Vec<&str> = document.services().iter().map(|s| s.types[0].as_str()).collect();
    assert_eq!(order, ["zero", "first-5", "second-5", "negative", "none", "garbage"]);
}

#[test]
fn huge_html_with_links_at_the_end_of_the_head_is_parsed_in_bounded_time() {
    let mut html = String::from("<html><head><title>t</title>");
    html.push_str(&"<meta name=\"x\" content=\"y\">\n".repeat(200_000));
    html.push_str(r#"<link rel="openid2.provider" href="https://op.example/"></head><body>"#);
    html.push_str(&"<div>".repeat(1_000_000));
    let links = timed(|| parse_links(&html));
    assert_eq!(links.openid2_provider(), Some("https://op.example/"));
    assert_eq!(timed(|| find_xrds_location(&html)), None);
}

#[test]
fn hostile_xrds_served_over_http_is_a_typed_discovery_error() {
    let server = TestServer::start(|_| {
        Reply::ok(
            "application/xrds+xml",
            "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>",
        )
    });
    let error =
        timed(|| discover(&server.url("/"), &UreqFetcher::new(), &loopback_policy())).unwrap_err();
    assert!(
        matches!(
            error,
            DiscoveryError::NoEndpoints { xrds_error: Some(XrdsError::DoctypeNotAllowed), .. }
        ),
        "{error:?}"
    );
}

#[test]
fn errors_display_short_lower_case_messages() {
    assert_eq!(XrdsError::DoctypeNotAllowed.to_string(), "DOCTYPE is not allowed");
    assert_eq!(XrdsError::TooDeep { limit: 32 }.to_string(), "elements nested deeper than 32");
    assert_eq!(XrdsError::TooLarge { limit: 10 }.to_string(), "document larger than 10 bytes");
    assert_eq!(XrdsError::UnknownEntity { name: "x".into() }.to_string(), "unknown entity &x;");
    assert_eq!(XrdsError::Truncated.to_string(), "document is truncated");
    assert_eq!(XrdsError::NoXrd.to_string(), "no XRD element in the XRDS document");
}
