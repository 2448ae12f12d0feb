//! The store's own errors, mapped into [`StoreError`] by outcome. Failures to talk to the
//! server are judged by the connector (`pool.rs`) and reported by the kit's pool; a row
//! that is no association, or a newer schema, is the kit's
//! [`SchemaError`](openid_store_kit::sql::SchemaError).

use openid_consumer::store::StoreError;
use openid_store_kit::sql::BadRow;

/// What went wrong inside the MySQL store, beyond talking to the server.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MysqlError {
    /// The options name no database.
    #[error("MySQL URL {target} names no database: use mysql://user:password@host/database")]
    NoDatabase { target: String },
    /// Another process held the migration lock for the whole timeout.
    #[error("{target}: cannot migrate the schema: another process holds the migration lock")]
    MigrationLocked { target: String },
}

/// Why a row could not be read. Columns are read one by one, never through the row's
/// `Debug`, which would show the secret.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RowError {
    /// The row has fewer columns than the query selects.
    #[error("column {0} is missing")]
    Missing(usize),
    /// A column has another type, or is NULL.
    #[error("column {index} has an unexpected type or NULL")]
    Column {
        index: usize,
        #[source]
        source: mysql::FromValueError,
    },
    /// The handle is not UTF-8.
    #[error("the handle is not UTF-8")]
    Handle(#[from] std::string::FromUtf8Error),
    /// The values are no association.
    #[error(transparent)]
    Value(#[from] BadRow),
}

impl From<MysqlError> for StoreError {
    fn from(error: MysqlError) -> Self {
        let context = error.to_string();
        match error {
            MysqlError::MigrationLocked { .. } => {
                StoreError::unavailable(context, "the migration lock was not granted in time")
            }
            MysqlError::NoDatabase { .. } => StoreError::config(context, None),
        }
    }
}
