//! [`ServiceEndpoint`]: one way to authenticate an identifier, as discovery found it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use url::Url;

use super::html::HtmlLinks;
use super::xrds::{Service, Xrds};
use crate::excerpt::Excerpt;

/// OpenID 2.0 OP Identifier Element type (OpenID 2.0 section 7.3.2.1.1).
pub const TYPE_OP_IDENTIFIER: &str = "http://specs.openid.net/auth/2.0/server";
/// OpenID 2.0 Claimed Identifier Element type (OpenID 2.0 section 7.3.2.1.2).
pub const TYPE_SIGNON_2_0: &str = "http://specs.openid.net/auth/2.0/signon";
/// OpenID 1.1 service type.
pub const TYPE_SIGNON_1_1: &str = "http://openid.net/signon/1.1";
/// OpenID 1.0 service type.
pub const TYPE_SIGNON_1_0: &str = "http://openid.net/signon/1.0";
/// The OpenID 2.0 message namespace (`openid.ns`).
pub const NS_OPENID_2_0: &str = "http://specs.openid.net/auth/2.0";
/// The namespace OpenID 1.x messages are read in (python-openid's `OPENID1_NS`).
pub const NS_OPENID_1: &str = "http://openid.net/signon/1.0";
/// The OpenID service types, most preferred first: OP identifier, 2.0, 1.1, 1.0.
pub const OPENID_TYPES: [&str; 4] =
    [TYPE_OP_IDENTIFIER, TYPE_SIGNON_2_0, TYPE_SIGNON_1_1, TYPE_SIGNON_1_0];

/// One OpenID service: the OP endpoint to talk to, and for which identifier.
///
/// Discovery produces these; the consumer flow can also build them (tests,
/// `begin_with_endpoint`) with [`for_claimed_id`](Self::for_claimed_id) or
/// [`from_op_endpoint_url`](Self::from_op_endpoint_url).
///
/// Everything but the endpoint URL is shared (`Arc`) between the endpoints of one service or
/// one discovery: an XRDS service yields one endpoint per URI, and copying its type list
/// into each would make memory grow as types times URIs.
///
/// It serializes with `serde` (a login in progress keeps its endpoint in
/// [`PendingAuth`](crate::PendingAuth)); absent fields are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServiceEndpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claimed_id: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    local_id: Option<Arc<str>>,
    server_url: String,
    type_uris: Arc<[String]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    display_identifier: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    canonical_id: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    used_yadis: bool,
}

impl ServiceEndpoint {
    /// An OP identifier endpoint for a known OP endpoint URL (what a site that only accepts one
    /// provider, such as Steam, starts from): type [`TYPE_OP_IDENTIFIER`], no claimed id.
    pub fn from_op_endpoint_url(server_url: impl Into<String>) -> Self {
        Self::shared(None, server_url.into(), None, Arc::from([TYPE_OP_IDENTIFIER.to_owned()]))
    }

    /// A claimed identifier endpoint: `claimed_id` is authenticated at `server_url` with the
    /// given service types, optionally through a delegated `local_id`.
    pub fn for_claimed_id(
        claimed_id: impl Into<String>,
        server_url: impl Into<String>,
        local_id: Option<String>,
        type_uris: Vec<String>,
    ) -> Self {
        Self::shared(
            Some(Arc::from(claimed_id.into())),
            server_url.into(),
            local_id.map(Arc::from),
            Arc::from(type_uris),
        )
    }

    /// Sets the identifier shown to the user (discovery sets the i-name for XRIs).
    #[must_use]
    pub fn with_display_identifier(mut self, display: impl Into<Arc<str>>) -> Self {
        self.display_identifier = Some(display.into());
        self
    }

    /// Sets the XRI CanonicalID (which [`local_id`](Self::local_id) falls back to).
    #[must_use]
    pub fn with_canonical_id(mut self, canonical_id: impl Into<Arc<str>>) -> Self {
        self.canonical_id = Some(canonical_id.into());
        self
    }

    /// An endpoint whose identifiers and types are shared with others.
    fn shared(
        claimed_id: Option<Arc<str>>,
        server_url: String,
        local_id: Option<Arc<str>>,
        type_uris: Arc<[String]>,
    ) -> Self {
        Self {
            claimed_id,
            local_id,
            server_url,
            type_uris,
            display_identifier: None,
            canonical_id: None,
            used_yadis: false,
        }
    }

    /// Records whether the endpoint came from an XRDS document.
    #[must_use]
    pub fn with_used_yadis(mut self, used_yadis: bool) -> Self {
        self.used_yadis = used_yadis;
        self
    }

    /// The claimed identifier, without fragment; `None` for an OP identifier endpoint.
    pub fn claimed_id(&self) -> Option<&str> {
        self.claimed_id.as_deref()
    }

    /// The identifier to send as `openid.identity`: the declared local id (delegate), else the
    /// CanonicalID, else the claimed identifier (python-openid's `getLocalID`).
    pub fn local_id(&self) -> Option<&str> {
        self.local_id.as_deref().or(self.canonical_id.as_deref()).or(self.claimed_id.as_deref())
    }

    /// The local id as declared (`LocalID`, `openid:Delegate`, `openid2.local_id`,
    /// `openid.delegate`), without fallback.
    pub fn declared_local_id(&self) -> Option<&str> {
        self.local_id.as_deref()
    }

    /// The OP endpoint URL.
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The service type URIs, as declared.
    pub fn type_uris(&self) -> &[String] {
        &self.type_uris
    }

    /// The same endpoint with only the OpenID service types ([`OPENID_TYPES`]), which is all
    /// the login flow reads: what a login keeps between its two requests.
    pub(crate) fn with_openid_types_only(&self) -> Self {
        let mut trimmed = self.clone();
        if self.type_uris.iter().any(|t| !OPENID_TYPES.contains(&t.as_str())) {
            trimmed.type_uris = self
                .type_uris
                .iter()
                .filter(|t| OPENID_TYPES.contains(&t.as_str()))
                .cloned()
                .collect();
        }
        trimmed
    }

    /// The longest of its URLs and identifiers, in bytes, and which it is.
    pub(crate) fn longest_url(&self) -> (&'static str, usize) {
        [
            ("endpoint URL", Some(self.server_url.as_str())),
            ("claimed identifier", self.claimed_id.as_deref()),
            ("local identifier", self.local_id.as_deref()),
            ("canonical identifier", self.canonical_id.as_deref()),
            ("display identifier", self.display_identifier.as_deref()),
        ]
        .into_iter()
        .map(|(what, text)| (what, text.map_or(0, str::len)))
        .max_by_key(|(_, len)| *len)
        .unwrap_or(("endpoint URL", 0))
    }

    /// The XRI CanonicalID, for endpoints discovered from an XRI.
    pub fn canonical_id(&self) -> Option<&str> {
        self.canonical_id.as_deref()
    }

    /// Whether the endpoint came from an XRDS document (rather than HTML).
    pub fn used_yadis(&self) -> bool {
        self.used_yadis
    }

    /// The identifier to show the user: the display identifier if set, else the claimed
    /// identifier without fragment.
    pub fn display_identifier(&self) -> Option<&str> {
        self.display_identifier.as_deref().or_else(|| {
            self.claimed_id.as_deref().map(|id| id.split_once('#').map_or(id, |(base, _)| base))
        })
    }

    /// Whether this is an OP identifier service (OpenID 2.0 section 7.3.2.1.1): the user picks
    /// the identifier at the OP.
    pub fn is_op_identifier(&self) -> bool {
        self.has_type(TYPE_OP_IDENTIFIER)
    }

    /// Whether the endpoint supports `type_uri`; an OP identifier endpoint supports 2.0 signon.
    pub fn supports_type(&self, type_uri: &str) -> bool {
        self.has_type(type_uri) || (type_uri == TYPE_SIGNON_2_0 && self.is_op_identifier())
    }

    /// The message namespace to use with this endpoint: [`NS_OPENID_2_0`] for OP identifier
    /// and 2.0 services, [`NS_OPENID_1`] otherwise.
    pub fn preferred_namespace(&self) -> &'static str {
        if self.is_op_identifier() || self.has_type(TYPE_SIGNON_2_0) {
            NS_OPENID_2_0
        } else {
            NS_OPENID_1
        }
    }

    /// Whether the endpoint speaks OpenID 1.x only.
    pub fn compat_mode(&self) -> bool {
        self.preferred_namespace() != NS_OPENID_2_0
    }

    fn has_type(&self, type_uri: &str) -> bool {
        self.type_uris.iter().any(|t| t == type_uri)
    }

    /// The rank used to order endpoints: index of the best OpenID type in [`OPENID_TYPES`].
    fn rank(&self) -> usize {
        OPENID_TYPES.iter().position(|t| self.has_type(t)).unwrap_or(OPENID_TYPES.len())
    }
}

/// Why one discovered service was not usable. The rest of the document still counts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The service declares two different local identifiers (`LocalID` and/or
    /// `openid:Delegate`, or two of one kind).
    #[error(
        "service at {} declares conflicting local identifiers {} and {}",
        Excerpt(server_url),
        Excerpt(first),
        Excerpt(second)
    )]
    ConflictingLocalIds {
        /// The service's endpoint URL (its first by priority). The service is rejected once,
        /// whatever the number of its URIs.
        server_url: String,
        /// The first value.
        first: String,
        /// The value that differs from it.
        second: String,
    },
    /// The endpoint is not an absolute `http` or `https` URL (OpenID 2.0 section 1.2: "OP
    /// Endpoint URL ... MUST be an absolute HTTP or HTTPS URL"). Relative links are not
    /// resolved.
    #[error("OP endpoint {} is not an absolute http or https URL", Excerpt(uri))]
    InvalidEndpointUrl {
        /// The URI as written.
        uri: String,
    },
}

/// The OpenID endpoints of an XRDS document, from its final `XRD`, in service priority order
/// and then URI priority order (one endpoint per URI), plus the services that were rejected.
///
/// `claimed_id` is what the document was discovered for (the normalised final URL, or the
/// CanonicalID for an XRI); OP identifier services do not carry it.
///
/// A service that declares conflicting local identifiers is rejected once, not once per URI;
/// a URI that is not an absolute `http` or `https` URL is rejected on its own. The
/// endpoints of a service share its type list and local identifier, so memory is linear in
/// the document, and [`xrds::parse`](super::xrds::parse) caps the number of endpoints (64
/// services of 16 URIs at most).
pub fn from_xrds(claimed_id: &str, xrds: &Xrds) -> (Vec<ServiceEndpoint>, Vec<ServiceError>) {
    let claimed_id: Arc<str> = Arc::from(claimed_id);
    let mut endpoints = Vec::new();
    let mut rejected = Vec::new();
    for service in xrds.services() {
        // All the service's types are kept (extensions such as SREG are declared as types);
        // it is an OpenID service if one of them is an OpenID type.
        if !service.types.iter().any(|t| OPENID_TYPES.contains(&t.as_str())) {
            continue;
        }
        let type_uris: Arc<[String]> = Arc::from(service.types.as_slice());
        let is_op_identifier = type_uris.iter().any(|t| t == TYPE_OP_IDENTIFIER);
        // OpenID 2.0 section 7.3.2.1.1: an OP identifier element has no local id; a Delegate
        // there is meaningless and ignored.
        let local_id = if is_op_identifier { Ok(None) } else { local_id(service, &type_uris) };
        let local_id = match local_id {
            Ok(local_id) => local_id,
            Err((first, second)) => {
                if let Some(server_url) = service.uris_by_priority().first() {
                    rejected.push(ServiceError::ConflictingLocalIds {
                        server_url: (*server_url).to_owned(),
                        first,
                        second,
                    });
                }
                continue;
            }
        };
        let claimed_id = (!is_op_identifier).then(|| Arc::clone(&claimed_id));
        for uri in service.uris_by_priority() {
            if !is_absolute_http_url(uri) {
                rejected.push(ServiceError::InvalidEndpointUrl { uri: uri.to_owned() });
                continue;
            }
            let endpoint = ServiceEndpoint::shared(
                claimed_id.clone(),
                uri.to_owned(),
                local_id.clone(),
                Arc::clone(&type_uris),
            );
            endpoints.push(endpoint.with_used_yadis(true));
        }
    }
    (endpoints, rejected)
}

/// The OpenID endpoints declared by HTML `<link>` elements (OpenID 2.0 section 7.3.3): a 2.0
/// endpoint for `openid2.provider` (with `openid2.local_id`), then a 1.1 endpoint for
/// `openid.server` (with `openid.delegate`).
pub fn from_html(claimed_id: &str, links: &HtmlLinks) -> (Vec<ServiceEndpoint>, Vec<ServiceError>) {
    let mut endpoints = Vec::new();
    let mut rejected = Vec::new();
    let kinds = [
        (TYPE_SIGNON_2_0, "openid2.provider", "openid2.local_id"),
        (TYPE_SIGNON_1_1, "openid.server", "openid.delegate"),
    ];
    for (type_uri, server_rel, local_id_rel) in kinds {
        let Some(server) = links.first_href(server_rel) else {
            continue;
        };
        if !is_absolute_http_url(server) {
            rejected.push(ServiceError::InvalidEndpointUrl { uri: server.to_owned() });
            continue;
        }
        endpoints.push(ServiceEndpoint::for_claimed_id(
            claimed_id,
            server,
            links.first_href(local_id_rel).map(str::to_owned),
            vec![type_uri.to_owned()],
        ));
    }
    (endpoints, rejected)
}

/// Orders endpoints OP identifier first, then 2.0, 1.1, 1.0, keeping the discovery order
/// among equals (python-openid's `arrangeByType`).
pub fn arrange(endpoints: &mut [ServiceEndpoint]) {
    endpoints.sort_by_key(ServiceEndpoint::rank);
}

/// The local identifier of a claimed identifier service: `openid:Delegate` counts for 1.x
/// types, `LocalID` for 2.0 (OpenID 2.0 section 7.3.2.1.2; OpenID 1.1 section 3.1); all the
/// values that count must agree, or the first two that differ are returned as the error.
fn local_id(service: &Service, type_uris: &[String]) -> Result<Option<Arc<str>>, (String, String)> {
    let has = |t: &str| type_uris.iter().any(|u| u == t);
    let mut candidates: Vec<&String> = Vec::new();
    if has(TYPE_SIGNON_1_1) || has(TYPE_SIGNON_1_0) {
        candidates.extend(&service.delegates);
    }
    if has(TYPE_SIGNON_2_0) {
        candidates.extend(&service.local_ids);
    }
    let mut found: Option<&String> = None;
    for candidate in candidates {
        match found {
            None => found = Some(candidate),
            Some(first) if first != candidate => return Err((first.clone(), candidate.clone())),
            Some(_) => {}
        }
    }
    Ok(found.map(|local_id| Arc::from(local_id.as_str())))
}

/// An absolute `http` or `https` URL as RFC 3986 writes it, checked on the text that is kept:
/// `Url::parse` alone follows the WHATWG standard, which silently drops tabs, CR and LF and
/// reads `\` as `/`, so `https://op/a\r\nSet-Cookie: x` would pass and the raw text, with
/// its line break, would reach the redirect built from the endpoint.
fn is_absolute_http_url(uri: &str) -> bool {
    !uri.bytes().any(|b| b.is_ascii_control() || b == b' ' || b == b'\\')
        && crate::urinorm::normalize(uri).is_ok()
        && Url::parse(uri)
            .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
}
