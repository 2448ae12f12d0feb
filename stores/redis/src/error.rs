//! The store's own errors, mapped into [`StoreError`] by outcome.

use openid_consumer::store::StoreError;
use redis::{ErrorKind, RedisError, ServerErrorKind};

use crate::pool::ConnectError;

/// What went wrong inside the Redis store.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RedisStoreError {
    /// No connection could be had from the pool within the timeout.
    #[error("no connection to Redis within the timeout")]
    Pool(#[from] r2d2::Error),
    /// Connecting failed.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// A command failed, or the connection did.
    #[error(transparent)]
    Redis(#[from] RedisError),
    /// The server answered a command with a reply of the wrong shape.
    #[error("unexpected reply to {command}: {reply}")]
    UnexpectedReply {
        /// The command.
        command: &'static str,
        /// The reply, abbreviated.
        reply: String,
    },
}

impl RedisStoreError {
    /// Maps into the public error: failing to reach or talk to the server is
    /// [`StoreError::Unavailable`]; refused credentials or permissions, and a URL of the
    /// wrong mode (a cluster node behind `redis://`, a single server behind
    /// `redis+cluster://`), are [`StoreError::Config`]; a key holding another type than
    /// the store writes is [`StoreError::Corrupt`].
    pub(crate) fn into_store(self, context: impl Into<String>) -> StoreError {
        let context = context.into();
        let redis = match &self {
            Self::Redis(error) | Self::Connect(ConnectError::Redis(error)) => Some(error),
            _ => None,
        };
        if let Some(error) = redis {
            if let Some(fix) = configuration_problem(error) {
                return StoreError::config(format!("{context}: {fix}"), Some(Box::new(self)));
            }
            // In a script, older servers wrap the code in an ERR.
            if error.code() == Some("WRONGTYPE")
                || error.detail().is_some_and(|detail| detail.contains("WRONGTYPE"))
            {
                return StoreError::corrupt(
                    format!("{context}: a key of this store holds a value of another type"),
                    Some(Box::new(self)),
                );
            }
        }
        StoreError::unavailable(context, self)
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
