//! The file store's own errors, mapped into [`StoreError`] by outcome.

use std::io;
use std::path::PathBuf;

use openid_consumer::store::{AssociationError, StoreError};

/// What went wrong, with the path involved.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FileError {
    /// The directory cannot be created, opened or written at construction.
    #[error("cannot use {path} as a file store directory ({action})")]
    Setup {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// An operation on an existing store failed.
    #[error("cannot {action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// An association file does not parse.
    #[error("association file {path} is unreadable")]
    BadAssociation {
        path: PathBuf,
        #[source]
        source: AssociationError,
    },
    /// An association file is not UTF-8 text.
    #[error("association file {path} is not UTF-8 text")]
    NotText {
        path: PathBuf,
        #[source]
        source: std::string::FromUtf8Error,
    },
    /// An association file holds another association than its name says.
    #[error("association file {path} holds handle {found:?} but its name is for another")]
    WrongHandle { path: PathBuf, found: String },
    /// Another holder kept the lock file for the whole time limit.
    #[error(
        "cannot lock {path} within {waited:?}: another process or thread holds it (a \
         cleanup running long, or a process stopped while holding it)"
    )]
    LockTimeout { path: PathBuf, waited: std::time::Duration },
    /// The directory was laid out by another version.
    #[error("{path} says layout version {found:?}; this library reads version {expected}")]
    Version { path: PathBuf, found: String, expected: &'static str },
}

impl From<FileError> for StoreError {
    fn from(error: FileError) -> Self {
        let context = error.to_string();
        match error {
            FileError::Setup { source, .. } => StoreError::config(context, Some(source.into())),
            FileError::Io { source, .. } => StoreError::unavailable(context, source),
            FileError::BadAssociation { source, .. } => {
                StoreError::corrupt(context, Some(source.into()))
            }
            FileError::NotText { source, .. } => StoreError::corrupt(context, Some(source.into())),
            FileError::WrongHandle { .. } => StoreError::corrupt(context, None),
            FileError::Version { .. } => StoreError::config(context, None),
            FileError::LockTimeout { .. } => {
                StoreError::unavailable(context, io::Error::from(io::ErrorKind::TimedOut))
            }
        }
    }
}

/// Builds [`FileError::Io`] from an `io::Error`: `io(action, path)(e)`.
pub(crate) fn io(
    action: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(io::Error) -> FileError {
    let path = path.into();
    move |source| FileError::Io { action, path, source }
}
