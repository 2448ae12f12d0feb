//! Cleaning up a large backlog of old nonces as an operator's job would: calling again
//! after a call that ran out of time, since what its earlier batches deleted stays deleted.

use std::time::{Duration, Instant};

use openid_consumer::store::OpenIdStore;

/// What [`cleanup_backlog`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cleanup {
    /// Nonces the successful call reported removed (earlier calls' batches not counted).
    pub removed: usize,
    /// Calls made, the successful one included.
    pub attempts: u32,
    /// Time from the first call to the end of the successful one.
    pub took: Duration,
}

/// Calls [`OpenIdStore::cleanup_nonces`] until it succeeds, again after each call that
/// failed as unavailable (on a loaded machine one batch may outlast a short time limit),
/// at most `attempts` times. A store that deletes a backlog in one statement fails every
/// call under a limit shorter than that statement; a batched one gets to the end.
///
/// # Panics
/// When a call fails otherwise, or the last allowed call fails: the test fails with the
/// store's error.
pub fn cleanup_backlog(store: &dyn OpenIdStore, attempts: u32) -> Cleanup {
    let started = Instant::now();
    let mut made = 0;
    loop {
        made += 1;
        match store.cleanup_nonces() {
            Ok(removed) => {
                let took = started.elapsed();
                eprintln!("cleanup took {took:?} in {made} attempt(s)");
                return Cleanup { removed, attempts: made, took };
            }
            Err(error) if error.is_unavailable() && made < attempts => {
                eprintln!("cleanup attempt {made}: {error}");
            }
            Err(error) => panic!("cleanup failed {made} times, the last with: {error}"),
        }
    }
}

/// Runs `attempt` until it succeeds, at most `attempts` times, pausing `pause` after each
/// failure: for building a store with a short time limit in a test about that limit,
/// where the build's own connection and schema check run under it too and a loaded
/// machine may need a second try.
///
/// # Panics
/// When every attempt failed, with the last error and `what`.
pub fn with_retries<T>(
    attempts: u32,
    pause: Duration,
    what: &str,
    mut attempt: impl FnMut() -> Result<T, openid_consumer::store::StoreError>,
) -> T {
    let mut made = 0;
    loop {
        made += 1;
        match attempt() {
            Ok(value) => return value,
            Err(error) if made < attempts => {
                eprintln!("{what}, attempt {made}: {error}");
                std::thread::sleep(pause);
            }
            Err(error) => panic!("{what} failed {made} times, the last with: {error}"),
        }
    }
}
