//! Why an assertion was not accepted: [`Failure`] and its [`FailureReason`], one variant per
//! check of [`Consumer::complete`](crate::Consumer::complete), in the order the checks run.

use std::fmt;

use crate::crypto::SignatureError;
use crate::discovery::{DiscoveryError, ServiceEndpoint};
use crate::fetch::FetchError;
use crate::message::{MessageError, OpenIdVersion};
use crate::nonce::NonceError;
use crate::store::StoreError;

/// An assertion that was not accepted, with the reason and the endpoint it concerned (when
/// known). Its `Display` is one line for logs; show users something friendlier.
#[derive(Debug)]
pub struct Failure {
    reason: FailureReason,
    endpoint: Option<ServiceEndpoint>,
}

impl Failure {
    pub(crate) fn new(reason: FailureReason, endpoint: Option<ServiceEndpoint>) -> Self {
        Self { reason, endpoint }
    }

    /// Which check failed, with what an operator needs to know.
    pub fn reason(&self) -> &FailureReason {
        &self.reason
    }

    /// Consumes the failure, giving its reason.
    pub fn into_reason(self) -> FailureReason {
        self.reason
    }

    /// The endpoint the login was started with, when there was one.
    pub fn endpoint(&self) -> Option<&ServiceEndpoint> {
        self.endpoint.as_ref()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpenID login failed: {}", self.reason)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.reason)
    }
}

/// Which part of `return_to` did not match the URL the browser came back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlPart {
    /// `http` or `https`.
    Scheme,
    /// The host name.
    Host,
    /// The port (the scheme's default when absent).
    Port,
    /// The path.
    Path,
}

impl fmt::Display for UrlPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Scheme => "scheme",
            Self::Host => "host",
            Self::Port => "port",
            Self::Path => "path",
        })
    }
}

/// Which piece of discovered information an assertion contradicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiscoveredField {
    /// `openid.claimed_id`.
    ClaimedId,
    /// `openid.identity` (the local identifier).
    LocalId,
    /// `openid.op_endpoint` (the provider's endpoint URL).
    OpEndpoint,
    /// The protocol version the endpoint was discovered with.
    Version,
}

impl fmt::Display for DiscoveredField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ClaimedId => "claimed_id",
            Self::LocalId => "identity (local id)",
            Self::OpEndpoint => "op_endpoint",
            Self::Version => "protocol version",
        })
    }
}

/// The check an assertion failed, in the order [`Consumer::complete`](crate::Consumer::complete)
/// runs them (DESIGN.md section 3). Each variant names one check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FailureReason {
    // ---- reading the callback ------------------------------------------------------------
    /// The callback's query or form is not a valid OpenID message: bad percent-encoding,
    /// invalid UTF-8, a duplicated parameter, an alias clash, an unknown `openid.ns`.
    #[error("the callback is not a valid OpenID message: {0}")]
    MalformedCallback(#[source] MessageError),
    /// The callback has more arguments than any OpenID response.
    #[error("the callback has more than {limit} arguments")]
    TooManyArguments {
        /// The limit.
        limit: usize,
    },
    /// A parameter appears both in the URL and in the form with different values.
    #[error("parameter {name:?} differs between the callback URL and its form")]
    ConflictingParameter {
        /// The parameter.
        name: String,
    },
    /// The callback has no `openid.mode`: it is not an OpenID response at all.
    #[error("the callback has no openid.mode")]
    MissingMode,
    /// `openid.mode` is not one a relying party can receive (OpenID 2.0 section 10).
    #[error("unexpected openid.mode {mode:?}")]
    UnexpectedMode {
        /// The mode.
        mode: String,
    },
    /// The provider answered with an error (`openid.mode=error`, section 5.2.3).
    #[error("the provider reported an error: {error}")]
    ProviderError {
        /// `openid.error`, as sent (untrusted text: escape it before showing it).
        error: String,
        /// `openid.contact`, if any.
        contact: Option<String>,
        /// `openid.reference`, if any.
        reference: Option<String>,
    },

    // ---- check 1: version, fields, signed fields, provider policy ------------------------
    /// The message's protocol version is not the one the login was started with (an
    /// OpenID 1 message answering a 2.0 request is a namespace downgrade).
    #[error("expected an {expected} message, got {got}")]
    VersionMismatch {
        /// The version of the login's endpoint.
        expected: OpenIdVersion,
        /// The version of the message.
        got: OpenIdVersion,
    },
    /// A field the mode requires is missing (OpenID 2.0 section 10.1).
    #[error("the assertion has no openid.{field}")]
    MissingField {
        /// The field, without `openid.`.
        field: &'static str,
    },
    /// A field that must be signed is not in `openid.signed` (section 10.1).
    #[error("openid.{field} is not covered by the signature")]
    UnsignedField {
        /// The field, without `openid.`.
        field: String,
    },
    /// The provider's endpoint is not one the consumer's pinning allows.
    #[error("provider endpoint {op_endpoint} is not allowed by this site")]
    ProviderNotAllowed {
        /// `openid.op_endpoint` (or the endpoint of an OpenID 1 login).
        op_endpoint: String,
    },
    /// The claimed identifier does not match the consumer's pinning patterns.
    #[error("claimed identifier {claimed_id} is not allowed by this site")]
    ClaimedIdNotAllowed {
        /// The claimed identifier.
        claimed_id: String,
    },
    /// The identifier is delegated (claimed id and local id differ) and the consumer's
    /// pinning refuses delegation.
    #[error("delegated identifier {claimed_id} (local id {local_id}) is refused by this site")]
    DelegationRefused {
        /// The claimed identifier.
        claimed_id: String,
        /// The local identifier (`openid.identity`).
        local_id: String,
    },

    // ---- check 2: return_to ---------------------------------------------------------------
    /// `openid.return_to` is not a valid absolute URL.
    #[error("openid.return_to {return_to:?} is not a valid URL")]
    InvalidReturnTo {
        /// The value.
        return_to: String,
    },
    /// The URL the browser came back to is not a valid absolute URL (a configuration
    /// problem: pass the full URL, or set a public base URL).
    #[error("the current URL {current_url:?} is not a valid absolute URL")]
    InvalidCurrentUrl {
        /// The value.
        current_url: String,
    },
    /// `openid.return_to` points elsewhere than the URL the browser came back to (section
    /// 11.1).
    #[error("openid.return_to {part} is {expected:?} but the browser came back to {got:?}")]
    ReturnToMismatch {
        /// Which part differs.
        part: UrlPart,
        /// That part of `openid.return_to`.
        expected: String,
        /// That part of the current URL.
        got: String,
    },
    /// A query argument of `openid.return_to` is missing from the callback or differs, or
    /// the callback has an argument `return_to` lacks (section 11.1).
    #[error("return_to argument {name:?}: return_to has {expected:?}, the callback has {got:?}")]
    ReturnToArgument {
        /// The argument.
        name: String,
        /// Its value in `openid.return_to`, if there.
        expected: Option<String>,
        /// Its value in the callback, if there.
        got: Option<String>,
    },

    // ---- check 3: this browser's login ----------------------------------------------------
    /// An assertion arrived with no login in progress (an unsolicited assertion), and the
    /// consumer does not accept those.
    #[error("unsolicited assertion (no login in progress) refused")]
    Unsolicited,
    /// The assertion answers another login than the one in progress (another browser's,
    /// or an older one of this browser).
    #[error("the assertion belongs to another login than the one in progress")]
    PendingMismatch,
    /// The login in progress was started too long ago.
    #[error("the login was started {age} s ago, more than the {limit} s allowed")]
    PendingExpired {
        /// Its age in seconds.
        age: i64,
        /// The limit in seconds.
        limit: i64,
    },
    /// The saved login state was taken before the request to the provider was made, so it
    /// does not know the `return_to` the login sent (a mistake in the application: call
    /// `AuthRequest::pending` after `redirect_url`, `form_markup`, `html_markup` or
    /// `navigation`).
    #[error(
        "the saved login state has no return_to: take AuthRequest::pending() after making the \
         redirect URL or form"
    )]
    PendingIncomplete,
    /// The assertion's `return_to` is not the one this login sent: the provider answered a
    /// request made elsewhere (another site's, carrying this login's nonce).
    #[error("openid.return_to {got:?} is not the {expected:?} this login sent")]
    ReturnToNotRequested {
        /// The `return_to` the login sent.
        expected: String,
        /// The assertion's.
        got: String,
    },
    /// The saved login state comes from an incompatible version of this library.
    #[error("saved login state has format version {found}, this library reads {expected}")]
    PendingVersion {
        /// The version found.
        found: u32,
        /// The version this library writes.
        expected: u32,
    },

    // ---- check 4: signature ---------------------------------------------------------------
    /// The association named by `openid.assoc_handle` has expired.
    #[error("association {handle:?} has expired")]
    AssociationExpired {
        /// The handle.
        handle: String,
    },
    /// The signature does not verify with the stored association (section 11.4.1).
    #[error("bad signature: {0}")]
    BadSignature(#[source] SignatureError),
    /// `check_authentication` would go to an endpoint not verified for this claimed
    /// identifier, so it was not sent.
    #[error("provider endpoint {op_endpoint} is not the one discovered ({expected})")]
    UnverifiedEndpoint {
        /// `openid.op_endpoint` of the assertion.
        op_endpoint: String,
        /// The endpoint of the login.
        expected: String,
    },
    /// The provider said the signature is not valid (`is_valid:false`, section 11.4.2).
    #[error("the provider did not confirm the signature (check_authentication)")]
    SignatureNotConfirmed,
    /// `check_authentication` could not be done.
    #[error("check_authentication failed: {0}")]
    CheckAuthentication(#[source] FetchError),
    /// The `check_authentication` answer is not a valid message.
    #[error("the check_authentication answer is not a valid message: {0}")]
    CheckAuthenticationAnswer(#[source] MessageError),

    // ---- check 5: nonce -------------------------------------------------------------------
    /// `openid.response_nonce` (or, for OpenID 1, the library's own `return_to` nonce) is not
    /// well formed.
    #[error("invalid nonce: {0}")]
    InvalidNonce(#[source] NonceError),
    /// The nonce's time is too far from now (section 11.3).
    #[error("nonce time {timestamp} is more than {skew} s from now ({now})")]
    NonceOutOfRange {
        /// The nonce's time, Unix seconds.
        timestamp: i64,
        /// Now, Unix seconds.
        now: i64,
        /// The allowed distance, seconds.
        skew: i64,
    },
    /// The nonce was used before: a replayed assertion.
    #[error("nonce already used: the assertion was replayed")]
    NonceReplayed,

    // ---- check 6: discovered information --------------------------------------------------
    /// The assertion contradicts what discovery says about the claimed identifier
    /// (section 11.2).
    #[error("discovered {field} is {expected:?}, the assertion says {got:?}")]
    DiscoveryMismatch {
        /// Which field.
        field: DiscoveredField,
        /// What discovery gave.
        expected: String,
        /// What the assertion says.
        got: String,
    },
    /// Discovery of the asserted claimed identifier, needed to verify it, failed.
    #[error("discovery of {claimed_id} failed: {source}")]
    Discovery {
        /// The claimed identifier.
        claimed_id: String,
        /// Why.
        #[source]
        source: DiscoveryError,
    },

    // ---- check 7: an identifier ------------------------------------------------------------
    /// The assertion identifies nobody (no `openid.claimed_id`), and the login did not ask
    /// for that (see `AuthRequest::set_anonymous`).
    #[error("the assertion has no claimed identifier")]
    NoIdentifier,

    // ---- any check -------------------------------------------------------------------------
    /// The store failed: the login fails closed.
    #[error("store error: {0}")]
    Store(#[source] StoreError),
}

impl FailureReason {
    /// A short stable name of the check, for metrics and logs (`bad_signature`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedCallback(_) => "malformed_callback",
            Self::TooManyArguments { .. } => "too_many_arguments",
            Self::ConflictingParameter { .. } => "conflicting_parameter",
            Self::MissingMode => "missing_mode",
            Self::UnexpectedMode { .. } => "unexpected_mode",
            Self::ProviderError { .. } => "provider_error",
            Self::VersionMismatch { .. } => "version_mismatch",
            Self::MissingField { .. } => "missing_field",
            Self::UnsignedField { .. } => "unsigned_field",
            Self::ProviderNotAllowed { .. } => "provider_not_allowed",
            Self::ClaimedIdNotAllowed { .. } => "claimed_id_not_allowed",
            Self::DelegationRefused { .. } => "delegation_refused",
            Self::InvalidReturnTo { .. } => "invalid_return_to",
            Self::InvalidCurrentUrl { .. } => "invalid_current_url",
            Self::ReturnToMismatch { .. } => "return_to_mismatch",
            Self::ReturnToArgument { .. } => "return_to_argument",
            Self::Unsolicited => "unsolicited",
            Self::PendingMismatch => "pending_mismatch",
            Self::PendingExpired { .. } => "pending_expired",
            Self::PendingIncomplete => "pending_incomplete",
            Self::ReturnToNotRequested { .. } => "return_to_not_requested",
            Self::PendingVersion { .. } => "pending_version",
            Self::AssociationExpired { .. } => "association_expired",
            Self::BadSignature(_) => "bad_signature",
            Self::UnverifiedEndpoint { .. } => "unverified_endpoint",
            Self::SignatureNotConfirmed => "signature_not_confirmed",
            Self::CheckAuthentication(_) => "check_authentication",
            Self::CheckAuthenticationAnswer(_) => "check_authentication_answer",
            Self::InvalidNonce(_) => "invalid_nonce",
            Self::NonceOutOfRange { .. } => "nonce_out_of_range",
            Self::NonceReplayed => "nonce_replayed",
            Self::DiscoveryMismatch { .. } => "discovery_mismatch",
            Self::Discovery { .. } => "discovery",
            Self::NoIdentifier => "no_identifier",
            Self::Store(_) => "store",
        }
    }
}

/// Why a login could not start ([`Consumer::begin`](crate::Consumer::begin)).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BeginError {
    /// Discovery of the identifier failed (nothing to log in with).
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    /// Discovery found endpoints, but the consumer's pinning allows none of them.
    #[error("no endpoint of {claimed_id} is allowed by this site (found: {found})")]
    NoAllowedEndpoint {
        /// The claimed identifier discovery gave.
        claimed_id: String,
        /// The endpoints found, comma-separated.
        found: String,
    },
    /// The endpoint's URL is not usable (`begin_with_endpoint` with a bad URL).
    #[error("invalid endpoint URL {url:?}: it must be an absolute http or https URL")]
    InvalidEndpoint {
        /// The URL.
        url: String,
    },
    /// A random token could not be made (the OS random number generator failed).
    #[error("randomness unavailable: {0}")]
    Random(#[from] crate::crypto::RandomError),
    /// The endpoint's URLs are longer than any real one ([`MAX_URL_BYTES`] bytes).
    ///
    /// [`MAX_URL_BYTES`]: crate::consumer::MAX_URL_BYTES
    #[error("the endpoint's {what} is longer than {limit} bytes")]
    TooLong {
        /// Which URL.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// The clock reads a time a nonce cannot express (outside the years 1 to 9999).
    #[error("the clock is unusable: {0}")]
    Clock(#[source] NonceError),
    /// The store failed while looking up or saving an association. Logins do not go on
    /// without the store a site configured: a store that fails here fails in `complete`.
    #[error("store error: {0}")]
    Store(#[from] StoreError),
}

/// Why a request URL or form could not be made (a mistake in the site's arguments).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The realm is not valid.
    #[error("invalid realm {realm:?}: {reason} (a realm looks like https://example.com/)")]
    InvalidRealm {
        /// The realm given.
        realm: String,
        /// Why.
        reason: String,
    },
    /// `return_to` is not an absolute http or https URL without fragment.
    #[error(
        "invalid return_to {return_to:?}: {reason} (give an absolute URL such as \
         https://example.com/openid/return, or a path starting with / when the consumer has a \
         public base URL)"
    )]
    InvalidReturnTo {
        /// The URL given.
        return_to: String,
        /// Why.
        reason: &'static str,
    },
    /// `return_to` is outside the realm (OpenID 2.0 section 9.2: the provider would refuse).
    #[error("return_to {return_to:?} is not under the realm {realm:?}")]
    ReturnToOutsideRealm {
        /// The realm.
        realm: String,
        /// The `return_to` URL.
        return_to: String,
    },
    /// An extension cannot be added (its namespace is already there, or its request is
    /// not valid).
    #[error("cannot add the extension: {0}")]
    Extension(String),
    /// An anonymous request was asked of an OpenID 1 endpoint, which has none.
    #[error("OpenID 1 endpoints cannot answer anonymous requests")]
    Anonymous,
}
