//! Helpers for a store's own tests of time limits on a loaded machine: cleaning up a large
//! backlog of old nonces as an operator's job would, and building a store whose short
//! time limit also bounds its own connection and schema check.

use std::time::{Duration, Instant};

use openid_consumer::store::{OpenIdStore, StoreError};

/// Between two calls of [`clean_up_backlog`].
const PAUSE: Duration = Duration::from_millis(300);

/// What [`clean_up_backlog`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BacklogCleanup {
    /// Nonces the successful call reported removed (what failed calls' batches deleted
    /// before them is not counted).
    pub removed_by_last_call: usize,
    /// Calls made, the successful one included.
    pub calls: u32,
    /// Time from the first call to the end of the successful one.
    pub took: Duration,
}

/// Calls [`OpenIdStore::cleanup_nonces`] until it succeeds: again, after a pause of
/// 300 ms, when a call fails as unavailable (on a loaded machine one batch may outlast a
/// short time limit; what the earlier batches deleted stays deleted), at most `max_calls`
/// calls (at least one).
///
/// A success alone does not show that the store deletes in batches: a server such as
/// MariaDB goes on with a statement after its client gave up on it, so a later call of a
/// store that deletes everything in one statement may succeed with little left to do.
/// Check `calls == 1` with the whole backlog in
/// [`removed_by_last_call`](BacklogCleanup::removed_by_last_call), or count the server's
/// statements.
///
/// # Panics
/// When a call fails otherwise, or the last allowed call fails: the test fails with the
/// store's error.
pub fn clean_up_backlog(store: &dyn OpenIdStore, max_calls: u32) -> BacklogCleanup {
    let started = Instant::now();
    let mut calls = 0;
    let removed = retry_while_unavailable(max_calls, PAUSE, "cleanup", || {
        calls += 1;
        store.cleanup_nonces()
    });
    let took = started.elapsed();
    eprintln!("cleanup took {took:?} in {calls} call(s)");
    BacklogCleanup { removed_by_last_call: removed, calls, took }
}

/// Runs `attempt` until it succeeds, again after `pause` while it fails as unavailable, at
/// most `max_attempts` times (at least once): for building a store with a short time limit
/// in a test of that limit, where the build's own connection and schema check run under
/// it too, or for a first call after a fault.
///
/// # Panics
/// When an attempt fails otherwise (a configuration error is not retried), or the last
/// allowed attempt fails, with `what` and the store's error.
pub fn retry_while_unavailable<T>(
    max_attempts: u32,
    pause: Duration,
    what: &str,
    mut attempt: impl FnMut() -> Result<T, StoreError>,
) -> T {
    let mut made = 0;
    loop {
        made += 1;
        match attempt() {
            Ok(value) => return value,
            Err(error) if error.is_unavailable() && made < max_attempts => {
                eprintln!("{what}, attempt {made}: {error}");
                std::thread::sleep(pause);
            }
            Err(error) => panic!("{what} failed after {made} attempt(s), the last with: {error}"),
        }
    }
}
