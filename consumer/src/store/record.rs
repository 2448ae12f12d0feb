//! [`NonceRecord`]: a nonce the contract accepted, as a backend records it.

/// A nonce that [`OpenIdStore::use_nonce`](super::OpenIdStore::use_nonce) found inside the
/// window, handed to [`OpenIdStore::record_nonce`](super::OpenIdStore::record_nonce).
///
/// The contract computes every time a backend needs from the store's own clock, window
/// and retention margin, so no backend does that arithmetic itself:
/// [`NonceRecord::keep_until`] for stores that keep the timestamp and delete later,
/// [`NonceRecord::ttl`] for stores whose server expires keys, [`NonceRecord::oldest_kept`]
/// for stores that prune as they record.
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
    /// How long (seconds) past the window the store keeps the nonce
    /// ([`Timing::retention`](super::Timing::retention)).
    pub retention: i64,
}

impl<'a> NonceRecord<'a> {
    /// A nonce checked at `now` against a window of `skew` seconds, with the default
    /// retention margin ([`NONCE_RETENTION`](super::NONCE_RETENTION)). Stores receive these
    /// from the contract; this constructor is for their unit tests.
    pub fn new(server_url: &'a str, timestamp: i64, salt: &'a str, now: i64, skew: i64) -> Self {
        Self { server_url, timestamp, salt, now, skew, retention: super::NONCE_RETENTION }
    }

    /// The same nonce with a retention margin of `retention` seconds (negative counts as 0).
    #[must_use]
    pub fn with_retention(self, retention: i64) -> Self {
        Self { retention: retention.max(0), ..self }
    }

    /// Until when the store must remember the nonce: the last second at which it can still
    /// be accepted, `timestamp + skew` (also when the timestamp lies in the future), plus
    /// the retention margin, so a node whose clock runs ahead does not forget it early.
    pub fn keep_until(&self) -> i64 {
        self.timestamp.saturating_add(self.skew).saturating_add(self.retention)
    }

    /// For a store whose server expires keys: how many seconds from now to keep the
    /// nonce, at least 1. It is [`NonceRecord::keep_until`] minus `now`, plus one second
    /// because `now` is a whole second that has already begun.
    pub fn ttl(&self) -> i64 {
        self.keep_until().saturating_sub(self.now).saturating_add(1).max(1)
    }

    /// The oldest timestamp the window accepts now, `now - skew`: nonces older than this
    /// are refused whatever the store holds. Not the time to forget them: see
    /// [`NonceRecord::oldest_kept`].
    pub fn oldest_accepted(&self) -> i64 {
        self.now.saturating_sub(self.skew)
    }

    /// The oldest timestamp the store must still keep now, `now - skew - retention`: a
    /// store that prunes old nonces as it records deletes only those before it.
    pub fn oldest_kept(&self) -> i64 {
        self.oldest_accepted().saturating_sub(self.retention)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_future_nonce_is_kept_until_its_timestamp_plus_the_window_and_the_margin() {
        let nonce = NonceRecord::new("s", 1_000 + 60, "x", 1_000, 300).with_retention(20);
        assert_eq!(nonce.keep_until(), 1_380);
        assert_eq!(nonce.ttl(), 381);
        assert_eq!(nonce.oldest_accepted(), 700);
        assert_eq!(nonce.oldest_kept(), 680);
    }

    #[test]
    fn the_default_margin_is_five_minutes_and_never_negative() {
        let nonce = NonceRecord::new("s", 1_000, "x", 1_000, 60);
        assert_eq!(nonce.keep_until(), 1_000 + 60 + 300);
        assert_eq!(nonce.with_retention(-5).keep_until(), 1_060);
    }

    #[test]
    fn the_ttl_is_at_least_one_second_and_saturates() {
        assert_eq!(NonceRecord::new("s", 0, "x", i64::MAX, 10).ttl(), 1);
        assert_eq!(NonceRecord::new("s", i64::MAX, "x", i64::MIN, 10).ttl(), i64::MAX);
        assert_eq!(NonceRecord::new("s", 5, "x", 5, 0).with_retention(0).ttl(), 1);
        assert_eq!(NonceRecord::new("s", 0, "x", i64::MIN, 10).oldest_kept(), i64::MIN);
    }
}
