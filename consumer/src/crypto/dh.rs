//! Diffie-Hellman key agreement for association sessions (OpenID 2.0 section 8.4.2).
//!
//! `num-bigint`'s modular exponentiation does not run in constant time. Each
//! [`DiffieHellman`] value is used for one association request and then dropped, so a
//! timing observer sees one exponentiation per private key; and the MAC key it protects
//! also travels inside TLS wherever the provider uses HTTPS.
//!
//! Secrets are wiped when dropped: the private key (overwritten in place, see `wipe`), the
//! random bytes it came from, and the shared secret and MAC key returned as [`Zeroizing`]
//! buffers. This is best effort: `num-bigint` has no zeroize support and its arithmetic
//! (`modpow`, `%`) makes temporary copies that it frees without wiping.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use num_bigint::BigUint;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::SessionType;
use super::btwoc::{BtwocError, from_btwoc, to_btwoc};
use super::random::{RandomError, random_bytes};

/// The default modulus of OpenID 2.0 section 8.1.2, base64 btwoc, as `openid.dh_modulus`.
pub const DEFAULT_MODULUS_BASE64: &str = "ANz5OguIOXLsDhmYmsWizjEOHTdxfo2Vcbt2I3MYZuYe91ouJ4mLBX+YkcLiemOcPym2CBRYHNOyyjmG0mg3BVd9RcLn5S3IHHoXGHblzqdLFEi/368Ygo79JRnxTkXjgmY0rxlJ5bU1zIKaSDuKdiI+XUkKJX8Fvf8W8vsixYOr";

/// The default generator, 2.
pub const DEFAULT_GENERATOR: u32 = 2;

/// Why a Diffie-Hellman step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DhError {
    /// The other side's public key is not valid base64 btwoc.
    #[error("public key: {0}")]
    PublicKeyEncoding(BtwocError),
    /// The other side's public key is not in 1 < y < p-1 (a small-subgroup or degenerate
    /// key that would make the shared secret guessable).
    #[error("public key out of range (must be 1 < y < p-1)")]
    PublicKeyOutOfRange,
    /// A modulus or generator parameter is not usable.
    #[error("invalid Diffie-Hellman parameter {name}: {reason}")]
    InvalidParameter {
        /// `modulus`, `generator` or `private key`.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The encrypted MAC key does not have the length of the session's hash.
    #[error("encrypted MAC key is {actual} bytes, the session hash gives {expected}")]
    SecretLength {
        /// Length of the hash.
        expected: usize,
        /// Length received.
        actual: usize,
    },
    /// `no-encryption` has no Diffie-Hellman step.
    #[error("session type no-encryption does not use Diffie-Hellman")]
    NotADhSession,
    /// The OS random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// One side of a Diffie-Hellman exchange: parameters and a key pair.
///
/// The private key is overwritten when the value is dropped (see the module
/// documentation for the limits), and `Debug` does not show it.
#[derive(Clone)]
pub struct DiffieHellman {
    modulus: BigUint,
    generator: BigUint,
    private: BigUint,
    public: BigUint,
}

impl DiffieHellman {
    /// A fresh key pair over the default OpenID parameters, private key from the OS CSPRNG.
    ///
    /// # Errors
    /// [`DhError::Random`] if the OS random number generator fails.
    pub fn new() -> Result<Self, DhError> {
        Self::generate(default_modulus(), BigUint::from(DEFAULT_GENERATOR))
    }

    /// A fresh key pair over the parameters a relying party sent (`openid.dh_modulus`,
    /// `openid.dh_gen`, base64 btwoc): what a provider does.
    ///
    /// # Errors
    /// [`DhError::InvalidParameter`] for an undecodable, even or tiny modulus or a generator
    /// outside 1 < g < p-1; [`DhError::Random`].
    pub fn with_params(modulus_base64: &str, generator_base64: &str) -> Result<Self, DhError> {
        let modulus = decode_param("modulus", modulus_base64)?;
        if modulus.bits() < 64 || !modulus.bit(0) {
            return Err(DhError::InvalidParameter {
                name: "modulus",
                reason: "must be an odd prime of at least 64 bits",
            });
        }
        let generator = decode_param("generator", generator_base64)?;
        if !in_open_range(&generator, &modulus) {
            return Err(DhError::InvalidParameter {
                name: "generator",
                reason: "must be 1 < g < p-1",
            });
        }
        Self::generate(modulus, generator)
    }

    /// A key pair over the default parameters from a known private key (big-endian
    /// magnitude): for tests and for reproducing vectors.
    ///
    /// # Errors
    /// [`DhError::InvalidParameter`] unless 1 <= x < p-1.
    pub fn from_private_key(private_magnitude: &[u8]) -> Result<Self, DhError> {
        let modulus = default_modulus();
        let private = BigUint::from_bytes_be(private_magnitude);
        if private == BigUint::ZERO || private >= &modulus - 1u32 {
            return Err(DhError::InvalidParameter {
                name: "private key",
                reason: "must be 1 <= x < p-1",
            });
        }
        Ok(Self::from_parts(modulus, BigUint::from(DEFAULT_GENERATOR), private))
    }

    /// Whether these are the default parameters (then the request may omit them).
    pub fn uses_default_params(&self) -> bool {
        self.generator == BigUint::from(DEFAULT_GENERATOR) && self.modulus == default_modulus()
    }

    /// The modulus as base64 btwoc (`openid.dh_modulus`).
    pub fn modulus_base64(&self) -> String {
        STANDARD.encode(to_btwoc(&self.modulus))
    }

    /// The generator as base64 btwoc (`openid.dh_gen`).
    pub fn generator_base64(&self) -> String {
        STANDARD.encode(to_btwoc(&self.generator))
    }

    /// Our public key as base64 btwoc (`openid.dh_consumer_public` or
    /// `openid.dh_server_public`).
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(to_btwoc(&self.public))
    }

    /// Our public key as a big-endian magnitude.
    pub fn public_key(&self) -> Vec<u8> {
        self.public.to_bytes_be()
    }

    /// The shared secret g^(xy) mod p, as btwoc bytes, from the other side's base64 btwoc
    /// public key.
    ///
    /// # Errors
    /// [`DhError::PublicKeyEncoding`] or [`DhError::PublicKeyOutOfRange`].
    ///
    /// # Security
    /// The other side's key is checked to be 1 < y < p-1 before use. The secret is returned
    /// in a buffer that is wiped when dropped.
    pub fn shared_secret(&self, other_public_base64: &str) -> Result<Zeroizing<Vec<u8>>, DhError> {
        let bytes = STANDARD
            .decode(other_public_base64)
            .map_err(|_| DhError::PublicKeyEncoding(BtwocError::Base64))?;
        let other = from_btwoc(&bytes).map_err(DhError::PublicKeyEncoding)?;
        if !in_open_range(&other, &self.modulus) {
            return Err(DhError::PublicKeyOutOfRange);
        }
        let mut shared = other.modpow(&self.private, &self.modulus);
        let encoded = secret_btwoc(&shared);
        wipe(&mut shared);
        Ok(encoded)
    }

    /// XORs `secret` with H(btwoc(shared secret)), H being the session's hash: encrypts a
    /// MAC key (provider) or decrypts `openid.enc_mac_key` (relying party).
    ///
    /// # Errors
    /// As [`Self::shared_secret`]; [`DhError::NotADhSession`];
    /// [`DhError::SecretLength`] when `secret` is not as long as the hash.
    ///
    /// # Security
    /// The result (a MAC key, for the relying party) and every intermediate secret are in
    /// buffers wiped when dropped.
    pub fn xor_secret(
        &self,
        other_public_base64: &str,
        secret: &[u8],
        session: SessionType,
    ) -> Result<Zeroizing<Vec<u8>>, DhError> {
        let shared = self.shared_secret(other_public_base64)?;
        let hashed: Zeroizing<Vec<u8>> = Zeroizing::new(match session {
            SessionType::DhSha1 => Sha1::digest(shared.as_slice()).to_vec(),
            SessionType::DhSha256 => Sha256::digest(shared.as_slice()).to_vec(),
            SessionType::NoEncryption => return Err(DhError::NotADhSession),
        });
        if hashed.len() != secret.len() {
            return Err(DhError::SecretLength { expected: hashed.len(), actual: secret.len() });
        }
        Ok(Zeroizing::new(hashed.iter().zip(secret).map(|(a, b)| a ^ b).collect()))
    }

    fn generate(modulus: BigUint, generator: BigUint) -> Result<Self, DhError> {
        // Uniform enough in [1, p-2]: 64 extra random bits make the modulo bias < 2^-64.
        let width = usize::try_from(modulus.bits().div_ceil(8)).unwrap_or(usize::MAX / 2);
        let bytes = Zeroizing::new(random_bytes(width + 8)?);
        let mut random = BigUint::from_bytes_be(&bytes);
        let private = &random % (&modulus - 2u32) + 1u32;
        wipe(&mut random);
        Ok(Self::from_parts(modulus, generator, private))
    }

    fn from_parts(modulus: BigUint, generator: BigUint, private: BigUint) -> Self {
        let public = generator.modpow(&private, &modulus);
        Self { modulus, generator, private, public }
    }
}

impl Drop for DiffieHellman {
    fn drop(&mut self) {
        wipe(&mut self.private);
    }
}

impl fmt::Debug for DiffieHellman {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiffieHellman")
            .field("default_params", &self.uses_default_params())
            .field("public", &self.public_key_base64())
            .field("private", &"<redacted>")
            .finish()
    }
}

/// Overwrites the digits of `n` in place, as well as safe code can.
///
/// `num-bigint` has no zeroize support and does not expose its digits mutably.
/// `assign_from_slice` clears the digit vector and refills it: with as many all-ones digits
/// as `n` has, the refill stays within the allocation (no reallocation, and an all-ones
/// value is not shrunk), so the old digits are overwritten where they were. `black_box`
/// keeps the compiler from removing the stores as dead before the memory is freed.
fn wipe(n: &mut BigUint) {
    // Whole u64 digits (num-bigint's digit size on 64-bit targets): an even count of words.
    let words = usize::try_from(n.bits().div_ceil(64) * 2).unwrap_or(0);
    n.assign_from_slice(&vec![u32::MAX; words]);
    std::hint::black_box(&*n);
}

/// [`to_btwoc`] for a secret: no unwiped copy when the leading zero byte is added.
fn secret_btwoc(n: &BigUint) -> Zeroizing<Vec<u8>> {
    let bytes = Zeroizing::new(n.to_bytes_be());
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len() + 1));
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        out.push(0);
    }
    out.extend_from_slice(&bytes);
    out
}

fn default_modulus() -> BigUint {
    // The constant is checked by a unit test, so this never falls back in practice.
    STANDARD.decode(DEFAULT_MODULUS_BASE64).map(|b| BigUint::from_bytes_be(&b)).unwrap_or_default()
}

fn decode_param(name: &'static str, text: &str) -> Result<BigUint, DhError> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|_| DhError::InvalidParameter { name, reason: "not base64" })?;
    from_btwoc(&bytes)
        .map_err(|_| DhError::InvalidParameter { name, reason: "not a btwoc integer" })
}

/// 1 < y < p-1.
fn in_open_range(y: &BigUint, modulus: &BigUint) -> bool {
    *y > BigUint::from(1u32) && *y < modulus - 1u32
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULUS_DECIMAL: &str = "155172898181473697471232257763715539915724801966915404479707795314057629378541917580651227423698188993727816152646631438561595825688188889951272158842675419950341258706556549803580104870537681476726513255747040765857479291291572334510643245094715007229621094194349783925984760375594985848253359305585439638443";

    #[test]
    fn default_modulus_is_the_one_in_the_spec() {
        assert_eq!(default_modulus().to_string(), MODULUS_DECIMAL);
        assert_eq!(default_modulus().bits(), 1024);
    }

    #[test]
    fn both_sides_agree_on_the_key() {
        let rp = DiffieHellman::new().unwrap();
        let op = DiffieHellman::with_params(&rp.modulus_base64(), &rp.generator_base64()).unwrap();
        assert!(rp.uses_default_params() && op.uses_default_params());
        let mac_key = [7u8; 32];
        let encrypted =
            op.xor_secret(&rp.public_key_base64(), &mac_key, SessionType::DhSha256).unwrap();
        assert_ne!(encrypted.as_slice(), mac_key);
        let decrypted =
            rp.xor_secret(&op.public_key_base64(), &encrypted, SessionType::DhSha256).unwrap();
        assert_eq!(decrypted.as_slice(), mac_key);
        assert_eq!(
            rp.shared_secret(&op.public_key_base64()).unwrap(),
            op.shared_secret(&rp.public_key_base64()).unwrap()
        );
    }

    #[test]
    fn refuses_degenerate_public_keys() {
        let dh = DiffieHellman::new().unwrap();
        let p_minus_1 = STANDARD.encode(to_btwoc(&(default_modulus() - 1u32)));
        let p = STANDARD.encode(to_btwoc(&default_modulus()));
        for bad in ["AA==", "AQ==", p_minus_1.as_str(), p.as_str()] {
            assert_eq!(dh.shared_secret(bad), Err(DhError::PublicKeyOutOfRange), "{bad}");
        }
        assert!(dh.shared_secret("Ag==").is_ok());
        assert_eq!(dh.shared_secret("gA=="), Err(DhError::PublicKeyEncoding(BtwocError::Negative)));
        assert_eq!(dh.shared_secret("***"), Err(DhError::PublicKeyEncoding(BtwocError::Base64)));
    }

    #[test]
    fn xor_checks_lengths_and_session() {
        let dh = DiffieHellman::new().unwrap();
        let other = DiffieHellman::new().unwrap().public_key_base64();
        assert_eq!(
            dh.xor_secret(&other, &[0; 32], SessionType::DhSha1),
            Err(DhError::SecretLength { expected: 20, actual: 32 })
        );
        assert_eq!(
            dh.xor_secret(&other, &[0; 20], SessionType::NoEncryption),
            Err(DhError::NotADhSession)
        );
    }

    #[test]
    fn refuses_bad_parameters() {
        assert!(DiffieHellman::with_params("Cw==", "Ag==").is_err());
        assert!(DiffieHellman::with_params(DEFAULT_MODULUS_BASE64, "AQ==").is_err());
        assert!(DiffieHellman::with_params("%%", "Ag==").is_err());
        assert!(DiffieHellman::from_private_key(&[]).is_err());
    }

    #[test]
    fn wipe_overwrites_every_digit_of_the_value() {
        let mut private = default_modulus() - 12_345u32;
        let digits = private.bits().div_ceil(64);
        wipe(&mut private);
        assert_eq!(private, (BigUint::from(1u32) << (digits * 64)) - 1u32);
        let mut small = BigUint::from(42u32);
        wipe(&mut small);
        assert_eq!(small, BigUint::from(u64::MAX));
        let mut zero = BigUint::ZERO;
        wipe(&mut zero);
        assert_eq!(zero, BigUint::ZERO);
    }

    #[test]
    fn the_secret_btwoc_form_is_the_btwoc_form() {
        for n in [BigUint::from(0x7fu32), BigUint::from(0x80u32), default_modulus()] {
            assert_eq!(secret_btwoc(&n).as_slice(), to_btwoc(&n));
        }
    }

    #[test]
    fn debug_hides_the_private_key() {
        let dh = DiffieHellman::from_private_key(&[42]).unwrap();
        let shown = format!("{dh:?}");
        assert!(shown.contains("<redacted>"));
        assert!(!shown.contains("private: 42"));
    }
}
