//! [`CliError`]: the setup and usage errors of every command, each printed as one line
//! with exit code 2.

use std::error::Error as StdError;

use openid_consumer::associate::AssociateError;
use openid_consumer::store::StoreError;
use openid_consumer::{BeginError, ConfigError, DiscoveryError, RequestError};

use crate::network::{begin_hint, discovery_hint, fetch_hint};

/// Why a command could not do its work (as opposed to a login that was not verified or a
/// store case that failed, which are results).
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// A flag or argument has a value the command cannot use.
    #[error("{0}")]
    Usage(String),
    /// Discovery of the identifier failed.
    #[error("discovery of {identifier} failed: {source}{}", discovery_hint(source))]
    Discovery {
        /// The identifier as given.
        identifier: String,
        /// Why.
        #[source]
        source: DiscoveryError,
    },
    /// The login could not start (discovery, the store, the endpoint).
    #[error("cannot start a login with {identifier}: {source}{}", begin_hint(source))]
    Begin {
        /// The identifier as given.
        identifier: String,
        /// Why.
        #[source]
        source: BeginError,
    },
    /// The request to the provider could not be made (realm or `return_to`).
    #[error("cannot make the request to the provider: {0}")]
    Request(#[source] RequestError),
    /// The association failed.
    #[error("association with {endpoint} failed: {source}{}", associate_hint(source))]
    Associate {
        /// The endpoint URL.
        endpoint: String,
        /// Why.
        #[source]
        source: AssociateError,
    },
    /// The consumer's configuration was refused.
    #[error("cannot set up the relying party: {0}")]
    Config(#[source] ConfigError),
    /// The store could not be opened.
    #[error("cannot open the store {url}: {source}")]
    OpenStore {
        /// The URL, without password.
        url: String,
        /// Why.
        #[source]
        source: StoreError,
    },
    /// A store operation failed.
    #[error("store error while {doing}: {source}")]
    Store {
        /// What the command was doing.
        doing: &'static str,
        /// Why.
        #[source]
        source: StoreError,
    },
    /// Something the tool found while working: a store that answers wrongly, a worker
    /// thread that panicked.
    #[error("{0}")]
    Failed(String),
    /// The store's backend cannot run this command.
    #[error("{0}")]
    Unsupported(String),
    /// The callback listener could not be bound.
    #[error("cannot listen on {address}: {source} (choose another --port)")]
    Listen {
        /// The address.
        address: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Some other I/O failure of the tool itself.
    #[error("cannot {doing}: {source}")]
    Io {
        /// What the tool was doing.
        doing: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The JSON output could not be written.
    #[error("cannot write the JSON output: {0}")]
    Json(#[from] serde_json::Error),
}

fn associate_hint(error: &AssociateError) -> &'static str {
    match error {
        AssociateError::Fetch(fetch) => fetch_hint(fetch),
        _ => "",
    }
}

/// `error` and its sources as one line: each source is added unless the text so far
/// already says it (most messages here embed their source), and line breaks and other
/// control characters are escaped, so hostile text from the network cannot draw on the
/// terminal or split the line.
pub(crate) fn one_line(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    collapse(&text)
}

/// `text` on one line: runs of whitespace become one space, other control characters are
/// escaped (`\u{1b}`).
pub(crate) fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
    }
    out
}
