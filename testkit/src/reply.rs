//! The handlers' [`Reply`] and its bytes on the wire: status line, headers checked to be
//! writable, `Content-Length`, and the padding knob.

use std::fmt::Write as _;

use crate::http::Framing;
use crate::state::Page;

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
    pub(crate) fn into_message(self, framing: Framing) -> Vec<u8> {
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
