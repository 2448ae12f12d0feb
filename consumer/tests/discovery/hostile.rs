//! Hostile documents: typed errors, bounded time, no panic.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use openid_consumer::discovery::html::{find_xrds_location, parse_links};
use openid_consumer::discovery::xrds::{
    self, MAX_ATTRIBUTES_PER_ELEMENT, MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_LOCAL_IDS_PER_SERVICE,
    MAX_NAMESPACE_DECLARATIONS, MAX_SERVICES, MAX_TYPES_PER_SERVICE, MAX_URIS_PER_SERVICE,
    MAX_XRDS, XrdsError, XrdsLimit,
};
use openid_consumer::discovery::{DiscoveryError, ServiceError, discover, endpoint};
use openid_consumer::fetch::{NetworkPolicy, UreqFetcher};

use super::support::{MapFetcher, Reply, TestServer, loopback_policy};

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

/// Runs `work`, failing if it hangs. A hang guard, not a speed target (those are the
/// criterion benches): the bound is far above the debug-build time on a loaded 2-core
/// machine (a stress run with 17 test binaries at once took over 5 s here), and far below
/// what the quadratic and exponential cases the caps prevent would take.
fn timed<T>(work: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = work();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
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
    // A 900 KB head (links at its end, within the 1 MiB read) and a 5 MB body.
    let mut html = String::from("<html><head><title>t</title>");
    html.push_str(&"<meta name=\"x\" content=\"y\">\n".repeat(30_000));
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

const SIGNON: &str = "http://specs.openid.net/auth/2.0/signon";

/// An XRDS document whose one `XRD` holds `services`.
fn xrds_with(services: &str) -> String {
    format!(
        r#"<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"
  xmlns:openid="http://openid.net/xmlns/1.0"><XRD>{services}</XRD></xrds:XRDS>"#
    )
}

/// `count` copies of `element`, `{}` in it replaced by the copy's number.
fn repeat(element: &str, count: usize) -> String {
    (0..count).map(|i| element.replace("{}", &i.to_string())).collect()
}

/// A service with `count` copies of `element` besides a signon type and one URI.
fn service_with(element: &str, count: usize) -> String {
    format!(
        "<Service><Type>{SIGNON}</Type><URI>https://op.example/</URI>{}</Service>",
        repeat(element, count)
    )
}

// See: issue 9, item 1.
#[test]
fn each_cap_refuses_one_more_than_it_allows_and_names_itself() {
    // Which cap, its value, and a document with n of what it counts.
    type Case = (XrdsLimit, usize, fn(usize) -> String);
    let cases: [Case; 5] = [
        (XrdsLimit::Services, MAX_SERVICES, |n| xrds_with(&repeat("<Service/>", n))),
        (XrdsLimit::TypesPerService, MAX_TYPES_PER_SERVICE, |n| {
            // The signon type is one of them.
            xrds_with(&service_with("<Type>urn:t{}</Type>", n - 1))
        }),
        (XrdsLimit::UrisPerService, MAX_URIS_PER_SERVICE, |n| {
            xrds_with(&service_with("<URI>https://op.example/{}</URI>", n - 1))
        }),
        (XrdsLimit::LocalIdsPerService, MAX_LOCAL_IDS_PER_SERVICE, |n| {
            let local_ids = repeat("<LocalID>https://me.example/</LocalID>", n / 2);
            let delegate = "<openid:Delegate>https://me.example/</openid:Delegate>";
            xrds_with(&service_with(&format!("{local_ids}{}", repeat(delegate, n - n / 2)), 1))
        }),
        (XrdsLimit::Xrds, MAX_XRDS, |n| {
            format!(
                r#"<XRDS xmlns="xri://$xrds">{}</XRDS>"#,
                repeat(r#"<XRD xmlns="xri://$xrd*($v*2.0)"/>"#, n)
            )
        }),
    ];
    for (what, limit, document) in cases {
        assert_eq!(what.limit(), limit);
        let at_cap = document(limit);
        assert!(xrds::parse(at_cap.as_bytes()).is_ok(), "{what:?} at the cap: {at_cap}");
        assert_eq!(
            xrds::parse(document(limit + 1).as_bytes()),
            Err(XrdsError::TooMany { what, limit }),
            "{what:?}"
        );
    }
}

// See: issue 9, item 2. quick-xml's duplicate check compared every attribute with all those
// before it: 20,000 attributes took 2.8 s in a debug build.
#[test]
fn a_megabyte_of_attributes_on_one_element_is_refused_at_the_attribute_cap() {
    let mut attributes = String::new();
    while attributes.len() < MAX_DOCUMENT_BYTES - 200 {
        write!(attributes, r#" a{}="""#, attributes.len()).unwrap();
    }
    let doc = xrds_with(&format!("<Service{attributes}/>"));
    assert!(doc.len() <= MAX_DOCUMENT_BYTES);
    let limit = MAX_ATTRIBUTES_PER_ELEMENT;
    assert_eq!(
        timed(|| xrds::parse(doc.as_bytes())),
        Err(XrdsError::TooMany { what: XrdsLimit::AttributesPerElement, limit })
    );
    let at_cap = xrds_with(&format!("<Service{}/>", repeat(r#" a{}="""#, limit)));
    assert!(xrds::parse(at_cap.as_bytes()).is_ok());
}

// See: issue 9, item 2. Every element name was resolved against every declaration in scope:
// 10,000 declarations and 20,000 elements took 3 s in a debug build. Declarations are
// attributes, so on one element the attribute cap refuses them; spread over nested elements,
// the declaration cap does (next test).
#[test]
fn thousands_of_namespace_declarations_on_one_element_are_refused() {
    let declarations = repeat(r#" xmlns:p{}="urn:p""#, 10_000);
    let mut doc = format!(r#"<xrds:XRDS xmlns:xrds="xri://$xrds"{declarations}><a>"#);
    while doc.len() < MAX_DOCUMENT_BYTES - 100 {
        doc.push_str("<p7:a/>");
    }
    doc.push_str("</a></xrds:XRDS>");
    let refused = Err(XrdsError::TooMany {
        what: XrdsLimit::AttributesPerElement,
        limit: MAX_ATTRIBUTES_PER_ELEMENT,
    });
    assert_eq!(timed(|| xrds::parse(doc.as_bytes())), refused);
}

#[test]
fn namespace_declarations_count_while_in_scope_only() {
    // Eight on each of three nested elements and another eight on the XRD make 32 in scope:
    // the cap. One more is refused.
    let eight = |level: usize| repeat(&format!(r#" xmlns:l{level}p{{}}="urn:p""#), 8);
    let nested = format!(
        r#"<XRDS xmlns="xri://$xrds"{}><a{}><b{}><XRD xmlns="xri://$xrd*($v*2.0)"{}/></b></a><XRD xmlns="xri://$xrd*($v*2.0)"/></XRDS>"#,
        eight(0),
        eight(1),
        eight(2),
        repeat(r#" xmlns:l3p{}="urn:p""#, 6),
    );
    assert!(xrds::parse(nested.as_bytes()).is_ok(), "{nested}");
    let one_more = nested.replacen("<b ", r#"<b xmlns:extra="urn:p" "#, 1);
    assert_eq!(
        xrds::parse(one_more.as_bytes()),
        Err(XrdsError::TooMany {
            what: XrdsLimit::NamespaceDeclarations,
            limit: MAX_NAMESPACE_DECLARATIONS
        })
    );
    // Siblings' declarations go out of scope with them: 64 services declaring 4 each parse.
    let service = r#"<Service xmlns:a="urn:a" xmlns:b="urn:b" xmlns:c="urn:c" xmlns:d="urn:d"/>"#;
    assert!(xrds::parse(xrds_with(&service.repeat(64)).as_bytes()).is_ok());
}

#[test]
fn the_endpoints_of_a_service_share_its_type_list() {
    let types = repeat("<Type>urn:extension:{}</Type>", 10);
    let doc = xrds_with(&format!(
        "<Service><Type>{SIGNON}</Type>{types}{}</Service>",
        repeat("<URI>https://op.example/{}</URI>", 3)
    ));
    let (endpoints, rejected) =
        endpoint::from_xrds("https://user.example/", &xrds::parse(doc.as_bytes()).unwrap());
    assert!(rejected.is_empty());
    assert_eq!(endpoints.len(), 3);
    assert_eq!(endpoints[0].type_uris().len(), 11);
    for endpoint in &endpoints[1..] {
        assert!(std::ptr::eq(endpoint.type_uris(), endpoints[0].type_uris()), "a copy");
    }
}

// See: issue 9, item 1. A rejection per URI, each with both local identifiers, made 76 MiB of
// rejection text from a 78 KB document.
#[test]
fn a_service_with_conflicting_local_ids_is_rejected_once_whatever_its_uris() {
    let doc = xrds_with(&format!(
        "<Service><Type>{SIGNON}</Type><LocalID>https://a.example/</LocalID>\
         <LocalID>https://b.example/</LocalID>{}</Service>",
        repeat(r#"<URI priority="{}">https://op.example/{}</URI>"#, MAX_URIS_PER_SERVICE)
    ));
    let (endpoints, rejected) =
        endpoint::from_xrds("https://user.example/", &xrds::parse(doc.as_bytes()).unwrap());
    assert!(endpoints.is_empty());
    assert_eq!(
        rejected,
        [ServiceError::ConflictingLocalIds {
            server_url: "https://op.example/0".into(),
            first: "https://a.example/".into(),
            second: "https://b.example/".into(),
        }]
    );
}

#[test]
fn the_discovery_error_names_a_few_short_rejections_and_counts_the_rest() {
    let long = "x".repeat(5_000);
    let service = format!(
        "<Service><Type>{SIGNON}</Type><LocalID>https://a.example/{long}</LocalID>\
         <LocalID>https://b.example/</LocalID><URI>https://op.example/</URI></Service>"
    );
    let doc = xrds_with(&service.repeat(MAX_SERVICES));
    let fetcher =
        MapFetcher::new().serve("https://user.example/", "application/xrds+xml", doc.into_bytes());
    let error = discover("https://user.example/", &fetcher, &NetworkPolicy::default()).unwrap_err();
    let DiscoveryError::NoEndpoints { rejected, .. } = &error else { panic!("{error:?}") };
    assert_eq!(rejected.len(), MAX_SERVICES);
    let shown = error.to_string();
    assert!(shown.len() < 4_000, "{} bytes: {shown}", shown.len());
    assert!(shown.contains(&format!("(and {} more rejected)", MAX_SERVICES - 4)), "{shown}");
    assert!(shown.contains("… (5018 bytes)"), "{shown}");
}

#[test]
fn errors_display_short_lower_case_messages() {
    assert_eq!(XrdsError::DoctypeNotAllowed.to_string(), "DOCTYPE is not allowed");
    assert_eq!(XrdsError::TooDeep { limit: 32 }.to_string(), "elements nested deeper than 32");
    assert_eq!(XrdsError::TooLarge { limit: 10 }.to_string(), "document larger than 10 bytes");
    assert_eq!(XrdsError::UnknownEntity { name: "x".into() }.to_string(), "unknown entity &x;");
    assert_eq!(XrdsError::Truncated.to_string(), "document is truncated");
    assert_eq!(XrdsError::NoXrd.to_string(), "no XRD element in the XRDS document");
    assert_eq!(
        XrdsError::TooMany { what: XrdsLimit::UrisPerService, limit: 16 }.to_string(),
        "more than 16 URI elements in a service"
    );
}
