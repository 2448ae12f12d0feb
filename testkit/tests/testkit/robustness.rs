//! The request log, reset, delay, padding, garbage, concurrency.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use openid_consumer::discovery::{DiscoveryError, discover};
use openid_consumer::fetch::{FetchError, NetworkPolicy, UreqFetcher};
use openid_consumer::message::kvform;
use openid_testkit::{Answer, Behaviour, Provider, Transport};

use crate::common::{agent, associate, checkid, fetcher, get, message, post, run};

/// The provider still answers: an association and a discovery work.
fn still_serving(provider: &Provider) {
    let (fetcher, policy) = fetcher();
    discover(&provider.identity_url("alice"), &fetcher, &policy).unwrap();
    associate(provider);
}

#[test]
fn the_log_records_every_request_in_order() {
    let provider = Provider::start().unwrap();
    get(&format!("{}?a=1&b=%20", provider.identity_url("alice")));
    let association = associate(&provider);
    let alice = provider.identity_url("alice");
    run(&provider, &checkid(&alice, &[("openid.assoc_handle", association.handle())]));
    let log = provider.requests();
    assert_eq!(log.len(), 3, "{log:#?}");
    assert_eq!((log[0].method.as_str(), log[0].path.as_str()), ("GET", "/id/alice"));
    assert_eq!(log[0].query, "a=1&b=%20");
    assert_eq!(log[0].mode, None);
    assert_eq!(log[0].param("b").as_deref(), Some(" "));
    assert_eq!((log[1].method.as_str(), log[1].path.as_str()), ("POST", "/op"));
    assert_eq!(log[1].mode.as_deref(), Some("associate"));
    assert!(log[1].form.iter().any(|(k, v)| k == "openid.assoc_type" && v == "HMAC-SHA256"));
    assert!(log[1].header("content-type").unwrap().contains("x-www-form-urlencoded"));
    assert_eq!((log[2].method.as_str(), log[2].mode.as_deref()), ("GET", Some("checkid_setup")));
    assert_eq!(log[2].param("openid.assoc_handle").as_deref(), Some(association.handle()));
    provider.clear_requests();
    assert!(provider.requests().is_empty());
}

#[test]
fn reset_restores_the_default_behaviour_and_clears_the_log() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| {
        b.answer = Answer::Cancel;
        b.transport = Transport::FormPost;
        b.padding = Some(10);
    });
    get(&provider.base_url());
    assert_ne!(provider.behaviour(), Behaviour::default());
    provider.reset();
    assert_eq!(provider.behaviour(), Behaviour::default());
    assert_eq!(provider.behaviour().identifier_select_user, "alice");
    assert!(provider.requests().is_empty());
    let alice = provider.identity_url("alice");
    assert_eq!(message(&run(&provider, &checkid(&alice, &[]))).get_openid("mode"), Some("id_res"));
}

#[test]
fn delay_holds_every_answer_and_a_client_timeout_sees_it() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.delay = Some(Duration::from_millis(300)));
    let started = Instant::now();
    assert_eq!(get(&provider.identity_url("alice")).status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    // A relying party with a short timeout gives up on a slow provider.
    provider.configure(|b| b.delay = Some(Duration::from_secs(60)));
    let (fetcher, mut policy) = (UreqFetcher::new(), NetworkPolicy::default().allow_loopback());
    policy.total_timeout = Duration::from_millis(200);
    let error = discover(&provider.identity_url("alice"), &fetcher, &policy).unwrap_err();
    assert!(matches!(error, DiscoveryError::Fetch(FetchError::Timeout { .. })), "{error}");
    // Other connections still answer.
    provider.configure(|b| b.delay = None);
    still_serving(&provider);
    // Dropping the provider cuts the 60 s wait short.
    let dropping = Instant::now();
    drop(provider);
    assert!(dropping.elapsed() < Duration::from_secs(30));
}

#[test]
fn padding_grows_direct_answers_and_pages_which_stay_well_formed() {
    let provider = Provider::start().unwrap();
    let plain = associate(&provider);
    provider.configure(|b| b.padding = Some(2 << 20));
    // A padded association answer still parses and works.
    let padded = associate(&provider);
    assert_ne!(plain.handle(), padded.handle());
    let answer = post(&provider.endpoint_url(), &[("openid.mode", "nonsense")]);
    assert!(answer.body.len() > 2 << 20);
    assert!(kvform::parse(&answer.body).pairs.iter().any(|(k, _)| k == "error"));
    let page = get(&provider.identity_url("alice"));
    assert!(page.body.len() > 2 << 20);
    assert!(page.body.trim_end().ends_with("-->"));
    // Announced up front, so a relying party can refuse it before reading.
    assert_eq!(page.header("content-length"), Some(page.body.len().to_string().as_str()));
    // The relying party's 1 MiB cap refuses the page.
    let (fetcher, policy) = fetcher();
    let error = discover(&provider.identity_url("alice"), &fetcher, &policy).unwrap_err();
    assert!(matches!(error, DiscoveryError::Fetch(FetchError::TooLarge { .. })), "{error}");
}

/// Writes raw bytes to the provider and returns what it answered (empty if it closed).
fn raw(provider: &Provider, bytes: &[u8]) -> String {
    dribble(provider, &[bytes], Duration::ZERO)
}

#[test]
fn garbage_gets_errors_and_the_provider_keeps_serving() {
    let provider = Provider::start().unwrap();
    let op = provider.endpoint_url();
    // Malformed OpenID requests: direct ones get KV errors, indirect ones error pages.
    for body in [
        &b"openid.mode=associate&openid.mode=associate"[..],
        b"openid.mode=%zz",
        b"openid.ns=urn:nonsense&openid.mode=associate",
        b"openid.mode=nonsense",
        b"no.openid=here",
        b"\xff\xfe",
        b"openid.mode=check_authentication",
        b"openid.ns=http://specs.openid.net/auth/2.0&openid.mode=associate\
          &openid.assoc_type=HMAC-SHA256&openid.session_type=DH-SHA256\
          &openid.dh_consumer_public=AAAAAAAAAAAAAAAAAAAAAAAA&openid.dh_gen=%00",
    ] {
        let answer = agent().post(&op).send(body).unwrap();
        assert_eq!(answer.status(), 400, "{}", String::from_utf8_lossy(body));
        let text = answer.into_body().read_to_string().unwrap();
        assert!(text.contains("error:"), "{text}");
    }
    for query in ["", "openid.mode=%zz", "openid.mode=checkid_setup", "x=y"] {
        let answer = get(&format!("{op}?{query}"));
        assert_eq!(answer.status, 400, "{query}");
        assert!(answer.content_type().starts_with("text/html"));
    }
    // An unknown mode with a usable return_to is an indirect error there.
    let callback = openid_testkit::browser::follow(&format!(
        "{op}?openid.mode=nonsense&openid.return_to=http://rp.example/r"
    ))
    .unwrap();
    assert_eq!(callback.param("openid.mode"), Some("error"));
    let big = vec![b'a'; 2 << 20];
    assert_eq!(agent().post(&op).send(&big[..]).unwrap().status(), 413);
    assert_eq!(agent().put(&op).send(&b""[..]).unwrap().status(), 405);
    assert_eq!(agent().post(provider.identity_url("alice")).send(&b""[..]).unwrap().status(), 405);
    // Not HTTP at all.
    raw(&provider, b"GARBAGE\r\n\r\n");
    raw(&provider, b"\x00\x01\x02\x03");
    raw(&provider, b"GET /op?openid.mode=checkid_setup HTTP/1.1\r\nHost: x\r\nContent-Le");
    raw(&provider, b"POST /op HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nopenid.mode=");
    let answer = raw(&provider, b"GET /id/alice HTTP/1.0\r\n\r\n");
    assert!(answer.starts_with("HTTP/1."), "{answer}");
    assert!(answer.contains("openid2.provider"));
    still_serving(&provider);
}

/// Writes `pieces` one write each, `pause` apart (so each reaches the provider in a read
/// of its own), and returns what it answered (empty if it closed).
fn dribble(provider: &Provider, pieces: &[&[u8]], pause: Duration) -> String {
    let address = provider.base_url().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_nodelay(true).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    for piece in pieces {
        // The provider may answer (and close) before the last piece: later writes may fail.
        if stream.write_all(piece).is_err() {
            break;
        }
        std::thread::sleep(pause);
    }
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn a_head_in_many_pieces_is_read_whole_and_a_bad_or_long_one_refused() {
    let provider = Provider::start().unwrap();
    let request = b"GET /id/alice HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    // A byte at a time, and with the last line's \r and \n in reads of their own: the
    // provider parses the head again only once a line has ended.
    let bytes: Vec<&[u8]> = request.chunks(1).collect();
    let answer = dribble(&provider, &bytes, Duration::from_millis(1));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("openid2.provider"), "{answer}");
    let (start, end) = request.split_at(request.len() - 3);
    let (cr, lf) = end.split_at(2);
    let answer = dribble(&provider, &[start, cr, lf], Duration::from_millis(30));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // A header name that is not a token, in the second read: refused once its line ends.
    let pieces: [&[u8]; 3] = [b"GET /op HTTP/1.1\r\nHo", b"s\x01t: x", b"\r\n\r\n"];
    let answer = dribble(&provider, &pieces, Duration::from_millis(30));
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    // Empty lines before the request line are skipped (as they come: httparse would skip
    // them again on every parse), up to the limit on the head: 60 KiB of them and a request
    // are answered, a megabyte of them is refused, and a bare CR among them is an error.
    let empty = b"\r\n".repeat(512);
    let mut pieces: Vec<&[u8]> = vec![&empty[..]; 60];
    pieces.push(request);
    let answer = dribble(&provider, &pieces, Duration::ZERO);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let pieces: Vec<&[u8]> = vec![&empty[..]; 1024];
    let answer = dribble(&provider, &pieces, Duration::ZERO);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    let answer = dribble(&provider, &[b"\r\n\r", request], Duration::ZERO);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    // A header line that never ends: refused once it passes the limit on the head.
    let long = vec![b'a'; 8 * 1024];
    let mut pieces: Vec<&[u8]> = vec![b"GET /op HTTP/1.1\r\nX-Long: "];
    pieces.extend(std::iter::repeat_n(&long[..], 9));
    let answer = dribble(&provider, &pieces, Duration::from_millis(5));
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    still_serving(&provider);
}

#[test]
fn concurrent_requests_are_all_answered() {
    let provider = Provider::start().unwrap();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|index| {
                let provider = &provider;
                scope.spawn(move || {
                    let name = format!("user{index}");
                    for _ in 0..5 {
                        let association = associate(provider);
                        let identity = provider.identity_url(&name);
                        let request =
                            checkid(&identity, &[("openid.assoc_handle", association.handle())]);
                        let assertion = message(&run(provider, &request));
                        assert_eq!(assertion.get_openid("identity"), Some(identity.as_str()));
                        openid_consumer::crypto::check_signature(&assertion, &association).unwrap();
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
    });
    assert_eq!(provider.issued_handles().len(), 40);
    assert_eq!(provider.requests().len(), 80);
}
