//! Discovery parsing benchmarks: XRDS parsing and HTML link extraction on real-sized
//! documents, and XRDS parsing on hostile documents at the 1 MiB body cap. Results are
//! recorded in `BENCHMARKS.md` (section "Discovery").
//!
//! Run with `cargo bench -p openid-benches --bench discovery`.

// criterion's macros generate undocumented public items.
#![allow(missing_docs)]

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use openid_benches::documents::{html_100k, xrds_2k};
use openid_consumer::discovery::xrds::{XrdsError, XrdsLimit};
use openid_consumer::discovery::{endpoint, html, xrds};

const XRDS_HEAD: &str = r#"<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"><XRD>"#;
const XRDS_TAIL: &str = "</XRD></xrds:XRDS>";
const SIGNON: &str = "http://specs.openid.net/auth/2.0/signon";

/// Issue 9, item 2: attributes on one element up to the 1 MiB cap (about 110,000).
/// quick-xml's duplicate check made this quadratic: 14.4 s in release before the fix.
fn hostile_attributes() -> String {
    let mut doc = format!("{XRDS_HEAD}<Service");
    let mut i = 0;
    while doc.len() < xrds::MAX_DOCUMENT_BYTES - 100 {
        write!(doc, " a{i}=\"\"").ok();
        i += 1;
    }
    doc.push_str("/>");
    doc.push_str(XRDS_TAIL);
    doc
}

/// Issue 9, item 2: 10,000 namespace declarations on the root, then elements up to 1 MiB
/// whose prefix is the first declared, so each name lookup went through all of them: 3.8 s
/// in release before the fix.
fn hostile_declarations() -> String {
    let mut doc = String::from(r#"<xrds:XRDS xmlns:xrds="xri://$xrds""#);
    for i in 0..10_000 {
        write!(doc, " xmlns:p{i}=\"urn:p\"").ok();
    }
    doc.push_str(r#" xmlns="xri://$xrd*($v*2.0)"><XRD>"#);
    while doc.len() < xrds::MAX_DOCUMENT_BYTES - 100 {
        doc.push_str("<p0:a/>");
    }
    doc.push_str(XRDS_TAIL);
    doc
}

/// The slowest name lookups the caps allow: 32 declarations in scope, and 1 MiB of elements
/// whose prefix was declared first (so every lookup goes through all 32). It parses.
fn declarations_at_the_cap() -> String {
    let mut doc = String::from(r#"<XRDS xmlns="xri://$xrds""#);
    for i in 0..xrds::MAX_NAMESPACE_DECLARATIONS - 2 {
        write!(doc, " xmlns:p{i}=\"urn:p\"").ok();
    }
    doc.push_str(r#"><XRD xmlns="xri://$xrd*($v*2.0)"><Service>"#);
    while doc.len() < xrds::MAX_DOCUMENT_BYTES - 100 {
        doc.push_str("<p0:a/>");
    }
    doc.push_str("</Service></XRD></XRDS>");
    doc
}

/// Issue 9, item 1, at the caps: 64 services of 64 types and 16 URIs (about 950 KB), so
/// 1,024 endpoints. It parses; every endpoint shares its service's type list.
fn every_cap() -> String {
    let mut doc = String::from(XRDS_HEAD);
    for service in 0..xrds::MAX_SERVICES {
        write!(doc, "<Service><Type>{SIGNON}</Type>").ok();
        for t in 1..xrds::MAX_TYPES_PER_SERVICE {
            write!(doc, "<Type>https://ext.example/{service}/{t}/{}</Type>", "t".repeat(180)).ok();
        }
        for uri in 0..xrds::MAX_URIS_PER_SERVICE {
            write!(doc, "<URI>https://op.example/{service}/{uri}</URI>").ok();
        }
        write!(doc, "<LocalID>https://me.example/{}</LocalID></Service>", "l".repeat(200)).ok();
    }
    doc.push_str(XRDS_TAIL);
    doc
}

fn bench_xrds(c: &mut Criterion) {
    let document = xrds_2k();
    let mut group = c.benchmark_group("xrds");
    group.throughput(Throughput::Bytes(document.len() as u64));
    group.bench_function("parse_2k", |b| {
        b.iter(|| xrds::parse(black_box(document.as_bytes())));
    });
    group.bench_function("parse_and_endpoints_2k", |b| {
        b.iter(|| {
            let parsed = xrds::parse(black_box(document.as_bytes())).ok();
            parsed.map(|parsed| endpoint::from_xrds("https://alice.example.com/", &parsed))
        });
    });
    group.finish();
}

fn bench_hostile_xrds(c: &mut Criterion) {
    let mut group = c.benchmark_group("xrds_hostile");
    for (name, document) in [
        ("attributes_1m_refused", hostile_attributes()),
        ("declarations_1m_refused", hostile_declarations()),
        ("declarations_at_cap_1m", declarations_at_the_cap()),
    ] {
        group.throughput(Throughput::Bytes(document.len() as u64));
        group.bench_function(name, |b| b.iter(|| xrds::parse(black_box(document.as_bytes()))));
    }
    let document = every_cap();
    group.throughput(Throughput::Bytes(document.len() as u64));
    group.bench_function("every_cap_parse_and_endpoints", |b| {
        b.iter(|| {
            let parsed = xrds::parse(black_box(document.as_bytes())).ok();
            parsed.map(|parsed| endpoint::from_xrds("https://alice.example.com/", &parsed))
        });
    });
    group.finish();
}

fn bench_html(c: &mut Criterion) {
    let page = html_100k();
    let mut group = c.benchmark_group("html");
    group.throughput(Throughput::Bytes(page.len() as u64));
    group.bench_function("parse_links_100k", |b| b.iter(|| html::parse_links(black_box(&page))));
    group.bench_function("find_xrds_location_100k", |b| {
        b.iter(|| html::find_xrds_location(black_box(&page)));
    });
    group.finish();
}

/// Checks that the documents are what the benches claim, so a broken generator cannot make
/// the numbers meaningless.
fn sanity() {
    let document = xrds_2k();
    assert!((1800..2600).contains(&document.len()), "XRDS is {} bytes", document.len());
    let parsed = xrds::parse(document.as_bytes());
    assert!(parsed.is_ok_and(|parsed| parsed.services().len() == 5));
    let page = html_100k();
    assert!((100 * 1024..110 * 1024).contains(&page.len()), "HTML is {} bytes", page.len());
    let links = html::parse_links(&page);
    assert_eq!(links.openid2_provider(), Some("https://www.example.com/openid/server"));
    assert_eq!(links.openid_delegate(), Some("https://alice.example.com/"));
    let near_cap = 1_000_000..=xrds::MAX_DOCUMENT_BYTES;
    let too_many = |what| Err(XrdsError::TooMany { what, limit: XrdsLimit::limit(what) });
    for (document, outcome) in [
        (hostile_attributes(), too_many(XrdsLimit::AttributesPerElement)),
        // Declarations are attributes: on one element, the attribute cap refuses them first.
        (hostile_declarations(), too_many(XrdsLimit::AttributesPerElement)),
    ] {
        assert!(near_cap.contains(&document.len()), "{} bytes", document.len());
        assert_eq!(xrds::parse(document.as_bytes()).map(|_| ()), outcome);
    }
    let at_cap = declarations_at_the_cap();
    assert!(near_cap.contains(&at_cap.len()), "{} bytes", at_cap.len());
    assert!(xrds::parse(at_cap.as_bytes()).is_ok());
    let capped = every_cap();
    assert!((900_000..=xrds::MAX_DOCUMENT_BYTES).contains(&capped.len()), "{}", capped.len());
    let parsed = xrds::parse(capped.as_bytes());
    let endpoints = parsed.map(|parsed| endpoint::from_xrds("https://alice.example.com/", &parsed));
    assert_eq!(endpoints.map(|(endpoints, _)| endpoints.len()), Ok(1_024));
}

fn benches(c: &mut Criterion) {
    sanity();
    bench_xrds(c);
    bench_hostile_xrds(c);
    bench_html(c);
}

criterion_group!(discovery, benches);
criterion_main!(discovery);
