//! Provider pinning: a site that accepts logins from known providers only (a "Sign in
//! through Steam" button, a company's single provider) says which, and every other
//! endpoint and identifier is refused before any request is made to it.

use regex::Regex;

use super::ConfigError;
use crate::discovery::ServiceEndpoint;

/// Which providers and identifiers a [`Consumer`](crate::Consumer) accepts.
///
/// An empty list means "any": a pin with endpoints but no patterns accepts every claimed
/// identifier those endpoints assert (they are still verified by discovery).
///
/// # Example
/// ```
/// use openid_consumer::ProviderPin;
///
/// let pin = ProviderPin::new()
///     .endpoint("https://openid.example.com/server")
///     .claimed_id_pattern(r"https://openid\.example\.com/user/[a-z]+")?
///     .refuse_delegation();
/// assert!(pin.allows_endpoint("https://openid.example.com/server"));
/// assert!(!pin.allows_endpoint("https://evil.example/server"));
/// assert!(pin.allows_claimed_id("https://openid.example.com/user/alice"));
/// assert!(!pin.allows_claimed_id("https://openid.example.com/user/alice/../bob"));
///
/// // The Steam profile: its endpoint, 17-digit ids, no delegation.
/// let steam = ProviderPin::steam();
/// assert!(steam.allows_claimed_id("https://steamcommunity.com/openid/id/76561197960287930"));
/// assert!(!steam.allows_claimed_id("https://steamcommunity.com/openid/id/7656119796028793"));
/// # Ok::<(), openid_consumer::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ProviderPin {
    endpoints: Vec<String>,
    claimed_ids: Vec<Regex>,
    refuse_delegation: bool,
}

impl ProviderPin {
    /// Steam's OpenID provider: endpoint `https://steamcommunity.com/openid/login`, claimed
    /// identifiers `https://steamcommunity.com/openid/id/` followed by 17 digits, no
    /// delegation. Steam does not associate: use it with a stateless consumer or let the
    /// association fail once (it is then not asked again for a while).
    ///
    /// # Panics
    /// Never: the pattern is a constant, compiled by this crate's tests.
    #[expect(clippy::expect_used, reason = "a constant pattern, compiled by the tests")]
    pub fn steam() -> Self {
        // Never an empty pattern list on error: that would allow every identifier.
        let claimed_id = Regex::new(STEAM_CLAIMED_ID).expect("the Steam pattern compiles");
        Self {
            endpoints: vec![STEAM_ENDPOINT.to_owned()],
            claimed_ids: vec![claimed_id],
            refuse_delegation: true,
        }
    }

    /// A pin that allows everything until endpoints or patterns are added.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows the provider endpoint `url` (compared exactly, as the provider sends it in
    /// `openid.op_endpoint`).
    #[must_use]
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoints.push(url.into());
        self
    }

    /// Allows claimed identifiers that match `pattern` as a whole (a regular expression in
    /// the syntax of the `regex` crate; it is anchored at both ends).
    ///
    /// # Errors
    /// [`ConfigError::InvalidPattern`] when the pattern does not compile.
    pub fn claimed_id_pattern(mut self, pattern: &str) -> Result<Self, ConfigError> {
        let anchored = format!("^(?:{pattern})$");
        let regex = Regex::new(&anchored).map_err(|error| ConfigError::InvalidPattern {
            pattern: pattern.to_owned(),
            reason: error.to_string(),
        })?;
        self.claimed_ids.push(regex);
        Ok(self)
    }

    /// Refuses delegated identifiers (a claimed identifier whose local identifier at the
    /// provider differs).
    #[must_use]
    pub fn refuse_delegation(mut self) -> Self {
        self.refuse_delegation = true;
        self
    }

    /// Whether `url` is an allowed provider endpoint.
    pub fn allows_endpoint(&self, url: &str) -> bool {
        self.endpoints.is_empty() || self.endpoints.iter().any(|allowed| allowed == url)
    }

    /// Whether `claimed_id` (its fragment ignored) is an allowed claimed identifier.
    pub fn allows_claimed_id(&self, claimed_id: &str) -> bool {
        let base = claimed_id.split_once('#').map_or(claimed_id, |(base, _)| base);
        self.claimed_ids.is_empty() || self.claimed_ids.iter().any(|re| re.is_match(base))
    }

    /// Whether `url` is listed by name (not merely allowed by an empty list): an endpoint
    /// the site trusts before any signature is verified.
    pub(crate) fn names_endpoint(&self, url: &str) -> bool {
        self.endpoints.iter().any(|allowed| allowed == url)
    }

    /// Whether delegated identifiers are refused.
    pub fn refuses_delegation(&self) -> bool {
        self.refuse_delegation
    }

    /// Whether a discovered endpoint may be used to start a login.
    pub(crate) fn allows(&self, endpoint: &ServiceEndpoint) -> bool {
        if !self.allows_endpoint(endpoint.server_url()) {
            return false;
        }
        if endpoint.is_op_identifier() {
            return true;
        }
        let claimed_ok = endpoint.claimed_id().is_none_or(|id| self.allows_claimed_id(id));
        let delegated =
            endpoint.declared_local_id().is_some_and(|local| Some(local) != endpoint.claimed_id());
        claimed_ok && !(self.refuse_delegation && delegated)
    }
}

/// Steam's OP endpoint.
const STEAM_ENDPOINT: &str = "https://steamcommunity.com/openid/login";
/// Steam's claimed identifiers: a 64-bit Steam id is 17 decimal digits.
const STEAM_CLAIMED_ID: &str = r"^https://steamcommunity\.com/openid/id/[0-9]{17}$";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_pin_allows_everything() {
        let pin = ProviderPin::new();
        assert!(pin.allows_endpoint("https://any.example/"));
        assert!(pin.allows_claimed_id("https://anyone.example/"));
        assert!(!pin.refuses_delegation());
    }

    #[test]
    fn patterns_are_anchored_at_both_ends() {
        let pin = ProviderPin::new().claimed_id_pattern("https://op\\.example/id/[0-9]+").unwrap();
        assert!(pin.allows_claimed_id("https://op.example/id/42"));
        assert!(pin.allows_claimed_id("https://op.example/id/42#fragment"));
        assert!(!pin.allows_claimed_id("https://op.example/id/42/x"));
        assert!(!pin.allows_claimed_id("https://evil.example/?https://op.example/id/42"));
    }

    #[test]
    fn a_bad_pattern_is_a_configuration_error_naming_it() {
        let error = ProviderPin::new().claimed_id_pattern("([").unwrap_err();
        assert!(error.to_string().contains("(["), "{error}");
    }

    #[test]
    fn steam_refuses_other_endpoints_and_delegation() {
        let steam = ProviderPin::steam();
        assert!(steam.allows_endpoint(STEAM_ENDPOINT));
        assert!(!steam.allows_endpoint("http://steamcommunity.com/openid/login"));
        let delegated = ServiceEndpoint::for_claimed_id(
            "https://steamcommunity.com/openid/id/76561197960287930",
            STEAM_ENDPOINT,
            Some("https://steamcommunity.com/openid/id/76561197960287931".to_owned()),
            vec![crate::discovery::endpoint::TYPE_SIGNON_2_0.to_owned()],
        );
        assert!(!steam.allows(&delegated));
        assert!(steam.allows(&ServiceEndpoint::from_op_endpoint_url(STEAM_ENDPOINT)));
    }
}
