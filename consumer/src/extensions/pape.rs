//! Provider Authentication Policy Extension 1.0 (draft 5, reading draft 2 responses too):
//! ask for a kind of authentication (multi-factor, phishing-resistant) or a recent one, and
//! learn how the user authenticated.
//!
//! # Example
//! ```
//! use openid_consumer::extensions::pape::{PapeRequest, policy};
//! use openid_consumer::extensions::Extension;
//!
//! let request = PapeRequest::new().prefer(policy::MULTI_FACTOR).max_auth_age(3600);
//! assert!(request.args().contains(&("max_auth_age".to_owned(), "3600".to_owned())));
//! ```

use std::collections::BTreeMap;

use super::{Extension, ExtensionError, ExtensionResponse, valid_alias};
use crate::nonce;

/// PAPE 1.0's namespace.
pub const PAPE_NS: &str = "http://specs.openid.net/extensions/pape/1.0";

/// Authentication policies (section 4).
pub mod policy {
    /// Phishing-resistant authentication.
    pub const PHISHING_RESISTANT: &str =
        "http://schemas.openid.net/pape/policies/2007/06/phishing-resistant";
    /// Multi-factor authentication.
    pub const MULTI_FACTOR: &str = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
    /// Multi-factor authentication with a physical factor.
    pub const MULTI_FACTOR_PHYSICAL: &str =
        "http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical";
    /// No policy applied: what a response says when it met none.
    pub const NONE: &str = "http://schemas.openid.net/pape/policies/2007/06/none";
}

/// Authentication level types (section 5).
pub mod level {
    /// NIST SP 800-63 levels (0 to 4).
    pub const NIST: &str = "http://csrc.nist.gov/publications/nistpubs/800-63/SP800-63V1_0_2.pdf";
    /// JISA levels.
    pub const JISA: &str = "http://www.jisa.or.jp/spec/auth_level.html";
}

/// A PAPE request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PapeRequest {
    policies: Vec<String>,
    max_auth_age: Option<u64>,
    level_types: Vec<(String, String)>,
}

impl PapeRequest {
    /// A request preferring nothing in particular.
    pub fn new() -> Self {
        Self::default()
    }

    /// Prefers the policy `uri` (see [`policy`]).
    #[must_use]
    pub fn prefer(mut self, uri: impl Into<String>) -> Self {
        let uri = uri.into();
        if !self.policies.contains(&uri) {
            self.policies.push(uri);
        }
        self
    }

    /// Asks the provider to authenticate the user again if their last authentication is
    /// older than `seconds`.
    #[must_use]
    pub fn max_auth_age(mut self, seconds: u64) -> Self {
        self.max_auth_age = Some(seconds);
        self
    }

    /// Asks for the authentication level of a type ([`level::NIST`] and [`level::JISA`] get
    /// the aliases `nist` and `jisa`, others a free `level<n>`). Asking for a type
    /// twice keeps it once.
    #[must_use]
    pub fn level_type(mut self, uri: impl Into<String>) -> Self {
        let uri = uri.into();
        if self.level_types.iter().any(|(u, _)| *u == uri) {
            return self;
        }
        let free = |alias: &str| !self.level_types.iter().any(|(_, a)| a == alias);
        let alias = match uri.as_str() {
            level::NIST if free("nist") => "nist".to_owned(),
            level::JISA if free("jisa") => "jisa".to_owned(),
            // Of len + 1 candidates at least one is free.
            _ => (self.level_types.len()..=2 * self.level_types.len())
                .map(|n| format!("level{n}"))
                .find(|a| free(a))
                .unwrap_or_default(),
        };
        self.level_types.push((uri, alias));
        self
    }

    /// Asks for the authentication level of a type under a chosen alias.
    ///
    /// # Errors
    /// [`ExtensionError::Invalid`] when the alias is invalid or taken, or the type already
    /// asked for.
    pub fn level_type_alias(
        mut self,
        uri: impl Into<String>,
        alias: impl Into<String>,
    ) -> Result<Self, ExtensionError> {
        let (uri, alias) = (uri.into(), alias.into());
        if !valid_alias(&alias) || self.level_types.iter().any(|(u, a)| *a == alias || *u == uri) {
            return Err(ExtensionError::invalid(PAPE_NS, &alias, "is not a free, valid alias"));
        }
        self.level_types.push((uri, alias));
        Ok(self)
    }
}

impl Extension for PapeRequest {
    fn namespace(&self) -> &str {
        PAPE_NS
    }

    fn preferred_alias(&self) -> &'static str {
        "pape"
    }

    fn args(&self) -> Vec<(String, String)> {
        // Section 6.1: preferred_auth_policies is required, empty when nothing is preferred.
        let mut args = vec![("preferred_auth_policies".to_owned(), self.policies.join(" "))];
        if let Some(age) = self.max_auth_age {
            args.push(("max_auth_age".to_owned(), age.to_string()));
        }
        if !self.level_types.is_empty() {
            for (uri, alias) in &self.level_types {
                args.push((format!("auth_level.ns.{alias}"), uri.clone()));
            }
            let aliases: Vec<&str> = self.level_types.iter().map(|(_, a)| a.as_str()).collect();
            args.push(("preferred_auth_level_types".to_owned(), aliases.join(" ")));
        }
        args
    }
}

/// A PAPE response: the policies met, when the user last authenticated, and the levels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PapeResponse {
    policies: Vec<String>,
    auth_time: Option<i64>,
    levels: BTreeMap<String, String>,
}

impl PapeResponse {
    /// The policies the authentication met (the `none` marker is not listed).
    pub fn policies(&self) -> &[String] {
        &self.policies
    }

    /// Whether the authentication met the policy `uri`.
    pub fn has_policy(&self, uri: &str) -> bool {
        self.policies.iter().any(|p| p == uri)
    }

    /// When the user last authenticated, Unix seconds, if the provider said.
    pub fn auth_time(&self) -> Option<i64> {
        self.auth_time
    }

    /// The level of type `uri` (see [`level`]), if the provider gave one.
    pub fn auth_level(&self, uri: &str) -> Option<&str> {
        self.levels.get(uri).map(String::as_str)
    }
}

impl ExtensionResponse for PapeResponse {
    fn namespaces() -> &'static [&'static str] {
        &[PAPE_NS]
    }

    fn from_args(_: &str, args: &BTreeMap<String, String>) -> Result<Self, ExtensionError> {
        let policies = args
            .get("auth_policies")
            .ok_or_else(|| ExtensionError::invalid(PAPE_NS, "auth_policies", "is missing"))?
            .split_whitespace()
            .filter(|p| *p != policy::NONE)
            .map(str::to_owned)
            .collect();
        let auth_time = args.get("auth_time").map(|text| parse_auth_time(text)).transpose()?;
        let mut levels = BTreeMap::new();
        for (key, uri) in args {
            let Some(alias) = key.strip_prefix("auth_level.ns.") else { continue };
            if let Some(value) = args.get(&format!("auth_level.{alias}")) {
                levels.insert(uri.clone(), value.clone());
            }
        }
        // Draft 2 answered the NIST level alone.
        if let Some(nist) = args.get("nist_auth_level") {
            levels.entry(level::NIST.to_owned()).or_insert_with(|| nist.clone());
        }
        Ok(Self { policies, auth_time, levels })
    }
}

/// Section 6.2: `auth_time` is `YYYY-MM-DDTHH:MM:SSZ` (the time part of a response nonce).
fn parse_auth_time(text: &str) -> Result<i64, ExtensionError> {
    match nonce::split(text) {
        Ok((seconds, "")) => Ok(seconds),
        _ => {
            Err(ExtensionError::invalid(PAPE_NS, "auth_time", "is not a YYYY-MM-DDTHH:MM:SSZ time"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_request_always_names_its_preferred_policies_even_none() {
        assert_eq!(
            PapeRequest::new().args(),
            [("preferred_auth_policies".to_owned(), String::new())]
        );
        let request = PapeRequest::new()
            .prefer(policy::PHISHING_RESISTANT)
            .prefer(policy::MULTI_FACTOR)
            .level_type(level::NIST)
            .level_type("urn:custom");
        let args = request.args();
        assert!(args.contains(&(
            "preferred_auth_policies".to_owned(),
            format!("{} {}", policy::PHISHING_RESISTANT, policy::MULTI_FACTOR)
        )));
        assert!(args.contains(&("auth_level.ns.nist".to_owned(), level::NIST.to_owned())));
        assert!(args.contains(&("auth_level.ns.level1".to_owned(), "urn:custom".to_owned())));
        assert!(
            args.contains(&("preferred_auth_level_types".to_owned(), "nist level1".to_owned()))
        );
        assert!(PapeRequest::new().level_type_alias("urn:a", "a.b").is_err());
    }

    // `level<n>` counted the types asked so far, so after a chosen alias `level1` the next
    // type got `level1` too and was dropped without a word.
    #[test]
    fn a_level_type_is_asked_for_even_when_its_generated_alias_was_chosen_before() {
        let request =
            PapeRequest::new().level_type_alias("urn:a", "level1").unwrap().level_type("urn:b");
        let args = request.args();
        assert!(
            args.iter().any(|(k, v)| k.starts_with("auth_level.ns.") && v == "urn:b"),
            "{args:?}"
        );
    }

    #[test]
    fn a_response_gives_policies_time_and_levels() {
        let response = PapeResponse::from_args(
            PAPE_NS,
            &args(&[
                ("auth_policies", policy::MULTI_FACTOR),
                ("auth_time", "2026-12-02T01:00:00Z"),
                ("auth_level.ns.x", "urn:levels"),
                ("auth_level.x", "3"),
            ]),
        )
        .unwrap();
        assert!(response.has_policy(policy::MULTI_FACTOR));
        assert_eq!(response.auth_time(), Some(1_796_173_200));
        assert_eq!(response.auth_level("urn:levels"), Some("3"));
        let none =
            PapeResponse::from_args(PAPE_NS, &args(&[("auth_policies", policy::NONE)])).unwrap();
        assert!(none.policies().is_empty());
    }

    #[test]
    fn a_draft_2_response_gives_its_nist_level() {
        let response = PapeResponse::from_args(
            PAPE_NS,
            &args(&[("auth_policies", ""), ("nist_auth_level", "2")]),
        )
        .unwrap();
        assert_eq!(response.auth_level(level::NIST), Some("2"));
    }

    #[test]
    fn a_bad_auth_time_or_missing_policies_are_typed_errors() {
        for bad in [
            vec![("auth_policies", ""), ("auth_time", "yesterday")],
            vec![("auth_policies", ""), ("auth_time", "2026-12-02T01:00:00Zextra")],
            vec![("auth_time", "2026-12-02T01:00:00Z")],
        ] {
            assert!(matches!(
                PapeResponse::from_args(PAPE_NS, &args(&bad)),
                Err(ExtensionError::Invalid { .. })
            ));
        }
    }
}
