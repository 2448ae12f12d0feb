//! Shared test helpers: the python-openid vectors, a fetcher backed by a map, and a tiny HTTP
//! server on 127.0.0.1.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use openid_consumer::fetch::{FetchError, FetchResponse, Fetcher, HostResolver, NetworkPolicy};

#[path = "../common/vectors.rs"]
mod common_vectors;
pub(crate) use common_vectors::{vector, vectors_dir};

/// A [`Fetcher`] that serves canned responses by URL (404 otherwise) and logs what it was
/// asked, like python-openid's test fetchers.
#[derive(Debug, Default)]
pub(crate) struct MapFetcher {
    pub(crate) documents: HashMap<String, FetchResponse>,
    pub(crate) requests: Mutex<Vec<LoggedGet>>,
}

impl MapFetcher {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Serves `body` at `url` with `content_type`.
    pub(crate) fn serve(mut self, url: &str, content_type: &str, body: Vec<u8>) -> Self {
        let response = FetchResponse::new(
            url,
            200,
            vec![("Content-Type".to_owned(), content_type.to_owned())],
            body,
        );
        self.documents.insert(url.to_owned(), response);
        self
    }

    /// Serves a full response at `url` (its final URL may differ: a redirect).
    pub(crate) fn serve_response(mut self, url: &str, response: FetchResponse) -> Self {
        self.documents.insert(url.to_owned(), response);
        self
    }

    pub(crate) fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

impl Fetcher for MapFetcher {
    fn get(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        _policy: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError> {
        self.requests.lock().unwrap().push((
            url.to_owned(),
            headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        ));
        Ok(self
            .documents
            .get(url)
            .cloned()
            .unwrap_or_else(|| FetchResponse::new(url, 404, Vec::new(), b"not found".to_vec())))
    }

    fn post_form(
        &self,
        url: &str,
        _form: &[(&str, &str)],
        policy: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError> {
        self.get(url, &[], policy)
    }
}

/// A GET the map fetcher was asked for: URL and headers.
pub(crate) type LoggedGet = (String, Vec<(String, String)>);

/// A request as the test server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What the test server answers.
pub(crate) enum Reply {
    /// A complete response with `Content-Length`.
    Full { status: u16, headers: Vec<(String, String)>, body: Vec<u8> },
    /// A response without `Content-Length`, delimited by closing the connection.
    CloseDelimited { body: Vec<u8> },
    /// Waits before answering anything.
    Stall(Duration),
    /// Sends headers and part of the body, then waits.
    StallInBody { declared: usize, sent: Vec<u8>, wait: Duration },
}

impl Reply {
    pub(crate) fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::Full {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    pub(crate) fn status(status: u16) -> Self {
        Self::Full { status, headers: Vec::new(), body: format!("status {status}").into_bytes() }
    }

    pub(crate) fn redirect(status: u16, location: &str) -> Self {
        Self::Full { status, headers: vec![("Location".into(), location.into())], body: Vec::new() }
    }

    pub(crate) fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Self::Full { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// An HTTP/1.1 server on 127.0.0.1 (one thread per connection, `Connection: close`).
pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    pub(crate) requests: Arc<Mutex<Vec<Request>>>,
}

impl TestServer {
    pub(crate) fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_on("127.0.0.1:0", handler)
    }

    /// A server on a given loopback address and port (all of 127.0.0.0/8 is local on Linux).
    pub(crate) fn start_on(
        bind: &str,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind(bind).unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let log = Arc::clone(&requests);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let handler = Arc::clone(&handler);
                let log = Arc::clone(&log);
                thread::spawn(move || serve(stream, &*handler, &log));
            }
        });
        Self { addr, requests }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }

    pub(crate) fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub(crate) fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Request>>) {
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 {
            break;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap_or_default();
    let request = Request { method, path, headers, body };
    log.lock().unwrap().push(request.clone());
    let mut stream = stream;
    // Write errors are expected when the client gave up (timeouts, caps): ignore them.
    let _ = match handler(&request) {
        Reply::Full { status, headers, body } => {
            let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
            for (name, value) in headers {
                write!(head, "{name}: {value}\r\n").unwrap();
            }
            head.push_str("Connection: close\r\n\r\n");
            stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body))
        }
        Reply::CloseDelimited { body } => stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
            .and_then(|()| stream.write_all(&body)),
        Reply::Stall(wait) => {
            thread::sleep(wait);
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        }
        Reply::StallInBody { declared, sent, wait } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {declared}\r\n\r\n"
            );
            let result = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&sent));
            let _ = stream.flush();
            thread::sleep(wait);
            result
        }
    };
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// A resolver that maps test host names to fixed addresses.
#[derive(Debug, Default)]
pub(crate) struct FakeResolver {
    pub(crate) hosts: HashMap<String, Vec<SocketAddr>>,
}

impl FakeResolver {
    pub(crate) fn with(mut self, host: &str, addresses: &[SocketAddr]) -> Self {
        self.hosts.insert(host.to_owned(), addresses.to_vec());
        self
    }
}

impl HostResolver for FakeResolver {
    fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        match self.hosts.get(host) {
            Some(addresses) => {
                Ok(addresses.iter().map(|address| SocketAddr::new(address.ip(), port)).collect())
            }
            None => Err(std::io::Error::new(std::io::ErrorKind::NotFound, "unknown test host")),
        }
    }
}

/// A policy for tests against the local server: loopback allowed, short timeouts.
pub(crate) fn loopback_policy() -> NetworkPolicy {
    let mut policy = NetworkPolicy::default().allow_loopback();
    policy.connect_timeout = Duration::from_secs(2);
    policy.total_timeout = Duration::from_secs(5);
    policy
}
