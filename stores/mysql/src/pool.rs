//! How the store connects: `mysql` connections, each caching its prepared statements, for
//! the kit's [`Pool`](openid_store_kit::pool::Pool).
//!
//! The `mysql` crate's own pool either pings the server on every checkout (a round trip
//! per operation) or, without that, keeps handing out connections that died with a server
//! restart.

use mysql::{Conn, Opts};
use openid_store_kit::pool::{Failure, Verdict};

/// Connects with the store's options (timeouts included).
pub(crate) struct Connector {
    pub(crate) opts: Opts,
    /// `mysql://user@host:port/db`, never the password.
    pub(crate) target: String,
}

/// MySQL's "table doesn't exist" and "unknown column": the store was not migrated.
const NOT_MIGRATED: [u16; 2] = [1146, 1054];
/// MySQL's "access denied" errors: the server refused the user or password.
const ACCESS_DENIED: [u16; 3] = [1044, 1045, 1698];

impl openid_store_kit::pool::Connector for Connector {
    type Connection = Conn;
    type Error = mysql::Error;

    fn connect(&self) -> Result<Conn, mysql::Error> {
        Conn::new(self.opts.clone())
    }

    fn classify(&self, error: &mysql::Error) -> Failure {
        if is_gone(error) {
            Failure::Gone
        } else if matches!(error, mysql::Error::MySqlError(_)) {
            Failure::Answered
        } else {
            Failure::Broken
        }
    }

    fn verdict(&self, error: &mysql::Error) -> Verdict {
        match error {
            mysql::Error::MySqlError(server) if NOT_MIGRATED.contains(&server.code) => {
                Verdict::Misconfigured(
                    "schema not migrated (run MysqlStore::migrate, or connect with ?migrate=true)",
                )
            }
            mysql::Error::MySqlError(server) if ACCESS_DENIED.contains(&server.code) => {
                Verdict::Misconfigured(
                    "the server refused the credentials: check the URL's user and password",
                )
            }
            _ => Verdict::Unavailable,
        }
    }

    fn target(&self) -> &str {
        &self.target
    }
}

/// Whether the error is a duplicate key (`ER_DUP_ENTRY`), the one error a nonce insert
/// turns into "seen before".
pub(crate) fn is_duplicate_key(error: &mysql::Error) -> bool {
    matches!(error, mysql::Error::MySqlError(server) if server.code == 1062)
}

/// Whether the connection is gone (closed by a server that stopped or restarted), so the
/// command on it never ran: broken pipe, reset, end of stream, or the server's own
/// shutdown and connection-killed errors.
fn is_gone(error: &mysql::Error) -> bool {
    use std::io::ErrorKind::{
        BrokenPipe, ConnectionAborted, ConnectionReset, NotConnected, UnexpectedEof,
    };
    let io_gone = |kind| {
        matches!(
            kind,
            BrokenPipe | ConnectionAborted | ConnectionReset | NotConnected | UnexpectedEof
        )
    };
    match error {
        // ER_SERVER_SHUTDOWN, ER_CONNECTION_KILLED, ER_CLIENT_INTERACTION_TIMEOUT
        mysql::Error::MySqlError(server) => matches!(server.code, 1053 | 1927 | 4031),
        mysql::Error::IoError(io) => io_gone(io.kind()),
        // Inside the packet codec's error, the I/O error is its source.
        mysql::Error::CodecError(codec) => std::error::Error::source(codec)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .is_some_and(|io| io_gone(io.kind())),
        _ => false,
    }
}
