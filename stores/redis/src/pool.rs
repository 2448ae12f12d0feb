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
    if let Some(problem) = tls_error(error) {
        return Some(tls_problem(problem));
    }
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

/// The TLS error inside `error`, if the connection failed on TLS: rustls reports it in an
/// I/O error, which the driver's error holds.
fn tls_error(error: &RedisError) -> Option<&rustls::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = next {
        if let Some(tls) = as_tls_error(current) {
            return Some(tls);
        }
        next = current.source();
    }
    None
}

/// `error` as a rustls error: itself, or inside the `Arc` the driver keeps its I/O errors
/// in, or inside an I/O error (whose `source` skips the error it wraps).
fn as_tls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    type Shared = std::sync::Arc<dyn std::error::Error + Send + Sync>;
    if let Some(tls) = error.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    if let Some(shared) = error.downcast_ref::<Shared>() {
        let inner: &(dyn std::error::Error + 'static) = &**shared;
        return as_tls_error(inner);
    }
    let io = error.downcast_ref::<std::io::Error>()?;
    let inner: &(dyn std::error::Error + 'static) = io.get_ref()?;
    as_tls_error(inner)
}

/// What to check when the first connection to a server failed in a way that a TLS
/// mismatch explains: a plain connection that the server closed (a TLS port closes on a
/// request that is not a handshake), or a TLS handshake that got no answer (a plain
/// server waits for the end of a command line).
pub(crate) fn tls_mismatch_hint(error: &RedisError, tls: bool) -> Option<&'static str> {
    if tls && error.is_timeout() && tls_error(error).is_none() {
        // Worded as a question: a TLS server that is merely unreachable times out the same
        // way, and plaintext is the wrong fix for that.
        Some(
            "no TLS handshake completed in time: the server is down or unreachable, or does \
             not use TLS on this port (then enable TLS on it, or use redis:// only on a \
             network you trust)",
        )
    } else if !tls && error.is_connection_dropped() {
        Some("if the server expects TLS on this port, use rediss:// instead of redis://")
    } else {
        None
    }
}

/// What to fix for a TLS failure: a certificate not trusted, or a server without TLS.
fn tls_problem(error: &rustls::Error) -> &'static str {
    use rustls::CertificateError;
    match error {
        rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature,
        ) => {
            "the server's TLS certificate was not trusted: no trusted CA signed it. For a \
             private or self-signed CA, add tls_ca_file=/path/to/ca.pem to the URL (the CA's \
             certificate, PEM)"
        }
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => {
            "the server's TLS certificate was not trusted: it does not name the host of the \
             URL; connect with a host name or IP address the certificate lists"
        }
        rustls::Error::InvalidCertificate(
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. },
        ) => "the server's TLS certificate was not trusted: it expired or is not valid yet",
        rustls::Error::InvalidCertificate(_) => {
            "the server's TLS certificate was not trusted; if a private CA issued it, add \
             tls_ca_file=/path/to/ca.pem to the URL"
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "the server did not answer in TLS: if it does not use TLS on this port, use \
             redis:// instead of rediss://"
        }
        _ => "the TLS handshake with the server failed: check its TLS settings and the URL",
    }
}
