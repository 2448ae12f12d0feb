//! The login flow: [`Consumer::begin`] when the user submits an identifier, and
//! [`Consumer::complete`] when the provider sends the browser back.
//!
//! See the [crate documentation](crate) for a whole login.

mod auth_request;
mod callback;
mod check_auth;
mod complete;
mod failure;
mod pending;
mod pinning;
mod response;
mod verify;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use url::Url;

pub use self::auth_request::{AuthRequest, IDENTIFIER_SELECT, Navigation};
pub use self::callback::CallbackArgs;
pub use self::failure::{
    BeginError, DiscoveredField, Failure, FailureReason, RequestError, UrlPart,
};
pub use self::pending::{PENDING_AUTH_VERSION, PendingAuth, RETURN_TO_NONCE_ARG};
pub use self::pinning::ProviderPin;
pub use self::response::{AnonymousResponse, Response, SignedFields, SuccessResponse};
use crate::associate::{self, AssociationPreferences, EndpointKind};
use crate::discovery::{Discoverer, DiscoveryConfig, ServiceEndpoint};
use crate::excerpt::Excerpt;
use crate::fetch::{Fetcher, NetworkPolicy, UreqFetcher};
use crate::store::{Clock, OpenIdStore, SystemClock};

/// A relying party: the site's OpenID configuration, shared by every login (cheap to clone,
/// `Send + Sync`).
///
/// Made with [`Consumer::builder`]. See the [crate documentation](crate) for a login.
#[derive(Clone)]
pub struct Consumer {
    inner: Arc<Inner>,
}

/// The configuration and the little state a consumer keeps.
struct Inner {
    store: Option<Arc<dyn OpenIdStore>>,
    fetcher: Arc<dyn Fetcher>,
    policy: NetworkPolicy,
    discoverer: Discoverer,
    associations: AssociationPreferences,
    clock: Arc<dyn Clock>,
    allow_unsolicited: bool,
    allow_identifierless: bool,
    pin: Option<ProviderPin>,
    public_base: Option<Url>,
    pending_max_age: i64,
    /// Providers whose association failed, and until when they are not asked again.
    association_failures: Mutex<HashMap<String, i64>>,
}

impl Consumer {
    /// A builder: choose a store (or stateless mode), then anything else.
    pub fn builder() -> ConsumerBuilder {
        ConsumerBuilder::default()
    }

    /// Starts a login for what the user typed (a URL, a bare domain, or an XRI when the
    /// discovery configuration has a proxy): discovers the identifier's endpoints, takes
    /// the first one the consumer allows, and associates with it (unless stateless).
    ///
    /// # Errors
    /// [`BeginError`]: discovery failed, no allowed endpoint, or the store failed.
    pub fn begin(&self, user_input: &str) -> Result<AuthRequest, BeginError> {
        let inner = &self.inner;
        let discovered = inner.discoverer.discover(user_input, &*inner.fetcher, &inner.policy)?;
        let found: Vec<&str> =
            discovered.endpoints.iter().map(ServiceEndpoint::server_url).collect();
        let endpoint = discovered
            .endpoints
            .iter()
            .filter(|endpoint| endpoint.longest_url().1 <= MAX_URL_BYTES)
            .find(|endpoint| inner.pin.as_ref().is_none_or(|pin| pin.allows(endpoint)))
            .cloned()
            .ok_or_else(|| BeginError::NoAllowedEndpoint {
                claimed_id: discovered.claimed_id.clone(),
                found: found.join(", "),
            })?;
        self.begin_with_endpoint(endpoint)
    }

    /// Starts a login at a known endpoint, without discovery: for a site with one provider
    /// (`ServiceEndpoint::from_op_endpoint_url("https://steamcommunity.com/openid/login")`),
    /// or with an endpoint the application discovered itself.
    ///
    /// # Errors
    /// [`BeginError::InvalidEndpoint`], [`BeginError::NoAllowedEndpoint`] (pinning),
    /// [`BeginError::Store`], [`BeginError::Random`].
    pub fn begin_with_endpoint(
        &self,
        endpoint: ServiceEndpoint,
    ) -> Result<AuthRequest, BeginError> {
        let inner = &self.inner;
        let url_ok = Url::parse(endpoint.server_url())
            .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some());
        if !url_ok {
            return Err(BeginError::InvalidEndpoint {
                url: crate::excerpt::bounded(endpoint.server_url()),
            });
        }
        // Bounds what a login keeps (PendingAuth) and what the consumer remembers.
        let (what, len) = endpoint.longest_url();
        if len > MAX_URL_BYTES {
            return Err(BeginError::TooLong { what, limit: MAX_URL_BYTES });
        }
        if inner.pin.as_ref().is_some_and(|pin| !pin.allows(&endpoint)) {
            return Err(BeginError::NoAllowedEndpoint {
                claimed_id: endpoint.claimed_id().unwrap_or_default().to_owned(),
                found: endpoint.server_url().to_owned(),
            });
        }
        let now = inner.clock.now();
        let assoc_handle = self.association_for(&endpoint, now)?;
        let nonce = pending::new_nonce(now).map_err(|error| match error {
            crate::nonce::NonceError::Random(random) => BeginError::Random(random),
            // The clock is outside the years 1 to 9999: nothing sensible can be done.
            other => BeginError::Clock(other),
        })?;
        tracing::info!(
            target: "openid_consumer",
            endpoint = %Excerpt(endpoint.server_url()),
            claimed_id = %Excerpt(endpoint.claimed_id().unwrap_or("(provider chooses)")),
            stateless = assoc_handle.is_none(),
            "login started"
        );
        Ok(AuthRequest::new(endpoint, assoc_handle, nonce, inner.public_base.clone()))
    }

    /// Checks the provider's answer, when the browser comes back to `return_to`.
    ///
    /// - `pending`: the [`PendingAuth`] of this browser's login (from its session), or
    ///   `None` when there is none (an unsolicited assertion, refused unless allowed).
    /// - `args`: the callback's arguments: the raw query string of a GET, the form of a
    ///   POST, or decoded pairs (see [`CallbackArgs`]).
    /// - `current_url`: the URL the browser came to, with its query: absolute, or a path
    ///   when the consumer has a public base URL.
    ///
    /// The checks run in the order of OpenID 2.0 section 11, signature before any network
    /// request: fields and signed fields, `return_to`, this browser's login, the signature
    /// (with the stored association, or `check_authentication`), the nonce, and the
    /// discovered information. Hostile input never panics and never gives an `Err`: it
    /// gives [`Response::Failure`] naming the check that failed. A store error fails the
    /// login (fail closed).
    pub fn complete<'a>(
        &self,
        pending: Option<&PendingAuth>,
        args: impl Into<CallbackArgs<'a>>,
        current_url: &str,
    ) -> Response {
        complete::complete(&self.inner, pending, args.into(), current_url)
    }

    /// The store, when the consumer is not stateless.
    pub fn store(&self) -> Option<&Arc<dyn OpenIdStore>> {
        self.inner.store.as_ref()
    }

    /// The network policy every request goes through.
    pub fn policy(&self) -> &NetworkPolicy {
        &self.inner.policy
    }

    /// The association to use for a login at `endpoint`: a stored one with enough life
    /// left, else a new one; `None` (stateless) when there is no store or the provider
    /// does not associate.
    fn association_for(
        &self,
        endpoint: &ServiceEndpoint,
        now: i64,
    ) -> Result<Option<String>, BeginError> {
        let inner = &self.inner;
        let Some(store) = &inner.store else { return Ok(None) };
        let server_url = endpoint.server_url();
        if let Some(existing) = store.get_association(server_url, None)?
            && existing.expires_in(now) >= inner.associations.min_remaining_lifetime
        {
            return Ok(Some(existing.handle().to_owned()));
        }
        if inner.recently_failed(server_url, now) {
            return Ok(None);
        }
        let kind = EndpointKind::of(server_url, endpoint.compat_mode());
        match associate::associate(
            &*inner.fetcher,
            &inner.policy,
            server_url,
            kind,
            &inner.associations,
            now,
        ) {
            Ok(associate::Negotiated { association, .. }) => {
                store.store_association(server_url, &association)?;
                tracing::debug!(
                    target: "openid_consumer",
                    endpoint = server_url,
                    assoc_type = association.assoc_type().as_str(),
                    lifetime = association.lifetime(),
                    "associated"
                );
                Ok(Some(association.handle().to_owned()))
            }
            Err(error) => {
                tracing::info!(
                    target: "openid_consumer",
                    endpoint = server_url,
                    %error,
                    "association failed; this login is stateless"
                );
                inner.remember_failure(server_url, now);
                Ok(None)
            }
        }
    }
}

impl Inner {
    fn recently_failed(&self, server_url: &str, now: i64) -> bool {
        let failures = self.association_failures.lock().unwrap_or_else(PoisonError::into_inner);
        failures.get(server_url).is_some_and(|until| now < *until)
    }

    fn remember_failure(&self, server_url: &str, now: i64) {
        let mut failures = self.association_failures.lock().unwrap_or_else(PoisonError::into_inner);
        if failures.len() >= MAX_REMEMBERED_FAILURES {
            // Bounded memory whatever the number of providers: forget them all at once.
            failures.clear();
        }
        failures.insert(
            server_url.to_owned(),
            now.saturating_add(self.associations.retry_after_failure),
        );
    }
}

/// The longest endpoint URL or identifier a login accepts, in bytes. Real ones are under
/// 200; browsers and servers commonly refuse URLs over 8 KiB, and a login's state
/// ([`PendingAuth`]) must fit a cookie.
pub const MAX_URL_BYTES: usize = 2_048;

/// How many failed providers are remembered at most.
const MAX_REMEMBERED_FAILURES: usize = 1_000;

impl fmt::Debug for Consumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Consumer")
            .field("stateless", &inner.store.is_none())
            .field("policy", &inner.policy)
            .field("associations", &inner.associations)
            .field("allow_unsolicited", &inner.allow_unsolicited)
            .field("allow_identifierless", &inner.allow_identifierless)
            .field("pin", &inner.pin)
            .field("public_base", &inner.public_base.as_ref().map(Url::as_str))
            .finish_non_exhaustive()
    }
}

/// A mistake in a consumer's configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Both a store and stateless mode were chosen.
    #[error("choose either a store or stateless mode, not both")]
    StoreAndStateless,
    /// A duration setting is out of its range.
    #[error("{setting} must be {rule} (seconds), not {value}")]
    InvalidDuration {
        /// The setting.
        setting: &'static str,
        /// The value given.
        value: i64,
        /// What it must be.
        rule: &'static str,
    },
    /// Neither a store nor stateless mode was chosen.
    #[error(
        "choose a store for associations and nonces (ConsumerBuilder::store, for example \
         Arc::new(MemoryStore::new()) or a store of an openid-store-* crate), or call \
         ConsumerBuilder::stateless() to verify every login with the provider instead"
    )]
    NoStoreChoice,
    /// The public base URL is not an absolute http or https URL without query or fragment.
    #[error(
        "invalid public base URL {url:?}: {reason} (it looks like https://example.com or \
         https://example.com/prefix)"
    )]
    InvalidPublicBaseUrl {
        /// The URL given.
        url: String,
        /// Why.
        reason: &'static str,
    },
    /// A claimed-identifier pattern of a [`ProviderPin`] does not compile.
    #[error("invalid claimed identifier pattern {pattern:?}: {reason}")]
    InvalidPattern {
        /// The pattern.
        pattern: String,
        /// The regex compiler's message.
        reason: String,
    },
    /// The association preferences allow nothing, or a type with a session it cannot use.
    #[error("invalid association preferences: {0}")]
    InvalidAssociations(&'static str),
}

/// Builds a [`Consumer`]; see [`Consumer::builder`].
#[derive(Default)]
#[must_use]
pub struct ConsumerBuilder {
    store: Option<Arc<dyn OpenIdStore>>,
    stateless: bool,
    fetcher: Option<Arc<dyn Fetcher>>,
    policy: Option<NetworkPolicy>,
    discovery: Option<DiscoveryConfig>,
    associations: Option<AssociationPreferences>,
    clock: Option<Arc<dyn Clock>>,
    allow_unsolicited: bool,
    allow_identifierless: bool,
    pin: Option<ProviderPin>,
    public_base_url: Option<String>,
    pending_max_age: Option<i64>,
}

impl ConsumerBuilder {
    /// The store of associations and nonces (shared by every process of the site).
    pub fn store(mut self, store: Arc<dyn OpenIdStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// No store: every login is verified by a `check_authentication` request to the
    /// provider, and replay protection is left to the provider (OpenID 2.0 section
    /// 11.4.2.1 obliges it to verify each assertion once). Weaker than a store, and one
    /// more request per login; what Steam logins use.
    pub fn stateless(mut self) -> Self {
        self.stateless = true;
        self
    }

    /// How requests are made (default: [`UreqFetcher`]).
    pub fn fetcher(mut self, fetcher: Arc<dyn Fetcher>) -> Self {
        self.fetcher = Some(fetcher);
        self
    }

    /// The network policy of every request (default: [`NetworkPolicy::default`], which
    /// refuses internal addresses).
    pub fn policy(mut self, policy: NetworkPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Discovery settings: an XRI proxy, a cache.
    pub fn discovery(mut self, config: DiscoveryConfig) -> Self {
        self.discovery = Some(config);
        self
    }

    /// Which associations to ask for and when to reuse them.
    pub fn associations(mut self, preferences: AssociationPreferences) -> Self {
        self.associations = Some(preferences);
        self
    }

    /// The clock (default: the system's). Nonces, associations and logins are timed by it.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Accepts assertions that arrive without a login in progress (OpenID 2.0 section
    /// 10: "unsolicited positive assertions"). Off by default: most sites never need them,
    /// and they allow login CSRF.
    ///
    /// Such an assertion is verified with a stored association of the endpoint that signed
    /// it, or by `check_authentication` only to an endpoint the site's [`ProviderPin`]
    /// names: before its signature is known, an unsolicited assertion never makes the site
    /// fetch what it names (CVE-2019-11027). Its claimed identifier is then verified by
    /// discovery.
    pub fn allow_unsolicited(mut self, allow: bool) -> Self {
        self.allow_unsolicited = allow;
        self
    }

    /// Accepts verified assertions without an identifier for every login, as
    /// [`Response::Anonymous`]. Off by default: then only logins that asked for one
    /// (`AuthRequest::set_anonymous`) accept them.
    pub fn allow_identifierless(mut self, allow: bool) -> Self {
        self.allow_identifierless = allow;
        self
    }

    /// Restricts logins to some providers and identifiers ([`ProviderPin::steam`], ...).
    pub fn pin(mut self, pin: ProviderPin) -> Self {
        self.pin = Some(pin);
        self
    }

    /// The site's public URL when it runs behind a reverse proxy (`https://example.com`, or
    /// with a path prefix the proxy removes): the URL the browser comes back to is
    /// checked against it instead of the address the application sees, and `return_to` may
    /// be given as a path.
    pub fn public_base_url(mut self, url: impl Into<String>) -> Self {
        self.public_base_url = Some(url.into());
        self
    }

    /// How long a login may take from `begin` to `complete`, in seconds (default 3,600).
    pub fn pending_max_age(mut self, seconds: i64) -> Self {
        self.pending_max_age = Some(seconds);
        self
    }

    /// The consumer.
    ///
    /// # Errors
    /// [`ConfigError`]: no store choice, an invalid public base URL, association
    /// preferences that allow nothing.
    pub fn build(self) -> Result<Consumer, ConfigError> {
        let store = match (self.store, self.stateless) {
            (None, false) => return Err(ConfigError::NoStoreChoice),
            (Some(_), true) => return Err(ConfigError::StoreAndStateless),
            (store, _) => store,
        };
        let pending_max_age = self.pending_max_age.unwrap_or(DEFAULT_PENDING_MAX_AGE);
        if pending_max_age <= 0 {
            return Err(ConfigError::InvalidDuration {
                setting: "pending_max_age",
                value: pending_max_age,
                rule: "positive",
            });
        }
        let public_base = self.public_base_url.map(|text| parse_public_base(&text)).transpose()?;
        let associations = self.associations.unwrap_or_default();
        if associations.allowed.is_empty() {
            return Err(ConfigError::InvalidAssociations("no association type is allowed"));
        }
        if associations.allowed.iter().any(|(a, s)| !a.is_compatible_with(*s)) {
            return Err(ConfigError::InvalidAssociations(
                "HMAC-SHA1 goes with DH-SHA1 and HMAC-SHA256 with DH-SHA256 (or no-encryption)",
            ));
        }
        for (setting, value) in [
            ("min_remaining_lifetime", associations.min_remaining_lifetime),
            ("retry_after_failure", associations.retry_after_failure),
        ] {
            if value < 0 {
                return Err(ConfigError::InvalidDuration { setting, value, rule: "zero or more" });
            }
        }
        Ok(Consumer {
            inner: Arc::new(Inner {
                store,
                fetcher: self.fetcher.unwrap_or_else(|| Arc::new(UreqFetcher::new())),
                policy: self.policy.unwrap_or_default(),
                discoverer: Discoverer::new(self.discovery.unwrap_or_default()),
                associations,
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
                allow_unsolicited: self.allow_unsolicited,
                allow_identifierless: self.allow_identifierless,
                pin: self.pin,
                public_base,
                pending_max_age,
                association_failures: Mutex::new(HashMap::new()),
            }),
        })
    }
}

impl fmt::Debug for ConsumerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsumerBuilder")
            .field("has_store", &self.store.is_some())
            .field("stateless", &self.stateless)
            .finish_non_exhaustive()
    }
}

/// A login may take an hour from `begin` to `complete`: time to register at the provider.
const DEFAULT_PENDING_MAX_AGE: i64 = 3_600;

fn parse_public_base(text: &str) -> Result<Url, ConfigError> {
    let invalid = |reason| ConfigError::InvalidPublicBaseUrl { url: text.to_owned(), reason };
    let url = Url::parse(text).map_err(|_| invalid("it is not an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("it must be http or https"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query or fragment"));
    }
    if url.host().is_none() {
        return Err(invalid("it has no host"));
    }
    Ok(url)
}
