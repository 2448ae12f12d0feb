//! Yadis 1.0 discovery: from a URL to an XRDS document, or to the HTML page to fall back on.
//!
//! The steps (Yadis 1.0 section 6.2):
//! 1. `GET` the URL with an `Accept` header that prefers `application/xrds+xml`
//!    ([`ACCEPT_HEADER`]).
//! 2. If the response's media type is `application/xrds+xml` (parameters and case ignored), it
//!    is the XRDS document.
//! 3. Otherwise, if it has an `X-XRDS-Location` header, or its HTML head has a
//!    `<meta http-equiv="X-XRDS-Location">`, that URL is fetched and its body is the XRDS
//!    document. This is the one level of indirection Yadis allows: the second response is
//!    used whatever it says.
//! 4. Otherwise the response is HTML for OpenID's HTML-based discovery.

use url::Url;

use super::DiscoveryError;
use super::html;
use crate::excerpt::Excerpt;
use crate::fetch::{FetchResponse, Fetcher, NetworkPolicy, redact_userinfo};

/// The XRDS media type (Yadis 1.0 section 6.2.2; RFC 3023 `+xml` suffix).
pub const XRDS_CONTENT_TYPE: &str = "application/xrds+xml";
/// The response header that points at the XRDS document (Yadis 1.0 section 6.2.4).
pub const XRDS_LOCATION_HEADER: &str = "X-XRDS-Location";
/// The `Accept` header of a Yadis request, as python-openid sends it.
pub const ACCEPT_HEADER: &str =
    "text/html; q=0.3, application/xhtml+xml; q=0.5, application/xrds+xml";

/// What a Yadis request found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct YadisResponse {
    /// The final URL of the first request (after redirects): the identifier's URL.
    pub final_url: String,
    /// Where the XRDS document came from, when one was found: `final_url` itself, or the
    /// `X-XRDS-Location` URL.
    pub xrds_url: Option<String>,
    /// The `Content-Type` of the last response.
    pub content_type: Option<String>,
    /// The body of the last response: the XRDS document, or the HTML page.
    pub body: Vec<u8>,
}

impl YadisResponse {
    /// Whether the body is meant to be an XRDS document (its media type says so, or it came
    /// from an `X-XRDS-Location`).
    pub fn is_xrds(&self) -> bool {
        self.used_xrds_location() || self.content_type.as_deref().is_some_and(is_xrds_content_type)
    }

    /// Whether the body came from an `X-XRDS-Location` URL.
    pub fn used_xrds_location(&self) -> bool {
        self.xrds_url.as_deref().is_some_and(|xrds| xrds != self.final_url)
    }
}

/// Performs Yadis discovery on `url` (already normalised).
///
/// # Errors
/// [`DiscoveryError::Fetch`] when a request fails, [`DiscoveryError::HttpStatus`] when a
/// response is not 200 or 206 (python-openid's rule). An `X-XRDS-Location` that is not a URL is
/// ignored (logged), and the page is used as HTML.
pub fn discover(
    url: &str,
    fetcher: &dyn Fetcher,
    policy: &NetworkPolicy,
) -> Result<YadisResponse, DiscoveryError> {
    let first = fetch_ok(url, fetcher, policy)?;
    let content_type = first.content_type().map(str::to_owned);
    let final_url = first.final_url.clone();
    let Some(location) = xrds_location(&first) else {
        return Ok(YadisResponse { final_url, xrds_url: None, content_type, body: first.body });
    };
    if location == final_url {
        return Ok(YadisResponse {
            final_url,
            xrds_url: Some(location),
            content_type,
            body: first.body,
        });
    }
    tracing::debug!(
        final_url = %Excerpt(&redact_userinfo(&final_url)),
        location = %Excerpt(&redact_userinfo(&location)),
        "following X-XRDS-Location"
    );
    let second = fetch_ok(&location, fetcher, policy)?;
    Ok(YadisResponse {
        final_url,
        xrds_url: Some(location),
        content_type: second.content_type().map(str::to_owned),
        body: second.body,
    })
}

/// Whether a `Content-Type` value is the XRDS media type, parameters and case ignored.
pub fn is_xrds_content_type(content_type: &str) -> bool {
    let media_type = content_type.split(';').next().unwrap_or_default();
    media_type.trim().eq_ignore_ascii_case(XRDS_CONTENT_TYPE)
}

/// Where the XRDS document of a response is, if anywhere: the response itself when it is
/// XRDS, else its `X-XRDS-Location` header, else the `<meta http-equiv>` of its HTML head.
/// A relative location is resolved against the response URL.
fn xrds_location(response: &FetchResponse) -> Option<String> {
    if response.content_type().is_some_and(is_xrds_content_type) {
        return Some(response.final_url.clone());
    }
    let location = response
        .header(XRDS_LOCATION_HEADER)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
        .or_else(|| {
            html::find_xrds_location(&html::decode(&response.body, response.content_type()))
        })?;
    match Url::parse(&response.final_url).and_then(|base| base.join(&location)) {
        Ok(resolved) => Some(resolved.to_string()),
        Err(error) => {
            // The value is the page's, not a URL: escaped and cut, or a line break in it
            // would forge a log line.
            let location = Excerpt(&location);
            tracing::warn!(%location, %error, "ignoring an X-XRDS-Location that is not a URL");
            None
        }
    }
}

/// GETs `url` for Yadis and requires status 200 or 206.
pub(crate) fn fetch_ok(
    url: &str,
    fetcher: &dyn Fetcher,
    policy: &NetworkPolicy,
) -> Result<FetchResponse, DiscoveryError> {
    let response = fetcher.get(url, &[("Accept", ACCEPT_HEADER)], policy)?;
    if !matches!(response.status, 200 | 206) {
        return Err(DiscoveryError::HttpStatus {
            url: redact_userinfo(&response.final_url).into_owned(),
            status: response.status,
        });
    }
    Ok(response)
}
