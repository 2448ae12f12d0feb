//! Simple Registration 1.0 and 1.1: nine profile fields a provider may share.
//!
//! Requests name fields as `required` or `optional` (and may point at the site's privacy
//! policy); responses carry the values the user agreed to share.
//!
//! # Example
//! ```
//! use openid_consumer::extensions::sreg::{SregField, SregRequest};
//! use openid_consumer::extensions::Extension;
//!
//! let request = SregRequest::new()
//!     .require(SregField::Email)
//!     .ask(SregField::Nickname)
//!     .policy_url("https://example.com/privacy");
//! assert_eq!(request.args(), [
//!     ("required".to_owned(), "email".to_owned()),
//!     ("optional".to_owned(), "nickname".to_owned()),
//!     ("policy_url".to_owned(), "https://example.com/privacy".to_owned()),
//! ]);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::{Extension, ExtensionError, ExtensionResponse};
use crate::discovery::ServiceEndpoint;

/// Simple Registration 1.1's namespace.
pub const SREG_1_1_NS: &str = crate::message::SREG_1_1_NS;
/// Simple Registration 1.0's namespace (also its service type in XRDS).
pub const SREG_1_0_NS: &str = "http://openid.net/sreg/1.0";

/// The nine fields of Simple Registration (section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SregField {
    /// `nickname`: the name the user goes by.
    Nickname,
    /// `email`: the user's e-mail address.
    Email,
    /// `fullname`: the full name.
    Fullname,
    /// `dob`: date of birth, `YYYY-MM-DD` (zeros for parts not given).
    Dob,
    /// `gender`: `M` or `F`.
    Gender,
    /// `postcode`.
    Postcode,
    /// `country`: ISO 3166 country code.
    Country,
    /// `language`: ISO 639 language code.
    Language,
    /// `timezone`: a zoneinfo name such as `Europe/Paris`.
    Timezone,
}

impl SregField {
    /// Every field.
    pub const ALL: [Self; 9] = [
        Self::Nickname,
        Self::Email,
        Self::Fullname,
        Self::Dob,
        Self::Gender,
        Self::Postcode,
        Self::Country,
        Self::Language,
        Self::Timezone,
    ];

    /// The field's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nickname => "nickname",
            Self::Email => "email",
            Self::Fullname => "fullname",
            Self::Dob => "dob",
            Self::Gender => "gender",
            Self::Postcode => "postcode",
            Self::Country => "country",
            Self::Language => "language",
            Self::Timezone => "timezone",
        }
    }
}

impl FromStr for SregField {
    type Err = ExtensionError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|field| field.as_str() == name).ok_or_else(|| {
            ExtensionError::invalid(SREG_1_1_NS, name, "is not a Simple Registration field")
        })
    }
}

impl fmt::Display for SregField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the endpoint advertises Simple Registration (1.0 or 1.1) in its discovered
/// service types.
pub fn supports_sreg(endpoint: &ServiceEndpoint) -> bool {
    endpoint.type_uris().iter().any(|t| t == SREG_1_1_NS || t == SREG_1_0_NS)
}

/// A Simple Registration request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SregRequest {
    namespace: &'static str,
    required: Vec<SregField>,
    optional: Vec<SregField>,
    policy_url: Option<String>,
}

impl Default for SregRequest {
    fn default() -> Self {
        Self::new()
    }
}

impl SregRequest {
    /// An empty request in the 1.1 namespace.
    pub fn new() -> Self {
        Self {
            namespace: SREG_1_1_NS,
            required: Vec::new(),
            optional: Vec::new(),
            policy_url: None,
        }
    }

    /// Uses the namespace the endpoint advertises: 1.0 when it names only 1.0, else 1.1 (as
    /// python-openid does).
    #[must_use]
    pub fn namespace_for(mut self, endpoint: &ServiceEndpoint) -> Self {
        let types = endpoint.type_uris();
        let only_1_0 =
            types.iter().any(|t| t == SREG_1_0_NS) && !types.iter().any(|t| t == SREG_1_1_NS);
        self.namespace = if only_1_0 { SREG_1_0_NS } else { SREG_1_1_NS };
        self
    }

    /// Asks for `field`, as required (the user is told the site needs it). Asking twice
    /// keeps the field once; required wins over optional.
    #[must_use]
    pub fn require(mut self, field: SregField) -> Self {
        self.optional.retain(|f| *f != field);
        if !self.required.contains(&field) {
            self.required.push(field);
        }
        self
    }

    /// Asks for `field`, as optional.
    #[must_use]
    pub fn ask(mut self, field: SregField) -> Self {
        if !self.required.contains(&field) && !self.optional.contains(&field) {
            self.optional.push(field);
        }
        self
    }

    /// The site's privacy policy, shown by the provider.
    #[must_use]
    pub fn policy_url(mut self, url: impl Into<String>) -> Self {
        self.policy_url = Some(url.into());
        self
    }

    /// The required fields.
    pub fn required(&self) -> &[SregField] {
        &self.required
    }

    /// The optional fields.
    pub fn optional(&self) -> &[SregField] {
        &self.optional
    }
}

impl Extension for SregRequest {
    fn namespace(&self) -> &str {
        self.namespace
    }

    fn preferred_alias(&self) -> &'static str {
        "sreg"
    }

    fn args(&self) -> Vec<(String, String)> {
        let list =
            |fields: &[SregField]| fields.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(",");
        let mut args = Vec::new();
        if !self.required.is_empty() {
            args.push(("required".to_owned(), list(&self.required)));
        }
        if !self.optional.is_empty() {
            args.push(("optional".to_owned(), list(&self.optional)));
        }
        if let Some(url) = &self.policy_url {
            args.push(("policy_url".to_owned(), url.clone()));
        }
        args
    }
}

/// A Simple Registration response: the fields the provider sent (unknown keys are ignored,
/// as the specification says).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SregResponse {
    namespace: &'static str,
    values: BTreeMap<SregField, String>,
}

impl SregResponse {
    /// The namespace the response came in (1.1 or 1.0).
    pub fn namespace(&self) -> &str {
        self.namespace
    }

    /// The value of `field`, if sent.
    pub fn get(&self, field: SregField) -> Option<&str> {
        self.values.get(&field).map(String::as_str)
    }

    /// Every field sent.
    pub fn values(&self) -> &BTreeMap<SregField, String> {
        &self.values
    }

    /// `nickname`.
    pub fn nickname(&self) -> Option<&str> {
        self.get(SregField::Nickname)
    }

    /// `email`.
    pub fn email(&self) -> Option<&str> {
        self.get(SregField::Email)
    }

    /// `fullname`.
    pub fn fullname(&self) -> Option<&str> {
        self.get(SregField::Fullname)
    }

    /// `dob`.
    pub fn dob(&self) -> Option<&str> {
        self.get(SregField::Dob)
    }

    /// `gender`.
    pub fn gender(&self) -> Option<&str> {
        self.get(SregField::Gender)
    }

    /// `postcode`.
    pub fn postcode(&self) -> Option<&str> {
        self.get(SregField::Postcode)
    }

    /// `country`.
    pub fn country(&self) -> Option<&str> {
        self.get(SregField::Country)
    }

    /// `language`.
    pub fn language(&self) -> Option<&str> {
        self.get(SregField::Language)
    }

    /// `timezone`.
    pub fn timezone(&self) -> Option<&str> {
        self.get(SregField::Timezone)
    }
}

impl ExtensionResponse for SregResponse {
    fn namespaces() -> &'static [&'static str] {
        &[SREG_1_1_NS, SREG_1_0_NS]
    }

    fn from_args(namespace: &str, args: &BTreeMap<String, String>) -> Result<Self, ExtensionError> {
        let namespace = if namespace == SREG_1_0_NS { SREG_1_0_NS } else { SREG_1_1_NS };
        let values = args
            .iter()
            .filter_map(|(key, value)| Some((key.parse::<SregField>().ok()?, value.clone())))
            .collect();
        Ok(Self { namespace, values })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_checked() {
        assert_eq!("email".parse::<SregField>(), Ok(SregField::Email));
        assert!("e-mail".parse::<SregField>().is_err());
        assert!("Email".parse::<SregField>().is_err());
    }

    #[test]
    fn required_wins_over_optional_and_fields_are_not_repeated() {
        let request = SregRequest::new()
            .ask(SregField::Email)
            .require(SregField::Email)
            .ask(SregField::Email);
        assert_eq!(request.required(), [SregField::Email]);
        assert!(request.optional().is_empty());
        assert_eq!(request.args(), [("required".to_owned(), "email".to_owned())]);
    }

    #[test]
    fn the_namespace_follows_what_the_endpoint_advertises() {
        let endpoint = |types: &[&str]| {
            ServiceEndpoint::for_claimed_id(
                "https://a.example/",
                "https://op.example/",
                None,
                types.iter().map(|t| (*t).to_owned()).collect(),
            )
        };
        let only_1_0 = endpoint(&["http://specs.openid.net/auth/2.0/signon", SREG_1_0_NS]);
        assert_eq!(SregRequest::new().namespace_for(&only_1_0).namespace(), SREG_1_0_NS);
        let both = endpoint(&[SREG_1_0_NS, SREG_1_1_NS]);
        assert_eq!(SregRequest::new().namespace_for(&both).namespace(), SREG_1_1_NS);
        assert!(supports_sreg(&only_1_0));
        assert!(!supports_sreg(&endpoint(&["http://specs.openid.net/auth/2.0/signon"])));
    }

    #[test]
    fn a_response_reads_the_nine_fields_and_ignores_the_rest() {
        let args: BTreeMap<String, String> =
            [("email", "a@example.com"), ("nickname", "a"), ("shoe_size", "44")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        let response = SregResponse::from_args(SREG_1_0_NS, &args).unwrap();
        assert_eq!(response.namespace(), SREG_1_0_NS);
        assert_eq!(response.email(), Some("a@example.com"));
        assert_eq!(response.nickname(), Some("a"));
        assert_eq!(response.values().len(), 2);
        assert_eq!(response.fullname(), None);
    }
}
