//! HTML link extraction and `X-XRDS-Location` meta lookup.

use openid_consumer::discovery::html::{decode, find_xrds_location, parse_links};

#[test]
fn rel_is_multi_valued_and_compared_without_case() {
    let links = parse_links(
        r#"<html><head><LINK REL="OpenID2.Provider  openid.SERVER" HREF="https://op.example/"></head></html>"#,
    );
    assert_eq!(links.openid2_provider(), Some("https://op.example/"));
    assert_eq!(links.openid_server(), Some("https://op.example/"));
    assert_eq!(links.links[0].rels, ["openid2.provider", "openid.server"]);
}

#[test]
fn links_outside_the_head_are_ignored() {
    let links = parse_links(
        r#"<html><head><title>x</title></head><body>
        <link rel="openid2.provider" href="https://body.example/"></body></html>"#,
    );
    assert_eq!(links.openid2_provider(), None);
}

#[test]
fn a_body_element_ends_an_unclosed_head() {
    let links = parse_links(
        r#"<html><head><link rel="openid.server" href="https://a.example/">
        <div>content</div><link rel="openid.delegate" href="https://late.example/">"#,
    );
    assert_eq!(links.openid_server(), Some("https://a.example/"));
    assert_eq!(links.openid_delegate(), None);
}

#[test]
fn the_head_and_html_tags_may_be_omitted() {
    let links = parse_links(r#"<link rel="openid2.provider" href="https://op.example/"><p>hi"#);
    assert_eq!(links.openid2_provider(), Some("https://op.example/"));
}

#[test]
fn links_in_comments_scripts_and_titles_do_not_count() {
    let links = parse_links(
        r#"<html><head>
        <!-- <link rel="openid2.provider" href="https://comment.example/"> -->
        <script>document.write('<link rel="openid2.provider" href="https://script.example/">')</script>
        <title><link rel="openid2.provider" href="https://title.example/"></title>
        <link rel="openid2.provider" href="https://real.example/">
        </head></html>"#,
    );
    assert_eq!(links.openid2_provider(), Some("https://real.example/"));
    assert_eq!(links.links.len(), 1);
}

#[test]
fn entities_in_attributes_are_decoded() {
    let links = parse_links(
        r#"<head><link rel="openid.server" href="https://op.example/?a=1&amp;b=&#50;&#x33;&quot;"></head>"#,
    );
    assert_eq!(links.openid_server(), Some("https://op.example/?a=1&b=23\""));
}

#[test]
fn the_first_matching_link_wins() {
    let links = parse_links(
        r#"<head><link rel="openid2.provider" href="https://first.example/">
        <link rel="openid2.provider" href="https://second.example/"></head>"#,
    );
    assert_eq!(links.openid2_provider(), Some("https://first.example/"));
}

#[test]
fn unquoted_and_single_quoted_attributes_are_read() {
    let links = parse_links(
        "<head><link rel=openid2.provider href=https://a.example/><link rel='openid2.local_id' href='https://b.example/'></head>",
    );
    assert_eq!(links.openid2_provider(), Some("https://a.example/"));
    assert_eq!(links.openid2_local_id(), Some("https://b.example/"));
}

#[test]
fn relative_hrefs_are_returned_as_written() {
    let links = parse_links(r#"<head><link rel="openid2.provider" href="/server"></head>"#);
    assert_eq!(links.openid2_provider(), Some("/server"));
}

#[test]
fn relative_provider_hrefs_are_rejected_by_discovery() {
    use openid_consumer::discovery::ServiceError;
    use openid_consumer::discovery::endpoint::from_html;
    let links = parse_links(r#"<head><link rel="openid2.provider" href="/server"></head>"#);
    let (endpoints, rejected) = from_html("http://me.example/", &links);
    assert!(endpoints.is_empty());
    assert_eq!(rejected, [ServiceError::InvalidEndpointUrl { uri: "/server".into() }]);
}

#[test]
fn the_meta_xrds_location_is_found_in_the_head_only() {
    assert_eq!(
        find_xrds_location(
            r#"<html><head><meta http-equiv="X-XRDS-Location" content=" https://x.example/xrds "></head></html>"#
        )
        .as_deref(),
        Some("https://x.example/xrds")
    );
    assert_eq!(
        find_xrds_location(
            r#"<html><head></head><body><meta http-equiv="X-XRDS-Location" content="https://x.example/"></body></html>"#
        ),
        None
    );
    assert_eq!(find_xrds_location(r#"<head><meta http-equiv="refresh" content="0"></head>"#), None);
}

#[test]
fn latin1_pages_are_decoded_by_their_charset() {
    let body = b"<head><link rel=\"openid.server\" href=\"https://op.example/caf\xE9\"></head>";
    let text = decode(body, Some("text/html; charset=ISO-8859-1"));
    assert_eq!(parse_links(&text).openid_server(), Some("https://op.example/caf\u{e9}"));
    let sniffed = [b"<meta charset=\"windows-1252\">".as_slice(), body].concat();
    assert!(decode(&sniffed, None).contains("caf\u{e9}"));
    // Without a charset the bytes are read as UTF-8 with replacement, never an error.
    assert!(decode(body, None).contains("caf\u{fffd}"));
}

#[test]
fn utf16_pages_are_found_by_their_byte_order_mark() {
    let page = "<head><link rel=\"openid2.provider\" href=\"https://op.example/\u{3b1}\"></head>";
    let little: Vec<u8> =
        [0xFF, 0xFE].into_iter().chain(page.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let big: Vec<u8> =
        [0xFE, 0xFF].into_iter().chain(page.encode_utf16().flat_map(u16::to_be_bytes)).collect();
    for body in [little, big] {
        // The mark wins over a header that names another charset.
        let text = decode(&body, Some("text/html; charset=iso-8859-1"));
        assert_eq!(parse_links(&text).openid2_provider(), Some("https://op.example/\u{3b1}"));
    }
}

#[test]
fn multibyte_charsets_are_decoded_by_label() {
    // "https://op.example/テスト" in Shift_JIS, and a KOI8-R path.
    let mut sjis = b"<head><link rel=\"openid2.provider\" href=\"https://op.example/".to_vec();
    sjis.extend_from_slice(&[0x83, 0x65, 0x83, 0x58, 0x83, 0x67]);
    sjis.extend_from_slice(b"\"></head>");
    let text = decode(&sjis, Some("text/html; charset=Shift_JIS"));
    assert_eq!(
        parse_links(&text).openid2_provider(),
        Some("https://op.example/\u{30c6}\u{30b9}\u{30c8}")
    );
    let koi8 = b"<meta charset=koi8-r><head><link rel=openid.server href=\"https://op.example/\xD0\xD2\xC9\"></head>";
    assert_eq!(
        parse_links(&decode(koi8, None)).openid_server(),
        Some("https://op.example/\u{43f}\u{440}\u{438}")
    );
}

// See: issue 9, item 9. `parse_links` read its whole input, and a custom `Fetcher` need not
// cap bodies: the tokenizer went through all of it.
#[test]
fn only_the_first_megabyte_of_a_page_is_read() {
    use openid_consumer::discovery::html::MAX_HTML_BYTES;
    let link = r#"<link rel="openid2.provider" href="https://op.example/">"#;
    let mut page = String::from("<head><title>t</title>");
    while page.len() < MAX_HTML_BYTES - 100 {
        page.push_str("<meta name=\"x\" content=\"é\">\n");
    }
    let within = format!("{page}{link}");
    assert!(within.len() <= MAX_HTML_BYTES);
    assert_eq!(parse_links(&within).openid2_provider(), Some("https://op.example/"));
    // Past the cap, by any amount: not read. The cut may fall inside a character.
    for padding in 0..4 {
        let beyond = format!("{page}{}é{link}", "x".repeat(100 + padding));
        assert_eq!(parse_links(&beyond).openid2_provider(), None, "{padding}");
        let meta = r#"<meta http-equiv="X-XRDS-Location" content="https://op.example/xrds">"#;
        assert_eq!(find_xrds_location(&format!("{page}{}é{meta}", "x".repeat(100))), None);
    }
    // Decoding reads no more than the cap either, whatever a fetcher returned.
    let body = vec![b'a'; 20 * MAX_HTML_BYTES];
    assert_eq!(decode(&body, None).len(), MAX_HTML_BYTES);
}
