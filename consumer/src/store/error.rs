//! [`StoreError`]: what went wrong in a store, shaped by what the caller can do about it.

use std::error::Error as StdError;

/// A boxed error kept as the source of a [`StoreError`].
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// A store could not answer.
///
/// Shaped by outcome, as the caller needs it: retry later ([`StoreError::Unavailable`]),
/// repair the data ([`StoreError::Corrupt`]) or fix the configuration
/// ([`StoreError::Config`]). Each variant keeps the backend's own error as its
/// [`source`](std::error::Error::source).
///
/// A store error is never an answer: a store that cannot look something up returns an
/// error, never "not found", and a store that cannot record a nonce returns an error,
/// never "fresh". The login that needed it fails.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend could not perform the operation: I/O error, disk full, server
    /// unreachable, lock timeout. Retrying later may work.
    #[error("store unavailable: {context}")]
    Unavailable {
        /// What the store was doing, with the path or table involved.
        context: String,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
    /// Stored data is not what the store wrote: an unreadable association file or row, a
    /// value of the wrong type, a database file that is not a database. The store never
    /// guesses, so nothing is returned from corrupt data.
    #[error("corrupt data in store: {context}")]
    Corrupt {
        /// Where the bad data is (path, table and key).
        context: String,
        /// Why it could not be read, when a lower layer said so.
        #[source]
        source: Option<BoxError>,
    },
    /// The store is configured wrongly: a path that cannot be created, opened or written,
    /// an invalid URL or table name, a schema from a newer version. Retrying will not help.
    #[error("store misconfigured: {context}")]
    Config {
        /// What is wrong and, where possible, how to fix it (names the path or setting).
        context: String,
        /// The underlying error, if any.
        #[source]
        source: Option<BoxError>,
    },
}

impl StoreError {
    /// A [`StoreError::Unavailable`] with its context and source.
    pub fn unavailable(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Unavailable { context: context.into(), source: source.into() }
    }

    /// A [`StoreError::Corrupt`] with its context and optional source.
    pub fn corrupt(context: impl Into<String>, source: Option<BoxError>) -> Self {
        Self::Corrupt { context: context.into(), source }
    }

    /// A [`StoreError::Config`] with its context and optional source.
    pub fn config(context: impl Into<String>, source: Option<BoxError>) -> Self {
        Self::Config { context: context.into(), source }
    }

    /// Whether this is [`StoreError::Unavailable`].
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }

    /// Whether this is [`StoreError::Corrupt`].
    pub fn is_corrupt(&self) -> bool {
        matches!(self, Self::Corrupt { .. })
    }

    /// Whether this is [`StoreError::Config`].
    pub fn is_config(&self) -> bool {
        matches!(self, Self::Config { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_outcome_and_keep_the_source() {
        let io = std::io::Error::other("disk on fire");
        let error = StoreError::unavailable("writing /var/openid/x", io);
        assert_eq!(error.to_string(), "store unavailable: writing /var/openid/x");
        assert_eq!(error.source().map(ToString::to_string).as_deref(), Some("disk on fire"));
        assert!(error.is_unavailable() && !error.is_corrupt() && !error.is_config());

        let error = StoreError::corrupt("association file /a/b", None);
        assert_eq!(error.to_string(), "corrupt data in store: association file /a/b");
        assert!(error.source().is_none() && error.is_corrupt());

        let error = StoreError::config("cannot create directory /root/x", None);
        assert_eq!(error.to_string(), "store misconfigured: cannot create directory /root/x");
        assert!(error.is_config());
    }
}
