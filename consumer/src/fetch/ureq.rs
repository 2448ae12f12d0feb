//! [`UreqFetcher`]: the [`Fetcher`] built on ureq 3.

use std::io;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ureq::Agent;
use ureq::unversioned::transport::DefaultConnector;
use url::Url;

use super::guard::{GuardedResolver, HostResolver};
use super::{FetchError, FetchResponse, Fetcher, NetworkPolicy, USER_AGENT, redact_userinfo};
use crate::excerpt::Excerpt;

/// The library's [`Fetcher`], on ureq 3 with rustls.
///
/// - Redirects (301, 302, 303, 307, 308) are followed here, not by ureq, so every hop goes
///   through [`NetworkPolicy::check_url`]; a relative `Location` is resolved against the hop's
///   URL; 303, and 301/302 after a POST, continue with GET (as browsers do); a URL seen twice
///   is a [`FetchError::RedirectLoop`]. A redirect status without `Location` is returned as
///   the response.
/// - A POST ([`Fetcher::post_form`]) is redirected only within the origin it was sent to,
///   or from `http` to `https` on the same host (default ports): a 307 or 308 repeats the
///   body, which for `check_authentication` is the whole assertion. Any other redirect is
///   [`PolicyViolation::CrossOriginPostRedirect`](super::PolicyViolation).
/// - Name resolution goes through the address guard, so the address connected to is the
///   address checked, whatever DNS answers the second time.
/// - The connect timeout applies to each connection, the total timeout to the whole fetch
///   (all hops and the body).
/// - Environment proxies (`HTTP_PROXY`, ...) are ignored: the guard must see the real target.
///
/// One ureq agent (and connection pool) is kept per distinct policy, for the last few policies.
#[derive(Debug, Default)]
pub struct UreqFetcher {
    resolver: Option<Arc<dyn HostResolver>>,
    agents: Mutex<Vec<(NetworkPolicy, Agent)>>,
    /// Threads running `resolver` now, shared by the agents (see [`GuardedResolver`]).
    resolving: Arc<AtomicUsize>,
}

impl UreqFetcher {
    /// A fetcher that resolves names with the system resolver.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fetcher that resolves names with `resolver` (its answers still go through the guard).
    /// An IP literal in a URL is not passed to it: that address is checked and connected to.
    ///
    /// Each lookup runs on a thread of its own, bounded by the fetch's timeout; a lookup
    /// that outlives it keeps its thread, and while 32 such threads are busy further
    /// fetches time out at once rather than start another.
    pub fn with_resolver(resolver: Arc<dyn HostResolver>) -> Self {
        Self { resolver: Some(resolver), ..Self::default() }
    }

    fn agent(&self, policy: &NetworkPolicy) -> Agent {
        let mut agents = self.agents.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, agent)) = agents.iter().find(|(key, _)| key == policy) {
            return agent.clone();
        }
        let config = Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .proxy(None)
            .user_agent(USER_AGENT)
            .timeout_connect(Some(policy.connect_timeout))
            .timeout_global(Some(policy.total_timeout))
            .build();
        let resolver = GuardedResolver::new(
            policy.clone(),
            self.resolver.clone(),
            Arc::clone(&self.resolving),
        );
        let agent = Agent::with_parts(config, DefaultConnector::default(), resolver);
        if agents.len() >= MAX_AGENTS {
            agents.remove(0);
        }
        agents.push((policy.clone(), agent.clone()));
        agent
    }

    fn fetch(
        &self,
        start: &str,
        mut method: Method,
        headers: &[(&str, &str)],
        form: &[(&str, &str)],
        policy: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError> {
        // A huge timeout (Duration::MAX as "no limit") has no representable deadline.
        let deadline = Instant::now().checked_add(policy.total_timeout);
        let agent = self.agent(policy);
        let mut url = Url::parse(start)
            .map_err(|source| FetchError::InvalidUrl { url: shown(start), source })?;
        let mut visited: Vec<(Method, Url)> = Vec::new();
        // Where a POST may be redirected: its first URL's origin (see `may_redirect_post`).
        let post_origin = (method == Method::Post).then(|| url.clone());
        loop {
            url.set_fragment(None);
            policy
                .check_url(&url)
                .map_err(|reason| FetchError::PolicyDenied { url: shown(url.as_str()), reason })?;
            let remaining = deadline.map_or(policy.total_timeout, |deadline| {
                deadline.saturating_duration_since(Instant::now())
            });
            if remaining.is_zero() {
                return Err(FetchError::Timeout { url: shown(url.as_str()) });
            }
            tracing::debug!(url = %logged(&url), ?method, "fetching");
            let mut response = send(&agent, method, &url, headers, form, remaining)
                .map_err(|error| map_error(&url, error))?;
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get("location")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            if let (true, Some(location)) = (is_redirect(status), location) {
                if visited.len() >= usize::try_from(policy.max_redirects).unwrap_or(usize::MAX) {
                    return Err(FetchError::TooManyRedirects {
                        url: shown(start),
                        limit: policy.max_redirects,
                    });
                }
                let next = url
                    .join(location.trim())
                    .map_err(|source| FetchError::InvalidUrl { url: shown(&location), source })?;
                if let Some(origin) = &post_origin
                    && !may_redirect_post(origin, &next)
                {
                    return Err(FetchError::PolicyDenied {
                        url: shown(next.as_str()),
                        reason: super::PolicyViolation::CrossOriginPostRedirect,
                    });
                }
                // RFC 9110 section 15.4: 303 always, and 301/302 after POST in practice, turn
                // the next request into a GET; 307 and 308 repeat the method.
                let next_method = match (status, method) {
                    (303, _) | (301 | 302, Method::Post) => Method::Get,
                    _ => method,
                };
                visited.push((method, url));
                let mut next_key = next.clone();
                next_key.set_fragment(None);
                if visited.iter().any(|(m, u)| *m == next_method && *u == next_key) {
                    return Err(FetchError::RedirectLoop { url: shown(next_key.as_str()) });
                }
                tracing::debug!(status, to = %logged(&next), "following redirect");
                url = next;
                method = next_method;
                continue;
            }
            let headers = response
                .headers()
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let limit = policy.max_body_bytes;
            if response.body().content_length().is_some_and(|length| length > limit) {
                return Err(FetchError::TooLarge { url: shown(url.as_str()), limit });
            }
            let body = response
                .body_mut()
                .with_config()
                .limit(limit)
                .read_to_vec()
                .map_err(|error| map_error(&url, error))?;
            return Ok(FetchResponse { final_url: url.to_string(), status, headers, body });
        }
    }
}

impl Fetcher for UreqFetcher {
    fn get(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        policy: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError> {
        self.fetch(url, Method::Get, headers, &[], policy)
    }

    fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        policy: &NetworkPolicy,
    ) -> Result<FetchResponse, FetchError> {
        self.fetch(url, Method::Post, &[], form, policy)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

fn send(
    agent: &Agent,
    method: Method,
    url: &Url,
    headers: &[(&str, &str)],
    form: &[(&str, &str)],
    remaining: Duration,
) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    match method {
        Method::Get => {
            let mut request = agent.get(url.as_str());
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            request.config().timeout_global(Some(remaining)).build().call()
        }
        Method::Post => {
            let mut request = agent.post(url.as_str());
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            request.config().timeout_global(Some(remaining)).build().send_form(form.iter().copied())
        }
    }
}

/// A URL as errors show it: credentials hidden.
fn shown(url: &str) -> String {
    redact_userinfo(url).into_owned()
}

/// A URL as the log shows it: credentials hidden, and cut (a `Location` can be 64 KiB).
fn logged(url: &Url) -> String {
    Excerpt(&redact_userinfo(url.as_str())).to_string()
}

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Whether a POST first sent to `from` may follow a redirect to `to`: same origin (scheme,
/// host, port), or the `https` upgrade of an `http` URL on the same host with default ports.
/// Every hop is compared with the first URL, so a chain cannot walk away one step at a time.
fn may_redirect_post(from: &Url, to: &Url) -> bool {
    if from.origin() == to.origin() {
        return true;
    }
    from.scheme() == "http"
        && to.scheme() == "https"
        && from.host() == to.host()
        && from.port_or_known_default() == Some(80)
        && to.port_or_known_default() == Some(443)
}

/// Maps ureq's error to the outcome it means; the address guard's refusal travels through
/// ureq as `Error::Other` and comes back out as [`FetchError::PolicyDenied`].
fn map_error(url: &Url, error: ureq::Error) -> FetchError {
    if let ureq::Error::Io(io) = error {
        return map_io(url, io);
    }
    let url = shown(url.as_str());
    match error {
        ureq::Error::Timeout(_) => FetchError::Timeout { url },
        ureq::Error::BodyExceedsLimit(limit) => FetchError::TooLarge { url, limit },
        ureq::Error::Other(source) => match source.downcast::<super::PolicyViolation>() {
            Ok(reason) => FetchError::PolicyDenied { url, reason: *reason },
            Err(source) => FetchError::Transport { url, source },
        },
        error @ (ureq::Error::HostNotFound | ureq::Error::ConnectionFailed) => {
            FetchError::Connect { url, source: Box::new(error) }
        }
        error => FetchError::Transport { url, source: Box::new(error) },
    }
}

fn map_io(url: &Url, io: io::Error) -> FetchError {
    let kind = io.kind();
    if matches!(kind, io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) {
        return FetchError::Timeout { url: shown(url.as_str()) };
    }
    // Errors raised while reading the body come back wrapped in io::Error.
    if io.get_ref().is_some_and(<dyn std::error::Error + Send + Sync>::is::<ureq::Error>) {
        return match io
            .into_inner()
            .map(<dyn std::error::Error + Send + Sync>::downcast::<ureq::Error>)
        {
            Some(Ok(error)) => map_error(url, *error),
            Some(Err(source)) => FetchError::Transport { url: shown(url.as_str()), source },
            None => FetchError::Transport {
                url: shown(url.as_str()),
                source: Box::new(io::Error::from(kind)),
            },
        };
    }
    let url = shown(url.as_str());
    match kind {
        io::ErrorKind::ConnectionRefused
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::NotFound
        | io::ErrorKind::AddrNotAvailable => FetchError::Connect { url, source: Box::new(io) },
        _ => FetchError::Transport { url, source: Box::new(io) },
    }
}

/// Agents kept for distinct policies (an application normally uses one or two).
const MAX_AGENTS: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;

    fn may(from: &str, to: &str) -> bool {
        may_redirect_post(&Url::parse(from).unwrap(), &Url::parse(to).unwrap())
    }

    #[test]
    fn a_post_may_be_redirected_within_its_origin_or_to_https_on_the_same_host() {
        assert!(may("https://op.example/a", "https://op.example/b?x"));
        assert!(may("https://op.example:8443/a", "https://OP.example:8443/b"));
        assert!(may("http://op.example/a", "https://op.example/a"));
        assert!(may("http://op.example:80/a", "https://op.example:443/a"));
    }

    #[test]
    fn a_post_may_not_be_redirected_to_another_host_port_or_to_http() {
        for (from, to) in [
            ("https://op.example/a", "https://evil.example/a"),
            ("https://op.example/a", "https://sub.op.example/a"),
            ("https://op.example/a", "https://op.example:444/a"),
            ("https://op.example/a", "http://op.example/a"),
            ("http://op.example:8080/a", "https://op.example/a"),
            ("http://op.example/a", "https://op.example:8443/a"),
            ("http://127.0.0.1:1000/a", "http://127.0.0.1:1001/a"),
        ] {
            assert!(!may(from, to), "{from} -> {to}");
        }
    }
}
