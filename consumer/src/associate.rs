//! Association negotiation (OpenID 2.0 section 8): asking a provider for a shared MAC key,
//! so that its assertions can be checked without a request of their own.
//!
//! The relying party proposes its preferred pair of association type and session type;
//! a provider that does not support it may answer `unsupported-type` with a suggestion,
//! which is tried once if the [`AssociationPreferences`] allow it. Anything else that goes
//! wrong is an [`AssociateError`], and the login carries on without an association
//! (stateless, verified by `check_authentication`).
//!
//! # Security
//! - The Diffie-Hellman public key of the provider is range-checked (1 < y < p-1).
//! - `no-encryption` is used and accepted only over HTTPS (section 8.4.1): a provider that
//!   answers a Diffie-Hellman request in clear, or in clear over HTTP, is refused.
//! - The key must have the length of its MAC type, and the types must be the ones asked
//!   for: a provider cannot switch an association to a weaker type on its own.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::crypto::{AssociationType, DhError, DiffieHellman, SessionType};
use crate::excerpt::bounded;
use crate::fetch::{FetchError, Fetcher, NetworkPolicy};
use crate::message::{Message, MessageError, OpenIdVersion};
use crate::store::{Association, AssociationError};

/// Which associations the relying party asks for, and when it reuses one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssociationPreferences {
    /// The (association type, session type) pairs the relying party accepts, most preferred
    /// first. `no-encryption` pairs apply only to `https` endpoints. Default: HMAC-SHA256
    /// before HMAC-SHA1, each with Diffie-Hellman first.
    pub allowed: Vec<(AssociationType, SessionType)>,
    /// An association is reused only while at least this many seconds of its life remain,
    /// so that it does not expire between the redirect to the provider and the return of
    /// the browser. Default 600 (10 minutes).
    pub min_remaining_lifetime: i64,
    /// After a provider refused to associate (or failed to), logins to it go stateless
    /// without asking again for this many seconds. Remembered in memory, per
    /// [`Consumer`](crate::Consumer). Default 300.
    pub retry_after_failure: i64,
}

impl Default for AssociationPreferences {
    fn default() -> Self {
        Self {
            allowed: vec![
                (AssociationType::HmacSha256, SessionType::DhSha256),
                (AssociationType::HmacSha256, SessionType::NoEncryption),
                (AssociationType::HmacSha1, SessionType::DhSha1),
                (AssociationType::HmacSha1, SessionType::NoEncryption),
            ],
            min_remaining_lifetime: 600,
            retry_after_failure: 300,
        }
    }
}

impl AssociationPreferences {
    /// Whether the pair may be used with an endpoint of this kind.
    pub fn allows(
        &self,
        assoc_type: AssociationType,
        session_type: SessionType,
        endpoint: &EndpointKind,
    ) -> bool {
        self.allowed.contains(&(assoc_type, session_type))
            && applies(assoc_type, session_type, *endpoint)
    }

    /// The most preferred pair for an endpoint of this kind, if any applies.
    pub fn first(&self, endpoint: &EndpointKind) -> Option<(AssociationType, SessionType)> {
        self.allowed.iter().copied().find(|&(a, s)| applies(a, s, *endpoint))
    }
}

/// What matters about an endpoint when choosing an association.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointKind {
    /// The endpoint URL is `https`.
    pub https: bool,
    /// The endpoint speaks OpenID 1.x only (HMAC-SHA1 and DH-SHA1 or no-encryption).
    pub openid1: bool,
}

impl EndpointKind {
    /// The kind of the endpoint at `server_url`.
    pub fn of(server_url: &str, openid1: bool) -> Self {
        let https = server_url
            .split_once(':')
            .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("https"));
        Self { https, openid1 }
    }
}

fn applies(assoc_type: AssociationType, session_type: SessionType, endpoint: EndpointKind) -> bool {
    // OpenID 2.0 section 8.4.1: no-encryption MUST NOT be used without transport security.
    let transport_ok = session_type != SessionType::NoEncryption || endpoint.https;
    // OpenID 1.1 defines HMAC-SHA1 and DH-SHA1 only.
    let version_ok = !endpoint.openid1
        || (assoc_type == AssociationType::HmacSha1 && session_type != SessionType::DhSha256);
    transport_ok && version_ok && assoc_type.is_compatible_with(session_type)
}

/// Why no association was made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AssociateError {
    /// The preferences allow no pair for this endpoint (for example only `no-encryption`
    /// over `http`).
    #[error("no allowed association type applies to this endpoint")]
    NoAcceptableType,
    /// The request could not be sent or the answer not received.
    #[error("association request failed: {0}")]
    Fetch(#[from] FetchError),
    /// The answer is not a KV-form message.
    #[error("association response is not a valid message: {0}")]
    Message(#[from] MessageError),
    /// The provider answered with an error.
    #[error("provider refused to associate: {error} (error_code {error_code:?})")]
    Refused {
        /// `openid.error` (control characters escaped, cut after 200 characters).
        error: String,
        /// `openid.error_code`, if any (escaped and cut likewise).
        error_code: Option<String>,
    },
    /// The provider does not support the pair asked for, and suggested none this relying
    /// party accepts (or refused the suggestion too).
    #[error(
        "provider does not support {assoc_type}/{session_type} and suggested nothing acceptable \
         ({suggestion:?})"
    )]
    Unsupported {
        /// The association type asked for.
        assoc_type: &'static str,
        /// The session type asked for.
        session_type: &'static str,
        /// The suggested pair, as sent (control characters escaped, cut after 200
        /// characters).
        suggestion: Option<(String, String)>,
    },
    /// A field of the answer is missing or invalid.
    #[error("association response field {field}: {problem}")]
    InvalidResponse {
        /// The field (without `openid.`).
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The provider answered with another association or session type than asked for
    /// (a plaintext answer to a Diffie-Hellman request is a downgrade).
    #[error("asked for {asked}, the provider answered {answered}")]
    TypeMismatch {
        /// What was asked, `assoc_type/session_type`.
        asked: String,
        /// What came back (the provider's text escaped and cut).
        answered: String,
    },
    /// The Diffie-Hellman exchange failed (a public key out of range, a key of the wrong
    /// length).
    #[error("Diffie-Hellman: {0}")]
    Dh(#[from] DhError),
    /// The key or handle cannot make an association.
    #[error("invalid association: {0}")]
    Association(#[from] AssociationError),
}

/// An association and how it was negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Negotiated {
    /// The association (its MAC key never shows in `Debug`).
    pub association: Association,
    /// How its key travelled (after a retry with the provider's suggestion it may differ
    /// from the first choice).
    pub session_type: SessionType,
}

/// Asks the provider at `server_url` for an association: the most preferred pair first,
/// then once the provider's suggestion if the preferences allow it.
///
/// # Errors
/// See [`AssociateError`].
pub fn associate(
    fetcher: &dyn Fetcher,
    policy: &NetworkPolicy,
    server_url: &str,
    endpoint: EndpointKind,
    preferences: &AssociationPreferences,
    now: i64,
) -> Result<Negotiated, AssociateError> {
    let (assoc_type, session_type) =
        preferences.first(&endpoint).ok_or(AssociateError::NoAcceptableType)?;
    match request(fetcher, policy, server_url, endpoint, assoc_type, session_type, now) {
        // OpenID 1.1 has no suggestions: a 1.x provider's error is final (as python-openid).
        Err(AssociateError::Unsupported { suggestion: Some((a, s)), .. }) if !endpoint.openid1 => {
            let suggested = a.parse::<AssociationType>().ok().zip(s.parse::<SessionType>().ok());
            match suggested {
                Some((a2, s2))
                    if (a2, s2) != (assoc_type, session_type)
                        && preferences.allows(a2, s2, &endpoint) =>
                {
                    tracing::debug!(
                        target: "openid_consumer",
                        assoc_type = a2.as_str(),
                        session_type = s2.as_str(),
                        "retrying association with the provider's suggestion"
                    );
                    request(fetcher, policy, server_url, endpoint, a2, s2, now)
                }
                _ => Err(AssociateError::Unsupported {
                    assoc_type: assoc_type.as_str(),
                    session_type: session_type.as_str(),
                    suggestion: Some((a, s)),
                }),
            }
        }
        other => other,
    }
}

/// One association request and its answer.
fn request(
    fetcher: &dyn Fetcher,
    policy: &NetworkPolicy,
    server_url: &str,
    endpoint: EndpointKind,
    assoc_type: AssociationType,
    session_type: SessionType,
    now: i64,
) -> Result<Negotiated, AssociateError> {
    let dh = match session_type {
        SessionType::NoEncryption => None,
        SessionType::DhSha1 | SessionType::DhSha256 => Some(DiffieHellman::new()?),
    };
    let message = request_message(endpoint, assoc_type, session_type, dh.as_ref());
    let form = message.to_form_pairs();
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let response = fetcher.post_form(server_url, &pairs, policy)?;
    let text = String::from_utf8_lossy(&response.body);
    let answer = Message::from_kvform(&text)?;
    if let Some(error) = answer.get_openid("error") {
        // The provider's words end up in the log (`Consumer::begin` logs the error): escaped
        // and cut, as every stranger's text in an error.
        let error_code = answer.get_openid("error_code").map(bounded);
        if answer.get_openid("error_code") == Some("unsupported-type") {
            let suggestion = answer
                .get_openid("assoc_type")
                .zip(answer.get_openid("session_type"))
                .map(|(a, s)| (bounded(a), bounded(s)));
            return Err(AssociateError::Unsupported {
                assoc_type: assoc_type.as_str(),
                session_type: session_type.as_str(),
                suggestion,
            });
        }
        return Err(AssociateError::Refused { error: bounded(error), error_code });
    }
    if !response.is_success() {
        return Err(AssociateError::InvalidResponse {
            field: "error",
            problem: format!("HTTP status {} without an OpenID error", response.status),
        });
    }
    let association = parse_answer(&answer, endpoint, assoc_type, session_type, dh.as_ref(), now)?;
    Ok(Negotiated { association, session_type })
}

fn request_message(
    endpoint: EndpointKind,
    assoc_type: AssociationType,
    session_type: SessionType,
    dh: Option<&DiffieHellman>,
) -> Message {
    let version = if endpoint.openid1 { OpenIdVersion::V1_1 } else { OpenIdVersion::V2_0 };
    let mut message = Message::new(version);
    message.set_openid("mode", "associate");
    message.set_openid("assoc_type", assoc_type.as_str());
    // OpenID 1.1 section 8.1: a blank session_type means no encryption; 2.0 names it.
    if !(endpoint.openid1 && session_type == SessionType::NoEncryption) {
        message.set_openid("session_type", session_type.as_str());
    }
    if let Some(dh) = dh {
        if !dh.uses_default_params() {
            message.set_openid("dh_modulus", dh.modulus_base64());
            message.set_openid("dh_gen", dh.generator_base64());
        }
        message.set_openid("dh_consumer_public", dh.public_key_base64());
    }
    message
}

fn parse_answer(
    answer: &Message,
    endpoint: EndpointKind,
    assoc_type: AssociationType,
    session_type: SessionType,
    dh: Option<&DiffieHellman>,
    now: i64,
) -> Result<Association, AssociateError> {
    let field = |name: &'static str| {
        answer
            .get_openid(name)
            .ok_or(AssociateError::InvalidResponse { field: name, problem: "missing".to_owned() })
    };
    let got_assoc = field("assoc_type")?;
    let got_session = if endpoint.openid1 {
        // OpenID 1.1: a missing session_type is no-encryption, which is a downgrade when
        // Diffie-Hellman was asked for (checked below like any other mismatch).
        answer.get_openid("session_type").filter(|s| !s.is_empty()).unwrap_or("no-encryption")
    } else {
        field("session_type")?
    };
    if got_assoc != assoc_type.as_str() || got_session != session_type.as_str() {
        return Err(AssociateError::TypeMismatch {
            asked: format!("{}/{}", assoc_type.as_str(), session_type.as_str()),
            answered: format!("{}/{}", bounded(got_assoc), bounded(got_session)),
        });
    }
    let handle = field("assoc_handle")?;
    let expires_in = field("expires_in")?;
    let lifetime = expires_in.parse::<i64>().ok().filter(|l| *l >= 0).ok_or_else(|| {
        AssociateError::InvalidResponse {
            field: "expires_in",
            problem: "not a non-negative integer".to_owned(),
        }
    })?;
    // Wiped on drop, whichever way it came.
    let secret: Zeroizing<Vec<u8>> = match dh {
        None => Zeroizing::new(decode("mac_key", field("mac_key")?)?),
        Some(dh) => {
            let server_public = field("dh_server_public")?;
            let encrypted = decode("enc_mac_key", field("enc_mac_key")?)?;
            dh.xor_secret(server_public, &encrypted, session_type)?
        }
    };
    if secret.len() != assoc_type.secret_len() {
        return Err(AssociateError::InvalidResponse {
            field: if dh.is_some() { "enc_mac_key" } else { "mac_key" },
            problem: format!(
                "{} bytes where {} needs {}",
                secret.len(),
                assoc_type.as_str(),
                assoc_type.secret_len()
            ),
        });
    }
    Ok(Association::new(handle, secret.as_slice(), now, lifetime, assoc_type)?)
}

fn decode(field: &'static str, value: &str) -> Result<Vec<u8>, AssociateError> {
    STANDARD
        .decode(value)
        .map_err(|_| AssociateError::InvalidResponse { field, problem: "not base64".to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HTTP: EndpointKind = EndpointKind { https: false, openid1: false };
    const HTTPS: EndpointKind = EndpointKind { https: true, openid1: false };
    const V1: EndpointKind = EndpointKind { https: true, openid1: true };

    #[test]
    fn no_encryption_applies_to_https_endpoints_only() {
        let prefs = AssociationPreferences::default();
        assert!(!prefs.allows(AssociationType::HmacSha256, SessionType::NoEncryption, &HTTP));
        assert!(prefs.allows(AssociationType::HmacSha256, SessionType::NoEncryption, &HTTPS));
        let only_plain = AssociationPreferences {
            allowed: vec![(AssociationType::HmacSha256, SessionType::NoEncryption)],
            ..AssociationPreferences::default()
        };
        assert_eq!(only_plain.first(&HTTP), None);
    }

    #[test]
    fn sha256_with_diffie_hellman_is_preferred_and_openid1_gets_sha1() {
        let prefs = AssociationPreferences::default();
        assert_eq!(prefs.first(&HTTP), Some((AssociationType::HmacSha256, SessionType::DhSha256)));
        assert_eq!(prefs.first(&V1), Some((AssociationType::HmacSha1, SessionType::DhSha1)));
        assert!(!prefs.allows(AssociationType::HmacSha1, SessionType::DhSha256, &HTTPS));
    }

    /// A provider that answers every association request with `body`.
    struct Answer(String);

    impl Fetcher for Answer {
        fn get(
            &self,
            url: &str,
            _: &[(&str, &str)],
            policy: &NetworkPolicy,
        ) -> Result<crate::fetch::FetchResponse, FetchError> {
            self.post_form(url, &[], policy)
        }

        fn post_form(
            &self,
            url: &str,
            _: &[(&str, &str)],
            _: &NetworkPolicy,
        ) -> Result<crate::fetch::FetchResponse, FetchError> {
            Ok(crate::fetch::FetchResponse::new(url, 400, vec![], self.0.clone().into_bytes()))
        }
    }

    // See: review of issue 9, item 9. `Consumer::begin` logs a failed association at info
    // level with `%error`: the provider's text went into the log raw and whole (an ANSI
    // escape, a carriage return, 1 MiB), and any identifier names the provider.
    #[test]
    fn a_providers_text_in_an_association_error_is_escaped_and_cut() {
        let forged = format!("\u{1b}[2J\rINFO forged line {}", "x".repeat(100_000));
        for body in [
            format!("error:{forged}\nerror_code:{forged}\n"),
            format!("error:x\nerror_code:unsupported-type\nassoc_type:{forged}\nsession_type:y\n"),
            format!("assoc_type:{forged}\nsession_type:DH-SHA256\n"),
        ] {
            let error = associate(
                &Answer(body),
                &NetworkPolicy::default(),
                "https://op.example/",
                HTTPS,
                &AssociationPreferences::default(),
                0,
            )
            .unwrap_err();
            let shown = error.to_string();
            assert!(!shown.chars().any(char::is_control), "{:?}", shown.get(..200));
            assert!(shown.len() < 2_000, "{} bytes: {:?}", shown.len(), shown.get(..200));
        }
    }

    #[test]
    fn the_endpoint_kind_reads_the_scheme_in_any_case() {
        assert!(EndpointKind::of("HTTPS://op.example/", false).https);
        assert!(!EndpointKind::of("http://op.example/", false).https);
        assert!(!EndpointKind::of("https", false).https);
    }
}
