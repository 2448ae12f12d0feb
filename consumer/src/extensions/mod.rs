//! Extensions: what a relying party asks a provider for besides who the user is.
//!
//! - [`sreg`]: Simple Registration 1.0 and 1.1 (nickname, e-mail, full name, ...).
//! - [`ax`]: Attribute Exchange 1.0 (any attribute by type URI; fetch and store).
//! - [`pape`]: Provider Authentication Policy Extension (multi-factor, phishing-resistant,
//!   the age of the authentication).
//! - [`ui`]: the User Interface extension (popup mode, language, icon).
//! - [`profile`]: e-mail, nickname, full name, language, time zone and country from
//!   whichever of SReg and AX the provider answered, in one call.
//!
//! A request implements [`Extension`] and goes on the request with
//! [`AuthRequest::add_extension`](crate::AuthRequest::add_extension); a response implements
//! [`ExtensionResponse`] and comes from
//! [`SuccessResponse::extension`](crate::SuccessResponse::extension).
//!
//! # Security
//! Extension data is read from signed fields only, alias declaration included: a value an
//! attacker could add to the callback in transit, or move under another namespace, is never
//! returned. (In 2011 relying parties in Java, .NET and Node read unsigned Attribute
//! Exchange values and let attackers choose a victim's e-mail: CVE-2011-4314.) Reading
//! unsigned data takes an explicit call,
//! [`SuccessResponse::extension_allow_unsigned`](crate::SuccessResponse::extension_allow_unsigned).

pub mod ax;
pub mod pape;
pub mod profile;
pub mod sreg;
pub mod ui;

use std::collections::BTreeMap;

/// A request of an extension: its namespace, the alias it would like, and its arguments
/// (keys without `openid.<alias>.`).
pub trait Extension {
    /// The extension's namespace URI.
    fn namespace(&self) -> &str;

    /// The alias to use when it is free (`sreg`, `ax`, `pape`, `ui`).
    fn preferred_alias(&self) -> &str;

    /// The arguments of the request.
    fn args(&self) -> Vec<(String, String)>;
}

/// An extension's part of a positive assertion, read from its arguments.
pub trait ExtensionResponse: Sized {
    /// The namespace URIs this response is read from, in order of preference (an extension
    /// can have several versions, SReg 1.1 and 1.0 say).
    fn namespaces() -> &'static [&'static str];

    /// Reads the response from the arguments of `namespace` (keys without
    /// `openid.<alias>.`).
    ///
    /// # Errors
    /// [`ExtensionError`] when the arguments are not a valid response.
    fn from_args(namespace: &str, args: &BTreeMap<String, String>) -> Result<Self, ExtensionError>;
}

/// Why an extension's response could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionError {
    /// Some of the extension's arguments (or its alias declaration) are not covered by the
    /// signature: none of it is returned.
    #[error("the {namespace} arguments are not all signed")]
    Unsigned {
        /// The extension's namespace URI.
        namespace: &'static str,
    },
    /// An argument is missing or invalid.
    #[error("{namespace}: argument {key:?} {problem}")]
    Invalid {
        /// The extension's namespace URI.
        namespace: &'static str,
        /// The argument (without `openid.<alias>.`).
        key: String,
        /// What is wrong.
        problem: String,
    },
    /// The response does not answer the request (an attribute nobody asked for, more values
    /// than asked).
    #[error("{namespace}: {problem}")]
    NotRequested {
        /// The extension's namespace URI.
        namespace: &'static str,
        /// What does not match.
        problem: String,
    },
}

impl ExtensionError {
    pub(crate) fn invalid(namespace: &'static str, key: &str, problem: impl Into<String>) -> Self {
        Self::Invalid {
            namespace,
            key: crate::excerpt::bounded(key),
            problem: crate::excerpt::bounded(&problem.into()),
        }
    }
}

/// Whether `alias` can name an extension namespace: not empty, no `.` (it separates the
/// alias from the key) and no `,` (lists of aliases are comma-separated in AX).
pub(crate) fn valid_alias(alias: &str) -> bool {
    !alias.is_empty() && !alias.contains(['.', ',']) && !alias.contains(char::is_whitespace)
}
