//! How the store connects to each server, for the kit's
//! [`Pool`](openid_store_kit::pool::Pool): one pool per server.

use std::io;
use std::time::Duration;

use openid_store_kit::pool::{Failure, Verdict};

use crate::client::{ClientError, Connection};

/// Connects to one server with a connect, read and write timeout.
pub(crate) struct Connector {
    pub(crate) address: String,
    pub(crate) timeout: Duration,
    /// `memcached <address>`, for messages.
    pub(crate) target: String,
}

impl openid_store_kit::pool::Connector for Connector {
    type Connection = Connection;
    type Error = ClientError;

    fn connect(&self) -> Result<Connection, ClientError> {
        Connection::connect(&self.address, self.timeout)
    }

    fn classify(&self, error: &ClientError) -> Failure {
        match error {
            // A restarted server refuses the write or ends the read at once: nothing ran.
            ClientError::Io(error) if is_dead(error) => Failure::Gone,
            // A timeout may leave a late answer in the stream; an unexpected reply leaves
            // it out of step: neither connection can be trusted again.
            ClientError::Io(_) | ClientError::Protocol(_) => Failure::Broken,
            ClientError::Server(_) => Failure::Answered,
        }
    }

    fn verdict(&self, error: &ClientError) -> Verdict {
        match error {
            // Retrying the same server will not help: it answers what no memcached would.
            ClientError::Protocol(_) => {
                Verdict::Corrupt("the server answered what no memcached would")
            }
            ClientError::Io(_) | ClientError::Server(_) => Verdict::Unavailable,
        }
    }

    fn target(&self) -> &str {
        &self.target
    }
}

fn is_dead(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
    )
}
