//! Discovery and fetching against a real HTTP server on 127.0.0.1.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use openid_consumer::discovery::endpoint::{TYPE_OP_IDENTIFIER, TYPE_SIGNON_2_0};
use openid_consumer::discovery::yadis::ACCEPT_HEADER;
use openid_consumer::discovery::{Discoverer, DiscoveryConfig, DiscoveryError, discover};
use openid_consumer::fetch::{
    AddressClass, FetchError, Fetcher, NetworkPolicy, PolicyViolation, USER_AGENT, UreqFetcher,
};

use super::support::{FakeResolver, Reply, TestServer, loopback_policy};

const XRDS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)">
  <XRD>
    <Service priority="10">
      <Type>http://specs.openid.net/auth/2.0/server</Type>
      <URI>https://op.example/endpoint</URI>
    </Service>
  </XRD>
</xrds:XRDS>"#;

const HTML: &str = r#"<!DOCTYPE html><html><head><title>me</title>
<link rel="openid2.provider" href="https://op.example/html">
<link rel="openid2.local_id" href="https://me.op.example/">
</head><body>hello</body></html>"#;

fn xrds_reply() -> Reply {
    Reply::ok("application/xrds+xml", XRDS)
}

fn assert_op_identifier_at(result: &openid_consumer::discovery::DiscoveryResult, server: &str) {
    assert_eq!(result.endpoints.len(), 1, "{result:?}");
    assert!(result.endpoints[0].is_op_identifier());
    assert_eq!(result.endpoints[0].server_url(), server);
    assert_eq!(result.endpoints[0].type_uris(), [TYPE_OP_IDENTIFIER]);
}

#[test]
fn content_negotiation_on_accept_serves_the_xrds_document() {
    let server = TestServer::start(|request| {
        if request.header("accept").is_some_and(|a| a.contains("application/xrds+xml")) {
            xrds_reply()
        } else {
            Reply::ok("text/html", HTML)
        }
    });
    let result = discover(&server.url("/"), &UreqFetcher::new(), &loopback_policy()).unwrap();
    assert_op_identifier_at(&result, "https://op.example/endpoint");
    assert_eq!(result.claimed_id, server.url("/"));
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("accept"), Some(ACCEPT_HEADER));
    assert_eq!(requests[0].header("user-agent"), Some(USER_AGENT));
    assert!(USER_AGENT.starts_with("openid-rs/0."));
}

#[test]
fn the_x_xrds_location_header_is_followed_once() {
    let server = TestServer::start(|request| match request.path.as_str() {
        "/" => Reply::ok("text/html", HTML).with_header("X-XRDS-Location", "/xrds"),
        // A second indirection is not followed: this document is used as it is.
        "/xrds" => xrds_reply().with_header("X-XRDS-Location", "/elsewhere"),
        _ => Reply::status(404),
    });
    let result = discover(&server.url("/"), &UreqFetcher::new(), &loopback_policy()).unwrap();
    assert_op_identifier_at(&result, "https://op.example/endpoint");
    assert_eq!(result.claimed_id, server.url("/"));
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/", "/xrds"]);
}

#[test]
fn the_meta_http_equiv_xrds_location_is_followed() {
    let server = TestServer::start(|request| match request.path.as_str() {
        "/" => {
            let location = format!("http://{}/xrds", request.header("host").unwrap());
            Reply::ok(
                "text/html",
                format!(
                    r#"<html><head><meta http-equiv="X-XRDS-Location" content="{location}">
                    </head><body></body></html>"#
                ),
            )
        }
        "/xrds" => xrds_reply(),
        _ => Reply::status(404),
    });
    let result = discover(&server.url("/"), &UreqFetcher::new(), &loopback_policy()).unwrap();
    assert_op_identifier_at(&result, "https://op.example/endpoint");
    assert_eq!(server.request_count(), 2);
}

#[test]
fn a_plain_html_page_gives_its_link_endpoints() {
    let server = TestServer::start(|_| Reply::ok("text/html; charset=utf-8", HTML));
    let result = discover(&server.url("/me"), &UreqFetcher::new(), &loopback_policy()).unwrap();
    assert_eq!(result.claimed_id, server.url("/me"));
    assert_eq!(result.endpoints.len(), 1);
    let endpoint = &result.endpoints[0];
    assert_eq!(endpoint.server_url(), "https://op.example/html");
    assert_eq!(endpoint.type_uris(), [TYPE_SIGNON_2_0]);
    assert_eq!(endpoint.claimed_id(), Some(server.url("/me").as_str()));
    assert_eq!(endpoint.local_id(), Some("https://me.op.example/"));
    assert!(!endpoint.used_yadis());
}

#[test]
fn an_xrds_without_openid_services_falls_back_to_the_html_page() {
    let server = TestServer::start(|request| match request.path.as_str() {
        "/" if request.header("accept").is_some_and(|a| a.contains("xrds")) => Reply::ok(
            "application/xrds+xml",
            r#"<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"><XRD>
               <Service><Type>http://example.com/other</Type><URI>http://x/</URI></Service>
               </XRD></xrds:XRDS>"#,
        ),
        "/" => Reply::ok("text/html", HTML),
        _ => Reply::status(404),
    });
    let result = discover(&server.url("/"), &UreqFetcher::new(), &loopback_policy()).unwrap();
    assert_eq!(result.endpoints.len(), 1);
    assert_eq!(result.endpoints[0].server_url(), "https://op.example/html");
    // The page is fetched again without the Yadis Accept header.
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(!requests[1].header("accept").unwrap_or_default().contains("xrds"));
}

#[test]
fn every_redirect_code_is_followed_and_the_final_url_is_claimed() {
    for code in [301, 302, 303, 307, 308] {
        let server = TestServer::start(move |request| match request.path.as_str() {
            "/start" => Reply::redirect(code, "/final#ignored"),
            "/final" => xrds_reply(),
            _ => Reply::status(404),
        });
        let result =
            discover(&server.url("/start"), &UreqFetcher::new(), &loopback_policy()).unwrap();
        assert_eq!(result.claimed_id, server.url("/final"), "status {code}");
        assert_op_identifier_at(&result, "https://op.example/endpoint");
    }
}

#[test]
fn relative_locations_are_resolved_against_the_hop_url() {
    let server = TestServer::start(|request| match request.path.as_str() {
        "/a/b/start" => Reply::redirect(302, "next"),
        "/a/b/next" => Reply::redirect(308, "../up"),
        "/a/up" => Reply::redirect(301, "//127.0.0.1:1/unused").with_header("x", "y"),
        _ => Reply::status(404),
    });
    let fetcher = UreqFetcher::new();
    // The third hop points at another port on loopback: still allowed by this policy, but
    // nothing listens there, so the error is a connection error at that URL.
    let error = fetcher.get(&server.url("/a/b/start"), &[], &loopback_policy()).unwrap_err();
    assert!(
        matches!(&error, FetchError::Connect { url, .. } if url == "http://127.0.0.1:1/unused"),
        "{error:?}"
    );
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/a/b/start", "/a/b/next", "/a/up"]);
}

#[test]
fn post_is_replayed_on_307_and_becomes_get_on_303() {
    let server =
        TestServer::start(|request| match (request.method.as_str(), request.path.as_str()) {
            ("POST", "/p307") => Reply::redirect(307, "/echo"),
            ("POST", "/p303") => Reply::redirect(303, "/echo"),
            (method, "/echo") => Reply::ok(
                "text/plain",
                format!("{method} {}", String::from_utf8_lossy(&request.body)),
            ),
            _ => Reply::status(404),
        });
    let fetcher = UreqFetcher::new();
    let form = [("openid.mode", "check_authentication"), ("a", "b c")];
    let replayed = fetcher.post_form(&server.url("/p307"), &form, &loopback_policy()).unwrap();
    assert_eq!(replayed.body, b"POST openid.mode=check_authentication&a=b+c");
    let converted = fetcher.post_form(&server.url("/p303"), &form, &loopback_policy()).unwrap();
    assert_eq!(converted.body, b"GET ");
    assert_eq!(converted.final_url, server.url("/echo"));
}

#[test]
fn a_redirect_loop_is_an_error() {
    let server = TestServer::start(|request| match request.path.as_str() {
        "/a" => Reply::redirect(302, "/b"),
        _ => Reply::redirect(302, "/a"),
    });
    let error = UreqFetcher::new().get(&server.url("/a"), &[], &loopback_policy()).unwrap_err();
    assert!(matches!(&error, FetchError::RedirectLoop { url } if url.ends_with("/a")), "{error:?}");
    assert_eq!(server.request_count(), 2);
}

#[test]
fn five_redirects_are_followed_and_the_sixth_is_refused() {
    let server = TestServer::start(|request| {
        let hop: usize = request.path.trim_start_matches("/hop/").parse().unwrap_or(99);
        if hop == 0 { xrds_reply() } else { Reply::redirect(302, &format!("/hop/{}", hop - 1)) }
    });
    let fetcher = UreqFetcher::new();
    let ok = fetcher.get(&server.url("/hop/5"), &[], &loopback_policy()).unwrap();
    assert_eq!(ok.final_url, server.url("/hop/0"));
    let error = fetcher.get(&server.url("/hop/6"), &[], &loopback_policy()).unwrap_err();
    assert!(matches!(error, FetchError::TooManyRedirects { limit: 5, .. }), "{error:?}");
    // 6 requests for the first fetch, then 6 before giving up on the seventh.
    assert_eq!(server.request_count(), 12);
}

#[test]
fn not_found_and_server_errors_are_http_status_errors() {
    for status in [404, 500] {
        let server = TestServer::start(move |_| Reply::status(status));
        let fetched = UreqFetcher::new().get(&server.url("/"), &[], &loopback_policy()).unwrap();
        assert_eq!(fetched.status, status);
        let error =
            discover(&server.url("/"), &UreqFetcher::new(), &loopback_policy()).unwrap_err();
        assert!(
            matches!(&error, DiscoveryError::HttpStatus { status: s, .. } if *s == status),
            "{error:?}"
        );
    }
}

#[test]
fn a_body_at_the_cap_is_accepted_and_one_byte_more_is_too_large() {
    let server = TestServer::start(|request| match request.path.as_str() {
        "/under" => Reply::ok("text/plain", vec![b'a'; 1000]),
        "/over" => Reply::ok("text/plain", vec![b'a'; 1001]),
        "/over-unannounced" => Reply::CloseDelimited { body: vec![b'a'; 5000] },
        _ => Reply::CloseDelimited { body: vec![b'a'; 1000] },
    });
    let mut policy = loopback_policy();
    policy.max_body_bytes = 1000;
    let fetcher = UreqFetcher::new();
    assert_eq!(fetcher.get(&server.url("/under"), &[], &policy).unwrap().body.len(), 1000);
    assert_eq!(
        fetcher.get(&server.url("/exact-unannounced"), &[], &policy).unwrap().body.len(),
        1000
    );
    for path in ["/over", "/over-unannounced"] {
        let error = fetcher.get(&server.url(path), &[], &policy).unwrap_err();
        assert!(matches!(error, FetchError::TooLarge { limit: 1000, .. }), "{path}: {error:?}");
    }
}

#[test]
fn a_stalled_server_times_out_within_the_total_timeout() {
    let server = TestServer::start(|request| match request.path.as_str() {
        "/headers" => Reply::Stall(Duration::from_secs(10)),
        _ => Reply::StallInBody {
            declared: 100,
            sent: b"<html><head>".to_vec(),
            wait: Duration::from_secs(10),
        },
    });
    let mut policy = loopback_policy();
    policy.total_timeout = Duration::from_millis(500);
    let fetcher = UreqFetcher::new();
    for path in ["/headers", "/body"] {
        let started = Instant::now();
        let error = fetcher.get(&server.url(path), &[], &policy).unwrap_err();
        let elapsed = started.elapsed();
        assert!(matches!(error, FetchError::Timeout { .. }), "{path}: {error:?}");
        assert!(elapsed < Duration::from_secs(3), "{path}: took {elapsed:?}");
        assert!(elapsed >= Duration::from_millis(400), "{path}: returned too early");
    }
}

#[test]
fn the_guard_refuses_loopback_by_default_without_sending_anything() {
    let server = TestServer::start(|_| xrds_reply());
    let error =
        UreqFetcher::new().get(&server.url("/"), &[], &NetworkPolicy::default()).unwrap_err();
    match error {
        FetchError::PolicyDenied {
            reason: PolicyViolation::InternalAddress { address, class: AddressClass::Loopback },
            ..
        } => assert_eq!(address.to_string(), "127.0.0.1"),
        other => panic!("unexpected {other:?}"),
    }
    let error =
        discover(&server.url("/"), &UreqFetcher::new(), &NetworkPolicy::default()).unwrap_err();
    assert!(matches!(error, DiscoveryError::Fetch(FetchError::PolicyDenied { .. })), "{error:?}");
    assert_eq!(server.request_count(), 0);
}

#[test]
fn the_guard_allows_loopback_when_the_policy_says_so() {
    let server = TestServer::start(|_| xrds_reply());
    let by_network = NetworkPolicy::default().allow_loopback();
    assert_eq!(UreqFetcher::new().get(&server.url("/"), &[], &by_network).unwrap().status, 200);
    let mut by_flag = NetworkPolicy::default();
    by_flag.allow_internal_addresses = true;
    assert_eq!(UreqFetcher::new().get(&server.url("/"), &[], &by_flag).unwrap().status, 200);
    assert_eq!(server.request_count(), 2);
}

fn loopback(server: &TestServer) -> SocketAddr {
    server.addr
}

fn assert_refused_as_loopback(error: &FetchError) {
    assert!(
        matches!(
            error,
            FetchError::PolicyDenied {
                reason: PolicyViolation::InternalAddress { class: AddressClass::Loopback, .. },
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn a_host_name_resolving_to_loopback_is_refused_at_connection_time() {
    let server = TestServer::start(|_| xrds_reply());
    let resolver = FakeResolver::default().with("rebind.test", &[loopback(&server)]);
    let fetcher = UreqFetcher::with_resolver(Arc::new(resolver));
    let url = format!("http://rebind.test:{}/", server.port());
    // The host name passes the pre-request check; the guard refuses what it resolves to.
    assert!(NetworkPolicy::default().check_url_str(&url).is_ok());
    let error = fetcher.get(&url, &[], &NetworkPolicy::default()).unwrap_err();
    assert_refused_as_loopback(&error);
    assert_eq!(server.request_count(), 0);
    // The same resolver with loopback allowed reaches the server: the resolver is really used.
    let ok = fetcher.get(&url, &[], &NetworkPolicy::default().allow_loopback()).unwrap();
    assert_eq!(ok.status, 200);
}

#[test]
fn an_ip_literal_is_connected_to_without_the_resolver_and_still_guarded() {
    let server = TestServer::start(|_| xrds_reply());
    // This resolver knows no host at all: a fetch that asked it would fail.
    let fetcher = UreqFetcher::with_resolver(Arc::new(FakeResolver::default()));
    let url = server.url("/");
    for _ in 0..2 {
        assert_eq!(fetcher.get(&url, &[], &loopback_policy()).unwrap().status, 200);
    }
    assert!(
        fetcher
            .get(&format!("http://resolved.test:{}/", server.port()), &[], &loopback_policy())
            .is_err()
    );
    // The literal is still judged: refused under the default policy. (The guard's own
    // refusal, without the URL check in front, is tested with the guard.)
    let error = fetcher.get(&url, &[], &NetworkPolicy::default()).unwrap_err();
    assert_refused_as_loopback(&error);
    assert_eq!(server.request_count(), 2);
}

#[test]
fn only_the_allowed_addresses_of_a_host_are_connected_to() {
    let allowed = TestServer::start(|_| Reply::ok("text/plain", "allowed"));
    // Same port on 127.0.0.2: loopback, but outside the network this policy allows.
    let refused =
        TestServer::start_on(&format!("127.0.0.2:{}", allowed.port()), |_| Reply::status(418));
    let resolver = FakeResolver::default().with("mixed.test", &[refused.addr, loopback(&allowed)]);
    let fetcher = UreqFetcher::with_resolver(Arc::new(resolver));
    let policy = NetworkPolicy::default().allow_network("127.0.0.1/32".parse().unwrap());
    let url = format!("http://mixed.test:{}/", allowed.port());
    let response = fetcher.get(&url, &[], &policy).unwrap();
    assert_eq!(response.body, b"allowed");
    assert_eq!(refused.request_count(), 0);
    assert_eq!(allowed.request_count(), 1);
}

#[test]
fn every_redirect_hop_is_checked_by_the_guard() {
    let server = TestServer::start(|request| match request.header("host") {
        Some(host) if host.starts_with("public.test") => {
            let port = host.rsplit(':').next().unwrap();
            Reply::redirect(302, &format!("http://internal.test:{port}/secret"))
        }
        _ => Reply::ok("text/plain", "secret"),
    });
    let resolver = FakeResolver::default()
        .with("public.test", &[loopback(&server)])
        .with("internal.test", &[loopback(&server)]);
    let fetcher = UreqFetcher::with_resolver(Arc::new(resolver));
    // public.test stands for a public host: its (loopback) address is allowed by name.
    let policy = NetworkPolicy::default().allow_host("public.test");
    let error =
        fetcher.get(&format!("http://public.test:{}/", server.port()), &[], &policy).unwrap_err();
    assert!(
        matches!(&error, FetchError::PolicyDenied { url, .. } if url.contains("internal.test")),
        "{error:?}"
    );
    assert_eq!(server.request_count(), 1);
}

#[test]
fn a_redirect_to_another_scheme_is_refused() {
    let server = TestServer::start(|request| match request.path.as_str() {
        "/file" => Reply::redirect(302, "file:///etc/passwd"),
        _ => Reply::redirect(301, "ftp://example.com/"),
    });
    for path in ["/file", "/ftp"] {
        let error = UreqFetcher::new().get(&server.url(path), &[], &loopback_policy()).unwrap_err();
        assert!(
            matches!(
                error,
                FetchError::PolicyDenied { reason: PolicyViolation::Scheme { .. }, .. }
            ),
            "{path}: {error:?}"
        );
    }
}

#[test]
fn a_denied_network_wins_over_allowed_loopback() {
    let server = TestServer::start(|_| xrds_reply());
    let policy = loopback_policy().deny_network("127.0.0.0/8".parse().unwrap());
    let error = UreqFetcher::new().get(&server.url("/"), &[], &policy).unwrap_err();
    assert!(
        matches!(
            error,
            FetchError::PolicyDenied { reason: PolicyViolation::NetworkDenied { .. }, .. }
        ),
        "{error:?}"
    );
}

#[test]
fn the_discovery_cache_saves_the_second_fetch_until_it_expires() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let server = TestServer::start(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        xrds_reply()
    });
    let discoverer =
        Discoverer::new(DiscoveryConfig::default().with_cache(Duration::from_millis(300), 16));
    let fetcher = UreqFetcher::new();
    let policy = loopback_policy();
    let first = discoverer.discover(&server.url("/"), &fetcher, &policy).unwrap();
    // Same identifier as typed differently: the cache key is the normalised identifier.
    let with_fragment = format!("{}#x", server.url("/"));
    let second = discoverer.discover(&with_fragment, &fetcher, &policy).unwrap();
    assert_eq!(first, second);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    std::thread::sleep(Duration::from_millis(350));
    discoverer.discover(&server.url("/"), &fetcher, &policy).unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[test]
fn the_discovery_cache_is_off_by_default() {
    let server = TestServer::start(|_| xrds_reply());
    let discoverer = Discoverer::default();
    assert!(discoverer.cache().is_none());
    let fetcher = UreqFetcher::new();
    discoverer.discover(&server.url("/"), &fetcher, &loopback_policy()).unwrap();
    discoverer.discover(&server.url("/"), &fetcher, &loopback_policy()).unwrap();
    assert_eq!(server.request_count(), 2);
}

#[test]
fn xri_resolution_goes_through_the_configured_proxy() {
    let server = TestServer::start(|request| {
        if request.path == "/=example?_xrd_r=application%2Fxrds%2Bxml%3Bsep%3Dfalse" {
            Reply::ok(
                "application/xrds+xml",
                r#"<XRDS xmlns="xri://$xrds"><XRD xmlns="xri://$xrd*($v*2.0)">
                <CanonicalID>=!ABCD</CanonicalID>
                <Service><Type>http://specs.openid.net/auth/2.0/signon</Type>
                <URI>https://op.example/xri</URI></Service></XRD></XRDS>"#,
            )
        } else {
            Reply::status(404)
        }
    });
    let discoverer = Discoverer::new(DiscoveryConfig::default().with_xri_proxy(server.url("/")));
    let result = discoverer.discover("=example", &UreqFetcher::new(), &loopback_policy()).unwrap();
    assert_eq!(result.claimed_id, "=!ABCD");
    assert_eq!(result.endpoints[0].server_url(), "https://op.example/xri");
    assert_eq!(result.endpoints[0].local_id(), Some("=!ABCD"));
}

#[test]
fn the_identifier_without_scheme_gets_http() {
    let server = TestServer::start(|_| xrds_reply());
    let typed = format!("127.0.0.1:{}/user", server.port());
    let result = discover(&typed, &UreqFetcher::new(), &loopback_policy()).unwrap();
    assert_eq!(result.claimed_id, server.url("/user"));
}

#[test]
fn an_xrds_location_pointing_inside_is_refused_by_the_guard() {
    let server = TestServer::start(|request| match request.header("host") {
        Some(host) if host.starts_with("public.test") => {
            let port = host.rsplit(':').next().unwrap();
            Reply::ok("text/html", HTML)
                .with_header("X-XRDS-Location", &format!("http://internal.test:{port}/xrds"))
        }
        _ => xrds_reply(),
    });
    let resolver = FakeResolver::default()
        .with("public.test", &[loopback(&server)])
        .with("internal.test", &[loopback(&server)]);
    let fetcher = UreqFetcher::with_resolver(Arc::new(resolver));
    let policy = NetworkPolicy::default().allow_host("public.test");
    let error =
        discover(&format!("http://public.test:{}/", server.port()), &fetcher, &policy).unwrap_err();
    assert!(
        matches!(
            &error,
            DiscoveryError::Fetch(FetchError::PolicyDenied { url, .. }) if url.contains("internal.test")
        ),
        "{error:?}"
    );
    assert_eq!(server.request_count(), 1);
}

#[test]
fn the_connect_timeout_fires_when_the_server_never_accepts() {
    // A listener that never accepts: once its accept queue is full, the kernel drops new SYNs
    // and connecting hangs, which is what an unreachable host looks like.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    let mut saturated = false;
    for _ in 0..1024 {
        if let Ok(stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100))
        {
            fillers.push(stream);
        } else {
            saturated = true;
            break;
        }
    }
    if !saturated {
        // Straight to stderr: libtest hides what a passing test prints with println!.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED the_connect_timeout_fires_when_the_server_never_accepts: \
             could not saturate the accept queue on this kernel"
        );
        return;
    }
    let mut policy = loopback_policy();
    policy.connect_timeout = Duration::from_millis(300);
    policy.total_timeout = Duration::from_secs(5);
    let started = Instant::now();
    let error = UreqFetcher::new().get(&format!("http://{addr}/"), &[], &policy).unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(error, FetchError::Timeout { .. }), "{error:?}");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    drop(fillers);
}

/// A resolver that never answers in time (a DNS server that drops queries).
#[derive(Debug)]
struct HangingResolver;

impl openid_consumer::fetch::HostResolver for HangingResolver {
    fn resolve(&self, _: &str, _: u16) -> std::io::Result<Vec<std::net::SocketAddr>> {
        std::thread::sleep(Duration::from_secs(120));
        Ok(Vec::new())
    }
}

#[test]
fn a_custom_resolver_is_bounded_by_the_total_timeout() {
    let mut policy = loopback_policy();
    policy.total_timeout = Duration::from_millis(300);
    let fetcher = UreqFetcher::with_resolver(Arc::new(HangingResolver));
    let started = Instant::now();
    let error = fetcher.get("http://op.example/", &[], &policy).unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(error, FetchError::Timeout { .. }), "{error:?}");
    // A hang guard with a wide margin, not a speed target: unbounded, this takes 120 s.
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
}

/// Threads of this process that run an application resolver for the fetcher.
fn resolver_threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |tasks| {
        tasks
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
            .filter(|name| name.trim() == "openid-resolve")
            .count()
    })
}

// See: review of issue 9 (the custom-resolver timeout thread). Each fetch left its thread
// behind with a resolver that hangs: one login attempt per thread, without limit, for a
// host name a stranger picks.
#[test]
fn a_hanging_resolver_does_not_get_a_thread_per_fetch() {
    let mut policy = loopback_policy();
    policy.total_timeout = Duration::from_millis(20);
    let fetcher = UreqFetcher::with_resolver(Arc::new(HangingResolver));
    for n in 0..100 {
        let error = fetcher.get(&format!("http://hang{n}.example/"), &[], &policy).unwrap_err();
        assert!(matches!(error, FetchError::Timeout { .. }), "{error:?}");
    }
    let threads = resolver_threads();
    // Other tests of this binary may hang a resolver or two of their own at the same time.
    assert!(threads <= 40, "{threads} resolver threads left hanging");
}
