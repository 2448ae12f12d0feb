//! The store's own errors, mapped into [`StoreError`] by outcome.

use openid_consumer::store::StoreError;

/// MySQL's "table doesn't exist" and "unknown column": the store was not migrated.
const CONFIG_CODES: [u16; 2] = [1146, 1054];

/// Maps a driver error into the public error: problems with our own schema are
/// configuration errors, everything else (network, server gone, timeouts) is
/// [`StoreError::Unavailable`].
pub(crate) fn into_store(error: mysql::Error, context: String) -> StoreError {
    if let mysql::Error::MySqlError(server) = &error
        && CONFIG_CODES.contains(&server.code)
    {
        let message = format!(
            "{context}: schema not migrated (run MysqlStore::migrate, or connect with ?migrate=true): {}",
            server.message
        );
        return StoreError::config(message, Some(Box::new(error)));
    }
    StoreError::unavailable(context, error)
}

/// Whether the error is a duplicate key (`ER_DUP_ENTRY`), the one error a nonce insert
/// turns into "seen before".
pub(crate) fn is_duplicate_key(error: &mysql::Error) -> bool {
    matches!(error, mysql::Error::MySqlError(server) if server.code == 1062)
}

/// Whether the connection is gone (closed by a server that stopped or restarted), so the
/// command on it never ran: broken pipe, reset, end of stream, or the server's own
/// shutdown and connection-killed errors.
pub(crate) fn is_connection_gone(error: &mysql::Error) -> bool {
    use std::io::ErrorKind::{
        BrokenPipe, ConnectionAborted, ConnectionReset, NotConnected, UnexpectedEof,
    };
    let io_gone = |kind| {
        matches!(
            kind,
            BrokenPipe | ConnectionAborted | ConnectionReset | NotConnected | UnexpectedEof
        )
    };
    if let mysql::Error::MySqlError(server) = error {
        // ER_SERVER_SHUTDOWN, ER_CONNECTION_KILLED, ER_CLIENT_INTERACTION_TIMEOUT
        return matches!(server.code, 1053 | 1927 | 4031);
    }
    if let mysql::Error::IoError(io) = error {
        return io_gone(io.kind());
    }
    // Inside the packet codec's error, the I/O error is its source.
    if let mysql::Error::CodecError(codec) = error
        && let Some(io) =
            std::error::Error::source(codec).and_then(|s| s.downcast_ref::<std::io::Error>())
    {
        return io_gone(io.kind());
    }
    false
}
