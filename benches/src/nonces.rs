//! Response nonces for benchmark assertions, unique however fast they are made.
//!
//! A real provider's 6-character random salt collides between two nonces of the same second
//! with probability about 1 in 28 billion per pair: harmless at a site's login rate, but at
//! the 170,000 assertions per second a benchmark makes, about one nonce in a few seconds
//! repeats one already used, and the consumer rightly refuses it as a replay.

use std::sync::atomic::{AtomicU64, Ordering};

use openid_consumer::nonce::{NonceError, ResponseNonce};

/// A nonce for `now` whose salt (`b` and a counter) no other call of this process repeats.
///
/// # Errors
/// As [`ResponseNonce::generate`] (a time outside the years 1 to 9999).
pub fn unique(now: i64) -> Result<ResponseNonce, NonceError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let stamped = ResponseNonce::generate(now)?;
    let stamp = stamped.as_str().strip_suffix(stamped.salt()).unwrap_or_default();
    ResponseNonce::parse(&format!("{stamp}b{}", COUNTER.fetch_add(1, Ordering::Relaxed)))
}
