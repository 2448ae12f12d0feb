//! Key names and the per-server index of associations.
//!
//! memcached keys are at most 250 bytes without spaces or control characters, so every
//! key is the configured prefix, a one-letter kind and a hex SHA-256 digest:
//! `<prefix>n:<nonce>`, `<prefix>a:<server URL, handle>`, `<prefix>i:<server URL>`.

use std::fmt::Write as _;

use openid_store_kit::keys::{association_digest, hex, nonce_digest, server_digest};

/// Longest prefix: the kind and digest take 66 of memcached's 250 bytes.
pub(crate) const MAX_PREFIX: usize = 150;

/// Entries kept in a server's index: the newest associations by issue time.
pub(crate) const MAX_INDEX_ENTRIES: usize = 32;

/// memcached treats a TTL above 30 days as an absolute Unix time; longer lives are capped
/// (a lost association is simply negotiated again).
pub(crate) const MAX_TTL: i64 = 30 * 24 * 60 * 60;

/// Whether `prefix` fits memcached's keys: printable ASCII without spaces, at most
/// [`MAX_PREFIX`] bytes.
pub(crate) fn is_valid_prefix(prefix: &str) -> bool {
    prefix.len() <= MAX_PREFIX && prefix.bytes().all(|b| b.is_ascii_graphic())
}

pub(crate) fn nonce_key(prefix: &str, server_url: &str, timestamp: i64, salt: &str) -> String {
    format!("{prefix}n:{}", hex(&nonce_digest(server_url, timestamp, salt)))
}

pub(crate) fn association_key(prefix: &str, server_url: &str, handle: &str) -> String {
    format!("{prefix}a:{}", hex(&association_digest(server_url, handle)))
}

/// Where each server records the identity of the ring that placed the keys under `prefix`.
pub(crate) fn ring_key(prefix: &str) -> String {
    format!("{prefix}ring")
}

pub(crate) fn index_key(prefix: &str, server_url: &str) -> String {
    format!("{prefix}i:{}", hex(&server_digest(server_url)))
}

/// A TTL for memcached: at least 1 s (0 would mean "never expires"), at most 30 days.
pub(crate) fn ttl(seconds: i64) -> u32 {
    u32::try_from(seconds.clamp(1, MAX_TTL)).unwrap_or(1)
}

/// One entry of a server's index: an association's handle, issue and expiry times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) issued: i64,
    pub(crate) expires_at: i64,
    pub(crate) handle: String,
}

/// The index: entries newest first (by issue time, then handle), one line each,
/// `<issued> <expires_at> <handle>` (handles have no spaces).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Index {
    pub(crate) entries: Vec<Entry>,
}

impl Index {
    pub(crate) fn parse(bytes: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut entries = Vec::new();
        for line in text.lines() {
            let mut fields = line.splitn(3, ' ');
            let issued = fields.next()?.parse().ok()?;
            let expires_at = fields.next()?.parse().ok()?;
            let handle = fields.next()?.to_owned();
            entries.push(Entry { issued, expires_at, handle });
        }
        Some(Self { entries })
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = String::new();
        for entry in &self.entries {
            let _ = writeln!(out, "{} {} {}", entry.issued, entry.expires_at, entry.handle);
        }
        out.into_bytes()
    }

    /// Adds or replaces `entry`, drops entries expired at `now`, keeps the newest
    /// [`MAX_INDEX_ENTRIES`].
    pub(crate) fn upsert(&mut self, entry: Entry, now: i64) {
        self.entries.retain(|e| e.handle != entry.handle && e.expires_at > now);
        self.entries.push(entry);
        self.entries.sort_by(|a, b| b.issued.cmp(&a.issued).then_with(|| b.handle.cmp(&a.handle)));
        self.entries.truncate(MAX_INDEX_ENTRIES);
    }

    /// Removes `handle`; whether it was there.
    pub(crate) fn remove(&mut self, handle: &str) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| e.handle != handle);
        self.entries.len() != before
    }

    /// Seconds the index must live: until its last entry expires.
    pub(crate) fn ttl(&self, now: i64) -> u32 {
        ttl(self.entries.iter().map(|e| e.expires_at).max().unwrap_or(now).saturating_sub(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(issued: i64, handle: &str) -> Entry {
        Entry { issued, expires_at: issued + 100, handle: handle.into() }
    }

    #[test]
    fn keys_fit_memcached_limits_whatever_the_input() {
        let long = "é".repeat(5_000);
        for key in [
            nonce_key(&"p".repeat(MAX_PREFIX), &long, i64::MAX, &long),
            association_key("x:", &long, &long),
            index_key("", &long),
        ] {
            assert!(key.len() <= 250 && key.bytes().all(|b| b.is_ascii_graphic()), "{key}");
        }
        assert!(!is_valid_prefix("has space"));
        assert!(!is_valid_prefix(&"p".repeat(MAX_PREFIX + 1)));
        assert!(is_valid_prefix("site:openid:"));
    }

    /// The widest window the settings accept keeps a nonce dated the window ahead for its
    /// whole life: the TTL `record_nonce` gives it is not cut to memcached's 30 days.
    #[test]
    fn the_widest_window_fits_memcacheds_relative_ttls() {
        use openid_consumer::store::NonceRecord;
        use openid_store_kit::settings::MAX_SKEW;

        let now = 1_700_000_000;
        let nonce = NonceRecord::new("s", now + MAX_SKEW, "x", now, MAX_SKEW);
        let wanted = nonce.ttl().saturating_add(1);
        assert_eq!(i64::from(ttl(wanted)), wanted, "the TTL was capped below the window");
    }

    #[test]
    fn ttls_stay_relative_and_positive() {
        assert_eq!(ttl(0), 1);
        assert_eq!(ttl(-5), 1);
        assert_eq!(ttl(600), 600);
        assert_eq!(ttl(i64::MAX), 2_592_000);
    }

    #[test]
    fn index_keeps_newest_first_and_replaces_handles() {
        let mut index = Index::default();
        index.upsert(entry(10, "a"), 0);
        index.upsert(entry(30, "c"), 0);
        index.upsert(entry(20, "b"), 0);
        index.upsert(entry(5, "c"), 0);
        let handles: Vec<&str> = index.entries.iter().map(|e| e.handle.as_str()).collect();
        assert_eq!(handles, ["b", "a", "c"]);
        assert_eq!(Index::parse(&index.encode()), Some(index.clone()));
        assert!(index.remove("a"));
        assert!(!index.remove("a"));
    }

    #[test]
    fn index_drops_expired_entries_and_stays_bounded() {
        let mut index = Index::default();
        for i in 0..100 {
            index.upsert(entry(i, &format!("h{i}")), 0);
        }
        assert_eq!(index.entries.len(), MAX_INDEX_ENTRIES);
        assert_eq!(index.entries.first().map(|e| e.issued), Some(99));
        index.upsert(entry(1_000, "new"), 1_000);
        assert_eq!(index.entries.len(), 1);
    }

    #[test]
    fn corrupt_index_is_detected() {
        assert!(Index::parse(b"12 x handle\n").is_none());
        assert!(Index::parse(b"12\n").is_none());
        assert!(Index::parse(&[0xff]).is_none());
    }
}
