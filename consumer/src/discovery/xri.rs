//! XRI identifiers (`=name`, `@org*dept`, `xri://...`): recognition, resolution through an
//! HTTP proxy resolver, and CanonicalID verification.
//!
//! No proxy is configured by default: the public XRI proxy of the past is gone, and which one
//! to trust is the application's decision. Configure one with
//! [`DiscoveryConfig::xri_proxy`](super::DiscoveryConfig::xri_proxy).
//!
//! # Security
//! The claimed identifier of an XRI is its CanonicalID (OpenID 2.0 section 7.3.1), so a
//! resolver response must not be able to claim someone else's i-number. [`canonical_id`]
//! checks that each XRD's CanonicalID is the child of the previous one and that the first is
//! the child of the root authority the user typed (python-openid's `getCanonicalID`); the
//! `spoof*.xrds` vectors are attempts to break exactly this.

use std::fmt::Write as _;

use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};

use super::xrds::Xrds;

/// The characters that start an XRI (XRI Syntax 2.0 global context symbols and a
/// cross-reference).
pub const XRI_AUTHORITIES: [char; 6] = ['!', '=', '@', '+', '$', '('];

/// Why an XRI's CanonicalID cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XriError {
    /// A CanonicalID is not the child of its parent's, or the first one is not the child of
    /// the root authority of the XRI that was resolved.
    #[error("CanonicalID {canonical_id:?} cannot come from {authority:?}")]
    CanonicalIdFraud {
        /// The CanonicalID that was refused.
        canonical_id: String,
        /// The authority it would have to come from.
        authority: String,
    },
    /// An `XRD` in the chain has no CanonicalID, so the chain cannot be verified.
    #[error("an XRD in the resolution chain has no CanonicalID")]
    MissingParentCanonicalId,
    /// The CanonicalID holds characters no XRI has (control characters, white space): it
    /// would become a claimed identifier that forges log lines and error messages.
    #[error("CanonicalID {canonical_id} has characters an XRI cannot have")]
    InvalidCanonicalId {
        /// The CanonicalID, escaped and cut.
        canonical_id: String,
    },
}

/// Whether `identifier` is an XRI rather than a URL (OpenID 2.0 section 7.2): without its
/// `xri://` prefix, it starts with a global context symbol or `(`.
///
/// `xri://` followed by anything else (`xri://example.com`, `xri://..`) is not an XRI, and
/// discovery refuses it as a URL with an unsupported scheme: resolving it would send the
/// proxy a query that is not an XRI, such as the dot segment `..`.
pub fn is_xri(identifier: &str) -> bool {
    normalize(identifier).starts_with(XRI_AUTHORITIES)
}

/// The XRI without its `xri://` prefix (OpenID 2.0 section 7.2: "If the identifier is an XRI,
/// ... the `xri://` prefix is stripped").
pub fn normalize(xri: &str) -> &str {
    xri.strip_prefix("xri://").unwrap_or(xri)
}

/// The XRI with an `xri://` prefix.
pub fn with_prefix(xri: &str) -> String {
    if xri.starts_with("xri://") { xri.to_owned() } else { format!("xri://{xri}") }
}

/// The IRI-normal form (XRI Syntax 2.0 section 2.3.1): prefix added, `%` escaped, and `/`,
/// `?`, `#` escaped inside cross-references.
pub fn to_iri_normal(xri: &str) -> String {
    let prefixed = with_prefix(xri);
    let escaped = prefixed.replace('%', "%25");
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped.as_str();
    // Cross-references are `(` to the next `)`, as python-openid's `\((.*?)\)`.
    while let Some(open) = rest.find('(') {
        let (before, from_open) = rest.split_at(open);
        out.push_str(before);
        let Some(close) = from_open.find(')') else {
            out.push_str(from_open);
            return out;
        };
        let (xref, after) = from_open.split_at(close + 1);
        out.push_str(&xref.replace('/', "%2F").replace('?', "%3F").replace('#', "%23"));
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The URI-normal form: the IRI-normal form with every non-ASCII character percent-encoded
/// as UTF-8 (RFC 3987 section 3.1).
pub fn to_uri_normal(xri: &str) -> String {
    let iri = to_iri_normal(xri);
    let mut out = String::with_capacity(iri.len());
    for c in iri.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buffer = [0; 4];
            for byte in c.encode_utf8(&mut buffer).bytes() {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

/// The root authority of an XRI: a global context symbol (`=`, `@`, ...), a cross-reference,
/// or the first segment of an IRI authority; always with the `xri://` prefix.
pub fn root_authority(xri: &str) -> String {
    let xri = normalize(xri);
    let authority = xri.split('/').next().unwrap_or_default();
    let root = if authority.starts_with('(') {
        authority.find(')').and_then(|close| authority.get(..=close)).unwrap_or(authority)
    } else if let Some(symbol) = authority.chars().next().filter(|c| XRI_AUTHORITIES.contains(c)) {
        authority.get(..symbol.len_utf8()).unwrap_or(authority)
    } else {
        authority.split(['!', '*']).next().unwrap_or_default()
    };
    with_prefix(root)
}

/// Whether `provider_id` is the authority that issued `canonical_id`: the CanonicalID minus
/// its last `!` subsegment.
pub fn provider_is_authoritative(provider_id: &str, canonical_id: &str) -> bool {
    canonical_id.rfind('!').and_then(|bang| canonical_id.get(..bang)) == Some(provider_id)
}

/// The verified CanonicalID of the resolution of `xri` (with the `xri://` prefix removed), or
/// `None` when the final XRD declares none.
///
/// # Errors
/// [`XriError::CanonicalIdFraud`] when the chain does not hold, and
/// [`XriError::MissingParentCanonicalId`] when it cannot be checked.
pub fn canonical_id(xri: &str, xrds: &Xrds) -> Result<Option<String>, XriError> {
    let mut chain = xrds.xrds.iter().rev();
    let Some(canonical) = chain.next().and_then(|xrd| xrd.canonical_ids.first()) else {
        return Ok(None);
    };
    if canonical.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(XriError::InvalidCanonicalId {
            canonical_id: crate::excerpt::Excerpt(canonical).to_string(),
        });
    }
    let mut child = with_prefix(canonical).to_lowercase();
    for xrd in chain {
        let parent = xrd.canonical_ids.first().ok_or(XriError::MissingParentCanonicalId)?;
        let parent = with_prefix(parent).to_lowercase();
        let sought = child.rfind('!').and_then(|bang| child.get(..bang));
        if sought != Some(parent.as_str()) {
            return Err(XriError::CanonicalIdFraud { canonical_id: child, authority: parent });
        }
        child = parent;
    }
    let root = root_authority(xri).to_lowercase();
    if !provider_is_authoritative(&root, &child) {
        return Err(XriError::CanonicalIdFraud { canonical_id: child, authority: root });
    }
    Ok(Some(normalize(canonical).to_owned()))
}

/// An XRI proxy resolver (XRI Resolution 2.0 section 11, HXRI): `https://proxy.example/`
/// followed by the XRI and the resolution parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyResolver {
    proxy_url: String,
}

impl ProxyResolver {
    /// A resolver using the proxy at `proxy_url` (an `http` or `https` URL ending with `/`;
    /// one is added if missing).
    pub fn new(proxy_url: impl Into<String>) -> Self {
        let mut proxy_url = proxy_url.into();
        if !proxy_url.ends_with('/') {
            proxy_url.push('/');
        }
        Self { proxy_url }
    }

    /// The proxy's URL.
    pub fn proxy_url(&self) -> &str {
        &self.proxy_url
    }

    /// The HXRI query URL for `xri`: with `service_type`, the proxy selects that service
    /// (`_xrd_t`); without, it returns the whole XRDS (`;sep=false`). Arguments are sorted and
    /// form-encoded, as python-openid writes them.
    ///
    /// # Security
    /// The XRI (URI-normal form, without `xri://`) becomes one path segment below the proxy
    /// URL: `/`, `\`, `?`, `#`, spaces and control characters in it are percent-encoded.
    /// Otherwise `=a/../../x` would reach another path of the proxy host (URL parsers remove
    /// dot segments, and read `\` as `/`), and `?` or `#` would replace or cut off the
    /// resolution parameters. python-openid appends the XRI's path and query as they are;
    /// XRIs used as OpenID identifiers (`=name`, `@org*dept`, i-numbers) have neither, so
    /// their query URLs are the same. `xri` must be an XRI ([`is_xri`]): a query that is
    /// only dots would still be a dot segment.
    pub fn query_url(&self, xri: &str, service_type: Option<&str>) -> String {
        let uri = to_uri_normal(xri);
        let qxri = uri.strip_prefix("xri://").unwrap_or(&uri);
        let qxri = utf8_percent_encode(qxri, PATH_SEGMENT);
        let mut url = format!("{}{qxri}", self.proxy_url);
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str("_xrd_r=");
        if let Some(service_type) = service_type {
            url.push_str(&form_encode(super::yadis::XRDS_CONTENT_TYPE));
            url.push_str("&_xrd_t=");
            url.push_str(&form_encode(service_type));
        } else {
            url.push_str(&form_encode("application/xrds+xml;sep=false"));
        }
        url
    }
}

fn form_encode(value: &str) -> String {
    utf8_percent_encode(value, FORM).to_string()
}

/// `application/x-www-form-urlencoded` as Python's `urlencode` writes it: everything but
/// letters, digits and `_.-` is escaped.
const FORM: &AsciiSet = &NON_ALPHANUMERIC.remove(b'_').remove(b'.').remove(b'-');

/// What must not appear raw in the XRI's path segment of a proxy URL: separators (`/`, and
/// `\`, which WHATWG URL parsers read as `/`), the query and fragment delimiters, and
/// characters URL parsers drop or rewrite (controls, space). `%` is not here: the URI-normal
/// form has already escaped it.
const PATH_SEGMENT: &AsciiSet = &CONTROLS.add(b' ').add(b'/').add(b'\\').add(b'?').add(b'#');
