//! The HTTP edge: a request read from `tiny_http` into plain data, the handlers' [`Reply`], and
//! the reply written back. Handlers never see `tiny_http`, so they stay plain functions.

use std::io::Read as _;

use crate::state::Page;

/// The largest request body read; a longer one is refused (`413`) rather than buffered.
pub(crate) const MAX_BODY: usize = 1024 * 1024;

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

impl Incoming {
    /// Reads method, target, headers and at most [`MAX_BODY`] + 1 bytes of body.
    pub(crate) fn read(request: &mut tiny_http::Request) -> Self {
        let (path, query) = split_target(request.url());
        let headers = request
            .headers()
            .iter()
            .map(|h| (h.field.as_str().as_str().to_owned(), h.value.as_str().to_owned()))
            .collect();
        let mut body = Vec::new();
        let limit = u64::try_from(MAX_BODY).unwrap_or(u64::MAX).saturating_add(1);
        if let Err(error) = request.as_reader().take(limit).read_to_end(&mut body) {
            // A client that hangs up mid-body gets whatever was read; the answer will fail to
            // send anyway.
            tracing::debug!(%error, "reading request body");
        }
        let body_too_large = body.len() > MAX_BODY;
        Self {
            method: request.method().as_str().to_ascii_uppercase(),
            path,
            query,
            headers,
            body,
            body_too_large,
        }
    }

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

    /// Writes the reply; a header `tiny_http` cannot carry (not ASCII) is dropped and logged.
    pub(crate) fn send(self, request: tiny_http::Request) {
        // Always a Content-Length, as most servers send (`tiny_http` would switch to chunked
        // transfer above 32 KiB): a relying party's check of the announced length before
        // reading is then exercised by padded answers too.
        let mut response = tiny_http::Response::from_data(self.body)
            .with_status_code(self.status)
            .with_chunked_threshold(usize::MAX);
        for (name, value) in self.headers {
            if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                response.add_header(header);
            } else {
                tracing::warn!(%name, "response header dropped: not ASCII");
            }
        }
        if let Err(error) = request.respond(response) {
            tracing::debug!(%error, "writing response");
        }
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
