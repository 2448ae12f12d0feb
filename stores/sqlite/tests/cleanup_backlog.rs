//! Cleanup of a large backlog runs in batches: it finishes, and other processes' writes get
//! the lock in between.
// See: issue 15, item 4 (SQLite's one long delete blocked other processes' use_nonce past
// their busy timeout).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use openid_consumer::nonce::SKEW;
use openid_consumer::store::{ManualClock, NONCE_RETENTION, OpenIdStore};
use openid_store_sqlite::SqliteStore;
use openid_store_sqlite::rusqlite::Connection;

const NOW: i64 = 1_700_000_000;
const BACKLOG: i64 = 1_000_000;

#[test]
fn a_million_expired_nonces_are_cleaned_up_while_another_process_keeps_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openid.sqlite");
    let clock = Arc::new(ManualClock::new(NOW));
    let cleaner = SqliteStore::builder(&path).clock(clock.clone()).build().unwrap();
    assert!(cleaner.use_nonce("https://op.example/", NOW, "live").unwrap());

    let started = Instant::now();
    let oldest_kept = NOW - SKEW - NONCE_RETENTION;
    let conn = Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO openid_nonces (timestamp, server_url, salt) \
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?2) \
         SELECT ?1 - 1 - (x % 7200), 'https://op.example/', 'salt-' || x FROM c",
        (oldest_kept, BACKLOG),
    )
    .unwrap();
    drop(conn);
    eprintln!("backlog of {BACKLOG} written in {:?}", started.elapsed());

    // Another process's store, whose writes wait at most 3 s for the lock: far longer than
    // a batch takes, even with a slow fsync on a loaded machine, and shorter than one delete
    // of the whole backlog (7.5 s in a debug build here).
    let other = SqliteStore::builder(&path)
        .clock(clock.clone())
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let done = AtomicBool::new(false);
    let started = Instant::now();
    let (removed, written) = std::thread::scope(|scope| {
        let meanwhile = scope.spawn(|| {
            let mut count = 0;
            while !done.load(Ordering::SeqCst) {
                let salt = format!("during-{count}");
                // An error here (busy past the timeout) fails the test.
                assert!(other.use_nonce("https://op.example/", NOW, &salt).unwrap());
                count += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            count
        });
        let removed = cleaner.cleanup_nonces().unwrap();
        done.store(true, Ordering::SeqCst);
        (removed, meanwhile.join().unwrap())
    });
    let took = started.elapsed();
    eprintln!("cleanup took {took:?}, {written} writes meanwhile");
    assert_eq!(removed, usize::try_from(BACKLOG).unwrap());
    assert!(took < Duration::from_secs(120), "cleanup took {took:?}");
    assert!(written > 0);
    assert!(!cleaner.use_nonce("https://op.example/", NOW, "live").unwrap(), "kept");
    assert_eq!(cleaner.cleanup_nonces().unwrap(), 0);
}
