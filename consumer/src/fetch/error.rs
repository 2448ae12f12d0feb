//! [`FetchError`]: what can go wrong with one fetch, shaped by outcome.

use std::net::IpAddr;

use super::guard::AddressClass;

/// Why a fetch failed. Each variant names one outcome and keeps the URL it concerns, with
/// any `user:password@` replaced by `***@` (errors end up in logs).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL (or a redirect target) could not be parsed.
    #[error("invalid URL {url:?}: {source}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why it did not parse.
        #[source]
        source: url::ParseError,
    },
    /// The [`NetworkPolicy`](super::NetworkPolicy) refused the request.
    #[error("request to {url} refused by the network policy: {reason}")]
    PolicyDenied {
        /// The URL that was refused (the hop, for a redirect).
        url: String,
        /// Which rule refused it.
        reason: PolicyViolation,
    },
    /// The connect or total timeout fired.
    #[error("request to {url} timed out")]
    Timeout {
        /// The URL being fetched when the time ran out.
        url: String,
    },
    /// The body is larger than the policy's cap. Bodies are never truncated silently.
    #[error("response from {url} is larger than {limit} bytes")]
    TooLarge {
        /// The URL whose body was too large.
        url: String,
        /// The cap, in bytes.
        limit: u64,
    },
    /// More redirects than the policy allows.
    #[error("too many redirects (more than {limit}) starting at {url}")]
    TooManyRedirects {
        /// The URL the fetch started from.
        url: String,
        /// The policy's limit.
        limit: u32,
    },
    /// A redirect led back to a URL already visited.
    #[error("redirect loop at {url}")]
    RedirectLoop {
        /// The URL visited twice.
        url: String,
    },
    /// The server could not be reached: no address, connection refused or reset.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL being fetched.
        url: String,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Any other transport or HTTP protocol failure (TLS, malformed response, ...).
    #[error("transport error fetching {url}: {source}")]
    Transport {
        /// The URL being fetched.
        url: String,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl FetchError {
    /// Whether this error is a refusal by the network policy.
    pub fn is_policy_denied(&self) -> bool {
        matches!(self, Self::PolicyDenied { .. })
    }
}

/// The rule of the [`NetworkPolicy`](super::NetworkPolicy) that refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyViolation {
    /// The scheme is not `http` or `https`.
    #[error("scheme {scheme:?} is not allowed (only http and https)")]
    Scheme {
        /// The scheme of the refused URL.
        scheme: String,
    },
    /// The policy requires `https` and the URL is `http`.
    #[error("the policy requires https")]
    HttpsRequired,
    /// The URL has no host.
    #[error("the URL has no host")]
    MissingHost,
    /// The text is not a URL at all.
    #[error("not a valid URL")]
    InvalidUrl,
    /// The host matches an entry of the deny-list.
    #[error("host {host:?} is on the deny-list")]
    HostDenied {
        /// The refused host.
        host: String,
    },
    /// The address is in a denied network.
    #[error("address {address} is in a denied network")]
    NetworkDenied {
        /// The refused address.
        address: IpAddr,
    },
    /// A POST was redirected to another origin. Server-to-server POSTs (association,
    /// `check_authentication`) carry secrets or the whole assertion, and a 307 or 308 would
    /// send them again wherever the server points; the redirect is refused before any
    /// request leaves.
    #[error("a POST is redirected only within its origin or to https on the same host")]
    CrossOriginPostRedirect,
    /// The address is not a public unicast address (loopback, private, ...).
    #[error("address {address} is {class} and such addresses are not allowed")]
    InternalAddress {
        /// The refused address (IPv4-mapped IPv6 addresses are shown as IPv4).
        address: IpAddr,
        /// Which kind of address it is.
        class: AddressClass,
    },
}
