//! Peak memory of discovery on hostile documents.
//!
//! Each document is measured in a child process of its own: this test binary, run again with
//! [`PHASE_VAR`] naming the document. A fresh process has no other test's allocations and no
//! memory the allocator kept from an earlier document (which a later one could reuse without
//! raising the peak), so every number is the growth that document alone caused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::process::Command;

use openid_consumer::discovery::{discover, html, xrds};
use openid_consumer::fetch::{FetchError, FetchResponse, Fetcher, NetworkPolicy};
use openid_consumer::message::Message;

/// Set in a child process to the name of the document it measures.
const PHASE_VAR: &str = "OPENID_HOSTILE_MEMORY_PHASE";
/// What a child prints before its peak growth in KiB.
const MARKER: &str = "peak growth KiB: ";
/// This test's name, to run it alone in a child.
const TEST_NAME: &str = "hostile_documents_parse_in_bounded_memory";

/// One measurement: how to build the input (not counted), what to run on it, and the most
/// peak growth allowed, in MiB.
struct Phase {
    name: &'static str,
    build: fn() -> String,
    run: fn(&str),
    limit_mib: u64,
}

const PHASES: &[Phase] = &[
    // See: issue 9, item 1. 2,000 types and 2,000 URIs in one service (84 KB) grew the peak
    // by 214 MiB: each URI's endpoint copied the whole type list.
    Phase {
        name: "xrds_types_times_uris",
        build: types_times_uris,
        run: discover_xrds,
        limit_mib: 32,
    },
    // See: issue 9, item 1. 78 KB with two conflicting LocalIDs and 2,000 URIs made 76 MiB
    // of rejection text: one rejection per URI, each with both LocalIDs, all in the error.
    Phase {
        name: "xrds_conflicting_local_ids",
        build: conflicting_local_ids,
        run: discover_xrds,
        limit_mib: 32,
    },
    // Every cap reached at once, under the 1 MiB body cap: 64 services of 64 long types and
    // 16 URIs, 1,024 endpoints in all.
    Phase { name: "xrds_at_every_cap", build: at_every_cap, run: discover_xrds, limit_mib: 32 },
    // See: issue 9, item 2. 1 MiB of attributes on one element, and of namespace declarations.
    Phase { name: "xrds_attributes", build: many_attributes, run: parse_xrds, limit_mib: 32 },
    Phase {
        name: "xrds_namespace_declarations",
        build: many_declarations,
        run: parse_xrds,
        limit_mib: 32,
    },
    // Entity expansion, 10 MB of nested tags, a 10 MB attribute and a 9 MB query. Each input
    // is held with a few copies (input, decoded text, token); expansion or a tree of 10 MB of
    // tags would need hundreds of MiB or more.
    Phase { name: "parsers_on_huge_inputs", build: String::new, run: huge_inputs, limit_mib: 128 },
    // A provider's direct answer (association, check_authentication) of 1 MiB: `:\n` lines
    // grew the peak by 72 MiB (a pair, and a new `openid.` key, per two bytes), blank lines
    // by 16 MiB (an issue per line, each also logged).
    Phase { name: "kvform_empty_pairs", build: kvform_empty_pairs, run: kvform, limit_mib: 8 },
    Phase { name: "kvform_blank_lines", build: kvform_blank_lines, run: kvform, limit_mib: 8 },
    // 1 MiB of one-letter `rel` values on one head link grew the peak by 31 MiB (a String
    // per value); 1 MiB of tiny head links by 12 MiB.
    Phase { name: "html_rel_values", build: html_rel_values, run: html_links, limit_mib: 8 },
    Phase { name: "html_links", build: html_many_links, run: html_links, limit_mib: 8 },
];

#[test]
fn hostile_documents_parse_in_bounded_memory() {
    if let Ok(name) = std::env::var(PHASE_VAR) {
        let phase = PHASES.iter().find(|phase| phase.name == name).unwrap();
        let input = (phase.build)();
        let before = reset_peak();
        (phase.run)(&input);
        println!("{MARKER}{}", peak_kib().saturating_sub(before));
        return;
    }
    let mut failures = Vec::new();
    for phase in PHASES {
        let grown_mib = measure_in_child(phase.name) / 1024;
        println!("{}: peak memory grew by {grown_mib} MiB (limit {})", phase.name, phase.limit_mib);
        if grown_mib >= phase.limit_mib {
            failures.push(format!("{} grew the peak by {grown_mib} MiB", phase.name));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Runs one phase in a child process and returns its peak growth in KiB.
fn measure_in_child(name: &str) -> u64 {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(PHASE_VAR, name)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{name} failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // libtest prints the test's name on the same line, before the marker.
    let line = stdout.lines().find_map(|line| line.split_once(MARKER).map(|(_, kib)| kib));
    line.unwrap_or_else(|| panic!("{name} printed no measurement: {stdout}")).parse().unwrap()
}

/// Resets the peak to the current resident size where Linux allows it (`clear_refs` 5), and
/// returns the peak to measure from.
fn reset_peak() -> u64 {
    // Without the reset the peak includes building the input; the limits leave room for it.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    peak_kib()
}

/// Peak resident memory of this process so far (Linux `VmHWM`), in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

const XRDS_HEAD: &str = r#"<?xml version="1.0"?>
<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"><XRD>"#;
const XRDS_TAIL: &str = "</XRD></xrds:XRDS>";
const SIGNON: &str = "http://specs.openid.net/auth/2.0/signon";

fn types_times_uris() -> String {
    let mut doc = format!("{XRDS_HEAD}<Service><Type>{SIGNON}</Type>");
    for i in 0..2_000 {
        write!(doc, "<Type>t{i}</Type>").unwrap();
    }
    for i in 0..2_000 {
        write!(doc, "<URI>https://o/{i}</URI>").unwrap();
    }
    doc.push_str("</Service>");
    doc.push_str(XRDS_TAIL);
    assert!((80_000..90_000).contains(&doc.len()), "{}", doc.len());
    doc
}

fn conflicting_local_ids() -> String {
    let (first, second) = ("a".repeat(15_000), "b".repeat(15_000));
    let mut doc = format!(
        "{XRDS_HEAD}<Service><Type>{SIGNON}</Type>\
         <LocalID>https://x/{first}</LocalID><LocalID>https://x/{second}</LocalID>"
    );
    for i in 0..2_000 {
        write!(doc, "<URI>https://o/{i}</URI>").unwrap();
    }
    doc.push_str("</Service>");
    doc.push_str(XRDS_TAIL);
    assert!((75_000..80_000).contains(&doc.len()), "{}", doc.len());
    doc
}

fn at_every_cap() -> String {
    let mut doc = String::from(XRDS_HEAD);
    for service in 0..xrds::MAX_SERVICES {
        write!(doc, "<Service><Type>{SIGNON}</Type>").unwrap();
        for t in 1..xrds::MAX_TYPES_PER_SERVICE {
            write!(doc, "<Type>https://ext.example/{service}/{t}/{}</Type>", "t".repeat(180))
                .unwrap();
        }
        for uri in 0..xrds::MAX_URIS_PER_SERVICE {
            write!(doc, "<URI>https://op.example/{service}/{uri}</URI>").unwrap();
        }
        write!(doc, "<LocalID>https://me.example/{}</LocalID></Service>", "l".repeat(200)).unwrap();
    }
    doc.push_str(XRDS_TAIL);
    assert!((900_000..xrds::MAX_DOCUMENT_BYTES).contains(&doc.len()), "{}", doc.len());
    doc
}

fn many_attributes() -> String {
    let mut doc = format!("{XRDS_HEAD}<Service");
    let mut i = 0;
    while doc.len() < xrds::MAX_DOCUMENT_BYTES - 100 {
        write!(doc, " a{i}=\"\"").unwrap();
        i += 1;
    }
    doc.push_str("/>");
    doc.push_str(XRDS_TAIL);
    doc
}

fn many_declarations() -> String {
    let mut doc = String::from(r#"<xrds:XRDS xmlns:xrds="xri://$xrds""#);
    for i in 0..10_000 {
        write!(doc, " xmlns:p{i}=\"urn:p\"").unwrap();
    }
    doc.push_str(r#" xmlns="xri://$xrd*($v*2.0)"><XRD>"#);
    while doc.len() < xrds::MAX_DOCUMENT_BYTES - 100 {
        doc.push_str("<a/>");
    }
    doc.push_str(XRDS_TAIL);
    doc
}

fn kvform_empty_pairs() -> String {
    ":\n".repeat(1 << 19)
}

fn kvform_blank_lines() -> String {
    "\n".repeat(1 << 20)
}

fn kvform(text: &str) {
    let _ = black_box(Message::from_kvform(text));
}

fn html_rel_values() -> String {
    let mut page = String::from(r#"<head><link href="https://op.example/" rel=""#);
    while page.len() < html::MAX_HTML_BYTES - 100 {
        page.push_str("a ");
    }
    page.push_str(r#"openid2.provider"></head>"#);
    page
}

fn html_many_links() -> String {
    let mut page = String::from("<head>");
    while page.len() < html::MAX_HTML_BYTES - 100 {
        page.push_str("<link rel=a href=b>");
    }
    page.push_str("</head>");
    page
}

fn html_links(page: &str) {
    black_box(html::parse_links(page));
}

/// Discovery of `document` served as XRDS, its error message included (a rejection used to
/// be copied into it once per URI).
fn discover_xrds(document: &str) {
    let fetcher = Canned(document.as_bytes().to_vec());
    let outcome = discover("https://user.example/", &fetcher, &NetworkPolicy::default());
    let shown = match outcome {
        Ok(result) => format!("{} endpoints", result.endpoints.len()),
        Err(error) => error.to_string(),
    };
    black_box(shown);
}

fn parse_xrds(document: &str) {
    let _ = black_box(xrds::parse(document.as_bytes()));
}

fn huge_inputs(_: &str) {
    let mut entities = String::new();
    for c in b'b'..=b'j' {
        let (name, previous) = (char::from(c), char::from(c - 1));
        let _ = write!(entities, "<!ENTITY {name} \"{}\">", format!("&{previous};").repeat(10));
    }
    let billion_laughs = format!(
        r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "{}">{entities}]><xrds:XRDS xmlns:xrds="xri://$xrds">&j;</xrds:XRDS>"#,
        "lol".repeat(10)
    );
    assert!(xrds::parse(billion_laughs.as_bytes()).is_err());

    let nested = "<a>".repeat(10 * 1024 * 1024 / 3);
    assert!(xrds::parse(nested.as_bytes()).is_err());
    let nested_html = format!("<head>{}", "<div>".repeat(2 * 1024 * 1024));
    assert!(html::parse_links(&nested_html).links.is_empty());
    drop((nested, nested_html));

    // Only the first MiB of a page is read: the link never ends there.
    let huge_attribute = format!(
        r#"<head><link rel="openid2.provider" href="https://op.example/{}"></head>"#,
        "a".repeat(10 << 20)
    );
    assert!(html::parse_links(&huge_attribute).links.is_empty());
    let huge_body = vec![b'a'; 10 << 20];
    assert_eq!(html::decode(&huge_body, None).len(), html::MAX_HTML_BYTES);
    drop((huge_attribute, huge_body));

    let huge_query = format!("openid.mode=id_res&x={}", "%41".repeat(3 << 20));
    assert!(Message::from_query(&huge_query).is_ok());
}

/// A fetcher that answers every request with one XRDS document.
struct Canned(Vec<u8>);

impl Fetcher for Canned {
    fn get(
        &self,
        url: &str,
        _: &[(&str, &str)],
        _: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError> {
        let headers = vec![("Content-Type".to_owned(), "application/xrds+xml".to_owned())];
        Ok(FetchResponse::new(url, 200, headers, self.0.clone()))
    }

    fn post_form(
        &self,
        url: &str,
        _: &[(&str, &str)],
        policy: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError> {
        self.get(url, &[], policy)
    }
}
