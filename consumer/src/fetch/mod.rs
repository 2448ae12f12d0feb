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
#[derive(Debug, Clone, PartialEq, Eq)]
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
