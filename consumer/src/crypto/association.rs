//! An association: a MAC key shared with one provider (OpenID 2.0 section 8), and the
//! text form stores keep it in.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use super::AssociationType;
use crate::message::kvform;

/// Longest association handle, and the characters allowed in one: OpenID 2.0 section 8.2.1
/// ("255 characters or less, ... ASCII characters in the range 33-126 inclusive").
pub const MAX_HANDLE_LEN: usize = 255;

/// Version written in the first line of [`Association::serialize`].
const FORMAT_VERSION: &str = "2";

/// Keys of the serialised form, in order.
const KEYS: [&str; 6] = ["version", "handle", "secret", "issued", "lifetime", "assoc_type"];

/// Why an association could not be built or read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AssociationError {
    /// The handle is empty, longer than 255 characters, or has a character outside 33..=126.
    #[error("invalid association handle: {reason}")]
    InvalidHandle {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The lifetime is negative.
    #[error("negative association lifetime {0}")]
    NegativeLifetime(i64),
    /// Serialised text that is not in the documented format.
    #[error("malformed serialised association: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
}

/// A MAC key shared with a provider, its handle, type and validity period.
///
/// Times are Unix seconds. The `Debug` form never shows the secret, and the secret's memory
/// is overwritten when the association is dropped (`zeroize`), clones included.
#[derive(Clone, PartialEq, Eq)]
pub struct Association {
    handle: String,
    secret: Zeroizing<Vec<u8>>,
    issued: i64,
    lifetime: i64,
    assoc_type: AssociationType,
}

impl Association {
    /// An association issued at `issued` that is valid for `lifetime` seconds.
    ///
    /// The secret may have any length here (stores keep what they are given); the
    /// association flow checks that a provider's key matches its type.
    ///
    /// # Errors
    /// [`AssociationError::InvalidHandle`], [`AssociationError::NegativeLifetime`].
    pub fn new(
        handle: impl Into<String>,
        secret: impl Into<Vec<u8>>,
        issued: i64,
        lifetime: i64,
        assoc_type: AssociationType,
    ) -> Result<Self, AssociationError> {
        // Wrapped first, so that a refused association wipes the secret too.
        let secret = Zeroizing::new(secret.into());
        let handle = handle.into();
        check_handle(&handle)?;
        if lifetime < 0 {
            return Err(AssociationError::NegativeLifetime(lifetime));
        }
        Ok(Self { handle, secret, issued, lifetime, assoc_type })
    }

    /// The handle (`openid.assoc_handle`).
    pub fn handle(&self) -> &str {
        &self.handle
    }

    /// The MAC key.
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// When it was issued (Unix seconds).
    pub fn issued(&self) -> i64 {
        self.issued
    }

    /// How long it is valid (seconds) from `issued`.
    pub fn lifetime(&self) -> i64 {
        self.lifetime
    }

    /// The MAC algorithm.
    pub fn assoc_type(&self) -> AssociationType {
        self.assoc_type
    }

    /// When it expires (Unix seconds): `issued + lifetime`, saturating.
    pub fn expires_at(&self) -> i64 {
        self.issued.saturating_add(self.lifetime)
    }

    /// Seconds of validity left at `now`; 0 once expired.
    pub fn expires_in(&self, now: i64) -> i64 {
        self.expires_at().saturating_sub(now).max(0)
    }

    /// Whether it has expired at `now` (no validity left).
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_in(now) == 0
    }

    /// The documented text form, one `key:value` line each (KV form), in this order:
    ///
    /// ```text
    /// version:2
    /// handle:<handle>
    /// secret:<base64 of the secret>
    /// issued:<Unix seconds>
    /// lifetime:<seconds>
    /// assoc_type:<HMAC-SHA1 or HMAC-SHA256>
    /// ```
    ///
    /// Version 2 is the layout python-openid's stores write, so their files can be read.
    /// A future layout gets a new version number and [`Association::deserialize`] keeps
    /// reading the old ones.
    pub fn serialize(&self) -> String {
        // The text form is what stores keep; wiping it is theirs to decide once returned.
        let secret = Zeroizing::new(STANDARD.encode(self.secret.as_slice()));
        let (issued, lifetime) = (self.issued.to_string(), self.lifetime.to_string());
        let values =
            [FORMAT_VERSION, &self.handle, &secret, &issued, &lifetime, self.assoc_type.as_str()];
        // Every value is free of newlines (the handle is checked printable ASCII), so
        // encoding cannot fail; the fallback is unreachable.
        kvform::encode(KEYS.iter().zip(values)).unwrap_or_default()
    }

    /// Reads the text form of [`Association::serialize`], strictly: exactly those keys in
    /// that order, no irregular lines, every value valid.
    ///
    /// # Errors
    /// [`AssociationError::Malformed`] naming the problem, or the errors of
    /// [`Association::new`].
    pub fn deserialize(text: &str) -> Result<Self, AssociationError> {
        let malformed = |reason: String| AssociationError::Malformed { reason };
        let parsed = kvform::parse(text);
        if let Some(issue) = parsed.issues.first() {
            return Err(malformed(issue.to_string()));
        }
        let keys: Vec<&str> = parsed.pairs.iter().map(|(k, _)| k.as_str()).collect();
        if keys != KEYS {
            return Err(malformed(format!("expected keys {KEYS:?}, found {keys:?}")));
        }
        let value = |i: usize| parsed.pairs.get(i).map_or("", |(_, v)| v.as_str());
        if value(0) != FORMAT_VERSION {
            return Err(malformed(format!("unsupported version {:?}", value(0))));
        }
        let mut secret = Zeroizing::new(
            STANDARD.decode(value(2)).map_err(|_| malformed("secret is not base64".into()))?,
        );
        let number = |i: usize, name: &str| {
            value(i).parse::<i64>().map_err(|_| malformed(format!("{name} is not an integer")))
        };
        let issued = number(3, "issued")?;
        let lifetime = number(4, "lifetime")?;
        let assoc_type = value(5).parse().map_err(|e| malformed(format!("{e}")))?;
        // Moved, not copied: no second, unwiped copy of the key.
        Self::new(value(1), std::mem::take(&mut *secret), issued, lifetime, assoc_type)
    }
}

/// The secret is a [`Zeroizing`] buffer, wiped when the association (or a clone) is dropped.
impl ZeroizeOnDrop for Association {}

impl fmt::Debug for Association {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Association")
            .field("handle", &self.handle)
            .field("secret", &format_args!("<{} bytes redacted>", self.secret.len()))
            .field("issued", &self.issued)
            .field("lifetime", &self.lifetime)
            .field("assoc_type", &self.assoc_type)
            .finish()
    }
}

/// Whether `handle` is a valid association handle (1 to 255 characters of ASCII 33..=126).
pub fn is_valid_handle(handle: &str) -> bool {
    check_handle(handle).is_ok()
}

fn check_handle(handle: &str) -> Result<(), AssociationError> {
    let invalid = |reason| AssociationError::InvalidHandle { reason };
    if handle.is_empty() {
        return Err(invalid("empty"));
    }
    if handle.len() > MAX_HANDLE_LEN {
        return Err(invalid("longer than 255 characters"));
    }
    if !handle.bytes().all(|b| (33..=126).contains(&b)) {
        return Err(invalid("characters must be printable ASCII (33 to 126)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Association {
        Association::new("{HMAC-SHA1}{1}{x}", vec![1, 2, 3], 1_000, 600, AssociationType::HmacSha1)
            .unwrap()
    }

    #[test]
    fn expiry_counts_down_to_zero() {
        let a = sample();
        assert_eq!(a.expires_at(), 1_600);
        assert_eq!(a.expires_in(1_000), 600);
        assert_eq!(a.expires_in(1_599), 1);
        assert!(!a.is_expired(1_599));
        assert_eq!(a.expires_in(1_600), 0);
        assert!(a.is_expired(1_600));
        assert_eq!(a.expires_in(i64::MAX), 0);
        let far =
            Association::new("h", vec![], i64::MAX - 1, 600, AssociationType::HmacSha1).unwrap();
        assert_eq!(far.expires_at(), i64::MAX);
    }

    #[test]
    fn serialises_in_the_documented_layout() {
        assert_eq!(
            sample().serialize(),
            "version:2\nhandle:{HMAC-SHA1}{1}{x}\nsecret:AQID\nissued:1000\nlifetime:600\nassoc_type:HMAC-SHA1\n"
        );
    }

    #[test]
    fn round_trips_every_handle_character_and_secret() {
        let handle: String = (33u8..=126).map(char::from).cycle().take(255).collect();
        for len in [0usize, 20, 32, 64] {
            let secret: Vec<u8> = (0..len).map(|i| u8::try_from(i * 37 % 256).unwrap()).collect();
            let a = Association::new(
                handle.clone(),
                secret,
                253_402_300_799,
                1,
                AssociationType::HmacSha256,
            )
            .unwrap();
            assert_eq!(Association::deserialize(&a.serialize()).unwrap(), a);
        }
    }

    #[test]
    fn refuses_invalid_handles_and_lifetimes() {
        for bad in ["", "with space", "tab\t", "é", &"x".repeat(256)] {
            assert!(
                Association::new(bad, vec![], 0, 1, AssociationType::HmacSha1).is_err(),
                "{bad:?}"
            );
        }
        assert_eq!(
            Association::new("h", vec![], 0, -1, AssociationType::HmacSha1),
            Err(AssociationError::NegativeLifetime(-1))
        );
        assert!(is_valid_handle(&"~".repeat(255)));
    }

    #[test]
    fn refuses_corrupt_text() {
        let good = sample().serialize();
        let cases = [
            String::new(),
            good.replace("version:2", "version:3"),
            good.replace("secret:AQID", "secret:@@"),
            good.replace("issued:1000", "issued:soon"),
            good.replace("HMAC-SHA1\n", "HMAC-MD5\n"),
            good.replace("lifetime:600\n", ""),
            good.replace("lifetime:600", "lifetime:-5"),
            format!("{good}extra:1\n"),
            good.replace("handle:", "handle: "),
            good.trim_end().to_owned(),
            good.replace("handle:{HMAC-SHA1}{1}{x}", "handle:"),
        ];
        for text in cases {
            assert!(Association::deserialize(&text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn the_secret_is_wiped_on_drop() {
        // The field's type is what wipes; this keeps the promise visible in the type system.
        fn wipes_on_drop<T: ZeroizeOnDrop>(_: &T) {}
        wipes_on_drop(&sample());
        wipes_on_drop(&sample().secret);
    }

    #[test]
    fn debug_redacts_the_secret() {
        let shown = format!("{:?}", sample());
        assert!(shown.contains("<3 bytes redacted>"));
        assert!(!shown.contains("[1, 2, 3]"));
    }
}
