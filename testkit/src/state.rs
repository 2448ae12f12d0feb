//! What a running provider remembers: its URLs, the behaviour, the request log, the pages,
//! the associations, and which assertions were already verified.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use openid_consumer::store::Association;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::behaviour::Behaviour;
use crate::http::Incoming;

/// One request as the provider received it; see [`Provider::requests`](crate::Provider::requests).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoggedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query (`/op`, `/id/alice`).
    pub path: String,
    /// The raw query string, without `?` (empty when there is none).
    pub query: String,
    /// The decoded `application/x-www-form-urlencoded` body of a POST, in order (empty for
    /// other requests). Decoding is lenient here: the log shows what came, even when the
    /// provider refused it.
    pub form: Vec<(String, String)>,
    /// `openid.mode` of the query (GET) or of the body (POST).
    pub mode: Option<String>,
    /// The request headers, in order, names as sent.
    pub headers: Vec<(String, String)>,
}

impl LoggedRequest {
    /// The value of `key` in the POST body, else in the query (lenient decoding).
    pub fn param(&self, key: &str) -> Option<String> {
        self.form.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).or_else(|| {
            form_urlencoded::parse(self.query.as_bytes())
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
        })
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub(crate) fn of(request: &Incoming) -> Self {
        let form = if request.method == "POST" { request.lenient_form() } else { Vec::new() };
        let mode = if request.method == "POST" {
            form.iter().find(|(k, _)| k == "openid.mode").map(|(_, v)| v.clone())
        } else {
            form_urlencoded::parse(request.query.as_bytes())
                .find(|(k, _)| k == "openid.mode")
                .map(|(_, v)| v.into_owned())
        };
        Self {
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            form,
            mode,
            headers: request.headers.clone(),
        }
    }
}

/// A document served at a fixed path; see [`Provider::add_page_with`](crate::Provider::add_page_with).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page {
    /// The HTTP status. Default 200.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: String,
    /// Extra response headers (`X-XRDS-Location`, `Location`, ...).
    pub headers: Vec<(String, String)>,
    /// The body, as bytes (a page in another charset is possible).
    pub body: Vec<u8>,
}

impl Page {
    /// A `200` page with this content type and body.
    pub fn new(content_type: impl Into<String>, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: 200,
            content_type: content_type.into(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// A redirect (`status` should be 301, 302, 303, 307 or 308) to `location`, without body.
    pub fn redirect(status: u16, location: impl Into<String>) -> Self {
        Self::new("text/plain; charset=utf-8", Vec::new())
            .with_status(status)
            .with_header("Location", location)
    }

    /// The same page with another status.
    #[must_use]
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The same page with one more response header.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// The provider's addresses, and the test whether an identifier is one of its own.
#[derive(Debug, Clone)]
pub(crate) struct Urls {
    base: String,
    /// The host as it appears in URLs (`127.0.0.1`, `[::1]`).
    host: String,
    port: u16,
    loopback: bool,
}

impl Urls {
    pub(crate) fn new(address: SocketAddr) -> Self {
        // A server listening on every interface is still reached on loopback by the tests.
        let ip = match address.ip() {
            ip if !ip.is_unspecified() => ip,
            std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        };
        let host = match ip {
            std::net::IpAddr::V4(v4) => v4.to_string(),
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        };
        let port = address.port();
        Self { base: format!("http://{host}:{port}"), host, port, loopback: ip.is_loopback() }
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn endpoint(&self) -> String {
        format!("{}/op", self.base)
    }

    pub(crate) fn identity(&self, name: &str) -> String {
        format!("{}/id/{}", self.base, utf8_percent_encode(name, SEGMENT))
    }

    pub(crate) fn html_identity(&self, name: &str) -> String {
        format!("{}/html/{}", self.base, utf8_percent_encode(name, SEGMENT))
    }

    /// The XRDS URL of the identity whose path segment (already encoded) is `segment`.
    pub(crate) fn xrds_of_segment(&self, segment: &str) -> String {
        format!("{}/xrds/{segment}", self.base)
    }

    pub(crate) fn op_identifier(&self) -> String {
        format!("{}/", self.base)
    }

    /// Whether `identifier` is one of this provider's identity URLs (`/id/NAME` or
    /// `/html/NAME`, on this host and port; `localhost` counts for a loopback address).
    pub(crate) fn is_local_identity(&self, identifier: &str) -> bool {
        let Ok(url) = url::Url::parse(identifier) else {
            return false;
        };
        let host_ok = url.host_str().is_some_and(|host| {
            host == self.host || (self.loopback && host.eq_ignore_ascii_case("localhost"))
        });
        let segment = url.path().strip_prefix("/id/").or_else(|| url.path().strip_prefix("/html/"));
        url.scheme() == "http"
            && host_ok
            && url.port_or_known_default() == Some(self.port)
            && url.query().is_none()
            && url.fragment().is_none()
            && segment.is_some_and(is_user_segment)
    }
}

/// A user name as a path segment: not empty, no `/`.
pub(crate) fn is_user_segment(segment: &str) -> bool {
    !segment.is_empty() && !segment.contains('/')
}

/// The mutable part, behind one lock: every request holds it only briefly.
#[derive(Debug, Default)]
struct State {
    behaviour: Behaviour,
    log: Vec<LoggedRequest>,
    pages: HashMap<String, Page>,
    /// Associations handed out by `associate` (shared with a relying party).
    shared: HashMap<String, Association>,
    /// Associations made to sign assertions for relying parties without one (stateless
    /// mode): only these may be used by `check_authentication`.
    private: HashMap<String, Association>,
    issued: Vec<String>,
    /// Assertions `check_authentication` already declared valid (by nonce, else signature).
    verified: HashSet<String>,
    first_nonce: Option<String>,
}

/// Everything the connection threads share.
#[derive(Debug)]
pub(crate) struct Shared {
    urls: Urls,
    state: Mutex<State>,
    stopping: Mutex<bool>,
    stop_signal: Condvar,
}

impl Shared {
    pub(crate) fn new(urls: Urls) -> Self {
        Self {
            urls,
            state: Mutex::new(State::default()),
            stopping: Mutex::new(false),
            stop_signal: Condvar::new(),
        }
    }

    pub(crate) fn urls(&self) -> &Urls {
        &self.urls
    }

    /// Logs the request and returns the behaviour it is answered with.
    pub(crate) fn record(&self, request: &Incoming) -> Behaviour {
        let mut state = self.lock();
        state.log.push(LoggedRequest::of(request));
        state.behaviour.clone()
    }

    pub(crate) fn configure(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.lock().behaviour);
    }

    pub(crate) fn behaviour(&self) -> Behaviour {
        self.lock().behaviour.clone()
    }

    pub(crate) fn reset(&self) {
        let mut state = self.lock();
        state.behaviour = Behaviour::default();
        state.log.clear();
    }

    pub(crate) fn requests(&self) -> Vec<LoggedRequest> {
        self.lock().log.clone()
    }

    pub(crate) fn clear_requests(&self) {
        self.lock().log.clear();
    }

    pub(crate) fn issued_handles(&self) -> Vec<String> {
        self.lock().issued.clone()
    }

    pub(crate) fn add_page(&self, path: &str, page: Page) {
        self.lock().pages.insert(path.to_owned(), page);
    }

    pub(crate) fn remove_page(&self, path: &str) -> bool {
        self.lock().pages.remove(path).is_some()
    }

    pub(crate) fn page(&self, path: &str) -> Option<Page> {
        self.lock().pages.get(path).cloned()
    }

    /// Keeps an association handed out by `associate`.
    pub(crate) fn add_shared(&self, association: Association) {
        let mut state = self.lock();
        state.issued.push(association.handle().to_owned());
        state.shared.insert(association.handle().to_owned(), association);
    }

    /// The shared association with this handle, unless it is unknown or expired at `now`.
    pub(crate) fn shared_association(&self, handle: &str, now: i64) -> Option<Association> {
        self.lock().shared.get(handle).filter(|a| !a.is_expired(now)).cloned()
    }

    /// Keeps a private association; expired ones are forgotten.
    pub(crate) fn add_private(&self, association: Association, now: i64) {
        let mut state = self.lock();
        state.private.retain(|_, a| !a.is_expired(now));
        state.private.insert(association.handle().to_owned(), association);
    }

    /// The private association with this handle, unless it is unknown or expired at `now`.
    pub(crate) fn private_association(&self, handle: &str, now: i64) -> Option<Association> {
        self.lock().private.get(handle).filter(|a| !a.is_expired(now)).cloned()
    }

    /// Marks an assertion as verified; false if it already was.
    pub(crate) fn first_verification(&self, key: &str) -> bool {
        self.lock().verified.insert(key.to_owned())
    }

    /// The first `response_nonce` this provider issued.
    pub(crate) fn first_nonce(&self) -> Option<String> {
        self.lock().first_nonce.clone()
    }

    /// Records a `response_nonce` that was issued (only the first one is kept).
    pub(crate) fn nonce_issued(&self, nonce: &str) {
        self.lock().first_nonce.get_or_insert_with(|| nonce.to_owned());
    }

    /// Waits `duration`, or less if the provider is being stopped.
    pub(crate) fn pause(&self, duration: Duration) {
        let stopping = self.stopping.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self.stop_signal.wait_timeout_while(stopping, duration, |stopping| !*stopping);
    }

    /// Ends every [`pause`](Self::pause), now and later.
    pub(crate) fn stop(&self) {
        *self.stopping.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.stop_signal.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held (caught by the worker) leaves the data usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The current time in Unix seconds.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
}

/// Characters escaped in a user name put in a path: all but RFC 3986 unreserved ones.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
