//! Protocol versions, argument namespaces and the extension alias map.

use std::collections::BTreeMap;
use std::fmt;

/// `openid.ns` of OpenID 2.0.
pub const OPENID2_NS: &str = "http://specs.openid.net/auth/2.0";
/// The OpenID 1.0 namespace: what a message without `openid.ns` is.
pub const OPENID1_NS: &str = "http://openid.net/signon/1.0";
/// The OpenID 1.1 namespace.
pub const OPENID11_NS: &str = "http://openid.net/signon/1.1";
/// Simple Registration 1.1, the namespace of OpenID 1's implicit `sreg` alias.
pub const SREG_1_1_NS: &str = "http://openid.net/extensions/sreg/1.1";

/// Field names of the OpenID protocol itself: none of them may be an extension alias, or
/// `openid.<alias>.x` would be ambiguous with a protocol field.
pub const PROTOCOL_FIELDS: &[&str] = &[
    "ns",
    "mode",
    "error",
    "return_to",
    "contact",
    "reference",
    "signed",
    "assoc_type",
    "session_type",
    "dh_modulus",
    "dh_gen",
    "dh_consumer_public",
    "claimed_id",
    "identity",
    "realm",
    "invalidate_handle",
    "op_endpoint",
    "response_nonce",
    "sig",
    "assoc_handle",
    "trust_root",
    "openid",
];

/// The protocol version of a message, from its `openid.ns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpenIdVersion {
    /// OpenID 1.0 (also any message without `openid.ns`).
    V1_0,
    /// OpenID 1.1.
    V1_1,
    /// OpenID 2.0.
    V2_0,
}

impl OpenIdVersion {
    /// The version whose namespace URI this is.
    pub fn from_namespace(uri: &str) -> Option<Self> {
        match uri {
            OPENID2_NS => Some(Self::V2_0),
            OPENID1_NS => Some(Self::V1_0),
            OPENID11_NS => Some(Self::V1_1),
            _ => None,
        }
    }

    /// The namespace URI of this version.
    pub fn namespace(self) -> &'static str {
        match self {
            Self::V1_0 => OPENID1_NS,
            Self::V1_1 => OPENID11_NS,
            Self::V2_0 => OPENID2_NS,
        }
    }

    /// OpenID 1.0 or 1.1.
    pub fn is_openid1(self) -> bool {
        self != Self::V2_0
    }
}

impl fmt::Display for OpenIdVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V1_0 => "OpenID 1.0",
            Self::V1_1 => "OpenID 1.1",
            Self::V2_0 => "OpenID 2.0",
        })
    }
}

/// Where an argument lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Namespace {
    /// The protocol's own fields: `openid.<key>`.
    OpenId,
    /// Arguments without the `openid.` prefix (the application's own, on a `return_to` URL).
    Bare,
    /// An extension, by namespace URI: `openid.<alias>.<key>`.
    Extension(String),
}

impl Namespace {
    /// The extension namespace with this URI.
    pub fn extension(uri: impl Into<String>) -> Self {
        Self::Extension(uri.into())
    }
}

/// Why an alias declaration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AliasError {
    /// The alias is empty, contains `.`, or is a protocol field name.
    #[error("invalid namespace alias {alias:?}: {reason}")]
    Invalid {
        /// The alias.
        alias: String,
        /// Why.
        reason: &'static str,
    },
    /// The alias is already bound to another URI.
    #[error("alias {alias:?} is bound to {existing:?} and cannot also mean {uri:?}")]
    AliasTaken {
        /// The alias.
        alias: String,
        /// The URI it already means.
        existing: String,
        /// The URI asked for.
        uri: String,
    },
    /// The URI already has another alias.
    #[error("namespace {uri:?} already has alias {existing:?} and cannot also have {alias:?}")]
    UriTaken {
        /// The URI.
        uri: String,
        /// Its existing alias.
        existing: String,
        /// The alias asked for.
        alias: String,
    },
}

/// A bijection between extension namespace URIs and aliases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AliasMap {
    by_alias: BTreeMap<String, (String, bool)>,
    by_uri: BTreeMap<String, String>,
}

impl AliasMap {
    /// Binds `alias` to `uri`. `implicit` bindings (OpenID 1's `sreg`) are not rendered as
    /// `openid.ns.<alias>`. Binding the same pair again is a no-op.
    ///
    /// # Errors
    /// [`AliasError`] if the alias is not valid or either side is already bound elsewhere.
    pub fn bind(&mut self, uri: &str, alias: &str, implicit: bool) -> Result<(), AliasError> {
        check_alias(alias)?;
        if let Some((existing, _)) = self.by_alias.get(alias) {
            if existing == uri {
                return Ok(());
            }
            return Err(AliasError::AliasTaken {
                alias: alias.to_owned(),
                existing: existing.clone(),
                uri: uri.to_owned(),
            });
        }
        if let Some(existing) = self.by_uri.get(uri) {
            return Err(AliasError::UriTaken {
                uri: uri.to_owned(),
                existing: existing.clone(),
                alias: alias.to_owned(),
            });
        }
        self.by_alias.insert(alias.to_owned(), (uri.to_owned(), implicit));
        self.by_uri.insert(uri.to_owned(), alias.to_owned());
        Ok(())
    }

    /// The alias of `uri`, binding a new `extN` alias if it has none.
    pub fn alias_or_bind(&mut self, uri: &str) -> String {
        if let Some(alias) = self.by_uri.get(uri) {
            return alias.clone();
        }
        // Of len + 1 candidates at least one is free.
        let alias = (0..=self.by_alias.len())
            .map(|n| format!("ext{n}"))
            .find(|a| !self.by_alias.contains_key(a))
            .unwrap_or_default();
        self.by_alias.insert(alias.clone(), (uri.to_owned(), false));
        self.by_uri.insert(uri.to_owned(), alias.clone());
        alias
    }

    /// The URI an alias stands for.
    pub fn uri(&self, alias: &str) -> Option<&str> {
        self.by_alias.get(alias).map(|(uri, _)| uri.as_str())
    }

    /// The alias of a URI.
    pub fn alias(&self, uri: &str) -> Option<&str> {
        self.by_uri.get(uri).map(String::as_str)
    }

    /// Whether the alias was bound implicitly.
    pub fn is_implicit(&self, alias: &str) -> bool {
        self.by_alias.get(alias).is_some_and(|(_, implicit)| *implicit)
    }

    /// `(alias, uri, implicit)` for every binding, by alias.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, bool)> {
        self.by_alias
            .iter()
            .map(|(alias, (uri, implicit))| (alias.as_str(), uri.as_str(), *implicit))
    }
}

fn check_alias(alias: &str) -> Result<(), AliasError> {
    let invalid = |reason| AliasError::Invalid { alias: alias.to_owned(), reason };
    if alias.is_empty() {
        return Err(invalid("empty"));
    }
    if alias.contains('.') {
        return Err(invalid("contains '.'"));
    }
    if alias.contains(',') {
        // A comma would corrupt the comma-separated `openid.signed` list.
        return Err(invalid("contains ','"));
    }
    if PROTOCOL_FIELDS.contains(&alias) {
        return Err(invalid("is an OpenID protocol field name"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_map_to_namespaces() {
        for v in [OpenIdVersion::V1_0, OpenIdVersion::V1_1, OpenIdVersion::V2_0] {
            assert_eq!(OpenIdVersion::from_namespace(v.namespace()), Some(v));
        }
        assert_eq!(OpenIdVersion::from_namespace("http://specs.openid.net/auth/2.0/"), None);
        assert!(OpenIdVersion::V1_1.is_openid1() && !OpenIdVersion::V2_0.is_openid1());
    }

    #[test]
    fn alias_map_is_a_bijection() {
        let mut map = AliasMap::default();
        map.bind("urn:a", "a", false).unwrap();
        map.bind("urn:a", "a", false).unwrap();
        assert!(matches!(map.bind("urn:b", "a", false), Err(AliasError::AliasTaken { .. })));
        assert!(matches!(map.bind("urn:a", "b", false), Err(AliasError::UriTaken { .. })));
        assert_eq!(map.uri("a"), Some("urn:a"));
        assert_eq!(map.alias("urn:a"), Some("a"));
    }

    #[test]
    fn rejects_invalid_aliases() {
        let mut map = AliasMap::default();
        for bad in ["", "a.b", "mode", "ns", "sig", "a,b"] {
            assert!(
                matches!(map.bind("urn:x", bad, false), Err(AliasError::Invalid { .. })),
                "{bad}"
            );
        }
        assert_eq!(
            map.bind("urn:x", "mode", false).unwrap_err().to_string(),
            "invalid namespace alias \"mode\": is an OpenID protocol field name"
        );
    }

    #[test]
    fn generated_aliases_skip_taken_ones() {
        let mut map = AliasMap::default();
        map.bind("urn:taken", "ext0", false).unwrap();
        assert_eq!(map.alias_or_bind("urn:new"), "ext1");
        assert_eq!(map.alias_or_bind("urn:new"), "ext1");
        assert_eq!(map.alias_or_bind("urn:taken"), "ext0");
    }
}
