//! Peak memory of the parsers on hostile documents, measured alone in this test binary (one
//! test, so no other test's allocations share the process): entity expansion, 10 MB of
//! nested tags and a 10 MB attribute must not make memory grow beyond a small multiple of
//! the input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;

use openid_consumer::discovery::{html, xrds};
use openid_consumer::message::Message;

/// Peak resident memory of this process so far (Linux `VmHWM`), in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn hostile_documents_parse_in_bounded_memory() {
    let before = peak_kib();
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

    let huge_attribute = format!(
        r#"<head><link rel="openid2.provider" href="https://op.example/{}"></head>"#,
        "a".repeat(10 << 20)
    );
    assert_eq!(html::parse_links(&huge_attribute).links.len(), 1);
    drop(huge_attribute);

    let huge_query = format!("openid.mode=id_res&x={}", "%41".repeat(3 << 20));
    assert!(Message::from_query(&huge_query).is_ok());
    drop(huge_query);

    let grown_mib = peak_kib().saturating_sub(before) / 1024;
    println!("peak memory grew by {grown_mib} MiB over inputs of at most 10 MiB each");
    // Each input is at most ~10 MiB and is held with a few copies (input, decoded text,
    // token); expansion or a tree of 10 MB of tags would need hundreds of MiB or more.
    assert!(grown_mib < 128, "peak memory grew by {grown_mib} MiB");
}
