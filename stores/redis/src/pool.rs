//! How the store connects: single-server or cluster connections with timeouts, for the
//! kit's [`Pool`](openid_store_kit::pool::Pool).
//!
//! The `redis` crate's own r2d2 support is not used: it checks every connection out with a
//! `PING` (a round trip before each one-command operation, doubling its latency) and sets
//! no read or write timeouts.

use std::time::Duration;

use openid_store_kit::pool::{Failure, Verdict};
use redis::cluster::{ClusterClient, ClusterConnection};
use redis::{ConnectionLike, ErrorKind, RedisError, ServerErrorKind};

/// Where connections go.
pub(crate) enum Client {
    /// One server.
    Single(redis::Client),
    /// A Redis Cluster; each connection holds one connection per master.
    Cluster(ClusterClient),
}

/// A connection to one server, or to every master of a cluster.
pub(crate) enum Connection {
    Single(redis::Connection),
    Cluster(Box<ClusterConnection>),
}

/// Connects to the server or cluster: connecting, and every read and write, are limited to
/// the timeout (for a single server; a cluster's client was built with its limits).
pub(crate) struct Connector {
    pub(crate) client: Client,
    pub(crate) timeout: Duration,
    /// `redis://host:port/db` or `redis+cluster://host:port,...`, never the password.
    pub(crate) target: String,
}

impl Connection {
    /// The connection, to run commands and scripts on.
    pub(crate) fn redis(&mut self) -> &mut dyn ConnectionLike {
        match self {
            Self::Single(connection) => connection,
            Self::Cluster(connection) => &mut **connection,
        }
    }

    /// Checks that the server answers, accepts the credentials and is of the right kind:
    /// `PING` on a single server; `CLUSTER INFO` on a cluster, which a server without
    /// cluster support refuses (the cluster client alone would take such a server for a
    /// cluster of one node).
    pub(crate) fn check(&mut self) -> redis::RedisResult<()> {
        match self {
            Self::Single(connection) => redis::cmd("PING").exec(connection),
            Self::Cluster(connection) => redis::cmd("CLUSTER").arg("INFO").exec(&mut **connection),
        }
    }
}

impl openid_store_kit::pool::Connector for Connector {
    type Connection = Connection;
    type Error = RedisError;

    fn connect(&self) -> Result<Connection, RedisError> {
        Ok(match &self.client {
            Client::Single(client) => {
                let connection = client.get_connection_with_timeout(self.timeout)?;
                connection.set_read_timeout(Some(self.timeout))?;
                connection.set_write_timeout(Some(self.timeout))?;
                Connection::Single(connection)
            }
            Client::Cluster(client) => {
                let connection = client.get_connection()?;
                connection.set_write_timeout(Some(self.timeout))?;
                Connection::Cluster(Box::new(connection))
            }
        })
    }

    fn is_open(&self, connection: &mut Connection) -> bool {
        match connection {
            Connection::Single(connection) => connection.is_open(),
            Connection::Cluster(connection) => connection.is_open(),
        }
    }

    fn classify(&self, error: &RedisError) -> Failure {
        if matches!(error.kind(), ErrorKind::Server(_) | ErrorKind::Extension) {
            Failure::Answered
        } else if error.is_connection_dropped() {
            Failure::Gone
        } else {
            Failure::Broken
        }
    }

    fn verdict(&self, error: &RedisError) -> Verdict {
        if let Some(fix) = configuration_problem(error) {
            return Verdict::Misconfigured(fix);
        }
        // In a script, older servers wrap the code in an ERR.
        if error.code() == Some("WRONGTYPE")
            || error.detail().is_some_and(|detail| detail.contains("WRONGTYPE"))
        {
            return Verdict::Corrupt("a key of this store holds a value of another type");
        }
        Verdict::Unavailable
    }

    fn target(&self) -> &str {
        &self.target
    }
}

/// What to fix, when `error` says the configuration is wrong rather than the server away.
fn configuration_problem(error: &RedisError) -> Option<&'static str> {
    if matches!(
        error.kind(),
        ErrorKind::AuthenticationFailed
            | ErrorKind::InvalidClientConfig
            | ErrorKind::Server(ServerErrorKind::NoPerm)
    ) || matches!(error.code(), Some("NOAUTH" | "WRONGPASS" | "NOPERM"))
    {
        return Some(
            "the server refused the credentials or permissions: check the URL's user and password and the ACL",
        );
    }
    if error.kind() == ErrorKind::Server(ServerErrorKind::Moved) {
        return Some("the server is a Redis Cluster node: use a redis+cluster:// URL");
    }
    if error.detail().is_some_and(|detail| detail.contains("cluster support disabled")) {
        return Some("the server is not a Redis Cluster: use a redis:// URL");
    }
    None
}
