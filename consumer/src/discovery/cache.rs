//! [`DiscoveryCache`]: reuse a discovery result for a while.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::DiscoveryResult;

/// A small time-limited cache of discovery results, keyed by normalised identifier, so a busy
/// site does not fetch the same XRDS document on every login.
///
/// Entries expire `ttl` after they were stored; when `capacity` is reached the oldest entry
/// is dropped. A capacity of 0 stores nothing.
#[derive(Debug)]
pub struct DiscoveryCache {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<VecDeque<(String, Instant, DiscoveryResult)>>,
}

impl DiscoveryCache {
    /// A cache keeping at most `capacity` results for `ttl` each.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self { ttl, capacity, entries: Mutex::new(VecDeque::new()) }
    }

    /// The fresh result for `key`, if any.
    pub fn get(&self, key: &str) -> Option<DiscoveryResult> {
        self.get_at(key, Instant::now())
    }

    /// Stores `result` under `key`, replacing an older entry.
    pub fn insert(&self, key: String, result: DiscoveryResult) {
        self.insert_at(key, result, Instant::now());
    }

    /// Removes every entry.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The number of entries, expired ones included until they are evicted.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get_at(&self, key: &str, now: Instant) -> Option<DiscoveryResult> {
        let mut entries = self.lock();
        entries.retain(|(_, stored, _)| now.saturating_duration_since(*stored) < self.ttl);
        entries.iter().find(|(k, _, _)| k == key).map(|(_, _, result)| result.clone())
    }

    fn insert_at(&self, key: String, result: DiscoveryResult, now: Instant) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.lock();
        entries.retain(|(k, stored, _)| {
            *k != key && now.saturating_duration_since(*stored) < self.ttl
        });
        while entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back((key, now, result));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(String, Instant, DiscoveryResult)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str) -> DiscoveryResult {
        DiscoveryResult {
            claimed_id: id.to_owned(),
            display_identifier: id.to_owned(),
            endpoints: Vec::new(),
            rejected: Vec::new(),
        }
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let cache = DiscoveryCache::new(Duration::from_secs(60), 10);
        let start = Instant::now();
        cache.insert_at("http://a/".into(), result("http://a/"), start);
        assert!(cache.get_at("http://a/", start + Duration::from_secs(59)).is_some());
        assert!(cache.get_at("http://a/", start + Duration::from_secs(60)).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn the_oldest_entry_is_dropped_at_capacity() {
        let cache = DiscoveryCache::new(Duration::from_secs(60), 2);
        let now = Instant::now();
        cache.insert_at("a".into(), result("a"), now);
        cache.insert_at("b".into(), result("b"), now);
        cache.insert_at("c".into(), result("c"), now);
        assert!(cache.get_at("a", now).is_none());
        assert_eq!(cache.get_at("b", now).map(|r| r.claimed_id), Some("b".to_owned()));
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn zero_capacity_stores_nothing() {
        let cache = DiscoveryCache::new(Duration::from_secs(60), 0);
        cache.insert("a".into(), result("a"));
        assert!(cache.get("a").is_none());
    }
}
