//! `btwoc` (OpenID 2.0 section 4.2): the big-endian two's-complement encoding of a
//! non-negative integer in the fewest bytes, with a leading zero byte when the high bit
//! would otherwise be set; sent base64-encoded.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use num_bigint::BigUint;

/// Why a base64 btwoc integer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BtwocError {
    /// Not valid base64.
    #[error("invalid base64")]
    Base64,
    /// No bytes.
    #[error("empty integer")]
    Empty,
    /// The high bit is set: a negative number in two's complement.
    #[error("negative integer")]
    Negative,
}

/// Encodes `n` as btwoc bytes.
pub(crate) fn to_btwoc(n: &BigUint) -> Vec<u8> {
    let mut bytes = n.to_bytes_be();
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    bytes
}

/// Decodes btwoc bytes; a set high bit (a negative number) is refused.
pub(crate) fn from_btwoc(bytes: &[u8]) -> Result<BigUint, BtwocError> {
    match bytes.first() {
        None => Err(BtwocError::Empty),
        Some(b) if b & 0x80 != 0 => Err(BtwocError::Negative),
        Some(_) => Ok(BigUint::from_bytes_be(bytes)),
    }
}

/// Encodes big-endian unsigned magnitude bytes (leading zeros allowed) as base64 btwoc.
///
/// # Example
/// ```
/// use openid_consumer::crypto::encode_btwoc_base64;
///
/// assert_eq!(encode_btwoc_base64(&[]), "AA==");
/// assert_eq!(encode_btwoc_base64(&[0x80]), "AIA=");
/// ```
pub fn encode_btwoc_base64(magnitude: &[u8]) -> String {
    STANDARD.encode(to_btwoc(&BigUint::from_bytes_be(magnitude)))
}

/// Decodes a base64 btwoc integer to its minimal big-endian magnitude (empty for zero).
///
/// # Errors
/// [`BtwocError`] for bad base64, no bytes, or a negative number.
pub fn decode_btwoc_base64(text: &str) -> Result<Vec<u8>, BtwocError> {
    let bytes = STANDARD.decode(text).map_err(|_| BtwocError::Base64)?;
    let n = from_btwoc(&bytes)?;
    Ok(if n == BigUint::ZERO { Vec::new() } else { n.to_bytes_be() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_a_zero_byte_only_when_the_high_bit_is_set() {
        assert_eq!(to_btwoc(&BigUint::from(0u8)), vec![0]);
        assert_eq!(to_btwoc(&BigUint::from(127u8)), vec![127]);
        assert_eq!(to_btwoc(&BigUint::from(128u8)), vec![0, 128]);
        assert_eq!(to_btwoc(&BigUint::from(0x8000u16)), vec![0, 0x80, 0]);
    }

    #[test]
    fn refuses_negative_and_empty() {
        assert_eq!(from_btwoc(&[0x80]), Err(BtwocError::Negative));
        assert_eq!(from_btwoc(&[]), Err(BtwocError::Empty));
        assert_eq!(decode_btwoc_base64("!!"), Err(BtwocError::Base64));
        assert_eq!(decode_btwoc_base64("AIA="), Ok(vec![0x80]));
        assert_eq!(decode_btwoc_base64("AAAB"), Ok(vec![1]));
    }
}
