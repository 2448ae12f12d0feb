//! The SQLite store's own errors, mapped into [`StoreError`] by outcome.

use openid_consumer::store::StoreError;
use openid_store_kit::sql::{BadRow, SchemaError};
use rusqlite::ErrorCode;

/// What went wrong, with the database and table involved.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SqliteError {
    /// The database cannot be opened or set up at construction.
    #[error("cannot use SQLite database {location} ({action})")]
    Setup {
        action: &'static str,
        location: String,
        #[source]
        source: rusqlite::Error,
    },
    /// The database file cannot be created.
    #[error("cannot create SQLite database {location}")]
    Create {
        location: String,
        #[source]
        source: std::io::Error,
    },
    /// A statement failed on an open store.
    #[error("SQLite database {location}, table {table}: cannot {action}")]
    Query {
        action: &'static str,
        location: String,
        table: String,
        #[source]
        source: rusqlite::Error,
    },
    /// A row holds values no association can have.
    #[error("SQLite database {location}: bad association row in {table} for handle {handle:?}")]
    BadRow {
        location: String,
        table: String,
        handle: String,
        #[source]
        source: BadRow,
    },
    /// A row whose `expires_at` disagrees with `issued + lifetime`.
    #[error(
        "SQLite database {location}: association row in {table} for handle {handle:?} has expires_at {found}, expected {expected}"
    )]
    InconsistentRow { location: String, table: String, handle: String, found: i64, expected: i64 },
    /// Every connection stayed busy for the whole time limit.
    #[error(
        "SQLite database {location}: no connection was free within {waited:?} (other \
         operations of this store held them all; a larger pool_size or timeout_ms helps if \
         the load is legitimate)"
    )]
    PoolTimeout { location: String, waited: std::time::Duration },
    /// The schema was written by a newer version of this crate.
    #[error(transparent)]
    Schema(#[from] SchemaError<BadRow>),
}

impl From<SqliteError> for StoreError {
    fn from(error: SqliteError) -> Self {
        let context = error.to_string();
        match error {
            SqliteError::Setup { source, .. } => match source.sqlite_error_code() {
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                    StoreError::unavailable(context, source)
                }
                _ => StoreError::config(context, Some(source.into())),
            },
            SqliteError::Create { source, .. } => StoreError::config(context, Some(source.into())),
            SqliteError::Query { source, .. } => {
                if is_corruption(&source) {
                    StoreError::corrupt(context, Some(source.into()))
                } else {
                    StoreError::unavailable(context, source)
                }
            }
            SqliteError::BadRow { source, .. } => StoreError::corrupt(context, Some(source.into())),
            SqliteError::InconsistentRow { .. } => StoreError::corrupt(context, None),
            SqliteError::PoolTimeout { .. } => {
                StoreError::unavailable(context, std::io::Error::from(std::io::ErrorKind::TimedOut))
            }
            SqliteError::Schema(error) => error.into(),
        }
    }
}

/// Whether the error means the stored data is bad (rather than the database unavailable).
fn is_corruption(error: &rusqlite::Error) -> bool {
    match error {
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::Utf8Error(..) => true,
        _ => matches!(
            error.sqlite_error_code(),
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
        ),
    }
}
