//! The HTTP edge over raw sockets: keep-alive, pipelining, closing, refusals, and what a drop
//! does to open connections.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use openid_testkit::Provider;

fn connect(provider: &Provider) -> TcpStream {
    let stream = TcpStream::connect(provider.base_url().trim_start_matches("http://")).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream
}

/// One response: the head (as text) and the body, delimited by its Content-Length.
fn response(stream: &mut TcpStream) -> (String, Vec<u8>) {
    let mut head = Vec::new();
    let mut byte = [0_u8];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "closed mid-head: {head:?}");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let length = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase().strip_prefix("content-length:").map(str::to_owned)
        })
        .map_or(0, |value| value.trim().parse().unwrap());
    let mut body = vec![0; length];
    stream.read_exact(&mut body).unwrap();
    (head, body)
}

fn status(head: &str) -> &str {
    head.split(' ').nth(1).unwrap()
}

/// True if the provider closed the connection (end of stream) within `limit`.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    stream.set_read_timeout(Some(limit)).unwrap();
    matches!(stream.read(&mut [0_u8; 64]), Ok(0))
}

#[test]
fn a_kept_alive_connection_answers_request_after_request() {
    let provider = Provider::start().unwrap();
    let mut stream = connect(&provider);
    for _ in 0..2 {
        stream.write_all(b"GET /id/alice HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let (head, body) = response(&mut stream);
        assert_eq!(status(&head), "200", "{head}");
        assert!(String::from_utf8(body).unwrap().contains("openid2.provider"));
        assert!(!head.to_ascii_lowercase().contains("connection: close"), "{head}");
    }
    // Pipelined: two requests in one write, two answers in order; the POST body in between
    // is not taken for the next request.
    stream
        .write_all(
            b"POST /op HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\nopenid.mode=nonsense\
              GET /xrds/bob HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .unwrap();
    let (head, body) = response(&mut stream);
    assert_eq!(status(&head), "400", "{head}");
    assert!(String::from_utf8(body).unwrap().contains("error:"));
    let (head, body) = response(&mut stream);
    assert_eq!(status(&head), "200", "{head}");
    assert!(String::from_utf8(body).unwrap().contains("bob"));
    assert_eq!(provider.requests().len(), 4);
}

#[test]
fn connection_close_and_http_1_0_close_after_the_answer() {
    let provider = Provider::start().unwrap();
    for request in [
        &b"GET /id/alice HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"[..],
        b"GET /id/alice HTTP/1.0\r\n\r\n",
    ] {
        let mut stream = connect(&provider);
        stream.write_all(request).unwrap();
        let (head, _) = response(&mut stream);
        assert_eq!(status(&head), "200", "{head}");
        assert!(head.contains("Connection: close"), "{head}");
        assert!(closed_within(&mut stream, Duration::from_secs(5)));
    }
    // HTTP/1.0 keeps the connection when asked to.
    let mut stream = connect(&provider);
    for _ in 0..2 {
        stream.write_all(b"GET /id/alice HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").unwrap();
        let (head, _) = response(&mut stream);
        assert!(head.contains("Connection: keep-alive"), "{head}");
    }
}

#[test]
fn head_and_expect_continue() {
    let provider = Provider::start().unwrap();
    let mut stream = connect(&provider);
    stream.write_all(b"HEAD /id/alice HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut head = Vec::new();
    let mut byte = [0_u8];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1);
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert_eq!(status(&head), "200", "{head}");
    assert!(!head.contains("Content-Length: 0\r\n"), "the length of the GET body: {head}");
    // No body follows: the next answer starts right away.
    stream
        .write_all(
            b"POST /op HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 20\r\n\r\n",
        )
        .unwrap();
    let (head, _) = response(&mut stream);
    assert_eq!(status(&head), "100", "{head}");
    stream.write_all(b"openid.mode=nonsense").unwrap();
    let (head, _) = response(&mut stream);
    assert_eq!(status(&head), "400", "{head}");
}

#[test]
fn oversized_heads_and_chunked_bodies_are_refused() {
    let provider = Provider::start().unwrap();
    let long =
        format!("GET /id/alice HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(100_000));
    let many = format!("GET /id/alice HTTP/1.1\r\n{}\r\n", "X-Many: 1\r\n".repeat(200));
    for request in [long, many] {
        let mut stream = connect(&provider);
        stream.write_all(request.as_bytes()).unwrap();
        let (head, _) = response(&mut stream);
        assert_eq!(status(&head), "431", "{head}");
        assert!(closed_within(&mut stream, Duration::from_secs(5)));
    }
    let mut stream = connect(&provider);
    stream
        .write_all(
            b"POST /op HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
              14\r\nopenid.mode=nonsense\r\n0\r\n\r\n",
        )
        .unwrap();
    let (head, _) = response(&mut stream);
    assert_eq!(status(&head), "411", "{head}");
    assert!(closed_within(&mut stream, Duration::from_secs(5)));
    for length in ["abc", "5, 6"] {
        let mut stream = connect(&provider);
        let request = format!("POST /op HTTP/1.1\r\nContent-Length: {length}\r\n\r\nhello");
        stream.write_all(request.as_bytes()).unwrap();
        assert_eq!(status(&response(&mut stream).0), "400");
    }
    // None of these reached the handlers.
    assert!(provider.requests().is_empty(), "{:#?}", provider.requests());
}

#[test]
fn dropping_the_provider_closes_kept_alive_connections_and_the_listener() {
    let provider = Provider::start().unwrap();
    let address = provider.base_url().trim_start_matches("http://").to_owned();
    let mut idle = connect(&provider);
    idle.write_all(b"GET /id/alice HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(status(&response(&mut idle).0), "200");
    // Connected, nothing sent yet.
    let mut silent = connect(&provider);
    let dropping = Instant::now();
    drop(provider);
    assert!(dropping.elapsed() < Duration::from_millis(900), "{:?}", dropping.elapsed());
    assert!(closed_within(&mut idle, Duration::from_millis(500)));
    assert!(closed_within(&mut silent, Duration::from_millis(500)));
    assert!(TcpStream::connect(address).is_err(), "still listening");
}

#[test]
fn connections_past_the_limit_are_refused_and_the_rest_still_served() {
    let provider = Provider::start().unwrap();
    let connections: Vec<TcpStream> =
        (0..openid_testkit::MAX_CONNECTIONS).map(|_| connect(&provider)).collect();
    // Accepted in order, so this one finds every slot taken.
    let mut extra = connect(&provider);
    extra.write_all(b"GET /id/alice HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let (head, _) = response(&mut extra);
    assert_eq!(status(&head), "503", "{head}");
    let mut first = connections.into_iter().next().unwrap();
    first.write_all(b"GET /id/alice HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(status(&response(&mut first).0), "200");
}

#[test]
fn a_request_arriving_slowly_across_read_timeouts_is_served_whole() {
    let provider = Provider::start().unwrap();
    let mut stream = connect(&provider);
    // Pieces 250 ms apart: each wait outlasts the provider's 100 ms poll between reads.
    for piece in [
        &b"POST /op HT"[..],
        b"TP/1.1\r\nHost: x\r\nContent-Le",
        b"ngth: 20\r\n\r\nopenid.mode",
        b"=nonsense",
    ] {
        stream.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(250));
    }
    let (head, body) = response(&mut stream);
    assert_eq!(status(&head), "400", "{head}");
    assert!(String::from_utf8(body).unwrap().contains("error:"));
    assert_eq!(provider.requests().len(), 1);
}

#[test]
fn a_content_length_must_be_digits_only() {
    let provider = Provider::start().unwrap();
    // Rust's integer parsing takes a leading `+`; RFC 9110 does not (`1*DIGIT`), and a proxy
    // in front that reads the length differently would see a different next request.
    for length in ["+20", "-0", "2_0", ""] {
        let mut stream = connect(&provider);
        let request =
            format!("POST /op HTTP/1.1\r\nContent-Length: {length}\r\n\r\nopenid.mode=nonsense");
        stream.write_all(request.as_bytes()).unwrap();
        let (head, _) = response(&mut stream);
        assert_eq!(status(&head), "400", "Content-Length {length:?}: {head}");
    }
    assert!(provider.requests().is_empty(), "{:#?}", provider.requests());
}

#[test]
fn a_refused_client_that_keeps_trickling_bytes_is_cut_off() {
    let provider = Provider::start().unwrap();
    let mut stream = connect(&provider);
    stream.write_all(b"POST /op HTTP/1.1\r\nContent-Length: abc\r\n\r\n").unwrap();
    assert_eq!(status(&response(&mut stream).0), "400");
    // A byte every 50 ms: each read after the refusal gets one before the 100 ms poll ends.
    // The answer came with the provider's half of the connection shut, so only a write
    // (reset once the provider closed the socket) tells when it stopped reading.
    let started = Instant::now();
    let mut closed = false;
    while started.elapsed() < Duration::from_secs(5) {
        if stream.write_all(b"x").is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(closed, "the provider still reads after {:?}", started.elapsed());
}
