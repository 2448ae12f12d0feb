//! XRI syntax helpers (python-openid's `test_xri` and `test_xrires` cases).

use openid_consumer::discovery::xri::{
    ProxyResolver, is_xri, provider_is_authoritative, root_authority, to_iri_normal, to_uri_normal,
};
use openid_consumer::discovery::{Discoverer, DiscoveryConfig, DiscoveryError};
use openid_consumer::fetch::NetworkPolicy;

use super::support::MapFetcher;

#[test]
fn xris_are_recognised_by_prefix_or_global_context_symbol() {
    for xri in
        ["=john.smith", "@smiths/john", "!!1000", "+ref", "$ip", "(x)", "xri://=john", "xri://(x)"]
    {
        assert!(is_xri(xri), "{xri}");
    }
    for url in ["http://example.com/", "example.com", "https://=example/", ""] {
        assert!(!is_xri(url), "{url}");
    }
}

#[test]
fn iri_normal_form_escapes_percents_and_cross_reference_delimiters() {
    assert_eq!(to_uri_normal("@example"), "xri://@example");
    assert_eq!(to_iri_normal("@example/abc%2Fd/ef"), "xri://@example/abc%252Fd/ef");
    assert_eq!(to_iri_normal("@example/foo/(@bar)"), "xri://@example/foo/(@bar)");
    assert_eq!(to_iri_normal("@example/foo/(@bar/)"), "xri://@example/foo/(@bar%2F)");
    assert_eq!(
        to_iri_normal("@example/foo/(@baz?p=q#r)?i=j#k"),
        "xri://@example/foo/(@baz%3Fp=q%23r)?i=j#k"
    );
    assert_eq!(to_uri_normal("@example/\u{e9}"), "xri://@example/%C3%A9");
}

#[test]
fn root_authorities_are_the_global_context_symbol_or_cross_reference() {
    assert_eq!(root_authority("xri://@"), "xri://@");
    assert_eq!(root_authority("xri://@!"), "xri://@");
    assert_eq!(root_authority("xri://@!foo"), "xri://@");
    assert_eq!(root_authority("xri://=!foo/bar"), "xri://=");
    assert_eq!(root_authority("xri://(foo)"), "xri://(foo)");
    assert_eq!(root_authority("xri://(foo)!bar"), "xri://(foo)");
    assert_eq!(root_authority("xri://example.com/bar"), "xri://example.com");
    assert_eq!(root_authority("xri://example.com*foo"), "xri://example.com");
    assert_eq!(root_authority("=smoker"), "xri://=");
}

#[test]
fn a_provider_is_authoritative_for_its_direct_children_only() {
    assert!(provider_is_authoritative("@!1234", "@!1234!ABCD"));
    assert!(provider_is_authoritative("@!1234!5678", "@!1234!5678!ABCD"));
    assert!(!provider_is_authoritative("@!1234", "@!1234!5678!ABCD"));
    assert!(!provider_is_authoritative("@!4567", "@!1234!ABCD"));
    assert!(!provider_is_authoritative("@!1234", "@!1234"));
}

#[test]
fn proxy_query_urls_match_python_openid() {
    let proxy = ProxyResolver::new("http://xri.example.com/");
    let service_type = "xri://+i-service*(+forwarding)*($v*1.0)";
    let args = "_xrd_r=application%2Fxrds%2Bxml&_xrd_t=\
                xri%3A%2F%2F%2Bi-service%2A%28%2Bforwarding%29%2A%28%24v%2A1.0%29";
    let h = "http://xri.example.com/";
    assert_eq!(proxy.query_url("=foo", Some(service_type)), format!("{h}=foo?{args}"));
    // Deliberate deviation (issue 9, item 8): python-openid appends an XRI's path and query
    // raw (`=foo/bar?baz&_xrd_r=...`); they are one escaped path segment here.
    assert_eq!(
        proxy.query_url("=foo/bar?baz", Some(service_type)),
        format!("{h}=foo%2Fbar%3Fbaz?{args}")
    );
    assert_eq!(
        proxy.query_url("=foo/bar?mi=fa&so=la", Some(service_type)),
        format!("{h}=foo%2Fbar%3Fmi=fa&so=la?{args}")
    );
    assert_eq!(
        proxy.query_url("=foo", None),
        format!("{h}=foo?_xrd_r=application%2Fxrds%2Bxml%3Bsep%3Dfalse")
    );
    assert_eq!(ProxyResolver::new("http://xri.example.com").proxy_url(), h);
}

// See: issue 9, item 8. `/`, `?` and `#` went into the proxy URL as they were, so
// `=a/../../x` reached other paths on the proxy host (the URL parser removes dot segments)
// and `#` cut the resolution parameters off.
#[test]
fn an_xri_cannot_leave_the_proxy_path_or_replace_its_parameters() {
    let proxy = ProxyResolver::new("https://proxy.example/resolve/");
    for xri in ["=a/../../x", "=a/..\\..\\x", "=a?_xrd_r=text/html", "=a#", "=a/%2e%2e/x", "=a\t/."]
    {
        let url = url::Url::parse(&proxy.query_url(xri, None)).unwrap();
        assert_eq!(url.host_str(), Some("proxy.example"), "{xri}");
        let segments: Vec<&str> = url.path_segments().unwrap().collect();
        assert_eq!(segments.len(), 2, "{xri}: {url}");
        assert_eq!(segments[0], "resolve", "{xri}: {url}");
        assert_eq!(url.query(), Some("_xrd_r=application%2Fxrds%2Bxml%3Bsep%3Dfalse"), "{xri}");
        assert_eq!(url.fragment(), None, "{xri}");
    }
    assert_eq!(
        proxy.query_url("=a/../b?c#d", None),
        "https://proxy.example/resolve/=a%2F..%2Fb%3Fc%23d?_xrd_r=application%2Fxrds%2Bxml%3Bsep%3Dfalse"
    );
}

// See: issue 9, item 8. `xri://..` was an XRI whose whole query was the dot segment `..`.
#[test]
fn only_a_global_context_symbol_or_cross_reference_makes_an_xri() {
    // OpenID 2.0 section 7.2: after `xri://` is stripped, the first character decides.
    let discoverer =
        Discoverer::new(DiscoveryConfig::default().with_xri_proxy("https://proxy.example/"));
    for not_xri in ["xri://..", "xri://.", "xri://", "xri://example.com/x"] {
        assert!(!is_xri(not_xri), "{not_xri}");
        let fetcher = MapFetcher::new();
        let error = discoverer.discover(not_xri, &fetcher, &NetworkPolicy::default()).unwrap_err();
        assert!(matches!(error, DiscoveryError::InvalidIdentifier { .. }), "{not_xri}: {error:?}");
        assert_eq!(fetcher.request_count(), 0, "{not_xri}");
    }
}
