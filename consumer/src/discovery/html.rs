//! OpenID links in HTML (OpenID 2.0 section 7.3.3, OpenID 1.1 section 3.1) and the Yadis
//! `<meta http-equiv="X-XRDS-Location">` (Yadis 1.0 section 6.2.5), with a tolerant tokenizer.
//!
//! Pages are tokenized with html5gum (the WHATWG tokenizer), not matched with regular
//! expressions, so comments, scripts, odd quoting and character references are handled as a
//! browser would. Only elements in the document head count:
//! - the head starts at the beginning of the document (`<html>` and `<head>` may be omitted,
//!   as in HTML5);
//! - it ends at `</head>`, `</html>`, `<body>`, or the first start tag that cannot appear in a
//!   head (a browser would open the body there and put what follows in it).
//!
//! `rel` is a space-separated list compared without case (`rel="openid2.provider
//! openid.server"`). Attribute values have their character references decoded.
//!
//! Only the first [`MAX_HTML_BYTES`] of a page are read ([`decode`] decodes no more, and
//! [`parse_links`] and [`find_xrds_location`] look no further): the fetcher's body cap
//! applies to the library's own fetcher, and a custom [`Fetcher`](crate::fetch::Fetcher)
//! may not have one.
//!
//! # Relative hrefs
//! `href` values are returned as written (after decoding). Discovery does not resolve relative
//! ones: OpenID 2.0 section 1.2 requires an OP Endpoint URL to be an absolute `http` or `https`
//! URL, so a relative `openid2.provider` or `openid.server` is rejected
//! ([`ServiceError::InvalidEndpointUrl`](super::ServiceError::InvalidEndpointUrl)), and
//! `<base href>` is not applied. Local identifiers (`openid2.local_id`, `openid.delegate`) are
//! kept as written, as python-openid does.

use html5gum::{DefaultEmitter, StartTag, Token, Tokenizer};

/// The most of a page read for links: 1 MiB, the default body cap of
/// [`NetworkPolicy`](crate::fetch::NetworkPolicy). The head, where the links must be, comes
/// first; a page whose head is longer is not one a relying party needs to read.
pub const MAX_HTML_BYTES: usize = 1024 * 1024;
/// The most head links [`parse_links`] collects; real heads have a few dozen at most.
/// Without the cap 1 MiB of `<link rel=a href=b>` grew memory by 12 MiB.
pub const MAX_LINKS: usize = 256;
/// The most `rel` values [`parse_links`] keeps per link; real links have one to three.
/// Without the cap 1 MiB of one-letter values on one link grew memory by 31 MiB.
pub const MAX_REL_VALUES: usize = 16;

/// A `<link>` element of the head.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HtmlLink {
    /// The `rel` values, lower-cased.
    pub rels: Vec<String>,
    /// The `href`, decoded, as written (not resolved).
    pub href: String,
}

/// The `<link rel href>` elements of a document head, in document order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct HtmlLinks {
    /// The head links that have both `rel` and `href` (the first [`MAX_LINKS`]).
    pub links: Vec<HtmlLink>,
}

impl HtmlLinks {
    /// The `href` of the first link whose `rel` list contains `rel` (compared without case).
    pub fn first_href(&self, rel: &str) -> Option<&str> {
        self.links
            .iter()
            .find(|link| link.rels.iter().any(|r| r.eq_ignore_ascii_case(rel)))
            .map(|link| link.href.as_str())
    }

    /// `openid2.provider`: the OpenID 2.0 OP endpoint.
    pub fn openid2_provider(&self) -> Option<&str> {
        self.first_href("openid2.provider")
    }

    /// `openid2.local_id`: the OpenID 2.0 OP-local identifier.
    pub fn openid2_local_id(&self) -> Option<&str> {
        self.first_href("openid2.local_id")
    }

    /// `openid.server`: the OpenID 1.x server.
    pub fn openid_server(&self) -> Option<&str> {
        self.first_href("openid.server")
    }

    /// `openid.delegate`: the OpenID 1.x delegate.
    pub fn openid_delegate(&self) -> Option<&str> {
        self.first_href("openid.delegate")
    }
}

/// Collects the `<link>` elements of the head of `html` (its first [`MAX_HTML_BYTES`]): the
/// first [`MAX_LINKS`], each with its first [`MAX_REL_VALUES`] `rel` values.
///
/// # Example
/// ```
/// use openid_consumer::discovery::html::parse_links;
///
/// let links = parse_links(r#"<html><head>
///   <link rel="openid2.provider openid.server" href="https://op.example/?a=1&amp;b=2">
/// </head><body><link rel="openid2.local_id" href="https://ignored.example/"></body></html>"#);
/// assert_eq!(links.openid2_provider(), Some("https://op.example/?a=1&b=2"));
/// assert_eq!(links.openid_server(), Some("https://op.example/?a=1&b=2"));
/// assert_eq!(links.openid2_local_id(), None);
/// ```
pub fn parse_links(html: &str) -> HtmlLinks {
    let mut links = Vec::new();
    walk_head(html, |tag| {
        if tag.name.as_slice() == b"link" {
            let rel = attribute(tag, b"rel");
            let href = attribute(tag, b"href");
            if let (Some(rel), Some(href)) = (rel, href) {
                let rels = rel
                    .split_ascii_whitespace()
                    .take(MAX_REL_VALUES)
                    .map(str::to_ascii_lowercase)
                    .collect();
                links.push(HtmlLink { rels, href: href.trim().to_owned() });
            }
        }
        links.len() < MAX_LINKS
    });
    HtmlLinks { links }
}

/// The `content` of the first `<meta http-equiv="X-XRDS-Location">` of the head (Yadis 1.0
/// section 6.2.5; `http-equiv` compared without case), in the first [`MAX_HTML_BYTES`].
///
/// # Example
/// ```
/// use openid_consumer::discovery::html::find_xrds_location;
///
/// let html = r#"<head><META HTTP-EQUIV="x-xrds-location" CONTENT="https://example.com/xrds">"#;
/// assert_eq!(find_xrds_location(html).as_deref(), Some("https://example.com/xrds"));
/// ```
pub fn find_xrds_location(html: &str) -> Option<String> {
    let mut found = None;
    walk_head(html, |tag| {
        if tag.name.as_slice() == b"meta"
            && attribute(tag, b"http-equiv")
                .is_some_and(|equiv| equiv.trim().eq_ignore_ascii_case("x-xrds-location"))
        {
            found = attribute(tag, b"content").map(|content| content.trim().to_owned());
            return found.is_none();
        }
        true
    });
    found
}

/// Decodes the first [`MAX_HTML_BYTES`] of an HTML body to text: a byte order mark (UTF-8,
/// UTF-16LE, UTF-16BE) wins, then the charset of the `Content-Type` header, then a
/// `<meta charset>` in the first 1024 bytes, else UTF-8. (A character cut at the end of the
/// cap becomes U+FFFD.)
///
/// Every charset of the WHATWG Encoding Standard is decoded (`encoding_rs`), `Shift_JIS`,
/// KOI8-R and windows-1252 among them; an unknown label is read as UTF-8. Malformed
/// sequences become U+FFFD, never an error: the links are ASCII in practice, and a
/// replacement character in one makes it an invalid endpoint URL later.
pub fn decode(body: &[u8], content_type: Option<&str>) -> String {
    let body = body.get(..MAX_HTML_BYTES).unwrap_or(body);
    let from_header = content_type.and_then(charset_of).and_then(|label| encoding_for(&label));
    let encoding = from_header
        .or_else(|| {
            // The Encoding Standard's prescan: a page cannot declare itself UTF-16 in ASCII.
            sniff_meta_charset(body).and_then(|label| encoding_for(&label)).map(|encoding| {
                match encoding {
                    e if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE => {
                        encoding_rs::UTF_8
                    }
                    e if e == encoding_rs::X_USER_DEFINED => encoding_rs::WINDOWS_1252,
                    e => e,
                }
            })
        })
        .unwrap_or(encoding_rs::UTF_8);
    // `decode` sniffs the byte order mark first, as the Encoding Standard prescribes.
    let (text, _, _) = encoding.decode(body);
    let mut text = text.into_owned();
    // A multi-byte encoding can decode to more bytes than it read (a U+FFFD for one byte).
    if text.len() > MAX_HTML_BYTES {
        let cut = floor_char_boundary(&text, MAX_HTML_BYTES);
        text.truncate(cut);
    }
    text
}

/// Feeds each start tag of the head to `visit` until it returns `false` or the head ends,
/// reading the first [`MAX_HTML_BYTES`] of `html` at most.
fn walk_head(html: &str, mut visit: impl FnMut(&StartTag<()>) -> bool) {
    let html = html.get(..floor_char_boundary(html, MAX_HTML_BYTES)).unwrap_or_default();
    let mut emitter = DefaultEmitter::default();
    // Without a tree builder the tokenizer must be told to read <script>, <style>, <title>
    // and friends as text, or a "<link>" inside a script would be taken for a tag.
    emitter.naively_switch_states(true);
    for token in Tokenizer::new_with_emitter(html, emitter) {
        let Ok(token) = token;
        match token {
            Token::StartTag(tag) => {
                if !HEAD_ELEMENTS.contains(&tag.name.as_slice()) {
                    return;
                }
                if !visit(&tag) {
                    return;
                }
            }
            Token::EndTag(tag) if matches!(tag.name.as_slice(), b"head" | b"html" | b"body") => {
                return;
            }
            _ => {}
        }
    }
}

/// The largest index at most `index` that is a character boundary of `text` (`str`'s own
/// `floor_char_boundary` is not stable yet).
fn floor_char_boundary(text: &str, index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    (0..=index).rev().find(|at| text.is_char_boundary(*at)).unwrap_or(0)
}

fn attribute(tag: &StartTag<()>, name: &[u8]) -> Option<String> {
    tag.attributes.get(name).map(|value| String::from_utf8_lossy(value).into_owned())
}

fn encoding_for(label: &str) -> Option<&'static encoding_rs::Encoding> {
    encoding_rs::Encoding::for_label(label.as_bytes())
}

fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (key, value) = parameter.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).to_ascii_lowercase())
    })
}

/// A simplified form of the HTML prescan: looks for `charset=` in the first 1024 bytes.
fn sniff_meta_charset(body: &[u8]) -> Option<String> {
    let head = body.get(..body.len().min(1024)).unwrap_or(body);
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let start = text.find("charset=")? + "charset=".len();
    let rest = text.get(start..)?.trim_start_matches(['"', '\'']);
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))?;
    rest.get(..end).filter(|charset| !charset.is_empty()).map(str::to_owned)
}

/// Elements that may appear in a head; any other start tag opens the body (WHATWG HTML
/// 13.2.6.4.4, "in head" insertion mode).
const HEAD_ELEMENTS: &[&[u8]] = &[
    b"html",
    b"head",
    b"title",
    b"base",
    b"link",
    b"meta",
    b"style",
    b"script",
    b"noscript",
    b"template",
];
