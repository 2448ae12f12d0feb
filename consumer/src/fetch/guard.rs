//! The address guard: which IP addresses a fetch may connect to.
//!
//! The guard runs inside the name resolution of the HTTP client (a ureq `Resolver`), so the
//! address that is checked is the address that is connected to. Checking a host name before the
//! request and resolving it again to connect would let DNS rebinding (a name that resolves to a
//! public address once and to `127.0.0.1` the next time) bypass the check.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

use super::NetworkPolicy;

/// Kinds of addresses that are not public unicast addresses.
///
/// [`classify`] returns one of these for every address that a relying party should not reach
/// on behalf of a stranger's identifier unless its policy says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressClass {
    /// `0.0.0.0/8`, `::`.
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918 (`10/8`, `172.16/12`, `192.168/16`) and IPv6 unique local (`fc00::/7`).
    Private,
    /// `169.254.0.0/16`, `fe80::/10` (cloud metadata services live here).
    LinkLocal,
    /// Carrier-grade NAT shared space, `100.64.0.0/10` (RFC 6598).
    SharedCgnat,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// Documentation and benchmarking ranges (`192.0.2/24`, `198.18/15`, `2001:db8::/32`, ...).
    Documentation,
    /// Reserved or special-purpose ranges (`240/4`, `192.0.0/24`, IPv4-compatible and
    /// site-local IPv6, the NAT64 local-use prefix `64:ff9b:1::/48`, ...).
    Reserved,
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unspecified => "unspecified",
            Self::Loopback => "loopback",
            Self::Private => "private",
            Self::LinkLocal => "link-local",
            Self::SharedCgnat => "carrier-grade NAT",
            Self::Multicast => "multicast",
            Self::Broadcast => "broadcast",
            Self::Documentation => "a documentation range",
            Self::Reserved => "reserved",
        })
    }
}

/// Classifies an address: `None` for a public unicast address, otherwise what it is.
///
/// IPv6 forms that embed an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, NAT64
/// `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::`) are classified by the IPv4 address they carry,
/// so `::ffff:127.0.0.1` is loopback. The NAT64 local-use prefix `64:ff9b:1::/48`, where the
/// IPv4 address cannot be located, is [`AddressClass::Reserved`].
pub fn classify(address: IpAddr) -> Option<AddressClass> {
    match address {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    let [a, b, c, _] = ip.octets();
    let class = match (a, b, c) {
        (0, _, _) => AddressClass::Unspecified,
        (127, _, _) => AddressClass::Loopback,
        (10, _, _) | (192, 168, _) | (172, 16..=31, _) => AddressClass::Private,
        (169, 254, _) => AddressClass::LinkLocal,
        (100, 64..=127, _) => AddressClass::SharedCgnat,
        (224..=239, _, _) => AddressClass::Multicast,
        (255, 255, 255) if ip == Ipv4Addr::BROADCAST => AddressClass::Broadcast,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) | (198, 18..=19, _) => {
            AddressClass::Documentation
        }
        (192, 0, 0) | (240..=255, _, _) => AddressClass::Reserved,
        _ => return None,
    };
    Some(class)
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let segments = ip.segments();
    let [s0, s1, s2, s3, s4, s5, s6, s7] = segments;
    if ip.is_unspecified() {
        return Some(AddressClass::Unspecified);
    }
    if ip.is_loopback() {
        return Some(AddressClass::Loopback);
    }
    // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052) and IPv4-translated addresses
    // ::ffff:0:0:0/96 (RFC 2765) carry an IPv4 address in their last 32 bits.
    if (s0, s1, s2, s3, s4, s5) == (0x64, 0xff9b, 0, 0, 0, 0)
        || (s0, s1, s2, s3, s4, s5) == (0, 0, 0, 0, 0xffff, 0)
    {
        return classify_v4(embedded_v4(s6, s7));
    }
    // The NAT64 local-use prefix 64:ff9b:1::/48 (RFC 8215) may be used with any prefix
    // length from /48 to /96, and RFC 6052 section 2.2 places the IPv4 address differently for
    // each (bits 48-63 and 72-87 for a /48): nothing says which one a network uses, so the
    // whole /48 is reserved. A network that routes through it can allow it with
    // `allow_network`. Operator-specific NAT64 prefixes need `deny_network`.
    if (s0, s1, s2) == (0x64, 0xff9b, 1) {
        return Some(AddressClass::Reserved);
    }
    // 6to4 2002::/16 carries an IPv4 address in bits 16..48.
    if s0 == 0x2002 {
        return classify_v4(embedded_v4(s1, s2));
    }
    let class = match s0 {
        // IPv4-compatible addresses ::a.b.c.d (deprecated) and the rest of ::/96.
        0 if (s1, s2, s3, s4, s5) == (0, 0, 0, 0, 0) => AddressClass::Reserved,
        0xfc00..=0xfdff => AddressClass::Private,
        0xfe80..=0xfebf => AddressClass::LinkLocal,
        0xfec0..=0xfeff => AddressClass::Reserved,
        0xff00..=0xffff => AddressClass::Multicast,
        0x2001 if s1 == 0x0db8 => AddressClass::Documentation,
        // Benchmarking 2001:2::/48, as 198.18.0.0/15 is for IPv4.
        0x2001 if (s1, s2) == (2, 0) => AddressClass::Documentation,
        _ => return None,
    };
    Some(class)
}

fn embedded_v4(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

/// Name resolution that the address guard wraps.
///
/// The default is the system resolver. Tests and applications with their own DNS can plug in
/// another one with [`UreqFetcher::with_resolver`](super::UreqFetcher::with_resolver); whatever
/// it returns still goes through the guard.
pub trait HostResolver: fmt::Debug + Send + Sync + 'static {
    /// Resolves the host name `host` for `port`.
    ///
    /// A URL whose host is an IP literal (`127.0.0.1`, `[::1]`) does not come here: its
    /// address is the literal itself, which the guard checks like any resolved address.
    fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>>;
}

/// The system resolver (`getaddrinfo` through [`ToSocketAddrs`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl HostResolver for SystemResolver {
    fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        Ok((host, port).to_socket_addrs()?.collect())
    }
}

/// A ureq [`Resolver`] that resolves with an inner resolver and keeps only the addresses the
/// policy allows. When none is left the resolution fails with the first refusal, which the
/// fetcher reports as [`FetchError::PolicyDenied`](super::FetchError::PolicyDenied).
#[derive(Debug)]
pub(crate) struct GuardedResolver {
    policy: NetworkPolicy,
    inner: Option<Arc<dyn HostResolver>>,
    system: DefaultResolver,
    /// Threads running the application's resolver now, this one's and those of the other
    /// agents of the same fetcher (see [`MAX_RESOLVER_THREADS`]).
    resolving: Arc<AtomicUsize>,
}

impl GuardedResolver {
    pub(crate) fn new(
        policy: NetworkPolicy,
        inner: Option<Arc<dyn HostResolver>>,
        resolving: Arc<AtomicUsize>,
    ) -> Self {
        Self { policy, inner, system: DefaultResolver::default(), resolving }
    }

    /// Resolves with the application's resolver, within the fetch's time: a resolver that
    /// hangs would otherwise hold the request past its total timeout. It runs on a thread of
    /// its own, which is left to finish (or hang) alone when the time is up; at most
    /// [`MAX_RESOLVER_THREADS`] run at once, and beyond that a resolution times out at once,
    /// so a resolver that hangs on names a stranger picks cannot take a thread per login.
    fn resolve_custom(
        &self,
        inner: &Arc<dyn HostResolver>,
        uri: &ureq::http::Uri,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().ok_or(ureq::Error::HostNotFound)?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let port =
            uri.port_u16().unwrap_or(if uri.scheme_str() == Some("https") { 443 } else { 80 });
        if self.resolving.fetch_add(1, Ordering::SeqCst) >= MAX_RESOLVER_THREADS {
            self.resolving.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!("the application's resolver is not answering: resolution refused");
            return Err(ureq::Error::Timeout(timeout.reason));
        }
        let (sender, receiver) = std::sync::mpsc::channel();
        let application_resolver = Arc::clone(inner);
        // Given back when the thread ends, or is not started: a resolver that panics too.
        let slot = Slot(Arc::clone(&self.resolving));
        std::thread::Builder::new()
            .name("openid-resolve".to_owned())
            .spawn(move || {
                let _slot = slot;
                // The receiver may be gone (timed out): nothing to tell then.
                let _ = sender.send(application_resolver.resolve(&host, port));
            })
            .map_err(ureq::Error::Io)?;
        let addresses = match timeout.not_zero() {
            Some(limit) => {
                receiver.recv_timeout(*limit).map_err(|_| ureq::Error::Timeout(timeout.reason))?
            }
            None => return Err(ureq::Error::Timeout(timeout.reason)),
        }?;
        let mut resolved = self.empty();
        for address in addresses.into_iter().take(MAX_ADDRESSES) {
            resolved.push(address);
        }
        Ok(resolved)
    }
}

impl Resolver for GuardedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        // ureq resolves before every request, a pooled connection's too, and with a timeout
        // (there always is one) both resolvers take a thread per lookup: for a literal that
        // is a thread spawn to learn nothing. Its address is checked below all the same.
        let resolved = match (literal_socket(uri), &self.inner) {
            (Some(address), _) => {
                if config.ip_family().keep_wanted(std::iter::once(address)).next().is_none() {
                    return Err(ureq::Error::HostNotFound);
                }
                let mut resolved = self.empty();
                resolved.push(address);
                resolved
            }
            (None, Some(inner)) => self.resolve_custom(inner, uri, timeout)?,
            (None, None) => self.system.resolve(uri, config, timeout)?,
        };
        let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        let mut allowed = self.empty();
        let mut first_refusal = None;
        for address in resolved.iter().copied() {
            match self.policy.check_socket(host, address) {
                Ok(()) => allowed.push(address),
                Err(violation) => {
                    tracing::warn!(%host, address = %address.ip(), %violation, "address refused");
                    first_refusal.get_or_insert(violation);
                }
            }
        }
        if allowed.is_empty() {
            return Err(match first_refusal {
                Some(violation) => ureq::Error::Other(Box::new(violation)),
                None => ureq::Error::HostNotFound,
            });
        }
        Ok(allowed)
    }
}

/// The address of `uri` when its host is an IP literal ([`literal_address`]).
fn literal_socket(uri: &ureq::http::Uri) -> Option<SocketAddr> {
    literal_address(uri.scheme_str()?, uri.host()?, uri.port_u16())
}

/// The socket address an `http` or `https` URL names without a lookup: its host is an IPv4
/// literal or a bracketed IPv6 literal, with `port` or the scheme's default. `None` for a
/// host name and for any other scheme.
///
/// Only the strict forms count: anything else (`127.1`, a zone index) is left to the
/// resolver, whose answer the guard checks as any other. The fetcher uses this to skip the
/// lookup (and the thread ureq starts for one) when a URL names its address.
///
/// ```
/// use openid_consumer::fetch::guard::literal_address;
///
/// assert_eq!(literal_address("http", "127.0.0.1", None), Some(([127, 0, 0, 1], 80).into()));
/// assert_eq!(literal_address("https", "[::1]", Some(8443)).map(|a| a.port()), Some(8443));
/// assert_eq!(literal_address("http", "127.1", None), None);
/// assert_eq!(literal_address("ftp", "127.0.0.1", None), None);
/// ```
pub fn literal_address(scheme: &str, host: &str, port: Option<u16>) -> Option<SocketAddr> {
    let default_port = match scheme {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let ip = match host.strip_prefix('[').and_then(|inner| inner.strip_suffix(']')) {
        Some(v6) => IpAddr::V6(v6.parse().ok()?),
        None => IpAddr::V4(host.parse().ok()?),
    };
    Some(SocketAddr::new(ip, port.unwrap_or(default_port)))
}

/// One of the [`MAX_RESOLVER_THREADS`], taken; given back when dropped.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// ureq keeps at most this many addresses per resolution.
const MAX_ADDRESSES: usize = 16;

/// Threads that may run the application's resolver at once, per fetcher. A resolver that
/// answers takes one for the time of a lookup; one that hangs keeps its threads, and once
/// they are all taken its fetches time out without a new thread.
const MAX_RESOLVER_THREADS: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::PolicyViolation;

    fn class(s: &str) -> Option<AddressClass> {
        classify(s.parse().unwrap())
    }

    #[test]
    fn public_addresses_are_not_classified() {
        for s in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111"] {
            assert_eq!(class(s), None, "{s}");
        }
    }

    #[test]
    fn internal_addresses_are_classified() {
        let cases = [
            ("127.0.0.1", AddressClass::Loopback),
            ("127.255.1.2", AddressClass::Loopback),
            ("::1", AddressClass::Loopback),
            ("0.0.0.0", AddressClass::Unspecified),
            ("::", AddressClass::Unspecified),
            ("10.1.2.3", AddressClass::Private),
            ("172.16.0.1", AddressClass::Private),
            ("172.31.255.255", AddressClass::Private),
            ("192.168.1.1", AddressClass::Private),
            ("fd00::1", AddressClass::Private),
            ("169.254.169.254", AddressClass::LinkLocal),
            ("fe80::1", AddressClass::LinkLocal),
            ("100.64.0.1", AddressClass::SharedCgnat),
            ("100.127.255.255", AddressClass::SharedCgnat),
            ("224.0.0.1", AddressClass::Multicast),
            ("ff02::1", AddressClass::Multicast),
            ("255.255.255.255", AddressClass::Broadcast),
            ("240.0.0.1", AddressClass::Reserved),
            ("192.0.2.1", AddressClass::Documentation),
            ("2001:db8::1", AddressClass::Documentation),
        ];
        for (s, expected) in cases {
            assert_eq!(class(s), Some(expected), "{s}");
        }
    }

    #[test]
    fn ipv6_forms_embedding_ipv4_are_classified_by_the_ipv4_address() {
        assert_eq!(class("::ffff:127.0.0.1"), Some(AddressClass::Loopback));
        assert_eq!(class("::ffff:10.0.0.1"), Some(AddressClass::Private));
        assert_eq!(class("64:ff9b::169.254.169.254"), Some(AddressClass::LinkLocal));
        assert_eq!(class("2002:7f00:0001::1"), Some(AddressClass::Loopback));
        assert_eq!(class("::127.0.0.1"), Some(AddressClass::Reserved));
        assert_eq!(class("::ffff:8.8.8.8"), None);
    }

    /// An application resolver that counts its calls and answers every name with loopback.
    #[derive(Debug, Default)]
    struct CountingResolver(AtomicUsize);

    impl HostResolver for CountingResolver {
        fn resolve(&self, _: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(vec![SocketAddr::from((Ipv4Addr::LOCALHOST, port))])
        }
    }

    fn guarded(policy: NetworkPolicy) -> (GuardedResolver, Arc<CountingResolver>) {
        let counter = Arc::new(CountingResolver::default());
        let inner: Arc<dyn HostResolver> = counter.clone();
        let resolver = GuardedResolver::new(policy, Some(inner), Arc::default());
        (resolver, counter)
    }

    fn resolve(resolver: &GuardedResolver, uri: &str) -> Result<Vec<SocketAddr>, ureq::Error> {
        let timeout = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::from_secs(5),
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        let config = ureq::config::Config::default();
        resolver
            .resolve(&uri.parse().unwrap(), &config, timeout)
            .map(|addresses| addresses.iter().copied().collect())
    }

    fn refusal(error: ureq::Error) -> PolicyViolation {
        match error {
            ureq::Error::Other(source) => *source.downcast::<PolicyViolation>().unwrap(),
            other => panic!("not a refusal: {other:?}"),
        }
    }

    #[test]
    fn a_literal_is_its_own_address_without_a_resolver() {
        let (resolver, counter) = guarded(NetworkPolicy::default().allow_loopback());
        let cases = [
            ("http://127.0.0.1:8080/x", "127.0.0.1:8080"),
            ("http://127.0.0.1/", "127.0.0.1:80"),
            ("https://127.0.0.1/", "127.0.0.1:443"),
            ("http://[::1]:8080/", "[::1]:8080"),
            ("https://[::1]/", "[::1]:443"),
        ];
        for (uri, expected) in cases {
            assert_eq!(resolve(&resolver, uri).unwrap(), vec![expected.parse().unwrap()], "{uri}");
        }
        assert_eq!(counter.0.load(Ordering::SeqCst), 0);
        // A name still goes to the resolver.
        assert_eq!(
            resolve(&resolver, "http://op.test:81/").unwrap(),
            vec!["127.0.0.1:81".parse().unwrap()]
        );
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_denied_literal_is_refused_without_a_resolver() {
        let (resolver, counter) = guarded(NetworkPolicy::default());
        let cases = [
            ("http://127.0.0.1:8080/", AddressClass::Loopback),
            ("http://[::1]/", AddressClass::Loopback),
            ("http://[::ffff:127.0.0.1]/", AddressClass::Loopback),
            ("http://10.0.0.1/", AddressClass::Private),
            ("https://169.254.169.254/", AddressClass::LinkLocal),
            ("http://[fe80::1]/", AddressClass::LinkLocal),
        ];
        for (uri, expected) in cases {
            let violation = refusal(resolve(&resolver, uri).unwrap_err());
            assert!(
                matches!(violation, PolicyViolation::InternalAddress { class, .. } if class == expected),
                "{uri}: {violation:?}"
            );
        }
        assert_eq!(counter.0.load(Ordering::SeqCst), 0);
        // The policy's networks and host lists apply to a literal as to a resolved name.
        let policy = NetworkPolicy::default().deny_network("8.8.8.0/24".parse().unwrap());
        let (resolver, counter) = guarded(policy);
        assert!(matches!(
            refusal(resolve(&resolver, "http://8.8.8.8/").unwrap_err()),
            PolicyViolation::NetworkDenied { .. }
        ));
        assert_eq!(
            resolve(&resolver, "http://8.8.4.4/").unwrap(),
            vec!["8.8.4.4:80".parse().unwrap()]
        );
        assert_eq!(counter.0.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_literal_bypasses_the_system_resolver_too() {
        let resolver = GuardedResolver::new(NetworkPolicy::default(), None, Arc::default());
        assert!(matches!(
            refusal(resolve(&resolver, "http://127.0.0.1:1/").unwrap_err()),
            PolicyViolation::InternalAddress { class: AddressClass::Loopback, .. }
        ));
        assert_eq!(
            resolve(&resolver, "http://1.1.1.1/").unwrap(),
            vec!["1.1.1.1:80".parse().unwrap()]
        );
    }

    #[test]
    fn only_strict_literals_skip_the_resolver() {
        for uri in
            ["http://127.1/", "ftp://127.0.0.1/", "http://example.test/", "http://[::1%25lo]/"]
        {
            assert_eq!(literal_socket(&uri.parse().unwrap()), None, "{uri}");
        }
    }

    #[test]
    fn mapped_addresses_match_ipv4_networks() {
        let policy = NetworkPolicy::default().deny_network("8.8.8.0/24".parse().unwrap());
        let mapped: IpAddr = "::ffff:8.8.8.8".parse().unwrap();
        assert_eq!(
            policy.check_address("dns.example", mapped),
            Err(PolicyViolation::NetworkDenied { address: "8.8.8.8".parse().unwrap() })
        );
    }
}
