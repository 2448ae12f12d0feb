//! The network flags every command shares, and the hint an error gets when the default
//! policy refused an address.

use std::time::Duration;

use openid_consumer::discovery::DiscoveryConfig;
use openid_consumer::fetch::PolicyViolation;
use openid_consumer::{BeginError, DiscoveryError, FetchError, NetworkPolicy};

/// The network policy of every request: by default `NetworkPolicy::default()`, which
/// refuses loopback, private and other internal addresses (a relying party must not be
/// turned against its own network).
#[derive(Debug, Clone, clap::Args)]
#[expect(clippy::doc_markdown, reason = "the field docs are --help text, read as plain text")]
pub(crate) struct NetworkArgs {
    /// Allow requests to loopback addresses (127.0.0.0/8, ::1): a provider on this machine.
    #[arg(long, global = true)]
    allow_loopback: bool,
    /// Allow a host even at an internal address: an exact name or `*.domain` (repeatable).
    #[arg(long = "allow-host", value_name = "PATTERN", global = true)]
    allow_hosts: Vec<String>,
    /// Time allowed for each request, redirects included, in seconds [default: 10].
    #[arg(long, value_name = "SECONDS", global = true, value_parser = parse_timeout)]
    timeout: Option<Duration>,
    /// Resolve XRIs (=name, @org) through the proxy resolver at this URL.
    #[arg(long, value_name = "URL", global = true)]
    xri_proxy: Option<String>,
}

impl NetworkArgs {
    /// The policy these flags make.
    pub(crate) fn policy(&self) -> NetworkPolicy {
        let mut policy = NetworkPolicy::default();
        if self.allow_loopback {
            policy = policy.allow_loopback();
        }
        for pattern in &self.allow_hosts {
            policy = policy.allow_host(pattern.clone());
        }
        if let Some(timeout) = self.timeout {
            policy.total_timeout = timeout;
            policy.connect_timeout = policy.connect_timeout.min(timeout);
        }
        policy
    }

    /// The discovery configuration these flags make.
    pub(crate) fn discovery(&self) -> DiscoveryConfig {
        match &self.xri_proxy {
            Some(proxy) => DiscoveryConfig::default().with_xri_proxy(proxy.clone()),
            None => DiscoveryConfig::default(),
        }
    }
}

/// What to add to an error when the policy refused an internal address: the flag that
/// allows it.
pub(crate) fn fetch_hint(error: &FetchError) -> &'static str {
    match error {
        FetchError::PolicyDenied {
            reason: PolicyViolation::InternalAddress { address, .. },
            ..
        } if address.is_loopback() => " (use --allow-loopback to allow this machine's addresses)",
        FetchError::PolicyDenied { reason: PolicyViolation::InternalAddress { .. }, .. } => {
            " (use --allow-host HOST to allow an internal host)"
        }
        _ => "",
    }
}

/// [`fetch_hint`] for a discovery error, and the flag an XRI needs.
pub(crate) fn discovery_hint(error: &DiscoveryError) -> &'static str {
    match error {
        DiscoveryError::Fetch(fetch) => fetch_hint(fetch),
        DiscoveryError::XriResolverNotConfigured { .. } => " (use --xri-proxy URL)",
        _ => "",
    }
}

/// [`fetch_hint`] for an error of `Consumer::begin`.
pub(crate) fn begin_hint(error: &BeginError) -> &'static str {
    match error {
        BeginError::Discovery(discovery) => discovery_hint(discovery),
        _ => "",
    }
}

/// `--timeout`: a positive number of seconds, at most an hour.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text.parse().map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(seconds > 0.0 && seconds <= MAX_TIMEOUT_SECONDS) {
        return Err(format!("{text} is not between 0 and {MAX_TIMEOUT_SECONDS} seconds"));
    }
    Duration::try_from_secs_f64(seconds).map_err(|error| error.to_string())
}

/// The longest `--timeout`: a request that takes longer has failed.
const MAX_TIMEOUT_SECONDS: f64 = 3600.0;
