//! Connections: an r2d2 pool of `mysql` connections, each caching its prepared statements.
//!
//! The `mysql` crate's own pool either pings the server on every checkout (a round trip
//! per operation) or, without that, keeps handing out connections that died with a server
//! restart. Here a checkout costs no round trip; a connection that fails is marked broken
//! and every pooled connection stale (a generation counter), so the next checkout
//! reconnects.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use mysql::{Conn, Opts};

/// A pooled connection.
pub(crate) struct Connection {
    pub(crate) conn: Conn,
    generation: u64,
    broken: bool,
}

impl Connection {
    /// Marks the connection as unusable: r2d2 drops it instead of pooling it.
    pub(crate) fn mark_broken(&mut self) {
        self.broken = true;
    }
}

/// Creates and checks connections for r2d2.
#[derive(Debug)]
pub(crate) struct Manager {
    opts: Opts,
    generation: Arc<AtomicU64>,
}

impl Manager {
    pub(crate) fn new(opts: Opts, generation: Arc<AtomicU64>) -> Self {
        Self { opts, generation }
    }
}

/// Why the pool could not provide a connection.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectError {
    /// Connecting failed.
    #[error(transparent)]
    Mysql(#[from] mysql::Error),
    /// The connection predates a connection failure and is replaced.
    #[error("stale connection replaced")]
    Stale,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = ConnectError;

    fn connect(&self) -> Result<Connection, ConnectError> {
        Ok(Connection {
            conn: Conn::new(self.opts.clone())?,
            generation: self.generation.load(Ordering::Acquire),
            broken: false,
        })
    }

    fn is_valid(&self, connection: &mut Connection) -> Result<(), ConnectError> {
        if !connection.broken && connection.generation == self.generation.load(Ordering::Acquire) {
            Ok(())
        } else {
            Err(ConnectError::Stale)
        }
    }

    fn has_broken(&self, connection: &mut Connection) -> bool {
        connection.broken
    }
}
