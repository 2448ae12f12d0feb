//! What discovery and fetching write to the log: no forged lines, no credentials.

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};

use openid_consumer::discovery::html::MAX_HTML_BYTES;
use openid_consumer::discovery::xri::{ProxyResolver, XriError};
use openid_consumer::discovery::{Discoverer, DiscoveryConfig, DiscoveryError, discover};
use openid_consumer::fetch::{Fetcher, NetworkPolicy, UreqFetcher};
use tracing::field::{Field, Visit};
use tracing::span;

use super::support::{MapFetcher, loopback_policy};

/// Runs `work` with a subscriber that records every event of this thread, one line each,
/// fields written as a text subscriber writes them (`Display` values raw).
///
/// A minimal `Subscriber` rather than `tracing-subscriber`: six more crates for one helper.
fn capture_logs(work: impl FnOnce()) -> String {
    let lines = Arc::new(Mutex::new(String::new()));
    tracing::subscriber::with_default(Capture(Arc::clone(&lines)), work);
    let lines = lines.lock().unwrap();
    lines.clone()
}

struct Capture(Arc<Mutex<String>>);

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = format!("{} ", event.metadata().level());
        event.record(&mut Fields(&mut line));
        let mut lines = self.0.lock().unwrap();
        lines.push_str(&line);
        lines.push('\n');
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `%value` fields arrive as a `Debug` that prints their `Display`: raw, as logged.
        let _ = write!(self.0, "{}={value:?} ", field.name());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, "{}={value} ", field.name());
    }
}

// See: issue 9, item 9. The content of a `<meta http-equiv="X-XRDS-Location">` that is not a
// URL was logged raw: a line break in it forged a log line.
#[test]
fn a_hostile_xrds_location_cannot_forge_a_log_line() {
    let page = r#"<head><meta http-equiv="X-XRDS-Location"
        content="http://[x&#10;ERROR forged=line&#27;[2J">
        <link rel="openid2.provider" href="https://op.example/"></head>"#;
    let fetcher = MapFetcher::new().serve("https://user.example/", "text/html", page.into());
    let logs = capture_logs(|| {
        let result = discover("https://user.example/", &fetcher, &NetworkPolicy::default());
        assert_eq!(result.unwrap().endpoints.len(), 1);
    });
    assert!(logs.contains("ignoring an X-XRDS-Location"), "{logs}");
    assert!(logs.lines().all(|line| !line.starts_with("ERROR")), "{logs}");
    assert!(!logs.contains('\u{1b}'), "{logs}");
    assert!(logs.contains(r"\nERROR forged=line\u{1b}[2J"), "{logs}");
}

#[test]
fn a_megabyte_xrds_location_is_logged_in_a_few_hundred_bytes() {
    let page = format!(
        r#"<head><meta http-equiv="X-XRDS-Location" content="http://[{}"></head>"#,
        "x".repeat(MAX_HTML_BYTES - 100)
    );
    assert!(page.len() <= MAX_HTML_BYTES);
    let fetcher = MapFetcher::new().serve("https://user.example/", "text/html", page.into());
    let logs = capture_logs(|| {
        let _ = discover("https://user.example/", &fetcher, &NetworkPolicy::default());
    });
    assert!(logs.contains("ignoring an X-XRDS-Location"), "{logs}");
    assert!(logs.lines().all(|line| line.len() < 1_000), "{} bytes", logs.len());
}

// See: issue 9, item 7. The fetcher's debug log showed `user:password@` of the URL.
#[test]
fn fetch_logs_do_not_show_the_password_of_a_url() {
    let logs = capture_logs(|| {
        let url = "http://alice:hunter2@127.0.0.1:1/";
        assert!(UreqFetcher::new().get(url, &[], &loopback_policy()).is_err());
    });
    assert!(logs.contains("fetching"), "{logs}");
    assert!(!logs.contains("hunter2"), "{logs}");
}

#[test]
fn an_xri_canonical_id_with_a_line_break_cannot_forge_a_log_line() {
    // The claimed identifier of an XRI is the CanonicalID its resolver returned: logged with
    // each rejected service.
    let proxy = ProxyResolver::new("https://proxy.example/");
    let document = r#"<XRDS xmlns="xri://$xrds"><XRD xmlns="xri://$xrd*($v*2.0)">
        <CanonicalID>=!1&#10;ERROR forged</CanonicalID>
        <Service><Type>http://specs.openid.net/auth/2.0/signon</Type><URI>relative</URI></Service>
        <Service><Type>http://specs.openid.net/auth/2.0/signon</Type>
          <URI>https://op.example/</URI></Service></XRD></XRDS>"#;
    let fetcher = MapFetcher::new().serve(
        &proxy.query_url("=alice", None),
        "application/xrds+xml",
        document.into(),
    );
    let discoverer =
        Discoverer::new(DiscoveryConfig::default().with_xri_proxy("https://proxy.example/"));
    let logs = capture_logs(|| {
        let error = discoverer.discover("=alice", &fetcher, &NetworkPolicy::default()).unwrap_err();
        assert!(
            matches!(
                error,
                DiscoveryError::Xri { source: XriError::InvalidCanonicalId { .. }, .. }
            ),
            "{error:?}"
        );
        tracing::warn!("discovery failed: {error}");
    });
    assert!(logs.contains("CanonicalID"), "{logs}");
    assert!(logs.lines().all(|line| !line.starts_with("ERROR")), "{logs}");
}

// See: review of issue 9, item 9. `NoEndpoints` wrote the claimed identifier raw, and an
// XRI's is the resolver's CanonicalID: a line break in it forged a line wherever the error
// is logged (the application logs a `BeginError`).
#[test]
fn an_xri_canonical_id_with_a_line_break_cannot_forge_a_line_of_the_error() {
    let proxy = ProxyResolver::new("https://proxy.example/");
    let document = r#"<XRDS xmlns="xri://$xrds"><XRD xmlns="xri://$xrd*($v*2.0)">
        <CanonicalID>=!1&#10;ERROR forged&#27;[2J</CanonicalID>
        <Service><Type>http://specs.openid.net/auth/2.0/signon</Type><URI>relative</URI></Service>
        </XRD></XRDS>"#;
    let fetcher = MapFetcher::new().serve(
        &proxy.query_url("=alice", None),
        "application/xrds+xml",
        document.into(),
    );
    let discoverer =
        Discoverer::new(DiscoveryConfig::default().with_xri_proxy("https://proxy.example/"));
    let error = discoverer.discover("=alice", &fetcher, &NetworkPolicy::default()).unwrap_err();
    let shown = error.to_string();
    assert!(shown.contains("CanonicalID"), "{shown}");
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
}
