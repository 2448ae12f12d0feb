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
