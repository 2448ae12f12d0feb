//! Attribute Exchange 1.0: attributes by type URI, fetched from or stored at the provider.
//!
//! # Example
//! ```
//! use openid_consumer::extensions::ax::{AttrRequest, Count, FetchRequest, schema};
//! use openid_consumer::extensions::Extension;
//!
//! let request = FetchRequest::new()
//!     .attribute(AttrRequest::new(schema::EMAIL).required())?
//!     .attribute(AttrRequest::new("http://example.com/types/pets").alias("pets").count(Count::Unlimited))?;
//! let args = request.args();
//! assert!(args.contains(&("type.email".to_owned(), schema::EMAIL.to_owned())));
//! assert!(args.contains(&("count.pets".to_owned(), "unlimited".to_owned())));
//! assert!(args.contains(&("required".to_owned(), "email".to_owned())));
//! # Ok::<(), openid_consumer::extensions::ExtensionError>(())
//! ```

use std::collections::BTreeMap;

use super::{Extension, ExtensionError, ExtensionResponse, valid_alias};
use crate::discovery::ServiceEndpoint;

/// Attribute Exchange 1.0's namespace (also its service type in XRDS).
pub const AX_NS: &str = "http://openid.net/srv/ax/1.0";

/// The most values of one attribute a response may carry: more is refused rather than
/// allocated (no real attribute comes close).
pub const MAX_VALUES: usize = 1_000;

/// Whether the endpoint advertises Attribute Exchange in its discovered service types.
pub fn supports_ax(endpoint: &ServiceEndpoint) -> bool {
    endpoint.type_uris().iter().any(|t| t == AX_NS)
}

/// Attribute type URIs in common use: axschema.org's, and the variants providers still
/// send (schema.openid.net, and openid.net/schema).
pub mod schema {
    /// E-mail address.
    pub const EMAIL: &str = "http://axschema.org/contact/email";
    /// Nickname (the "friendly" name).
    pub const NICKNAME: &str = "http://axschema.org/namePerson/friendly";
    /// Full name.
    pub const FULLNAME: &str = "http://axschema.org/namePerson";
    /// First name.
    pub const FIRST_NAME: &str = "http://axschema.org/namePerson/first";
    /// Last name.
    pub const LAST_NAME: &str = "http://axschema.org/namePerson/last";
    /// Preferred language.
    pub const LANGUAGE: &str = "http://axschema.org/pref/language";
    /// Time zone.
    pub const TIMEZONE: &str = "http://axschema.org/pref/timezone";
    /// Country (home).
    pub const COUNTRY: &str = "http://axschema.org/contact/country/home";
    /// Date of birth.
    pub const BIRTH_DATE: &str = "http://axschema.org/birthDate";
    /// Gender.
    pub const GENDER: &str = "http://axschema.org/person/gender";
    /// Postal code (home).
    pub const POSTCODE: &str = "http://axschema.org/contact/postalCode/home";
    /// Default image.
    pub const IMAGE: &str = "http://axschema.org/media/image/default";

    /// The schema.openid.net variants.
    pub mod openid_net {
        /// E-mail address.
        pub const EMAIL: &str = "http://schema.openid.net/contact/email";
        /// Nickname.
        pub const NICKNAME: &str = "http://schema.openid.net/namePerson/friendly";
        /// Full name.
        pub const FULLNAME: &str = "http://schema.openid.net/namePerson";
        /// First name.
        pub const FIRST_NAME: &str = "http://schema.openid.net/namePerson/first";
        /// Last name.
        pub const LAST_NAME: &str = "http://schema.openid.net/namePerson/last";
        /// Preferred language.
        pub const LANGUAGE: &str = "http://schema.openid.net/pref/language";
        /// Time zone.
        pub const TIMEZONE: &str = "http://schema.openid.net/pref/timezone";
        /// Country (home).
        pub const COUNTRY: &str = "http://schema.openid.net/contact/country/home";
    }

    /// The openid.net/schema variants.
    pub mod openid_net_schema {
        /// E-mail address.
        pub const EMAIL: &str = "http://openid.net/schema/contact/email";
        /// Nickname.
        pub const NICKNAME: &str = "http://openid.net/schema/namePerson/friendly";
        /// First name.
        pub const FIRST_NAME: &str = "http://openid.net/schema/namePerson/first";
        /// Last name.
        pub const LAST_NAME: &str = "http://openid.net/schema/namePerson/last";
        /// Preferred language.
        pub const LANGUAGE: &str = "http://openid.net/schema/language/pref";
        /// Time zone.
        pub const TIMEZONE: &str = "http://openid.net/schema/timezone";
        /// Country (home).
        pub const COUNTRY: &str = "http://openid.net/schema/contact/country/home";
    }

    /// Readable aliases of the common attributes, each with every type URI it is sent
    /// under, axschema.org's first (the one a request asks for). One table, so the alias a
    /// request gives a type and the types a profile field reads cannot disagree.
    const KNOWN: &[(&str, &[&str])] = &[
        ("email", &[EMAIL, openid_net::EMAIL, openid_net_schema::EMAIL]),
        ("nickname", &[NICKNAME, openid_net::NICKNAME, openid_net_schema::NICKNAME]),
        ("fullname", &[FULLNAME, openid_net::FULLNAME]),
        ("firstname", &[FIRST_NAME, openid_net::FIRST_NAME, openid_net_schema::FIRST_NAME]),
        ("lastname", &[LAST_NAME, openid_net::LAST_NAME, openid_net_schema::LAST_NAME]),
        ("language", &[LANGUAGE, openid_net::LANGUAGE, openid_net_schema::LANGUAGE]),
        ("timezone", &[TIMEZONE, openid_net::TIMEZONE, openid_net_schema::TIMEZONE]),
        ("country", &[COUNTRY, openid_net::COUNTRY, openid_net_schema::COUNTRY]),
    ];

    /// A readable alias for a known type URI.
    pub(crate) fn alias_of(type_uri: &str) -> Option<&'static str> {
        KNOWN.iter().find(|(_, types)| types.contains(&type_uri)).map(|(alias, _)| *alias)
    }

    /// The type URIs of the attribute a readable alias names; empty for an unknown alias.
    pub(crate) fn types_of(alias: &str) -> &'static [&'static str] {
        KNOWN.iter().find(|(known, _)| *known == alias).map_or(&[], |(_, types)| types)
    }
}

/// How many values of an attribute a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Count {
    /// One value (the default, sent as no `count`).
    #[default]
    One,
    /// Up to this many values.
    AtMost(u32),
    /// As many as the provider has.
    Unlimited,
}

impl Count {
    fn allows(self, values: usize) -> bool {
        match self {
            Self::One => values <= 1,
            Self::AtMost(n) => u32::try_from(values).is_ok_and(|v| v <= n),
            Self::Unlimited => true,
        }
    }
}

/// One attribute of a [`FetchRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrRequest {
    type_uri: String,
    alias: Option<String>,
    count: Count,
    required: bool,
}

impl AttrRequest {
    /// The attribute `type_uri`, optional, one value.
    pub fn new(type_uri: impl Into<String>) -> Self {
        Self { type_uri: type_uri.into(), alias: None, count: Count::One, required: false }
    }

    /// Marks it required (`required`, rather than `if_available`).
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Names its alias (by default a readable one for known types, `attr<n>` otherwise).
    #[must_use]
    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.alias = Some(alias.into());
        self
    }

    /// How many values.
    #[must_use]
    pub fn count(mut self, count: Count) -> Self {
        self.count = count;
        self
    }
}

/// An attribute as the request names it: type, alias, count, required.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Attr {
    type_uri: String,
    alias: String,
    count: Count,
    required: bool,
}

/// An Attribute Exchange fetch request (section 5.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchRequest {
    attributes: Vec<Attr>,
    update_url: Option<String>,
}

impl FetchRequest {
    /// A request for nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks for an attribute.
    ///
    /// # Errors
    /// [`ExtensionError::Invalid`] for an alias that is not valid (empty, or with `.` or
    /// `,`), or a type URI or alias already in the request.
    pub fn attribute(mut self, attribute: AttrRequest) -> Result<Self, ExtensionError> {
        let AttrRequest { type_uri, alias, count, required } = attribute;
        if self.attributes.iter().any(|a| a.type_uri == type_uri) {
            return Err(ExtensionError::invalid(AX_NS, &type_uri, "is asked for twice"));
        }
        let alias = match alias {
            Some(alias) => alias,
            None => match schema::alias_of(&type_uri) {
                Some(alias) if !self.attributes.iter().any(|a| a.alias == alias) => {
                    alias.to_owned()
                }
                // Of len + 1 candidates at least one is free.
                _ => (self.attributes.len()..=2 * self.attributes.len())
                    .map(|n| format!("attr{n}"))
                    .find(|a| !self.attributes.iter().any(|x| x.alias == *a))
                    .unwrap_or_default(),
            },
        };
        if !valid_alias(&alias) || self.attributes.iter().any(|a| a.alias == alias) {
            return Err(ExtensionError::invalid(AX_NS, &alias, "is not a free, valid alias"));
        }
        self.attributes.push(Attr { type_uri, alias, count, required });
        Ok(self)
    }

    /// Where the provider may send updates of the attributes later.
    #[must_use]
    pub fn update_url(mut self, url: impl Into<String>) -> Self {
        self.update_url = Some(url.into());
        self
    }

    /// The type URIs asked for.
    pub fn type_uris(&self) -> impl Iterator<Item = &str> {
        self.attributes.iter().map(|a| a.type_uri.as_str())
    }
}

impl Extension for FetchRequest {
    fn namespace(&self) -> &str {
        AX_NS
    }

    fn preferred_alias(&self) -> &'static str {
        "ax"
    }

    fn args(&self) -> Vec<(String, String)> {
        let mut args = vec![("mode".to_owned(), "fetch_request".to_owned())];
        for attr in &self.attributes {
            args.push((format!("type.{}", attr.alias), attr.type_uri.clone()));
            match attr.count {
                Count::One => {}
                Count::AtMost(n) => args.push((format!("count.{}", attr.alias), n.to_string())),
                Count::Unlimited => {
                    args.push((format!("count.{}", attr.alias), "unlimited".to_owned()));
                }
            }
        }
        let list = |required: bool| {
            self.attributes
                .iter()
                .filter(|a| a.required == required)
                .map(|a| a.alias.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        for (key, required) in [("required", true), ("if_available", false)] {
            let aliases = list(required);
            if !aliases.is_empty() {
                args.push((key.to_owned(), aliases));
            }
        }
        if let Some(url) = &self.update_url {
            args.push(("update_url".to_owned(), url.clone()));
        }
        args
    }
}

/// An Attribute Exchange fetch response (section 5.2): values by type URI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchResponse {
    values: BTreeMap<String, Vec<String>>,
    aliases: BTreeMap<String, String>,
    update_url: Option<String>,
}

impl FetchResponse {
    /// The values of attribute `type_uri`, if the provider sent it (possibly none).
    pub fn get(&self, type_uri: &str) -> Option<&[String]> {
        self.values.get(type_uri).map(Vec::as_slice)
    }

    /// The first value of attribute `type_uri`.
    pub fn first(&self, type_uri: &str) -> Option<&str> {
        self.get(type_uri)?.first().map(String::as_str)
    }

    /// Every attribute sent, by type URI.
    pub fn values(&self) -> &BTreeMap<String, Vec<String>> {
        &self.values
    }

    /// The alias the response used for attribute `type_uri`.
    pub fn alias_of(&self, type_uri: &str) -> Option<&str> {
        self.aliases.get(type_uri).map(String::as_str)
    }

    /// The provider's update URL, if any.
    pub fn update_url(&self) -> Option<&str> {
        self.update_url.as_deref()
    }

    /// Checks the response against the request: only attributes asked for, no more values
    /// than asked.
    ///
    /// # Errors
    /// [`ExtensionError::NotRequested`].
    pub fn check_against(&self, request: &FetchRequest) -> Result<(), ExtensionError> {
        for (type_uri, values) in &self.values {
            let Some(asked) = request.attributes.iter().find(|a| a.type_uri == *type_uri) else {
                return Err(ExtensionError::NotRequested {
                    namespace: AX_NS,
                    problem: format!(
                        "attribute {} was not asked for",
                        crate::excerpt::bounded(type_uri)
                    ),
                });
            };
            if !asked.count.allows(values.len()) {
                return Err(ExtensionError::NotRequested {
                    namespace: AX_NS,
                    problem: format!("{} values of {}, more than asked", values.len(), asked.alias),
                });
            }
        }
        Ok(())
    }
}

impl ExtensionResponse for FetchResponse {
    fn namespaces() -> &'static [&'static str] {
        &[AX_NS]
    }

    fn from_args(_: &str, args: &BTreeMap<String, String>) -> Result<Self, ExtensionError> {
        expect_mode(args, "fetch_response")?;
        let (values, aliases) = read_values(args)?;
        Ok(Self { values, aliases, update_url: args.get("update_url").cloned() })
    }
}

/// An Attribute Exchange store request (section 6.1): values for the provider to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreRequest {
    attributes: Vec<(String, String, Vec<String>)>,
}

impl StoreRequest {
    /// A request storing nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `values` for attribute `type_uri` under `alias`.
    ///
    /// # Errors
    /// [`ExtensionError::Invalid`] for an invalid or taken alias, or a repeated type URI.
    pub fn attribute(
        mut self,
        type_uri: impl Into<String>,
        alias: impl Into<String>,
        values: Vec<String>,
    ) -> Result<Self, ExtensionError> {
        let (type_uri, alias) = (type_uri.into(), alias.into());
        if !valid_alias(&alias)
            || self.attributes.iter().any(|(t, a, _)| *a == alias || *t == type_uri)
        {
            return Err(ExtensionError::invalid(AX_NS, &alias, "is not a free, valid alias"));
        }
        self.attributes.push((type_uri, alias, values));
        Ok(self)
    }
}

impl Extension for StoreRequest {
    fn namespace(&self) -> &str {
        AX_NS
    }

    fn preferred_alias(&self) -> &'static str {
        "ax"
    }

    fn args(&self) -> Vec<(String, String)> {
        let mut args = vec![("mode".to_owned(), "store_request".to_owned())];
        for (type_uri, alias, values) in &self.attributes {
            args.push((format!("type.{alias}"), type_uri.clone()));
            args.push((format!("count.{alias}"), values.len().to_string()));
            for (index, value) in values.iter().enumerate() {
                args.push((format!("value.{alias}.{}", index + 1), value.clone()));
            }
        }
        args
    }
}

/// The provider's answer to a [`StoreRequest`] (section 6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreResponse {
    /// The values were stored.
    Success,
    /// They were not, with the provider's reason.
    Failure {
        /// `error`, if given.
        error: Option<String>,
    },
}

impl ExtensionResponse for StoreResponse {
    fn namespaces() -> &'static [&'static str] {
        &[AX_NS]
    }

    fn from_args(_: &str, args: &BTreeMap<String, String>) -> Result<Self, ExtensionError> {
        match args.get("mode").map(String::as_str) {
            Some("store_response_success") => Ok(Self::Success),
            Some("store_response_failure") => {
                Ok(Self::Failure { error: args.get("error").cloned() })
            }
            other => Err(ExtensionError::invalid(
                AX_NS,
                "mode",
                format!("is {other:?}, not store_response_success or store_response_failure"),
            )),
        }
    }
}

fn expect_mode(args: &BTreeMap<String, String>, mode: &str) -> Result<(), ExtensionError> {
    match args.get("mode") {
        Some(found) if found == mode => Ok(()),
        found => Err(ExtensionError::invalid(AX_NS, "mode", format!("is {found:?}, not {mode}"))),
    }
}

/// `type.<a>` with `value.<a>`, or with `count.<a>` and `value.<a>.1` to `value.<a>.N`.
/// The values of the attribute `alias`: `count.<a>` of them as `value.<a>.N`, or the one
/// `value.<a>`.
fn read_attribute(
    args: &BTreeMap<String, String>,
    alias: &str,
) -> Result<Vec<String>, ExtensionError> {
    let value = |key: String| {
        args.get(&key).cloned().ok_or_else(|| ExtensionError::invalid(AX_NS, &key, "is missing"))
    };
    let Some(count) = args.get(&format!("count.{alias}")) else {
        return Ok(vec![value(format!("value.{alias}"))?]);
    };
    // Digits only, no leading zero: `usize::from_str` also takes "+3" and "007", and two
    // spellings of one count would let the same signed answer read two ways.
    let canonical =
        count == "0" || (count.bytes().all(|b| b.is_ascii_digit()) && !count.starts_with('0'));
    let count: usize = count.parse().ok().filter(|_| canonical).ok_or_else(|| {
        ExtensionError::invalid(AX_NS, &format!("count.{alias}"), "is not a number")
    })?;
    if count > MAX_VALUES {
        return Err(ExtensionError::invalid(
            AX_NS,
            &format!("count.{alias}"),
            format!("is more than {MAX_VALUES}"),
        ));
    }
    (1..=count).map(|index| value(format!("value.{alias}.{index}"))).collect()
}

/// Values and aliases by type URI.
type Attributes = (BTreeMap<String, Vec<String>>, BTreeMap<String, String>);

fn read_values(args: &BTreeMap<String, String>) -> Result<Attributes, ExtensionError> {
    let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut aliases = BTreeMap::new();
    for (key, type_uri) in args {
        let Some(alias) = key.strip_prefix("type.") else { continue };
        if !valid_alias(alias) {
            return Err(ExtensionError::invalid(AX_NS, key, "has an invalid alias"));
        }
        let list = read_attribute(args, alias)?;
        if values.insert(type_uri.clone(), list).is_some() {
            return Err(ExtensionError::invalid(AX_NS, key, "names a type another alias names"));
        }
        aliases.insert(type_uri.clone(), alias.to_owned());
    }
    Ok((values, aliases))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_fetch_request_names_types_counts_and_which_are_required() {
        let request = FetchRequest::new()
            .attribute(AttrRequest::new(schema::EMAIL).required())
            .unwrap()
            .attribute(AttrRequest::new(schema::openid_net::NICKNAME))
            .unwrap()
            .attribute(AttrRequest::new("urn:x").count(Count::AtMost(3)))
            .unwrap()
            .update_url("https://rp.example/ax");
        assert_eq!(
            request.args(),
            [
                ("mode", "fetch_request"),
                ("type.email", schema::EMAIL),
                ("type.nickname", schema::openid_net::NICKNAME),
                ("type.attr2", "urn:x"),
                ("count.attr2", "3"),
                ("required", "email"),
                ("if_available", "nickname,attr2"),
                ("update_url", "https://rp.example/ax"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn bad_aliases_and_repeated_types_are_refused() {
        assert!(FetchRequest::new().attribute(AttrRequest::new("urn:x").alias("a.b")).is_err());
        assert!(FetchRequest::new().attribute(AttrRequest::new("urn:x").alias("a,b")).is_err());
        let one = FetchRequest::new().attribute(AttrRequest::new("urn:x").alias("a")).unwrap();
        assert!(one.clone().attribute(AttrRequest::new("urn:y").alias("a")).is_err());
        assert!(one.attribute(AttrRequest::new("urn:x").alias("b")).is_err());
    }

    #[test]
    fn responses_with_one_or_counted_values_are_read() {
        let response = FetchResponse::from_args(
            AX_NS,
            &args(&[
                ("mode", "fetch_response"),
                ("type.email", schema::EMAIL),
                ("value.email", "a@example.com"),
                ("type.pets", "urn:pets"),
                ("count.pets", "2"),
                ("value.pets.1", "cat"),
                ("value.pets.2", "dog"),
                ("type.none", "urn:none"),
                ("count.none", "0"),
            ]),
        )
        .unwrap();
        assert_eq!(response.first(schema::EMAIL), Some("a@example.com"));
        assert_eq!(response.get("urn:pets"), Some(&["cat".to_owned(), "dog".to_owned()][..]));
        assert_eq!(response.get("urn:none"), Some(&[][..]));
    }

    #[test]
    fn malformed_responses_are_typed_errors() {
        for bad in [
            vec![("mode", "fetch_request")],
            vec![("mode", "fetch_response"), ("type.a", "urn:a"), ("count.a", "two")],
            vec![
                ("mode", "fetch_response"),
                ("type.a", "urn:a"),
                ("count.a", "2"),
                ("value.a.1", "x"),
            ],
            vec![("mode", "fetch_response"), ("type.a", "urn:a")],
            vec![("mode", "fetch_response"), ("type.a", "urn:a"), ("count.a", "1001")],
            vec![
                ("mode", "fetch_response"),
                ("type.a", "urn:a"),
                ("count.a", "+1"),
                ("value.a.1", "x"),
            ],
            vec![
                ("mode", "fetch_response"),
                ("type.a", "urn:a"),
                ("count.a", "01"),
                ("value.a.1", "x"),
            ],
            vec![("mode", "fetch_response"), ("type.a", "urn:a"), ("count.a", "")],
            vec![
                ("mode", "fetch_response"),
                ("type.a", "urn:a"),
                ("value.a", "1"),
                ("type.b", "urn:a"),
                ("value.b", "2"),
            ],
        ] {
            let error = FetchResponse::from_args(AX_NS, &args(&bad)).unwrap_err();
            assert!(matches!(error, ExtensionError::Invalid { .. }), "{bad:?}: {error:?}");
        }
    }

    #[test]
    fn a_response_is_checked_against_its_request() {
        let request = FetchRequest::new().attribute(AttrRequest::new(schema::EMAIL)).unwrap();
        let fine = FetchResponse::from_args(
            AX_NS,
            &args(&[
                ("mode", "fetch_response"),
                ("type.e", schema::EMAIL),
                ("value.e", "a@example.com"),
            ]),
        )
        .unwrap();
        assert_eq!(fine.check_against(&request), Ok(()));
        let extra = FetchResponse::from_args(
            AX_NS,
            &args(&[("mode", "fetch_response"), ("type.x", "urn:x"), ("value.x", "1")]),
        )
        .unwrap();
        assert!(matches!(extra.check_against(&request), Err(ExtensionError::NotRequested { .. })));
        let too_many = FetchResponse::from_args(
            AX_NS,
            &args(&[
                ("mode", "fetch_response"),
                ("type.e", schema::EMAIL),
                ("count.e", "2"),
                ("value.e.1", "a@example.com"),
                ("value.e.2", "b@example.com"),
            ]),
        )
        .unwrap();
        assert!(matches!(
            too_many.check_against(&request),
            Err(ExtensionError::NotRequested { .. })
        ));
    }

    #[test]
    fn store_requests_and_responses_round_trip() {
        let request = StoreRequest::new()
            .attribute("urn:pets", "pets", vec!["cat".into(), "dog".into()])
            .unwrap();
        let args_out = request.args();
        assert!(args_out.contains(&("count.pets".to_owned(), "2".to_owned())));
        assert!(args_out.contains(&("value.pets.2".to_owned(), "dog".to_owned())));
        assert_eq!(
            StoreResponse::from_args(AX_NS, &args(&[("mode", "store_response_success")])),
            Ok(StoreResponse::Success)
        );
        assert_eq!(
            StoreResponse::from_args(
                AX_NS,
                &args(&[("mode", "store_response_failure"), ("error", "full")])
            ),
            Ok(StoreResponse::Failure { error: Some("full".to_owned()) })
        );
        assert!(StoreResponse::from_args(AX_NS, &args(&[("mode", "fetch_response")])).is_err());
    }
}
