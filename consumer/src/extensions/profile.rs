//! What sites ask providers for, in one call: e-mail, nickname, full name, language, time
//! zone and country, from whichever of Simple Registration and Attribute Exchange the
//! provider answered, signed values only.
//!
//! [`AuthRequest::request_profile`](crate::AuthRequest::request_profile) asks through each
//! extension the endpoint advertises; [`SuccessResponse::profile`](crate::SuccessResponse::profile)
//! reads the answer, and says where each value came from.

use std::collections::BTreeMap;
use std::fmt;

use super::ax::{self, FetchResponse, schema};
use super::sreg::{SregField, SregResponse};
use super::{ExtensionError, ExtensionResponse};
use crate::consumer::SignedFields;

/// A field of the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ProfileField {
    /// E-mail address.
    Email,
    /// Nickname.
    Nickname,
    /// Full name.
    Fullname,
    /// Preferred language.
    Language,
    /// Time zone.
    Timezone,
    /// Country.
    Country,
}

impl ProfileField {
    /// Every field.
    pub const ALL: [Self; 6] = [
        Self::Email,
        Self::Nickname,
        Self::Fullname,
        Self::Language,
        Self::Timezone,
        Self::Country,
    ];

    /// The field's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Nickname => "nickname",
            Self::Fullname => "fullname",
            Self::Language => "language",
            Self::Timezone => "timezone",
            Self::Country => "country",
        }
    }

    /// The Simple Registration field it is.
    pub fn sreg(self) -> SregField {
        match self {
            Self::Email => SregField::Email,
            Self::Nickname => SregField::Nickname,
            Self::Fullname => SregField::Fullname,
            Self::Language => SregField::Language,
            Self::Timezone => SregField::Timezone,
            Self::Country => SregField::Country,
        }
    }

    /// The Attribute Exchange type URIs it is read from, axschema.org's first (the one a
    /// request asks for).
    pub fn ax_types(self) -> &'static [&'static str] {
        schema::types_of(self.as_str())
    }
}

impl fmt::Display for ProfileField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which extension a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// Simple Registration.
    Sreg,
    /// Attribute Exchange.
    Ax,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sreg => "Simple Registration",
            Self::Ax => "Attribute Exchange",
        })
    }
}

/// One value of the profile, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileValue {
    value: String,
    source: Source,
    signed_field: String,
}

impl ProfileValue {
    /// The value.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The extension that gave it.
    pub fn source(&self) -> Source {
        self.source
    }

    /// The signed field it was read from (`openid.sreg.email`, `openid.ax.value.email`).
    pub fn signed_field(&self) -> &str {
        &self.signed_field
    }
}

/// The profile a provider shared (signed values only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    values: BTreeMap<ProfileField, ProfileValue>,
}

impl Profile {
    /// The value of `field`, if the provider sent it signed.
    pub fn get(&self, field: ProfileField) -> Option<&str> {
        self.values.get(&field).map(ProfileValue::value)
    }

    /// The value of `field` with where it came from.
    pub fn value(&self, field: ProfileField) -> Option<&ProfileValue> {
        self.values.get(&field)
    }

    /// Every field the provider sent.
    pub fn values(&self) -> &BTreeMap<ProfileField, ProfileValue> {
        &self.values
    }

    /// Whether nothing was sent.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The e-mail address.
    pub fn email(&self) -> Option<&str> {
        self.get(ProfileField::Email)
    }

    /// The nickname.
    pub fn nickname(&self) -> Option<&str> {
        self.get(ProfileField::Nickname)
    }

    /// The full name.
    pub fn fullname(&self) -> Option<&str> {
        self.get(ProfileField::Fullname)
    }

    /// Reads the profile from the signed fields of an assertion: Simple Registration first,
    /// Attribute Exchange for what it did not give. An extension whose arguments are not all
    /// signed (or not valid) contributes nothing.
    pub(crate) fn of(signed: &SignedFields) -> Self {
        let mut values = BTreeMap::new();
        if let Ok(Some((namespace, sreg))) = read::<SregResponse>(signed) {
            let alias = signed.message().alias(namespace).unwrap_or("sreg").to_owned();
            for field in ProfileField::ALL {
                if let Some(value) = sreg.get(field.sreg()) {
                    values.insert(
                        field,
                        ProfileValue {
                            value: value.to_owned(),
                            source: Source::Sreg,
                            signed_field: format!("openid.{alias}.{}", field.sreg()),
                        },
                    );
                }
            }
        }
        if let Ok(Some((_, ax))) = read::<FetchResponse>(signed) {
            let alias = signed.message().alias(ax::AX_NS).unwrap_or("ax").to_owned();
            for field in ProfileField::ALL {
                if values.contains_key(&field) {
                    continue;
                }
                let found = field
                    .ax_types()
                    .iter()
                    .find_map(|type_uri| Some((ax.first(type_uri)?, ax.alias_of(type_uri)?)));
                if let Some((value, attr_alias)) = found {
                    // The first value is `value.<a>.1` when the response counted them.
                    let ns = crate::message::Namespace::extension(ax::AX_NS);
                    let counted = signed.message().contains(&ns, &format!("count.{attr_alias}"));
                    let index = if counted { ".1" } else { "" };
                    values.insert(
                        field,
                        ProfileValue {
                            value: value.to_owned(),
                            source: Source::Ax,
                            signed_field: format!("openid.{alias}.value.{attr_alias}{index}"),
                        },
                    );
                }
            }
        }
        Self { values }
    }
}

/// The extension's response from signed fields, and the namespace it came in.
pub(crate) fn read<T: ExtensionResponse>(
    signed: &SignedFields,
) -> Result<Option<(&'static str, T)>, ExtensionError> {
    for namespace in T::namespaces() {
        let ns = crate::message::Namespace::extension(*namespace);
        if signed.message().args_in(&ns).next().is_none() {
            continue;
        }
        let Some(args) = signed.namespace(&ns) else {
            return Err(ExtensionError::Unsigned { namespace });
        };
        return T::from_args(namespace, &args).map(|response| Some((*namespace, response)));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    fn signed(pairs: &[(&str, &str)]) -> SignedFields {
        SignedFields::of(Message::from_pairs(pairs.iter().copied()).unwrap())
    }

    // A request names a profile field's attribute by its axschema.org type and readable
    // alias; the response is read under every variant of that type.
    #[test]
    fn every_profile_field_has_ax_types_that_map_back_to_its_name() {
        for field in ProfileField::ALL {
            let types = field.ax_types();
            assert!(
                types.first().is_some_and(|t| t.starts_with("http://axschema.org/")),
                "{field}"
            );
            for type_uri in types {
                assert_eq!(schema::alias_of(type_uri), Some(field.as_str()), "{type_uri}");
            }
        }
    }

    // A value sent in the counted form is at `value.<alias>.1`: the field named must be the
    // one that holds it.
    #[test]
    fn the_signed_field_of_an_ax_value_is_where_the_value_is() {
        let fields = signed(&[
            ("openid.ns", "http://specs.openid.net/auth/2.0"),
            ("openid.ns.ax", ax::AX_NS),
            ("openid.ax.mode", "fetch_response"),
            ("openid.ax.type.e", schema::EMAIL),
            ("openid.ax.count.e", "1"),
            ("openid.ax.value.e.1", "a@example.com"),
            ("openid.signed", "ns.ax,ax.mode,ax.type.e,ax.count.e,ax.value.e.1"),
        ]);
        let profile = Profile::of(&fields);
        let email = profile.value(ProfileField::Email).unwrap();
        assert_eq!(email.value(), "a@example.com");
        let field = email.signed_field().strip_prefix("openid.").unwrap();
        assert_eq!(fields.message().openid_field(field), Some("a@example.com"), "{field}");
    }
}
