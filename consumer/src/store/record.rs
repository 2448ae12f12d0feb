//! [`NonceRecord`]: a nonce the contract accepted, as a backend records it.

/// A nonce that [`OpenIdStore::use_nonce`](super::OpenIdStore::use_nonce) found inside the
/// window, handed to [`OpenIdStore::record_nonce`](super::OpenIdStore::record_nonce).
///
/// The contract computes every time a backend needs from the store's own clock and window,
/// so no backend does that arithmetic itself: [`NonceRecord::keep_until`] for stores that
/// keep the timestamp and delete later, [`NonceRecord::ttl`] for stores whose server
/// expires keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct NonceRecord<'a> {
    /// The provider endpoint that issued the nonce.
    pub server_url: &'a str,
    /// The nonce's timestamp (Unix seconds).
    pub timestamp: i64,
    /// The nonce's salt (the part after the timestamp).
    pub salt: &'a str,
    /// The store clock's time when the nonce was checked.
    pub now: i64,
    /// The window: how far (seconds) a timestamp may be from `now`, either way.
    pub skew: i64,
}

impl<'a> NonceRecord<'a> {
    /// A nonce checked at `now` against a window of `skew` seconds. Stores receive these
    /// from the contract; this constructor is for their unit tests.
    pub fn new(server_url: &'a str, timestamp: i64, salt: &'a str, now: i64, skew: i64) -> Self {
        Self { server_url, timestamp, salt, now, skew }
    }

    /// The last second at which the nonce can still be accepted, `timestamp + skew`: the
    /// store must remember it at least until then, also when the timestamp lies in the
    /// future.
    pub fn keep_until(&self) -> i64 {
        self.timestamp.saturating_add(self.skew)
    }

    /// For a store whose server expires keys: how many seconds from now to keep the
    /// nonce, at least 1. It is [`NonceRecord::keep_until`] minus `now`, plus one second
    /// because `now` is a whole second that has already begun.
    pub fn ttl(&self) -> i64 {
        self.keep_until().saturating_sub(self.now).saturating_add(1).max(1)
    }

    /// The oldest timestamp the window accepts now, `now - skew`: nonces older than this
    /// are refused whatever the store holds, so it may forget them.
    pub fn oldest_accepted(&self) -> i64 {
        self.now.saturating_sub(self.skew)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_future_nonce_is_kept_until_its_timestamp_plus_the_window() {
        let nonce = NonceRecord::new("s", 1_000 + 60, "x", 1_000, 300);
        assert_eq!(nonce.keep_until(), 1_360);
        assert_eq!(nonce.ttl(), 361);
        assert_eq!(nonce.oldest_accepted(), 700);
    }

    #[test]
    fn the_ttl_is_at_least_one_second_and_saturates() {
        assert_eq!(NonceRecord::new("s", 0, "x", i64::MAX, 10).ttl(), 1);
        assert_eq!(NonceRecord::new("s", i64::MAX, "x", i64::MIN, 10).ttl(), i64::MAX);
        assert_eq!(NonceRecord::new("s", 5, "x", 5, 0).ttl(), 1);
    }
}
