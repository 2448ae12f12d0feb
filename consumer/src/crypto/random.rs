//! Randomness from the operating system's CSPRNG (`getrandom`), never a user-space PRNG:
//! nonces, salts, DH private keys and `return_to` tokens must be unpredictable.

/// The operating system's random number generator failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("operating system random number generator failed: {0}")]
pub struct RandomError(String);

/// `len` bytes from the OS CSPRNG.
///
/// # Errors
/// [`RandomError`] if the OS refuses (a broken system; never retried with a weaker source).
pub fn random_bytes(len: usize) -> Result<Vec<u8>, RandomError> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| RandomError(e.to_string()))?;
    Ok(bytes)
}

/// A string of `len` characters drawn uniformly from `alphabet` (ASCII, at most 256
/// characters), by rejection sampling so no character is favoured.
///
/// # Errors
/// [`RandomError`] if the OS CSPRNG fails.
pub fn random_string(len: usize, alphabet: &[u8]) -> Result<String, RandomError> {
    let Ok(size) = u8::try_from(alphabet.len().saturating_sub(1)).map(|max| usize::from(max) + 1)
    else {
        return Err(RandomError(format!("alphabet of {} characters is too large", alphabet.len())));
    };
    if alphabet.is_empty() || !alphabet.is_ascii() {
        return Err(RandomError("alphabet must be non-empty ASCII".to_owned()));
    }
    // Largest multiple of `size` that fits in a byte: bytes at or above it are redrawn.
    let limit = 256 - 256 % size;
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in random_bytes(len.max(16))? {
            if usize::from(byte) < limit
                && let Some(&c) = alphabet.get(usize::from(byte) % size)
            {
                out.push(char::from(c));
                if out.len() == len {
                    break;
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_bytes_have_requested_length_and_vary() {
        assert_eq!(random_bytes(0).unwrap().len(), 0);
        let a = random_bytes(32).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, random_bytes(32).unwrap());
    }

    #[test]
    fn random_string_uses_only_the_alphabet() {
        let s = random_string(200, b"ab").unwrap();
        assert_eq!(s.len(), 200);
        assert!(s.contains('a') && s.contains('b'));
        assert!(s.bytes().all(|b| b == b'a' || b == b'b'));
    }

    #[test]
    fn random_string_rejects_bad_alphabets() {
        assert!(random_string(4, b"").is_err());
        assert!(random_string(4, &[b'a'; 300]).is_err());
        assert!(random_string(4, "é".as_bytes()).is_err());
    }
}
