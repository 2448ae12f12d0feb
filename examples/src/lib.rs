//! The demo site ([`demo`]), and what the `demo` and `openid` binaries share: the network
//! policy that lets a login reach the built-in test provider (and nothing else on the
//! machine).
//!
//! ```
//! use openid_examples::builtin_policy;
//! use openid_consumer::NetworkPolicy;
//!
//! // Loopback is refused by default; the built-in provider's address alone is allowed.
//! let policy = builtin_policy(NetworkPolicy::default(), "127.0.0.1:8001".parse()?);
//! assert!(policy.check_url_str("http://127.0.0.1:8001/id/alice").is_ok());
//! assert!(policy.check_url_str("http://127.0.0.1:5432/").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod demo;

use std::net::SocketAddr;

use openid_consumer::NetworkPolicy;

/// `policy`, plus the address of the built-in provider: loopback stays refused except for
/// that one address and port.
pub fn builtin_policy(policy: NetworkPolicy, provider: SocketAddr) -> NetworkPolicy {
    policy.allow_socket(provider)
}

/// The address and port a provider listens on, from its base URL (`http://127.0.0.1:8001`).
pub fn socket_of(base_url: &str) -> Option<SocketAddr> {
    let url = url::Url::parse(base_url).ok()?;
    let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']');
    Some(SocketAddr::new(host.parse().ok()?, url.port_or_known_default()?))
}
