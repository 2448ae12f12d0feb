//! Association types (HMAC algorithms) and session types (how the MAC key is sent).

use std::fmt;
use std::str::FromStr;

/// The MAC algorithm of an association (OpenID 2.0 section 8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AssociationType {
    /// `HMAC-SHA1`: 20-byte secret.
    HmacSha1,
    /// `HMAC-SHA256`: 32-byte secret. Preferred.
    HmacSha256,
}

impl AssociationType {
    /// The name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha1 => "HMAC-SHA1",
            Self::HmacSha256 => "HMAC-SHA256",
        }
    }

    /// Length in bytes of the MAC key (and of the MAC).
    pub fn secret_len(self) -> usize {
        match self {
            Self::HmacSha1 => 20,
            Self::HmacSha256 => 32,
        }
    }

    /// Whether `session` may carry a key of this type (OpenID 2.0 section 8.4).
    pub fn is_compatible_with(self, session: SessionType) -> bool {
        matches!(
            (self, session),
            (_, SessionType::NoEncryption)
                | (Self::HmacSha1, SessionType::DhSha1)
                | (Self::HmacSha256, SessionType::DhSha256)
        )
    }
}

/// How the MAC key travels in an association response (OpenID 2.0 section 8.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SessionType {
    /// `DH-SHA1`: Diffie-Hellman, shared secret hashed with SHA-1.
    DhSha1,
    /// `DH-SHA256`: Diffie-Hellman, shared secret hashed with SHA-256. Preferred.
    DhSha256,
    /// `no-encryption`: the key in clear; allowed only over HTTPS (section 8.4.1).
    NoEncryption,
}

impl SessionType {
    /// The name used on the wire in OpenID 2.0.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DhSha1 => "DH-SHA1",
            Self::DhSha256 => "DH-SHA256",
            Self::NoEncryption => "no-encryption",
        }
    }

    /// Parses a session type as found in an OpenID 1.x message, where a missing or blank
    /// `session_type` means no encryption (OpenID 1.1 section 8.1).
    ///
    /// # Errors
    /// [`UnknownTypeError`] for any other unknown name.
    pub fn parse_openid1(value: Option<&str>) -> Result<Self, UnknownTypeError> {
        match value {
            None | Some("") => Ok(Self::NoEncryption),
            Some(other) => other.parse(),
        }
    }
}

/// A type name this library does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown association or session type {name:?}")]
pub struct UnknownTypeError {
    /// The name as received.
    pub name: String,
}

impl FromStr for AssociationType {
    type Err = UnknownTypeError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "HMAC-SHA1" => Ok(Self::HmacSha1),
            "HMAC-SHA256" => Ok(Self::HmacSha256),
            _ => Err(UnknownTypeError { name: name.to_owned() }),
        }
    }
}

impl FromStr for SessionType {
    type Err = UnknownTypeError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "DH-SHA1" => Ok(Self::DhSha1),
            "DH-SHA256" => Ok(Self::DhSha256),
            "no-encryption" => Ok(Self::NoEncryption),
            _ => Err(UnknownTypeError { name: name.to_owned() }),
        }
    }
}

impl fmt::Display for AssociationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for SessionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in [AssociationType::HmacSha1, AssociationType::HmacSha256] {
            assert_eq!(t.as_str().parse::<AssociationType>(), Ok(t));
        }
        for s in [SessionType::DhSha1, SessionType::DhSha256, SessionType::NoEncryption] {
            assert_eq!(s.to_string().parse::<SessionType>(), Ok(s));
        }
        assert!("hmac-sha1".parse::<AssociationType>().is_err());
        assert_eq!(
            "DH-SHA512".parse::<SessionType>().unwrap_err().to_string(),
            "unknown association or session type \"DH-SHA512\""
        );
    }

    #[test]
    fn valid_pairs_are_exactly_the_specified_ones() {
        use AssociationType::*;
        use SessionType::*;
        assert!(HmacSha1.is_compatible_with(DhSha1));
        assert!(HmacSha256.is_compatible_with(DhSha256));
        assert!(HmacSha1.is_compatible_with(NoEncryption));
        assert!(HmacSha256.is_compatible_with(NoEncryption));
        assert!(!HmacSha1.is_compatible_with(DhSha256));
        assert!(!HmacSha256.is_compatible_with(DhSha1));
    }

    #[test]
    fn openid1_blank_session_is_no_encryption() {
        assert_eq!(SessionType::parse_openid1(None), Ok(SessionType::NoEncryption));
        assert_eq!(SessionType::parse_openid1(Some("")), Ok(SessionType::NoEncryption));
        assert_eq!(SessionType::parse_openid1(Some("DH-SHA1")), Ok(SessionType::DhSha1));
    }
}
