//! Connections: an r2d2 pool of single-server or cluster connections with timeouts.
//!
//! The `redis` crate's own r2d2 support is not used because it checks every connection out
//! with a `PING` (a round trip before each one-command operation, doubling its latency) and
//! sets no read or write timeouts. Here a connection is checked out without a round trip;
//! it is dropped when a command on it failed at the connection level, and a dropped
//! connection (the server went away) marks every pooled connection stale (a generation
//! counter), so after a restart the pool reconnects instead of failing once per stale
//! connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::ConnectionLike;
use redis::cluster::{ClusterClient, ClusterConnection};

/// Where connections go.
pub(crate) enum Target {
    /// One server.
    Single(redis::Client),
    /// A Redis Cluster; each connection holds one connection per master.
    Cluster(ClusterClient),
}

/// A pooled connection.
pub(crate) struct Connection {
    inner: Inner,
    generation: u64,
    /// Set when a command failed at the connection level: the connection is not reused.
    broken: bool,
    /// Operations run on it so far.
    uses: u64,
}

enum Inner {
    Single(redis::Connection),
    Cluster(Box<ClusterConnection>),
}

impl Connection {
    /// The connection, to run commands and scripts on; counts a use.
    pub(crate) fn redis(&mut self) -> &mut dyn ConnectionLike {
        self.uses = self.uses.saturating_add(1);
        match &mut self.inner {
            Inner::Single(connection) => connection,
            Inner::Cluster(connection) => &mut **connection,
        }
    }

    /// Checks that the server answers, accepts the credentials and is of the right kind:
    /// `PING` on a single server; `CLUSTER INFO` on a cluster, which a server without
    /// cluster support refuses (the cluster client alone would take such a server for a
    /// cluster of one node).
    pub(crate) fn check(&mut self) -> redis::RedisResult<()> {
        match &mut self.inner {
            Inner::Single(connection) => redis::cmd("PING").exec(connection),
            Inner::Cluster(connection) => redis::cmd("CLUSTER").arg("INFO").exec(&mut **connection),
        }
    }

    /// Whether an operation ran on it before the current one (it came from the pool's idle
    /// connections rather than being opened for this operation).
    pub(crate) fn was_reused(&self) -> bool {
        self.uses > 1
    }

    /// Keeps it out of the pool from now on.
    pub(crate) fn mark_broken(&mut self) {
        self.broken = true;
    }

    fn is_open(&self) -> bool {
        match &self.inner {
            Inner::Single(connection) => connection.is_open(),
            Inner::Cluster(connection) => connection.is_open(),
        }
    }
}

/// Creates and checks connections for r2d2.
pub(crate) struct Manager {
    target: Target,
    timeout: Duration,
    generation: Arc<AtomicU64>,
}

impl Manager {
    /// Connections to `target`: connecting, and every read and write, are limited to
    /// `timeout` (for a single server; for a cluster the client was built with its limits).
    pub(crate) fn new(target: Target, timeout: Duration, generation: Arc<AtomicU64>) -> Self {
        Self { target, timeout, generation }
    }

    /// Marks every connection made so far stale.
    pub(crate) fn invalidate(generation: &AtomicU64) {
        generation.fetch_add(1, Ordering::AcqRel);
    }
}

/// Why the pool could not provide a connection.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectError {
    /// Connecting failed.
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
    /// The connection predates a connection failure, or broke, and is replaced.
    #[error("stale connection replaced")]
    Stale,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = ConnectError;

    fn connect(&self) -> Result<Connection, ConnectError> {
        // Read before connecting: a failure during the connect makes this one stale too.
        let generation = self.generation.load(Ordering::Acquire);
        let inner = match &self.target {
            Target::Single(client) => {
                let connection = client.get_connection_with_timeout(self.timeout)?;
                connection.set_read_timeout(Some(self.timeout))?;
                connection.set_write_timeout(Some(self.timeout))?;
                Inner::Single(connection)
            }
            Target::Cluster(client) => {
                let connection = client.get_connection()?;
                connection.set_write_timeout(Some(self.timeout))?;
                Inner::Cluster(Box::new(connection))
            }
        };
        Ok(Connection { inner, generation, broken: false, uses: 0 })
    }

    fn is_valid(&self, connection: &mut Connection) -> Result<(), ConnectError> {
        if !connection.broken
            && connection.generation == self.generation.load(Ordering::Acquire)
            && connection.is_open()
        {
            Ok(())
        } else {
            Err(ConnectError::Stale)
        }
    }

    fn has_broken(&self, connection: &mut Connection) -> bool {
        connection.broken || !connection.is_open()
    }
}

/// Sends r2d2's background connection errors to `tracing` (r2d2 logs them with `log`).
#[derive(Debug)]
pub(crate) struct LogErrors;

impl r2d2::HandleError<ConnectError> for LogErrors {
    fn handle_error(&self, error: ConnectError) {
        tracing::warn!(%error, "connecting to Redis failed");
    }
}
