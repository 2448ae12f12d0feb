//! The store's own errors. Failures to talk to the server are judged by the connector
//! (`pool.rs`) and reported by the kit's pool; a row that is no association, or a newer
//! schema, is the kit's [`SchemaError`](openid_store_kit::sql::SchemaError).

use openid_store_kit::sql::BadRow;

/// Why a row of the associations table could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RowError {
    /// The values are no association.
    #[error(transparent)]
    Value(#[from] BadRow),
    /// A column is missing or of another type.
    #[error("a column cannot be read")]
    Column(#[from] postgres::Error),
}
