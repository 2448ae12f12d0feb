//! OpenID 2.0 Relying Party.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod discovery;
pub mod fetch;
pub mod urinorm;

pub use discovery::{DiscoveryError, DiscoveryResult, ServiceEndpoint, discover};
pub use fetch::{FetchError, Fetcher, NetworkPolicy, UreqFetcher};
