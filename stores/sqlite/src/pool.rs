//! A small pool of connections to one database file: up to `max` connections, each used by
//! one operation at a time, handed back when the operation ends. A caller waits for a
//! connection at most the store's time limit.

use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use openid_consumer::store::StoreError;
use rusqlite::Connection;

use crate::Synchronous;
use crate::error::SqliteError;

/// The connections of one store.
pub(crate) struct Pool {
    state: Mutex<State>,
    returned: Condvar,
    /// How to open more; `None` for an in-memory database or a connection given by the
    /// caller, which stay alone (a second connection would be another database).
    opener: Option<Opener>,
    max: usize,
    /// How long a caller waits for a connection handed back before it fails.
    wait: Duration,
    /// The database, for messages.
    location: String,
}

struct State {
    idle: Vec<Connection>,
    /// Connections in existence, idle or in use.
    open: usize,
    /// Threads waiting for a connection (so a hand-back without waiters skips the wake-up
    /// system call).
    waiting: usize,
}

/// What a new connection needs: the file and the per-connection settings.
pub(crate) struct Opener {
    pub(crate) path: PathBuf,
    pub(crate) location: String,
    pub(crate) busy_timeout: Duration,
    pub(crate) synchronous: Synchronous,
}

impl Pool {
    /// A pool holding `first` (already set up), growing to `max` connections if it has an
    /// opener; a caller waits up to `wait` for a connection.
    pub(crate) fn new(
        first: Connection,
        opener: Option<Opener>,
        max: u32,
        wait: Duration,
        location: String,
    ) -> Self {
        let max =
            if opener.is_some() { usize::try_from(max).unwrap_or(usize::MAX).max(1) } else { 1 };
        Self {
            state: Mutex::new(State { idle: vec![first], open: 1, waiting: 0 }),
            returned: Condvar::new(),
            opener,
            max,
            wait,
            location,
        }
    }

    /// Runs `f` with a connection: an idle one, a new one while fewer than `max` exist, or
    /// the next one handed back.
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let guard = Checkout { pool: self, conn: Some(self.checkout()?) };
        match guard.conn.as_ref() {
            Some(conn) => f(conn),
            None => Err(StoreError::unavailable(
                "SQLite connection pool",
                std::io::Error::other("checked-out connection missing"),
            )),
        }
    }

    fn checkout(&self) -> Result<Connection, StoreError> {
        // Without a deadline, a caller queued behind a stuck operation (a statement waiting
        // on a disk that stopped answering) would wait with it for ever.
        let deadline = Instant::now() + self.wait;
        let mut state = self.lock();
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(conn);
            }
            if let Some(opener) = self.opener.as_ref().filter(|_| state.open < self.max) {
                state.open += 1;
                drop(state);
                let opened = opener.open();
                if opened.is_err() {
                    let mut state = self.lock();
                    state.open -= 1;
                    if state.waiting > 0 {
                        self.returned.notify_one();
                    }
                }
                return opened;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let location = self.location.clone();
                return Err(SqliteError::PoolTimeout { location, waited: self.wait }.into());
            }
            state.waiting += 1;
            let (next, _) =
                self.returned.wait_timeout(state, left).unwrap_or_else(PoisonError::into_inner);
            state = next;
            state.waiting -= 1;
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a list and a count, updated in single steps: never half-changed.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Hands the connection back when the operation ends, also if it panicked (every operation
/// is one statement, so a connection is never left inside a transaction).
struct Checkout<'a> {
    pool: &'a Pool,
    conn: Option<Connection>,
}

impl Drop for Checkout<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut state = self.pool.lock();
            state.idle.push(conn);
            if state.waiting > 0 {
                self.pool.returned.notify_one();
            }
        }
    }
}

impl Opener {
    /// Opens and sets up one more connection (the schema and WAL mode already exist).
    fn open(&self) -> Result<Connection, StoreError> {
        let setup = |action| {
            let location = self.location.clone();
            move |source| SqliteError::Setup { action, location, source }
        };
        let conn = Connection::open(&self.path).map_err(setup("open another connection"))?;
        conn.busy_timeout(self.busy_timeout).map_err(setup("set the busy timeout"))?;
        conn.pragma_update(None, "synchronous", self.synchronous.as_str())
            .map_err(setup("set synchronous"))?;
        Ok(conn)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    #[test]
    fn a_caller_waits_for_a_connection_at_most_the_time_limit() {
        let wait = Duration::from_millis(200);
        let conn = Connection::open_in_memory().unwrap();
        let pool = Pool::new(conn, None, 1, wait, ":memory:".into());
        let (held_tx, held_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        std::thread::scope(|scope| {
            let pool = &pool;
            scope.spawn(move || {
                pool.with(|_| {
                    held_tx.send(()).unwrap();
                    // Held until the main thread has timed out (or, if it waits without a
                    // deadline, for 3 s, so the test fails instead of hanging).
                    let _ = release_rx.recv_timeout(Duration::from_secs(3));
                    Ok(())
                })
                .unwrap();
            });
            held_rx.recv().unwrap();
            let started = Instant::now();
            let error = pool.with(|_| Ok(())).unwrap_err();
            let took = started.elapsed();
            release_tx.send(()).unwrap();
            assert!(error.is_unavailable(), "{error}");
            assert!(error.to_string().contains("no connection"), "{error}");
            assert!(took >= wait && took < wait * 5, "waited {took:?}");
        });
        // Handed back: the next caller gets it at once.
        assert!(pool.with(|_| Ok(1)).is_ok());
    }
}
