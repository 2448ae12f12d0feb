//! The store's own errors, mapped into [`StoreError`] by outcome.

use openid_consumer::store::StoreError;

/// What went wrong inside the PostgreSQL store.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PgError {
    /// No connection could be had from the pool within the timeout.
    #[error("no connection to PostgreSQL within the timeout")]
    Pool(#[from] r2d2::Error),
    /// A query or the connection failed.
    #[error(transparent)]
    Postgres(#[from] postgres::Error),
}

impl PgError {
    /// Maps into the public error: every failure to talk to the server is
    /// [`StoreError::Unavailable`], except errors the server reports about our own schema
    /// (missing table: the store was not migrated), which are configuration errors.
    pub(crate) fn into_store(self, context: impl Into<String>) -> StoreError {
        let context = context.into();
        if let Self::Postgres(error) = &self
            && let Some(db) = error.as_db_error()
        {
            let code = db.code().code();
            // 42P01 undefined_table, 3F000 invalid_schema_name, 42703 undefined_column.
            if matches!(code, "42P01" | "3F000" | "42703") {
                return StoreError::config(
                    format!(
                        "{context}: schema not migrated (run PostgresStore::migrate, or connect with ?migrate=true): {}",
                        db.message()
                    ),
                    Some(Box::new(self)),
                );
            }
        }
        StoreError::unavailable(context, self)
    }
}
