//! Fetching over HTTP under a [`NetworkPolicy`].
//!
//! Every request the relying party makes (discovery, XRI resolution, association,
//! `check_authentication`) goes through a [`Fetcher`]. The library's implementation,
//! [`UreqFetcher`], follows redirects itself so that each hop is checked, and guards the address
//! it actually connects to (see [`guard`]). Applications can plug in their own [`Fetcher`]; it
//! is then responsible for honouring the policy it is given.
//!
//! # Security
//! The defaults refuse what server-side request forgery needs (CVE-2019-11027): non-HTTP
//! schemes, internal addresses, unbounded bodies, slow servers and endless redirects.

// Spec names (OpenID, CanonicalID, LocalID) are prose here, not code. The pre-existing
// modules trip the same lint: the lasting fix is `doc-valid-idents` in clippy.toml.

use std::borrow::Cow;
use std::fmt;

mod error;
pub mod guard;
mod policy;
mod ureq;

pub use self::error::{FetchError, PolicyViolation};
pub use self::guard::{AddressClass, HostResolver, SystemResolver};
pub use self::policy::NetworkPolicy;
pub use self::ureq::UreqFetcher;

/// The `User-Agent` of every request: the library and its version.
pub const USER_AGENT: &str = concat!("openid-rs/", env!("CARGO_PKG_VERSION"));

/// Performs HTTP requests for the relying party.
///
/// Implementations return the final response after following redirects, with its status
/// whatever it is (a 404 is a response, not an error), and must apply the `policy`: schemes,
/// redirects, timeouts, body cap and address guard. [`UreqFetcher`] does all of it.
pub trait Fetcher: Send + Sync {
    /// `GET url` with extra request headers (for example `Accept`).
    fn get(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        policy: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError>;

    /// `POST url` with an `application/x-www-form-urlencoded` body made of `form`.
    ///
    /// The body is what the relying party sends a provider directly (association requests,
    /// the assertion for `check_authentication`), so an implementation must not send it, or
    /// follow a redirect at all, outside the origin of `url` (the `https` upgrade of the same
    /// host excepted), as [`UreqFetcher`] does.
    fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        policy: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError>;
}

/// A response: where the redirects ended, the status, the headers and the whole body.
///
/// Its `Debug` form shows the body's length only (an association response carries the MAC
/// key), hides cookie and authorization headers, and the credentials of a URL.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FetchResponse {
    /// The URL of the last hop (after redirects), without fragment.
    pub final_url: String,
    /// The HTTP status code.
    pub status: u16,
    /// The headers, names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body, complete (never truncated: a body over the cap is an error).
    pub body: Vec<u8>,
}

impl FetchResponse {
    /// A response, for custom fetchers and tests. Header names are lower-cased.
    pub fn new(
        final_url: impl Into<String>,
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Self {
        let headers =
            headers.into_iter().map(|(name, value)| (name.to_ascii_lowercase(), value)).collect();
        Self { final_url: final_url.into(), status, headers, body }
    }

    /// The first value of the header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The `Content-Type` header, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// Whether the status is a success (2xx).
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl fmt::Debug for FetchResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let secret = SECRET_HEADERS.iter().any(|s| name.eq_ignore_ascii_case(s));
                (name.as_str(), if secret { "<redacted>" } else { value.as_str() })
            })
            .collect();
        f.debug_struct("FetchResponse")
            .field("final_url", &redact_userinfo(&self.final_url))
            .field("status", &self.status)
            .field("headers", &headers)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

/// `url` with its `user:password@` part, if any, replaced by `***@`: how URLs appear in
/// errors and logs. Works on text that does not parse as a URL too (it may be in an error
/// precisely because it does not), and hides too much rather than too little: everything up
/// to the last `@` of the authority.
pub(crate) fn redact_userinfo(url: &str) -> Cow<'_, str> {
    let Some((head, rest)) = url.find("://").and_then(|at| url.split_at_checked(at + 3)) else {
        return Cow::Borrowed(url);
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    match authority.rfind('@').and_then(|at| rest.get(at..)) {
        Some(from_at) => Cow::Owned(format!("{head}***{from_at}")),
        None => Cow::Borrowed(url),
    }
}

/// Response headers whose values `Debug` hides: session cookies and credentials.
const SECRET_HEADERS: [&str; 4] = ["set-cookie", "cookie", "authorization", "proxy-authorization"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_redacted_whatever_the_url() {
        for (url, shown) in [
            ("https://alice:pw@op.example/x?y@z", "https://***@op.example/x?y@z"),
            ("http://alice@op.example", "http://***@op.example"),
            ("http://a:b@c@op.example:81/", "http://***@op.example:81/"),
            ("http://user:pw@[::1", "http://***@[::1"),
            ("https://op.example/path@x#f@g", "https://op.example/path@x#f@g"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(redact_userinfo(url), shown, "{url}");
        }
    }
}
