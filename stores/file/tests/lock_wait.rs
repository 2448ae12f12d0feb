//! Waits for the lock file are bounded, and nonces never wait for it.
// See: issue 15, item 4 (the file store's flock had no timeout, and cleanup_nonces took
// the exclusive lock though nonces do not use it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::File;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openid_consumer::crypto::AssociationType;
use openid_consumer::nonce::SKEW;
use openid_consumer::store::{Association, ManualClock, NONCE_RETENTION, OpenIdStore};
use openid_store_file::FileStore;

const NOW: i64 = 1_700_000_000;
const SERVER: &str = "https://op.example/server";

#[test]
fn a_held_lock_fails_association_writes_within_the_timeout_and_never_blocks_nonces() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let timeout = Duration::from_millis(500);
    let store = FileStore::builder(dir.path())
        .clock(clock.clone())
        .timeout(timeout)
        .sync(false)
        .build()
        .unwrap();
    assert!(store.use_nonce(SERVER, NOW, "old").unwrap());

    // Another process's cleanup, stopped while it holds the lock: a separate open file
    // description conflicts with the store's even within one process.
    let holder = File::create(dir.path().join("lock")).unwrap();
    holder.lock().unwrap();

    let association =
        Association::new("h", vec![1; 20], NOW, 600, AssociationType::HmacSha1).unwrap();
    let started = Instant::now();
    let error = store.store_association(SERVER, &association).unwrap_err();
    let took = started.elapsed();
    assert!(error.is_unavailable(), "{error}");
    assert!(error.to_string().contains("cannot lock"), "{error}");
    // Slack for a loaded machine: the point is that the wait ends, and not before the limit.
    assert!(took >= timeout && took < timeout * 10, "waited {took:?}");
    assert!(store.cleanup_associations().unwrap_err().is_unavailable());

    // Nonces and their cleanup take no lock.
    assert!(store.use_nonce(SERVER, NOW, "new").unwrap());
    assert!(!store.use_nonce(SERVER, NOW, "new").unwrap());
    clock.advance(SKEW + NONCE_RETENTION + 1);
    let started = Instant::now();
    assert_eq!(store.cleanup_nonces().unwrap(), 2);
    assert!(started.elapsed() < timeout, "cleanup_nonces waited for the lock");

    drop(holder);
    store.store_association(SERVER, &association).unwrap();
}
