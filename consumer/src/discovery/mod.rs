//! Discovery: from what the user typed to the OpenID endpoints to use (OpenID 2.0 section 7).
//!
//! [`discover`] normalises the identifier (section 7.2), then:
//! - for a URL, runs Yadis ([`yadis`]) and reads the OpenID services of the XRDS document
//!   ([`xrds`]); when there is no XRDS document or it has no usable OpenID service, falls back
//!   to the `<link>` elements of the HTML page ([`html`]). The claimed identifier is the final
//!   URL after redirects, normalised, without fragment (section 7.3.1 and 11.5.2).
//! - for an XRI, asks the configured proxy resolver ([`xri`]), verifies the CanonicalID and
//!   uses it as the claimed identifier.
//!
//! Endpoints come OP identifier first, then OpenID 2.0, 1.1, 1.0 (section 7.3.2.2 lets the
//! relying party choose; an OP identifier means identifier selection at the OP); among equals
//! the document's priority order is kept.
//!
//! [`Discoverer`] adds configuration: an XRI proxy and a small cache of results.
//!
//! # Security
//! Every request goes through the [`Fetcher`] under the [`NetworkPolicy`]. Documents are
//! parsed without DTDs or entity expansion, with bounded size and depth, XRDS documents with
//! capped counts ([`xrds::XrdsLimit`]) in time linear in their size, and HTML pages read up
//! to [`html::MAX_HTML_BYTES`]. What a document can make discovery build, report and log is
//! bounded too: endpoints share their service's data, and rejections are described and
//! logged a few at a time, their values escaped and cut.

// Spec names (OpenID, CanonicalID, LocalID) are prose here, not code. The pre-existing
// modules trip the same lint: the lasting fix is `doc-valid-idents` in clippy.toml.

pub mod accept;
mod cache;
pub mod endpoint;
pub mod html;
pub mod xrds;
pub mod xri;
pub mod yadis;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

pub use self::cache::DiscoveryCache;
pub use self::endpoint::{ServiceEndpoint, ServiceError};
use self::xrds::XrdsError;
use self::xri::{ProxyResolver, XriError};
use crate::excerpt::Excerpt;
use crate::fetch::{FetchError, Fetcher, NetworkPolicy, redact_userinfo};
use crate::urinorm::{self, UrinormError};

/// Why discovery failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The identifier is empty (or only whitespace).
    #[error("empty identifier")]
    EmptyIdentifier,
    /// The identifier is not a valid http or https URL.
    #[error("invalid identifier {identifier:?}: {source}")]
    InvalidIdentifier {
        /// The identifier as given.
        identifier: String,
        /// Why normalisation failed.
        #[source]
        source: UrinormError,
    },
    /// The URL discovery ended at (after redirects), which would be the claimed identifier,
    /// is not a valid http or https URL: the server's fault, not the identifier's.
    #[error("discovery ended at an invalid URL {url:?}: {source}")]
    InvalidFinalUrl {
        /// The final URL.
        url: String,
        /// Why normalisation failed.
        #[source]
        source: UrinormError,
    },
    /// A request failed (network, policy, timeout, size).
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// A discovery response had a status other than 200 or 206.
    #[error("{url} answered HTTP {status}")]
    HttpStatus {
        /// The final URL of the response (credentials hidden).
        url: String,
        /// The status.
        status: u16,
    },
    /// The identifier is an XRI and no proxy resolver is configured.
    #[error(
        "{xri:?} is an XRI, and XRI resolution needs a proxy resolver: set \
         DiscoveryConfig::xri_proxy (for example DiscoveryConfig::default()\
         .with_xri_proxy(\"https://xri-proxy.example/\")) and use Discoverer::new(config)"
    )]
    XriResolverNotConfigured {
        /// The XRI.
        xri: String,
    },
    /// The XRI proxy's answer is not a usable XRDS document.
    #[error("XRI resolution of {xri:?}: {source}")]
    XriDocument {
        /// The XRI.
        xri: String,
        /// What is wrong with the document.
        #[source]
        source: XrdsError,
    },
    /// The XRI resolution result failed CanonicalID verification.
    #[error("XRI resolution of {xri:?}: {source}")]
    Xri {
        /// The XRI.
        xri: String,
        /// The verification failure.
        #[source]
        source: XriError,
    },
    /// The XRI resolved without a CanonicalID, so there is no claimed identifier.
    #[error("XRI {xri:?} resolved without a CanonicalID")]
    NoCanonicalId {
        /// The XRI.
        xri: String,
    },
    /// Discovery worked but found no usable OpenID endpoint.
    #[error(
        "no OpenID endpoint found for {}{}",
        Excerpt(claimed_id),
        describe(.xrds_error.as_ref(), .rejected)
    )]
    NoEndpoints {
        /// The identifier discovery ran for (the claimed identifier it would have had).
        claimed_id: String,
        /// Why the XRDS document was unusable, when there was one.
        xrds_error: Option<XrdsError>,
        /// OpenID services that were found and rejected.
        rejected: Vec<ServiceError>,
    },
}

/// The detail of [`DiscoveryError::NoEndpoints`]: the XRDS error and the first
/// [`MAX_REPORTED_REJECTIONS`] rejections, so the message stays short whatever the document.
fn describe(xrds_error: Option<&XrdsError>, rejected: &[ServiceError]) -> String {
    let mut text = String::new();
    if let Some(error) = xrds_error {
        let _ = write!(text, " (XRDS: {error})");
    }
    for service in rejected.iter().take(MAX_REPORTED_REJECTIONS) {
        let _ = write!(text, " (rejected: {service})");
    }
    if let Some(more) = rejected.len().checked_sub(MAX_REPORTED_REJECTIONS).filter(|n| *n > 0) {
        let _ = write!(text, " (and {more} more rejected)");
    }
    text
}

/// The outcome of discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiscoveryResult {
    /// The claimed identifier: the normalised final URL without fragment, or an XRI's
    /// CanonicalID (without `xri://`).
    pub claimed_id: String,
    /// What to show the user: the normalised URL, or the XRI as typed (without `xri://`).
    pub display_identifier: String,
    /// The endpoints, never empty: OP identifier first, then 2.0, 1.1, 1.0.
    pub endpoints: Vec<ServiceEndpoint>,
    /// OpenID services found and rejected (for diagnostics).
    pub rejected: Vec<ServiceError>,
}

/// Settings of a [`Discoverer`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DiscoveryConfig {
    /// The XRI proxy resolver; `None` (the default) refuses XRIs with
    /// [`DiscoveryError::XriResolverNotConfigured`].
    pub xri_proxy: Option<ProxyResolver>,
    /// How long a result is reused; `None` (the default) disables the cache.
    pub cache_ttl: Option<Duration>,
    /// How many results the cache keeps (the oldest are dropped first).
    pub cache_capacity: usize,
}

impl DiscoveryConfig {
    /// Resolves XRIs through the proxy at `proxy_url`.
    #[must_use]
    pub fn with_xri_proxy(mut self, proxy_url: impl Into<String>) -> Self {
        self.xri_proxy = Some(ProxyResolver::new(proxy_url));
        self
    }

    /// Caches successful results for `ttl`, at most `capacity` of them.
    #[must_use]
    pub fn with_cache(mut self, ttl: Duration, capacity: usize) -> Self {
        self.cache_ttl = Some(ttl);
        self.cache_capacity = capacity;
        self
    }
}

/// Discovery with configuration and an optional cache; share one per application.
#[derive(Debug, Default)]
pub struct Discoverer {
    config: DiscoveryConfig,
    cache: Option<DiscoveryCache>,
}

impl Discoverer {
    /// A discoverer with `config`.
    pub fn new(config: DiscoveryConfig) -> Self {
        let cache = config.cache_ttl.map(|ttl| DiscoveryCache::new(ttl, config.cache_capacity));
        Self { config, cache }
    }

    /// The configuration.
    pub fn config(&self) -> &DiscoveryConfig {
        &self.config
    }

    /// The cache, when enabled.
    pub fn cache(&self) -> Option<&DiscoveryCache> {
        self.cache.as_ref()
    }

    /// Runs discovery on `identifier`; see the [module documentation](self).
    ///
    /// A cached result (keyed by the normalised identifier) is returned while it is fresh.
    /// Only successes are cached. The cache does not key on the policy: use one discoverer per
    /// policy.
    ///
    /// # Errors
    /// See [`DiscoveryError`].
    pub fn discover(
        &self,
        identifier: &str,
        fetcher: &dyn Fetcher,
        policy: &NetworkPolicy,
    ) -> Result<DiscoveryResult, DiscoveryError> {
        let identifier = identifier.trim();
        if identifier.is_empty() {
            return Err(DiscoveryError::EmptyIdentifier);
        }
        let key = if xri::is_xri(identifier) {
            Identifier::Xri(xri::normalize(identifier).to_owned())
        } else {
            Identifier::Url(normalize_url(identifier)?)
        };
        let cache_key = match &key {
            Identifier::Xri(xri) | Identifier::Url(xri) => xri.clone(),
        };
        if let Some(hit) = self.cache.as_ref().and_then(|cache| cache.get(&cache_key)) {
            tracing::debug!(identifier = %Excerpt(&cache_key), "discovery cache hit");
            return Ok(hit);
        }
        let result = match key {
            Identifier::Xri(xri) => self.discover_xri(&xri, fetcher, policy)?,
            Identifier::Url(url) => discover_url(&url, fetcher, policy)?,
        };
        if let Some(cache) = &self.cache {
            cache.insert(cache_key, result.clone());
        }
        Ok(result)
    }

    fn discover_xri(
        &self,
        iname: &str,
        fetcher: &dyn Fetcher,
        policy: &NetworkPolicy,
    ) -> Result<DiscoveryResult, DiscoveryError> {
        let Some(proxy) = &self.config.xri_proxy else {
            return Err(DiscoveryError::XriResolverNotConfigured { xri: iname.to_owned() });
        };
        let url = proxy.query_url(iname, None);
        let response = yadis::fetch_ok(&url, fetcher, policy)?;
        let document = xrds::parse(&response.body)
            .map_err(|source| DiscoveryError::XriDocument { xri: iname.to_owned(), source })?;
        let canonical_id = xri::canonical_id(iname, &document)
            .map_err(|source| DiscoveryError::Xri { xri: iname.to_owned(), source })?
            .ok_or_else(|| DiscoveryError::NoCanonicalId { xri: iname.to_owned() })?;
        let (endpoints, rejected) = endpoint::from_xrds(&canonical_id, &document);
        // Shared by every endpoint rather than copied into each (issue 9).
        let (shared_canonical_id, shared_iname): (Arc<str>, Arc<str>) =
            (Arc::from(canonical_id.as_str()), Arc::from(iname));
        let endpoints = endpoints
            .into_iter()
            .map(|endpoint| {
                endpoint
                    .with_canonical_id(Arc::clone(&shared_canonical_id))
                    .with_display_identifier(Arc::clone(&shared_iname))
            })
            .collect();
        finish(canonical_id, iname.to_owned(), endpoints, rejected, None)
    }
}

/// Runs discovery on `identifier` with the default configuration (no XRI proxy, no cache).
///
/// # Errors
/// See [`DiscoveryError`].
///
/// # Example
/// ```no_run
/// use openid_consumer::discovery::discover;
/// use openid_consumer::fetch::{NetworkPolicy, UreqFetcher};
///
/// let result = discover("example.com/alice", &UreqFetcher::new(), &NetworkPolicy::default())?;
/// println!("{} at {}", result.claimed_id, result.endpoints[0].server_url());
/// # Ok::<_, openid_consumer::discovery::DiscoveryError>(())
/// ```
pub fn discover(
    identifier: &str,
    fetcher: &dyn Fetcher,
    policy: &NetworkPolicy,
) -> Result<DiscoveryResult, DiscoveryError> {
    Discoverer::default().discover(identifier, fetcher, policy)
}

/// Normalises a URL identifier (OpenID 2.0 section 7.2): `http://` is added when there is no
/// scheme, then RFC 3986 normalisation, then the fragment is removed.
///
/// # Errors
/// [`DiscoveryError::InvalidIdentifier`] when it is not an http or https URL.
pub fn normalize_url(identifier: &str) -> Result<String, DiscoveryError> {
    let identifier = identifier.trim();
    let with_scheme =
        if has_scheme(identifier) { identifier.to_owned() } else { format!("http://{identifier}") };
    let normalized = urinorm::normalize(&with_scheme).map_err(|source| {
        DiscoveryError::InvalidIdentifier { identifier: identifier.to_owned(), source }
    })?;
    Ok(strip_fragment(&normalized).to_owned())
}

/// [`normalize_url`] for the URL a fetch ended at, with the error blaming that URL.
fn normalize_final_url(url: &str) -> Result<String, DiscoveryError> {
    normalize_url(url).map_err(|error| match error {
        DiscoveryError::InvalidIdentifier { identifier, source } => {
            DiscoveryError::InvalidFinalUrl { url: identifier, source }
        }
        other => other,
    })
}

enum Identifier {
    Xri(String),
    Url(String),
}

fn discover_url(
    url: &str,
    fetcher: &dyn Fetcher,
    policy: &NetworkPolicy,
) -> Result<DiscoveryResult, DiscoveryError> {
    let response = yadis::discover(url, fetcher, policy)?;
    let claimed_id = normalize_final_url(&response.final_url)?;
    let (mut endpoints, mut rejected, xrds_error) = match xrds::parse(&response.body) {
        Ok(document) => {
            let (endpoints, rejected) = endpoint::from_xrds(&claimed_id, &document);
            (endpoints, rejected, None)
        }
        // An HTML page is not an XRDS document: only report the parse error of a body that
        // claimed to be one.
        Err(error) => (Vec::new(), Vec::new(), response.is_xrds().then_some(error)),
    };
    let mut claimed = claimed_id;
    if endpoints.is_empty() {
        // No usable XRDS: OpenID 2.0 section 7.3.3, HTML-based discovery. When the body we
        // have is the XRDS document, the page itself is fetched again (python-openid's
        // `discoverNoYadis`).
        let (html_url, content_type, body) = if response.is_xrds() {
            // Without the Yadis Accept header, so a server that negotiates serves its page.
            let page = fetcher.get(url, &[], policy)?;
            if !matches!(page.status, 200 | 206) {
                return Err(DiscoveryError::HttpStatus {
                    url: redact_userinfo(&page.final_url).into_owned(),
                    status: page.status,
                });
            }
            let content_type = page.content_type().map(str::to_owned);
            (page.final_url, content_type, page.body)
        } else {
            (response.final_url, response.content_type, response.body)
        };
        claimed = normalize_final_url(&html_url)?;
        let links = html::parse_links(&html::decode(&body, content_type.as_deref()));
        let (html_endpoints, html_rejected) = endpoint::from_html(&claimed, &links);
        endpoints = html_endpoints;
        rejected.extend(html_rejected);
    }
    finish(claimed.clone(), claimed, endpoints, rejected, xrds_error)
}

fn finish(
    claimed_id: String,
    display_identifier: String,
    mut endpoints: Vec<ServiceEndpoint>,
    rejected: Vec<ServiceError>,
    xrds_error: Option<XrdsError>,
) -> Result<DiscoveryResult, DiscoveryError> {
    if endpoints.is_empty() {
        return Err(DiscoveryError::NoEndpoints { claimed_id, xrds_error, rejected });
    }
    // A hostile document can have hundreds of rejected services: log a few and count the
    // rest, so one login cannot flood the log. The claimed identifier of an XRI is the
    // document's CanonicalID, which may hold a line break: escaped, as everything logged.
    let logged_id = Excerpt(&claimed_id);
    for service in rejected.iter().take(MAX_REPORTED_REJECTIONS) {
        tracing::info!(claimed_id = %logged_id, %service, "OpenID service rejected");
    }
    if let Some(more) = rejected.len().checked_sub(MAX_REPORTED_REJECTIONS).filter(|n| *n > 0) {
        tracing::info!(claimed_id = %logged_id, more, "more OpenID services rejected");
    }
    endpoint::arrange(&mut endpoints);
    Ok(DiscoveryResult { claimed_id, display_identifier, endpoints, rejected })
}

/// Whether `identifier` starts with `scheme://` (RFC 3986 section 3.1 scheme characters).
fn has_scheme(identifier: &str) -> bool {
    identifier.split_once("://").is_some_and(|(scheme, _)| {
        scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

fn strip_fragment(url: &str) -> &str {
    url.split_once('#').map_or(url, |(base, _)| base)
}

/// Rejected services described in an error message or logged, at most: the first few say
/// what is wrong, and a hostile document can have hundreds.
const MAX_REPORTED_REJECTIONS: usize = 4;
