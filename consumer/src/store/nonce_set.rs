//! The nonces a [`MemoryStore`](super::MemoryStore) has seen: a hash set for the question
//! "seen before?", and the same nonces bucketed by timestamp for dropping the oldest.
//!
//! A sorted set answered both with one structure, but each insert walked a tree of
//! millions of random 24-byte keys (cache misses at every level); the hash set touches one
//! slot, and the bucket of the current second is always in cache.

use std::collections::{BTreeMap, HashSet};

use sha2::digest::consts::U16;
use sha2::{Digest, Sha256};

/// A nonce as recorded: its timestamp and [`digest`].
type Key = (i64, [u8; 16]);

#[derive(Debug, Default)]
pub(super) struct NonceSet {
    seen: HashSet<Key>,
    /// timestamp -> the digests recorded with it.
    by_time: BTreeMap<i64, Vec<[u8; 16]>>,
}

impl NonceSet {
    /// Records a nonce; `true` if it was not there.
    pub(super) fn insert(&mut self, timestamp: i64, server_url: &str, salt: &str) -> bool {
        let digest = digest(server_url, salt);
        if !self.seen.insert((timestamp, digest)) {
            return false;
        }
        self.by_time.entry(timestamp).or_default().push(digest);
        true
    }

    /// Drops the nonces with a timestamp before `oldest`, oldest first; how many.
    pub(super) fn prune(&mut self, oldest: i64) -> usize {
        let mut removed = 0;
        while let Some(entry) = self.by_time.first_entry()
            && *entry.key() < oldest
        {
            let (timestamp, digests) = entry.remove_entry();
            for digest in digests {
                self.seen.remove(&(timestamp, digest));
                removed += 1;
            }
        }
        removed
    }

    pub(super) fn len(&self) -> usize {
        self.seen.len()
    }
}

/// SHA-256 of (URL length, URL, salt), truncated to 128 bits. Without the length, ("ab",
/// "c") and ("a", "bc") would be one nonce; the salt needs none, as it runs to the end.
fn digest(server_url: &str, salt: &str) -> [u8; 16] {
    let digest = Sha256::new()
        .chain_update((server_url.len() as u64).to_le_bytes())
        .chain_update(server_url)
        .chain_update(salt)
        .finalize();
    let (head, _) = digest.split::<U16>();
    head.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prunes_by_timestamp_and_counts_exactly() {
        let mut set = NonceSet::default();
        assert!(set.insert(10, "s", "a"));
        assert!(set.insert(10, "s", "b"));
        assert!(set.insert(12, "s", "a"));
        assert!(!set.insert(10, "s", "a"));
        assert_eq!(set.prune(10), 0);
        assert_eq!(set.prune(11), 2);
        assert_eq!(set.len(), 1);
        assert!(set.insert(10, "s", "a"), "gone after the prune");
        assert_eq!(set.prune(i64::MAX), 2);
        assert_eq!((set.len(), set.by_time.len()), (0, 0));
    }
}
