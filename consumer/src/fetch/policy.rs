//! [`NetworkPolicy`]: the limits and the address guard applied to every fetch.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use ipnet::{IpNet, Ipv4Net};
use url::Url;

use super::error::PolicyViolation;
use super::guard::classify;
use crate::excerpt::Excerpt;

/// The rules every fetch follows: discovery, XRI resolution, association and
/// `check_authentication` requests, and each redirect hop of them.
///
/// The default is safe for a relying party on the public internet (DESIGN.md section 4):
/// `http` and `https` only, at most 5 redirects, 5 s to connect, 10 s in total, 1 MiB bodies,
/// and no connection to loopback, private, link-local, carrier-grade NAT, multicast, unspecified
/// or other non-public addresses (in any IPv4-mapped form either).
///
/// Hosts and networks can be allowed or denied:
/// - a host or network on a deny-list is always refused;
/// - an address in [`allowed_networks`](Self::allowed_networks), or any address of a host in
///   [`allowed_hosts`](Self::allowed_hosts), is allowed even if it is internal (an OpenID
///   provider on the intranet);
/// - an address and port in [`allowed_sockets`](Self::allowed_sockets) is allowed, that port
///   only (a test provider on 127.0.0.1, without opening the machine's other services);
/// - any other internal address is refused unless
///   [`allow_internal_addresses`](Self::allow_internal_addresses) is set.
///
/// Host patterns are either an exact host name (`op.example.com`, compared without case) or
/// `*.` followed by a domain, which matches every name below that domain (not the domain itself).
/// Internationalised names may be written either way (`*.bücher.de` or `*.xn--bcher-kva.de`):
/// patterns are converted to their ASCII form (IDNA, UTS #46) as hosts in URLs are, and
/// compared byte by byte, ASCII case-insensitively.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use openid_consumer::fetch::NetworkPolicy;
///
/// let mut policy = NetworkPolicy::default()
///     .allow_network("10.20.0.0/16".parse().unwrap())
///     .deny_host("*.internal.example");
/// policy.total_timeout = Duration::from_secs(5);
/// assert!(policy.check_url_str("http://10.20.1.1/op").is_ok());
/// assert!(policy.check_url_str("http://10.30.1.1/op").is_err());
/// assert!(policy.check_url_str("ftp://example.com/").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NetworkPolicy {
    /// Refuse `http` URLs (every hop must be `https`). Default `false`.
    pub https_only: bool,
    /// Redirects followed before [`FetchError::TooManyRedirects`](super::FetchError). Default 5.
    pub max_redirects: u32,
    /// Time allowed to establish each connection. Default 5 s.
    pub connect_timeout: Duration,
    /// Time allowed for the whole fetch, every redirect and the body included. Default 10 s.
    pub total_timeout: Duration,
    /// The largest body accepted; a larger one is [`FetchError::TooLarge`](super::FetchError).
    /// Default 1 MiB.
    pub max_body_bytes: u64,
    /// Allow loopback, private, link-local and other non-public addresses. Default `false`.
    pub allow_internal_addresses: bool,
    /// Hosts whose addresses are allowed even when they are internal (patterns; see above).
    pub allowed_hosts: Vec<String>,
    /// Hosts that are always refused (patterns; see above).
    pub denied_hosts: Vec<String>,
    /// Networks whose addresses are allowed even when they are internal.
    pub allowed_networks: Vec<IpNet>,
    /// Networks that are always refused.
    pub denied_networks: Vec<IpNet>,
    /// Address and port pairs allowed even when the address is internal: that port only.
    pub allowed_sockets: Vec<SocketAddr>,
}

impl Default for NetworkPolicy {
    fn default() -> Self {
        Self {
            https_only: false,
            max_redirects: 5,
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(10),
            max_body_bytes: 1024 * 1024,
            allow_internal_addresses: false,
            allowed_hosts: Vec::new(),
            denied_hosts: Vec::new(),
            allowed_networks: Vec::new(),
            denied_networks: Vec::new(),
            allowed_sockets: Vec::new(),
        }
    }
}

impl NetworkPolicy {
    /// Adds a host pattern to [`allowed_hosts`](Self::allowed_hosts), in ASCII form.
    #[must_use]
    pub fn allow_host(mut self, pattern: impl Into<String>) -> Self {
        self.allowed_hosts.push(ascii_pattern(pattern.into()));
        self
    }

    /// Adds a host pattern to [`denied_hosts`](Self::denied_hosts), in ASCII form.
    #[must_use]
    pub fn deny_host(mut self, pattern: impl Into<String>) -> Self {
        self.denied_hosts.push(ascii_pattern(pattern.into()));
        self
    }

    /// Adds a network to [`allowed_networks`](Self::allowed_networks).
    #[must_use]
    pub fn allow_network(mut self, network: IpNet) -> Self {
        self.allowed_networks.push(network);
        self
    }

    /// Adds a network to [`denied_networks`](Self::denied_networks).
    #[must_use]
    pub fn deny_network(mut self, network: IpNet) -> Self {
        self.denied_networks.push(network);
        self
    }

    /// Adds an address and port to [`allowed_sockets`](Self::allowed_sockets): a server on
    /// an internal address is reachable on that port, and no other.
    #[must_use]
    pub fn allow_socket(mut self, socket: SocketAddr) -> Self {
        self.allowed_sockets.push(socket);
        self
    }

    /// Allows loopback addresses (`127.0.0.0/8` and `::1`) only: what a test against a local
    /// server needs, without opening the rest of the internal ranges.
    #[must_use]
    pub fn allow_loopback(mut self) -> Self {
        if let Ok(v4) = Ipv4Net::new(Ipv4Addr::LOCALHOST, 8) {
            self.allowed_networks.push(IpNet::V4(v4.trunc()));
        }
        self.allowed_networks.push(IpNet::from(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        self
    }

    /// Checks what can be checked before resolving: scheme, host lists, and the address when
    /// the host is an IP literal. The fetcher calls this for every hop; the resolved addresses
    /// are checked again by the guard when connecting.
    pub fn check_url(&self, url: &Url) -> Result<(), PolicyViolation> {
        match url.scheme() {
            "http" if self.https_only => return Err(PolicyViolation::HttpsRequired),
            "http" | "https" => {}
            other => return Err(PolicyViolation::Scheme { scheme: other.to_owned() }),
        }
        match url.host() {
            None => Err(PolicyViolation::MissingHost),
            Some(url::Host::Domain(domain)) => {
                if self.host_denied(domain) {
                    Err(PolicyViolation::HostDenied { host: domain.to_owned() })
                } else {
                    Ok(())
                }
            }
            Some(url::Host::Ipv4(ip)) => self.check_socket(
                &ip.to_string(),
                SocketAddr::new(IpAddr::V4(ip), url.port_or_known_default().unwrap_or(0)),
            ),
            Some(url::Host::Ipv6(ip)) => self.check_socket(
                &ip.to_string(),
                SocketAddr::new(IpAddr::V6(ip), url.port_or_known_default().unwrap_or(0)),
            ),
        }
    }

    /// [`check_address`](Self::check_address) for an address and the port connected to:
    /// also allowed when it is one of the [`allowed_sockets`](Self::allowed_sockets) (and not
    /// denied).
    pub fn check_socket(&self, host: &str, socket: SocketAddr) -> Result<(), PolicyViolation> {
        let canonical = SocketAddr::new(socket.ip().to_canonical(), socket.port());
        let listed = self.allowed_sockets.iter().any(|allowed| {
            SocketAddr::new(allowed.ip().to_canonical(), allowed.port()) == canonical
        });
        match self.check_address(host, socket.ip()) {
            Err(PolicyViolation::InternalAddress { .. }) if listed => Ok(()),
            other => other,
        }
    }

    /// [`check_url`](Self::check_url) for a string; text that does not parse as a URL is
    /// [`PolicyViolation::InvalidUrl`].
    pub fn check_url_str(&self, url: &str) -> Result<(), PolicyViolation> {
        let parsed = Url::parse(url).map_err(|_| PolicyViolation::InvalidUrl)?;
        self.check_url(&parsed)
    }

    /// Checks one resolved address of `host` against the host lists, the networks and the
    /// address classes.
    pub fn check_address(&self, host: &str, address: IpAddr) -> Result<(), PolicyViolation> {
        // An IP literal is matched in its canonical form, as its address is below:
        // `::ffff:a.b.c.d` is the host `a.b.c.d`.
        let literal = host.parse::<IpAddr>().ok().map(|ip| ip.to_canonical().to_string());
        let host = literal.as_deref().unwrap_or(host);
        if self.host_denied(host) {
            return Err(PolicyViolation::HostDenied { host: host.to_owned() });
        }
        // An IPv4-mapped IPv6 address reaches the IPv4 host: judge it as that host.
        let address = address.to_canonical();
        if self.denied_networks.iter().any(|net| net.contains(&address)) {
            return Err(PolicyViolation::NetworkDenied { address });
        }
        if self.allowed_networks.iter().any(|net| net.contains(&address)) || self.host_allowed(host)
        {
            return Ok(());
        }
        match classify(address) {
            Some(class) if !self.allow_internal_addresses => {
                Err(PolicyViolation::InternalAddress { address, class })
            }
            _ => Ok(()),
        }
    }

    fn host_denied(&self, host: &str) -> bool {
        self.denied_hosts.iter().any(|pattern| host_matches(pattern, host))
    }

    fn host_allowed(&self, host: &str) -> bool {
        self.allowed_hosts.iter().any(|pattern| host_matches(pattern, host))
    }
}

/// `pattern` is an exact host or `*.domain`; host names compare in ASCII form, without case
/// and without a trailing dot, so `EXAMPLE.com.` is `example.com` and `bücher.de` is
/// `xn--bcher-kva.de`.
///
/// The comparison is on bytes: a host that is not ASCII (only a caller of
/// [`NetworkPolicy::check_address`] can pass one; URLs give punycode) cannot be cut inside a
/// character. Patterns are converted again here because the lists are public fields that
/// can be filled without [`NetworkPolicy::deny_host`]; that costs nothing for ASCII ones.
fn host_matches(pattern: &str, host: &str) -> bool {
    let host = ascii_host(host);
    let host = host.as_bytes();
    match pattern.strip_prefix("*.") {
        Some(domain) => {
            let domain = ascii_host(domain);
            let domain = domain.as_bytes();
            // `<at least one character>.<domain>`.
            host.len() > domain.len() + 1
                && host.split_at_checked(host.len() - domain.len()).is_some_and(|(head, tail)| {
                    head.ends_with(b".") && tail.eq_ignore_ascii_case(domain)
                })
        }
        None => host.eq_ignore_ascii_case(ascii_host(pattern).as_bytes()),
    }
}

/// A host pattern in the form [`host_matches`] compares: `*.` kept, the name in ASCII.
fn ascii_pattern(pattern: String) -> String {
    if pattern.is_ascii() {
        return pattern;
    }
    let converted = match pattern.strip_prefix("*.") {
        Some(domain) => format!("*.{}", ascii_host(domain)),
        None => ascii_host(&pattern).into_owned(),
    };
    if !converted.is_ascii() {
        // Not a valid internationalised name: it can never equal a host of a URL.
        tracing::warn!(pattern = %Excerpt(&pattern), "host pattern is not a valid domain name");
    }
    converted
}

/// `name` without a trailing dot, in ASCII form (IDNA, UTS #46, as the `url` crate converts
/// hosts); a name IDNA refuses is kept as written and so matches no real host.
fn ascii_host(name: &str) -> Cow<'_, str> {
    let name = name.trim_end_matches('.');
    if name.is_ascii() {
        return Cow::Borrowed(name);
    }
    idna::domain_to_ascii(name).map_or(Cow::Borrowed(name), Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::AddressClass;

    #[test]
    fn an_allowed_socket_opens_one_port_of_an_internal_address() {
        let socket: SocketAddr = "127.0.0.1:8001".parse().unwrap();
        let policy = NetworkPolicy::default().allow_socket(socket);
        assert_eq!(policy.check_url_str("http://127.0.0.1:8001/id/alice"), Ok(()));
        assert!(policy.check_url_str("http://127.0.0.1:8002/").is_err());
        assert!(policy.check_url_str("http://127.0.0.2:8001/").is_err());
        assert_eq!(policy.check_socket("localhost", socket), Ok(()));
        assert!(policy.check_socket("localhost", "127.0.0.1:5432".parse().unwrap()).is_err());
        // A deny-list still wins.
        let denied = policy.deny_network("127.0.0.0/8".parse().unwrap());
        assert!(denied.check_socket("localhost", socket).is_err());
    }

    #[test]
    fn default_policy_matches_the_design() {
        let policy = NetworkPolicy::default();
        assert_eq!(policy.max_redirects, 5);
        assert_eq!(policy.connect_timeout, Duration::from_secs(5));
        assert_eq!(policy.total_timeout, Duration::from_secs(10));
        assert_eq!(policy.max_body_bytes, 1_048_576);
        assert!(!policy.allow_internal_addresses);
    }

    #[test]
    fn only_http_and_https_are_allowed() {
        let policy = NetworkPolicy::default();
        assert!(policy.check_url_str("http://example.com/").is_ok());
        assert!(policy.check_url_str("https://example.com/").is_ok());
        for url in ["ftp://example.com/", "file:///etc/passwd", "gopher://example.com/"] {
            assert!(
                matches!(policy.check_url_str(url), Err(PolicyViolation::Scheme { .. })),
                "{url}"
            );
        }
        let https_only = NetworkPolicy { https_only: true, ..NetworkPolicy::default() };
        assert_eq!(
            https_only.check_url_str("http://example.com/"),
            Err(PolicyViolation::HttpsRequired)
        );
    }

    #[test]
    fn ip_literal_hosts_are_checked_before_connecting() {
        let policy = NetworkPolicy::default();
        for url in [
            "http://127.0.0.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://0x7f000001/",
            "http://2130706433/",
            "http://0.0.0.0/",
        ] {
            assert!(
                matches!(policy.check_url_str(url), Err(PolicyViolation::InternalAddress { .. })),
                "{url}"
            );
        }
    }

    #[test]
    fn allow_lists_open_exactly_what_they_name() {
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let private: IpAddr = "10.0.0.1".parse().unwrap();
        let policy = NetworkPolicy::default().allow_loopback();
        assert_eq!(policy.check_address("localhost", loopback), Ok(()));
        assert_eq!(
            policy.check_address("intranet", private),
            Err(PolicyViolation::InternalAddress {
                address: private,
                class: AddressClass::Private
            })
        );
        let policy = NetworkPolicy::default().allow_host("op.corp.example");
        assert_eq!(policy.check_address("OP.corp.example.", private), Ok(()));
        assert!(policy.check_address("other.corp.example", private).is_err());
    }

    #[test]
    fn deny_lists_win_over_allow_lists() {
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        let policy = NetworkPolicy::default()
            .allow_host("evil.example")
            .deny_host("*.example")
            .deny_network("93.184.0.0/16".parse().unwrap());
        assert_eq!(
            policy.check_address("evil.example", public),
            Err(PolicyViolation::HostDenied { host: "evil.example".into() })
        );
        assert_eq!(
            policy.check_address("example", public),
            Err(PolicyViolation::NetworkDenied { address: public })
        );
    }

    // An IPv4-mapped IPv6 literal reaches the IPv4 host, and `check_address` judges its
    // address as that host: the host lists must see it as that host too.
    #[test]
    fn a_denied_ipv4_literal_is_denied_in_its_ipv4_mapped_form() {
        let policy = NetworkPolicy::default().deny_host("93.184.216.34");
        for url in [
            "http://93.184.216.34/",
            "http://[::ffff:93.184.216.34]/",
            "http://[::ffff:5db8:d822]/",
        ] {
            assert!(
                matches!(policy.check_url_str(url), Err(PolicyViolation::HostDenied { .. })),
                "{url}: {:?}",
                policy.check_url_str(url)
            );
        }
    }

    #[test]
    fn wildcard_host_patterns_match_subdomains_only() {
        assert!(host_matches("*.example.com", "a.example.com"));
        assert!(host_matches("*.example.com", "a.b.EXAMPLE.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("*.example.com", "badexample.com"));
        assert!(host_matches("example.com", "Example.COM."));
        assert!(!host_matches("example.com", "a.example.com"));
    }

    #[test]
    fn patterns_are_stored_in_ascii_form() {
        let policy = NetworkPolicy::default().deny_host("*.Bücher.de").allow_host("straße.de.");
        assert_eq!(policy.denied_hosts, ["*.xn--bcher-kva.de"]);
        assert_eq!(policy.allowed_hosts, ["xn--strae-oqa.de"]);
        // ASCII patterns are kept as written: the comparison ignores case.
        let policy = NetworkPolicy::default().deny_host("*.EXAMPLE.com");
        assert_eq!(policy.denied_hosts, ["*.EXAMPLE.com"]);
    }
}
