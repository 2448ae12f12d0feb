//! The HTTP edge: requests read off a connection into plain data, the handlers' [`Reply`],
//! and the reply written back. Handlers never see the socket, so they stay plain functions.
//!
//! The parsing is `httparse`'s; what is here is the framing a test provider needs: bodies by
//! `Content-Length` only, keep-alive, and refusals of what it does not take.

use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

pub(crate) use crate::reply::Reply;

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
/// How long a connection reads after a refusal at most.
const LINGER_TIME: Duration = Duration::from_secs(1);

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
        // httparse parses from the start each time, so it is asked again only once a line
        // has ended in the bytes read since (`fresh`, the only bytes searched): a head sent a
        // byte at a time is parsed once per line, not once per byte. Empty lines before the
        // request line (which httparse would skip on every parse; RFC 9112 section 2.2 lets
        // a server ignore them) are dropped first but still count towards MAX_HEAD, so every
        // line parsed is the request line or a header: about MAX_HEADERS parses at most.
        let mut fresh: Option<usize> = None;
        let mut dropped = 0_usize;
        let (head, consumed) = loop {
            let line_ended = fresh
                .is_none_or(|from| self.buffer.get(from..).is_none_or(|new| new.contains(&b'\n')));
            if line_ended {
                let empty = leading_empty_lines(&self.buffer);
                self.buffer.drain(..empty);
                dropped = dropped.saturating_add(empty);
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut request = httparse::Request::new(&mut headers);
                match request.parse(&self.buffer) {
                    Ok(httparse::Status::Complete(consumed)) => break (owned(&request), consumed),
                    Ok(httparse::Status::Partial) => {}
                    Err(httparse::Error::TooManyHeaders) => {
                        return Next::Refuse(Reply::error_page(431, "too many request headers"));
                    }
                    Err(error) => {
                        tracing::debug!(%error, "malformed request");
                        return Next::Refuse(Reply::error_page(
                            400,
                            &format!("bad request: {error}"),
                        ));
                    }
                }
            }
            if dropped.saturating_add(self.buffer.len()) > MAX_HEAD {
                return Next::Refuse(Reply::error_page(431, "request head too large"));
            }
            fresh = Some(self.buffer.len());
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
            // `1*DIGIT` (RFC 9110 section 8.6): `str::parse` alone also takes a leading `+`.
            let mut lengths = head.tokens("content-length").map(|token| {
                if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
                    token.parse::<u64>().ok()
                } else {
                    None
                }
            });
            match lengths.next() {
                None => 0,
                Some(Some(first)) if lengths.all(|other| other == Some(first)) => first,
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
        let deadline = Instant::now() + LINGER_TIME;
        // A read timeout (the polling interval) ends it too: a client that reads the answer
        // has stopped sending by then. The deadline bounds a client that keeps trickling
        // bytes: this may run on the accept thread (a `503`), which a stop joins.
        while drained < MAX_LINGER && Instant::now() < deadline {
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

/// The length of the empty lines (`\r\n` or `\n`) at the start of `buffer`. A `\r` not
/// followed by `\n` ends them: httparse refuses it, and a lone last `\r` may be the start
/// of a `\r\n` still on its way.
fn leading_empty_lines(buffer: &[u8]) -> usize {
    let mut at = 0;
    loop {
        match buffer.get(at..) {
            Some([b'\n', ..]) => at += 1,
            Some([b'\r', b'\n', ..]) => at += 2,
            _ => return at,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_lines_are_crlf_or_lf_pairs_only() {
        assert_eq!(leading_empty_lines(b"\r\n\n\r\nGET"), 5);
        assert_eq!(leading_empty_lines(b"GET / HTTP/1.1\r\n"), 0);
        assert_eq!(leading_empty_lines(b"\n\r\rGET"), 1);
        assert_eq!(leading_empty_lines(b"\r\n\r"), 2);
        assert_eq!(leading_empty_lines(b""), 0);
    }

    #[test]
    fn splits_origin_and_absolute_targets() {
        assert_eq!(split_target("/op?a=1"), ("/op".to_owned(), "a=1".to_owned()));
        assert_eq!(split_target("/id/alice"), ("/id/alice".to_owned(), String::new()));
        assert_eq!(split_target("http://h:1/op?x"), ("/op".to_owned(), "x".to_owned()));
        assert_eq!(split_target("http://h:1"), ("/".to_owned(), String::new()));
        assert_eq!(split_target("/a#frag"), ("/a".to_owned(), String::new()));
    }
}
