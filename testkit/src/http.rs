//! The HTTP edge: requests read off a connection into plain data, the handlers' [`Reply`],
//! and the reply written back. Handlers never see the socket, so they stay plain functions.
//!
//! The parsing is `httparse`'s; what is here is the framing a test provider needs: bodies by
//! `Content-Length` only, keep-alive, and refusals of what it does not take.

use std::fmt::Write as _;
use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, TcpStream};

use crate::state::Page;

/// The largest request body read; a longer one is refused (`413`) rather than buffered.
pub(crate) const MAX_BODY: usize = 1024 * 1024;
/// The largest request line and header block; a longer one is refused with `431`.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// The most request headers; more are refused with `431`.
pub(crate) const MAX_HEADERS: usize = 100;
/// The longest announced body still read (and, past [`MAX_BODY`], thrown away) so that the
/// handler's `413` reaches the client on a connection that stays usable; a longer one is
/// refused at once and the connection closed.
const MAX_DISCARD: u64 = 64 * 1024 * 1024;
/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;
/// What a connection reads after a refusal at most, so the client sees the answer rather
/// than a reset caused by unread data.
const MAX_LINGER: usize = 4 * 1024 * 1024;

/// A request, read completely.
#[derive(Debug, Clone, Default)]
pub(crate) struct Incoming {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    /// The body was longer than [`MAX_BODY`] (and `body` holds only its start).
    pub(crate) body_too_large: bool,
}

/// How the answer to a request is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Framing {
    /// `HEAD`: the headers of the answer only.
    pub(crate) head_only: bool,
    /// The client keeps the connection open for another request.
    pub(crate) keep_alive: bool,
    /// The request was HTTP/1.0, where keep-alive has to be said.
    pub(crate) http10: bool,
}

/// What reading the next request off a connection gave.
#[derive(Debug)]
pub(crate) enum Next {
    /// A request to route.
    Request(Incoming, Framing),
    /// A request the edge answers itself (malformed, too large, chunked); the connection is
    /// closed after the answer.
    Refuse(Reply),
    /// The client is gone, or the provider is stopping: close the connection.
    Close,
}

/// A request head, owned, before its body is read.
struct Head {
    method: String,
    target: String,
    http10: bool,
    headers: Vec<(String, String)>,
}

impl Head {
    fn tokens<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
    }
}

/// A client connection: the socket and what was read from it but not yet used (the start of
/// a pipelined request).
pub(crate) struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    /// Wraps an accepted socket whose read timeout is the polling interval of `stopping`.
    pub(crate) fn new(stream: TcpStream) -> Self {
        Self { stream, buffer: Vec::new() }
    }

    /// Reads the next request, head and body. `stopping` is asked whenever a read times out:
    /// once it says so the connection is given up, idle or not.
    pub(crate) fn next(&mut self, stopping: &dyn Fn() -> bool) -> Next {
        let (head, consumed) = loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut request = httparse::Request::new(&mut headers);
            match request.parse(&self.buffer) {
                Ok(httparse::Status::Complete(consumed)) => break (owned(&request), consumed),
                Ok(httparse::Status::Partial) if self.buffer.len() > MAX_HEAD => {
                    return Next::Refuse(Reply::error_page(431, "request head too large"));
                }
                Ok(httparse::Status::Partial) => {}
                Err(httparse::Error::TooManyHeaders) => {
                    return Next::Refuse(Reply::error_page(431, "too many request headers"));
                }
                Err(error) => {
                    tracing::debug!(%error, "malformed request");
                    return Next::Refuse(Reply::error_page(400, &format!("bad request: {error}")));
                }
            }
            if !self.fill(stopping) {
                return Next::Close;
            }
        };
        if consumed > MAX_HEAD {
            return Next::Refuse(Reply::error_page(431, "request head too large"));
        }
        self.buffer.drain(..consumed);
        if head.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("transfer-encoding")) {
            // Every client of the provider (ureq, urllib, browsers posting forms) sends a
            // Content-Length; a body without one cannot be delimited here.
            return Next::Refuse(Reply::error_page(
                411,
                "Transfer-Encoding is not supported; send a Content-Length",
            ));
        }
        let length = {
            let mut lengths = head.tokens("content-length").map(str::parse::<u64>);
            match lengths.next() {
                None => 0,
                Some(Ok(first)) if lengths.all(|other| other.ok() == Some(first)) => first,
                Some(_) => return Next::Refuse(Reply::error_page(400, "bad Content-Length")),
            }
        };
        if length > MAX_DISCARD {
            return Next::Refuse(Reply::error_page(413, "request body too large"));
        }
        let framing = Framing {
            head_only: head.method == "HEAD",
            keep_alive: if head.http10 {
                head.tokens("connection").any(|t| t.eq_ignore_ascii_case("keep-alive"))
            } else {
                !head.tokens("connection").any(|t| t.eq_ignore_ascii_case("close"))
            },
            http10: head.http10,
        };
        let expects_continue =
            !head.http10 && head.tokens("expect").any(|t| t.eq_ignore_ascii_case("100-continue"));
        if expects_continue && u64::try_from(self.buffer.len()).is_ok_and(|had| had < length) {
            // A client waiting for this before it sends the body would otherwise stall.
            if let Err(error) = self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n") {
                tracing::debug!(%error, "writing 100 Continue");
                return Next::Close;
            }
        }
        let Some(body) = self.read_body(length, stopping) else {
            return Next::Close;
        };
        let (path, query) = split_target(&head.target);
        let body_too_large = body.len() > MAX_BODY;
        let incoming = Incoming {
            method: head.method,
            path,
            query,
            headers: head.headers,
            body,
            body_too_large,
        };
        Next::Request(incoming, framing)
    }

    /// Writes `reply` in one piece; an error means the connection is unusable.
    pub(crate) fn send(&mut self, reply: Reply, framing: Framing) -> io::Result<()> {
        self.stream.write_all(&reply.into_message(framing))
    }

    /// Answers a refused request and closes: the rest of what the client sends is read and
    /// dropped for a moment first, since closing a socket with unread data resets it and the
    /// client may then never see the answer.
    pub(crate) fn refuse(mut self, reply: Reply) {
        let framing = Framing { head_only: false, keep_alive: false, http10: false };
        if let Err(error) = self.send(reply, framing) {
            tracing::debug!(%error, "writing a refusal");
            return;
        }
        let _ = self.stream.shutdown(Shutdown::Write);
        let mut chunk = [0_u8; READ_CHUNK];
        let mut drained = 0;
        // A read timeout (the polling interval) ends it too: a client that reads the answer
        // has stopped sending by then.
        while drained < MAX_LINGER {
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(read) => drained += read,
            }
        }
    }

    /// Reads more into the buffer; false when the client is gone or the provider stops.
    fn fill(&mut self, stopping: &dyn Fn() -> bool) -> bool {
        let mut chunk = [0_u8; READ_CHUNK];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return false,
                Ok(read) => {
                    self.buffer.extend_from_slice(chunk.get(..read).unwrap_or_default());
                    return true;
                }
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if stopping() {
                        return false;
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    tracing::debug!(%error, "reading a request");
                    return false;
                }
            }
        }
    }

    /// Reads a body of `length` bytes, keeping at most [`MAX_BODY`] + 1 of them (enough to
    /// tell the handler it was too long). `None` if the client hangs up before the end.
    fn read_body(&mut self, length: u64, stopping: &dyn Fn() -> bool) -> Option<Vec<u8>> {
        let keep = usize::try_from(length).map_or(MAX_BODY + 1, |length| length.min(MAX_BODY + 1));
        let mut body = Vec::with_capacity(keep);
        let mut remaining = length;
        while remaining > 0 {
            if self.buffer.is_empty() && !self.fill(stopping) {
                tracing::debug!(remaining, "request body cut short");
                return None;
            }
            let available =
                usize::try_from(remaining).map_or(self.buffer.len(), |r| r.min(self.buffer.len()));
            let room = keep.saturating_sub(body.len()).min(available);
            body.extend_from_slice(self.buffer.get(..room).unwrap_or_default());
            self.buffer.drain(..available);
            remaining = remaining.saturating_sub(u64::try_from(available).unwrap_or(u64::MAX));
        }
        Some(body)
    }
}

/// Copies what the handlers need out of `httparse`'s borrowed view of the buffer.
fn owned(request: &httparse::Request<'_, '_>) -> Head {
    Head {
        method: request.method.unwrap_or_default().to_ascii_uppercase(),
        target: request.path.unwrap_or_default().to_owned(),
        http10: request.version == Some(0),
        headers: request
            .headers
            .iter()
            .map(|h| (h.name.to_owned(), String::from_utf8_lossy(h.value).into_owned()))
            .collect(),
    }
}

impl Incoming {
    /// The first value of header `name` (any case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether the request came over https: the provider itself serves http, so this is what a
    /// TLS-terminating proxy in front says (`X-Forwarded-Proto: https`).
    pub(crate) fn is_https(&self) -> bool {
        self.header("x-forwarded-proto")
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
    }

    /// The body decoded as a form, leniently (for the log).
    pub(crate) fn lenient_form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
    }
}

/// Splits a request target into path and query. An absolute-form target
/// (`http://host/path?q`, RFC 9112 section 3.2.2) is reduced to its path.
fn split_target(target: &str) -> (String, String) {
    let origin_form = match target.split_once("://") {
        Some((_, rest)) if !target.starts_with('/') => {
            rest.find('/').and_then(|slash| rest.get(slash..)).unwrap_or("/")
        }
        _ => target,
    };
    let without_fragment = origin_form.split_once('#').map_or(origin_form, |(before, _)| before);
    match without_fragment.split_once('?') {
        Some((path, query)) => (path.to_owned(), query.to_owned()),
        None => (without_fragment.to_owned(), String::new()),
    }
}

/// What a body is, which decides how padding is added without breaking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// KV form: one more `key:value` line.
    KeyValue,
    /// HTML or XML: a comment at the end.
    Markup,
    /// Anything else: trailing spaces.
    Other,
}

/// A response to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) kind: BodyKind,
}

impl Reply {
    /// A KV-form body (a direct response, OpenID 2.0 section 5.1.2).
    pub(crate) fn key_value(status: u16, body: String) -> Self {
        Self::with_type(status, "text/plain; charset=utf-8", body.into_bytes(), BodyKind::KeyValue)
    }

    /// An HTML page.
    pub(crate) fn html(status: u16, body: String) -> Self {
        Self::with_type(status, "text/html; charset=utf-8", body.into_bytes(), BodyKind::Markup)
    }

    /// A Yadis document.
    pub(crate) fn xrds(body: String) -> Self {
        Self::with_type(200, XRDS_CONTENT_TYPE, body.into_bytes(), BodyKind::Markup)
    }

    /// A `302` to `location`.
    pub(crate) fn redirect(location: String) -> Self {
        Self {
            status: 302,
            headers: vec![("Location".to_owned(), location)],
            body: Vec::new(),
            kind: BodyKind::Other,
        }
    }

    /// A page added with [`crate::Provider::add_page`].
    pub(crate) fn page(page: Page) -> Self {
        let lower = page.content_type.to_ascii_lowercase();
        let kind = if lower.contains("html") || lower.contains("xml") {
            BodyKind::Markup
        } else {
            BodyKind::Other
        };
        let mut reply = Self::with_type(page.status, &page.content_type, page.body, kind);
        reply.headers.extend(page.headers);
        reply
    }

    /// A plain HTML error page (for what is not an OpenID message at all).
    pub(crate) fn error_page(status: u16, message: &str) -> Self {
        let text = crate::documents::escape(message);
        Self::html(
            status,
            format!(
                "<!DOCTYPE html>\n<html><head><title>Error {status}</title></head>\n\
                 <body><h1>Error {status}</h1><p>{text}</p></body></html>\n"
            ),
        )
    }

    /// `405` naming the allowed methods.
    pub(crate) fn method_not_allowed(allowed: &str) -> Self {
        let mut reply = Self::error_page(405, &format!("method not allowed here; use {allowed}"));
        reply.headers.push(("Allow".to_owned(), allowed.to_owned()));
        reply
    }

    /// Adds about `padding` junk bytes to the body, keeping it well-formed.
    #[must_use]
    pub(crate) fn padded(mut self, padding: Option<usize>) -> Self {
        let Some(padding) = padding.filter(|p| *p > 0) else {
            return self;
        };
        if self.body.is_empty() && self.status / 100 == 3 {
            return self;
        }
        match self.kind {
            BodyKind::KeyValue => {
                self.body.extend_from_slice(b"padding:");
                self.body.resize(self.body.len() + padding, b'x');
                self.body.push(b'\n');
            }
            BodyKind::Markup => {
                self.body.extend_from_slice(b"<!--");
                self.body.resize(self.body.len() + padding, b'x');
                self.body.extend_from_slice(b"-->\n");
            }
            BodyKind::Other => self.body.resize(self.body.len() + padding, b' '),
        }
        self
    }

    /// The whole message: status line, headers, `Content-Length` (always, as most servers
    /// send: a relying party's check of the announced length before reading is then
    /// exercised by padded answers too) and body. Headers that frame the message are the
    /// edge's, so a handler's are dropped, as are headers that cannot be written (not
    /// visible ASCII).
    fn into_message(self, framing: Framing) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (name, value) in &self.headers {
            if ["content-length", "transfer-encoding", "connection"]
                .iter()
                .any(|framing| name.eq_ignore_ascii_case(framing))
            {
                tracing::debug!(%name, "response header dropped: the edge frames the message");
            } else if is_token(name) && is_field_value(value) {
                let _ = write!(head, "{name}: {value}\r\n");
            } else {
                tracing::warn!(%name, "response header dropped: not visible ASCII");
            }
        }
        let _ = write!(head, "Content-Length: {}\r\n", self.body.len());
        if !framing.keep_alive {
            head.push_str("Connection: close\r\n");
        } else if framing.http10 {
            head.push_str("Connection: keep-alive\r\n");
        }
        head.push_str("\r\n");
        let mut message = head.into_bytes();
        if !framing.head_only {
            message.extend_from_slice(&self.body);
        }
        message
    }

    fn with_type(status: u16, content_type: &str, body: Vec<u8>, kind: BodyKind) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
            body,
            kind,
        }
    }
}

/// An HTTP field name: a token (RFC 9110 section 5.1).
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A field value this edge writes: visible ASCII, spaces and tabs (no CR or LF to split the
/// header block).
fn is_field_value(value: &str) -> bool {
    value.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

/// The reason phrase of `status`; clients ignore it, so unusual codes get a generic one.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// The Yadis content type (Yadis 1.0 section 6.2.4).
pub(crate) const XRDS_CONTENT_TYPE: &str = "application/xrds+xml";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_origin_and_absolute_targets() {
        assert_eq!(split_target("/op?a=1"), ("/op".to_owned(), "a=1".to_owned()));
        assert_eq!(split_target("/id/alice"), ("/id/alice".to_owned(), String::new()));
        assert_eq!(split_target("http://h:1/op?x"), ("/op".to_owned(), "x".to_owned()));
        assert_eq!(split_target("http://h:1"), ("/".to_owned(), String::new()));
        assert_eq!(split_target("/a#frag"), ("/a".to_owned(), String::new()));
    }

    #[test]
    fn padding_keeps_each_kind_well_formed() {
        let kv = Reply::key_value(200, "is_valid:true\n".to_owned()).padded(Some(3));
        assert_eq!(kv.body, b"is_valid:true\npadding:xxx\n");
        let html = Reply::html(200, "<p>".to_owned()).padded(Some(2));
        assert_eq!(html.body, b"<p><!--xx-->\n");
        let other = Reply::page(Page::new("application/json", "{}")).padded(Some(2));
        assert_eq!(other.body, b"{}  ");
        let redirect = Reply::redirect("http://rp/".to_owned()).padded(Some(5));
        assert!(redirect.body.is_empty());
    }
}
