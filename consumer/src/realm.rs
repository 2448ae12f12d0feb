//! Realms (OpenID 2.0 section 9.2; "trust roots" in OpenID 1): the URL pattern a relying
//! party asks the user to trust, and the rule that every `return_to` must fall under it.

use std::fmt;
use std::net::IpAddr;

use crate::urinorm::{self, UrinormError};

/// Why a realm could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RealmError {
    /// The realm is not a valid absolute http(s) URL.
    #[error("realm is not a valid http or https URL: {0}")]
    Url(#[from] UrinormError),
    /// Non-ASCII text: a realm is sent on the wire as a URI.
    #[error(
        "realm contains non-ASCII characters; write international domain names in punycode (xn--...)"
    )]
    NonAscii,
    /// A realm may not have a fragment (OpenID 2.0 section 9.2).
    #[error("realm must not contain a fragment (#...)")]
    Fragment,
    /// A `*` anywhere but as the whole first label of the host.
    #[error("realm wildcard must be the first label of the host, as in http://*.example.com/")]
    MisplacedWildcard,
    /// User information (`user@`) in the realm.
    #[error("realm must not contain user information (user@host)")]
    UserInfo,
}

/// A parsed realm, such as `https://*.example.com/openid/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Realm {
    text: String,
    scheme: String,
    wildcard: bool,
    /// Lower-case host without the `*.` and without a trailing dot; empty for `*`.
    host: String,
    port: u16,
    /// Path and query.
    path: String,
}

impl Realm {
    /// Parses and normalises a realm.
    ///
    /// # Errors
    /// A [`RealmError`] that says what is wrong with it.
    ///
    /// # Example
    /// ```
    /// use openid_consumer::realm::Realm;
    ///
    /// let realm = Realm::parse("https://*.example.com/")?;
    /// assert!(realm.matches("https://www.example.com/openid/return?x=1"));
    /// assert!(!realm.matches("https://www.example.org/"));
    /// assert!(realm.is_sane());
    /// assert!(!Realm::parse("https://*.co.uk/")?.is_sane());
    /// # Ok::<(), openid_consumer::realm::RealmError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self, RealmError> {
        if !input.is_ascii() {
            return Err(RealmError::NonAscii);
        }
        let text = urinorm::normalize(input)?;
        let url = SplitUrl::of_normalized(&text);
        if url.fragment {
            return Err(RealmError::Fragment);
        }
        if url.userinfo {
            return Err(RealmError::UserInfo);
        }
        let (wildcard, host) = match url.host.strip_prefix('*') {
            Some("") => (true, ""),
            Some(rest) => match rest.strip_prefix('.') {
                // `*.` alone would leave an empty host that matched every host.
                Some("" | ".") | None => return Err(RealmError::MisplacedWildcard),
                Some(host) => (true, host),
            },
            None => (false, url.host),
        };
        if host.contains('*') {
            return Err(RealmError::MisplacedWildcard);
        }
        Ok(Self {
            scheme: url.scheme.to_owned(),
            wildcard,
            host: host.strip_suffix('.').unwrap_or(host).to_owned(),
            port: url.port,
            path: url.path.to_owned(),
            text,
        })
    }

    /// Whether `return_to` falls under this realm (OpenID 2.0 section 9.2): same scheme
    /// and port; the same host, or for a wildcard realm the host or any subdomain of it;
    /// and a path that equals the realm's or extends it at a `/` or `?` boundary (at `&`
    /// when the realm has a query). A `return_to` that is not a valid URL never matches.
    pub fn matches(&self, return_to: &str) -> bool {
        let Ok(normalized) = urinorm::normalize(return_to) else {
            return false;
        };
        let url = SplitUrl::of_normalized(&normalized);
        if url.scheme != self.scheme || url.port != self.port || url.host.contains('*') {
            return false;
        }
        let host = url.host.strip_suffix('.').unwrap_or(url.host);
        let host_ok = if self.wildcard {
            self.host.is_empty()
                || host == self.host
                || host.strip_suffix(self.host.as_str()).is_some_and(|sub| sub.ends_with('.'))
        } else {
            host == self.host
        };
        host_ok && self.path_matches(url.path)
    }

    /// Whether the realm is narrow enough to show a user (what a provider should check):
    /// not a bare wildcard, not a wildcard over a public suffix (`*.com`, `*.co.uk`,
    /// `*.github.io`), no unknown top-level domain, no empty labels.
    ///
    /// Public suffixes come from the Public Suffix List (the `psl` crate, updated with the
    /// list), not from a frozen list of TLDs. `localhost` and IP addresses without a
    /// wildcard are sane: they name one host.
    pub fn is_sane(&self) -> bool {
        let host = self.host.as_str();
        if host.is_empty() {
            return false;
        }
        if !self.wildcard && (host == "localhost" || is_ip_literal(host)) {
            return true;
        }
        if host.split('.').any(str::is_empty) {
            return false;
        }
        let known_suffix = psl::suffix(host.as_bytes()).is_some_and(|s| s.is_known());
        known_suffix && psl::domain(host.as_bytes()).is_some()
    }

    /// Whether the host starts with a `*` wildcard.
    pub fn is_wildcard(&self) -> bool {
        self.wildcard
    }

    /// The normalised realm, as sent in `openid.realm`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn path_matches(&self, path: &str) -> bool {
        if path == self.path {
            return true;
        }
        let Some(rest) = path.strip_prefix(self.path.as_str()) else {
            return false;
        };
        let allowed: &[char] = if self.path.contains('?') { &['&'] } else { &['?', '/'] };
        self.path.ends_with(allowed) || rest.starts_with(allowed)
    }
}

impl fmt::Display for Realm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn is_ip_literal(host: &str) -> bool {
    host.parse::<IpAddr>().is_ok()
        || host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .is_some_and(|h| h.parse::<IpAddr>().is_ok())
}

/// The parts of a URL that [`urinorm::normalize`] produced.
struct SplitUrl<'a> {
    scheme: &'a str,
    userinfo: bool,
    host: &'a str,
    port: u16,
    path: &'a str,
    fragment: bool,
}

impl<'a> SplitUrl<'a> {
    fn of_normalized(url: &'a str) -> Self {
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
        let (rest, fragment) = match rest.split_once('#') {
            Some((rest, _)) => (rest, true),
            None => (rest, false),
        };
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(authority_end);
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((_, hostport)) => (true, hostport),
            None => (false, authority),
        };
        let default_port = if scheme == "https" { 443 } else { 80 };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (host, port.parse().unwrap_or(0)),
            _ => (hostport, default_port),
        };
        Self { scheme, userinfo, host, port, path, fragment }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_name_the_problem() {
        assert_eq!(Realm::parse("http://*foo.com/"), Err(RealmError::MisplacedWildcard));
        assert_eq!(Realm::parse("http://foo.*.com/"), Err(RealmError::MisplacedWildcard));
        assert_eq!(Realm::parse("http://a.com/#x"), Err(RealmError::Fragment));
        assert_eq!(Realm::parse("http://u@a.com/"), Err(RealmError::UserInfo));
        assert_eq!(Realm::parse("http://π.com/"), Err(RealmError::NonAscii));
        assert!(matches!(Realm::parse("ftp://a.com/"), Err(RealmError::Url(_))));
        assert_eq!(
            Realm::parse("http://a.com/#x").unwrap_err().to_string(),
            "realm must not contain a fragment (#...)"
        );
    }

    #[test]
    fn a_wildcard_without_a_domain_after_it_is_refused() {
        assert_eq!(Realm::parse("http://*./"), Err(RealmError::MisplacedWildcard));
        assert_eq!(Realm::parse("http://*../"), Err(RealmError::MisplacedWildcard));
        assert!(Realm::parse("http://*/").is_ok_and(|r| !r.is_sane()));
    }

    #[test]
    fn wildcard_matches_host_and_subdomains_only() {
        let realm = Realm::parse("http://*.example.com/").unwrap();
        assert!(realm.matches("http://example.com/"));
        assert!(realm.matches("http://a.b.example.com/x"));
        assert!(!realm.matches("http://badexample.com/"));
        assert!(!realm.matches("http://example.com.evil.org/"));
    }

    #[test]
    fn ports_and_schemes_must_agree() {
        let realm = Realm::parse("https://example.com:8443/").unwrap();
        assert!(realm.matches("https://example.com:8443/a"));
        assert!(!realm.matches("https://example.com/a"));
        assert!(!realm.matches("http://example.com:8443/a"));
    }

    #[test]
    fn ip_literals_and_localhost_are_sane_without_wildcard() {
        assert!(Realm::parse("http://127.0.0.1:8000/").unwrap().is_sane());
        assert!(Realm::parse("http://[::1]:8000/").unwrap().is_sane());
        assert!(Realm::parse("http://[::1]:8000/").unwrap().matches("http://[::1]:8000/cb"));
        assert!(!Realm::parse("http://*.localhost/").unwrap().is_sane());
    }

    #[test]
    fn an_ipv6_literal_without_a_port_is_one_host_with_the_default_port() {
        let realm = Realm::parse("http://[::1]/").unwrap();
        assert!(realm.is_sane());
        assert!(realm.matches("http://[::1]/cb"));
        assert!(realm.matches("http://[::1]:80/cb"));
        assert!(!realm.matches("http://[::2]/cb"));
        assert!(!realm.matches("http://[::1]:8080/cb"));
    }

    #[test]
    fn the_wildcard_flag_and_the_text_say_what_was_parsed() {
        let wild = Realm::parse("http://*.example.com/").unwrap();
        let plain = Realm::parse("http://example.com/").unwrap();
        assert!(wild.is_wildcard());
        assert!(!plain.is_wildcard());
        assert_eq!(wild.to_string(), "http://*.example.com/");
        assert_eq!(wild.to_string(), wild.as_str());
    }

    #[test]
    fn private_public_suffixes_are_insane_under_wildcards() {
        assert!(!Realm::parse("https://*.github.io/").unwrap().is_sane());
        assert!(Realm::parse("https://*.me.github.io/").unwrap().is_sane());
    }
}
