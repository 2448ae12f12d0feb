//! XRI syntax helpers (python-openid's `test_xri` and `test_xrires` cases).

use openid_consumer::discovery::xri::{
    ProxyResolver, is_xri, provider_is_authoritative, root_authority, to_iri_normal, to_uri_normal,
};

#[test]
fn xris_are_recognised_by_prefix_or_global_context_symbol() {
    for xri in ["=john.smith", "@smiths/john", "!!1000", "+ref", "$ip", "(x)", "xri://=john"] {
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
    assert_eq!(
        proxy.query_url("=foo/bar?baz", Some(service_type)),
        format!("{h}=foo/bar?baz&{args}")
    );
    assert_eq!(
        proxy.query_url("=foo/bar?baz=quux", Some(service_type)),
        format!("{h}=foo/bar?baz=quux&{args}")
    );
    assert_eq!(
        proxy.query_url("=foo/bar?mi=fa&so=la", Some(service_type)),
        format!("{h}=foo/bar?mi=fa&so=la&{args}")
    );
    assert_eq!(
        proxy.query_url("=foo", None),
        format!("{h}=foo?_xrd_r=application%2Fxrds%2Bxml%3Bsep%3Dfalse")
    );
    assert_eq!(ProxyResolver::new("http://xri.example.com").proxy_url(), h);
}
