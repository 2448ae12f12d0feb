//! `associate` (OpenID 2.0 section 8): a MAC key shared with the relying party, sent
//! encrypted by Diffie-Hellman (section 8.4.2) or, over https only, in clear (section 8.4.1).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openid_consumer::crypto::{
    AssociationType, DEFAULT_GENERATOR, DEFAULT_MODULUS_BASE64, DiffieHellman, SessionType,
    encode_btwoc_base64, random_bytes, random_string,
};
use openid_consumer::message::Message;
use openid_consumer::store::Association;

use super::{direct, direct_error};
use crate::behaviour::{AssociationBehaviour, Behaviour, Protocol};
use crate::http::Reply;
use crate::state::{Shared, now};

/// Answers an `associate` request.
pub(super) fn handle(
    shared: &Shared,
    behaviour: &Behaviour,
    request: &Message,
    https: bool,
) -> Reply {
    let v1 = request.is_openid1() || behaviour.protocol == Protocol::V1Only;
    match &behaviour.association {
        AssociationBehaviour::Refuse => {
            return direct_error(v1, 400, "this provider makes no associations");
        }
        AssociationBehaviour::Suggest { assoc_type, session_type } => {
            return unsupported(v1, "association type not supported", assoc_type, session_type);
        }
        _ => {}
    }
    // OpenID 1.1 made assoc_type optional with HMAC-SHA1 as the default; 2.0 requires it.
    let assoc_type = match request.get_openid("assoc_type") {
        Some(assoc_type) => assoc_type,
        None if request.is_openid1() => AssociationType::HmacSha1.as_str(),
        None => return direct_error(v1, 400, "missing openid.assoc_type"),
    };
    // OpenID 1.1 (mode associate): a missing or blank session_type means no encryption;
    // OpenID 2.0 section 8.1.1 makes it required.
    let session_type = match (request.is_openid1(), request.get_openid("session_type")) {
        (true, None) => Ok(SessionType::NoEncryption),
        (false, None) => return direct_error(v1, 400, "missing openid.session_type"),
        (true, Some(raw)) => SessionType::parse_openid1(Some(raw)),
        (false, Some(raw)) => raw.parse(),
    };
    let sha1_only = matches!(behaviour.association, AssociationBehaviour::Sha1Only)
        || behaviour.protocol == Protocol::V1Only;
    let (assoc_type, session_type) = match (assoc_type.parse::<AssociationType>(), session_type) {
        (Ok(a), Ok(s)) => (a, s),
        (a, s) => {
            let (a, s) = suggestion(a.ok(), s.ok(), sha1_only);
            return unsupported(v1, "unknown association or session type", a.as_str(), s.as_str());
        }
    };
    let session_type = if matches!(behaviour.association, AssociationBehaviour::Plaintext) {
        SessionType::NoEncryption
    } else {
        let refusal = if !assoc_type.is_compatible_with(session_type) {
            Some("association type and session type do not go together (OpenID 2.0 section 8.4)")
        } else if session_type == SessionType::NoEncryption && !https {
            Some("no-encryption is only allowed over https (OpenID 2.0 section 8.4.1)")
        } else if sha1_only
            && (assoc_type == AssociationType::HmacSha256 || session_type == SessionType::DhSha256)
        {
            Some("SHA-256 is not supported")
        } else {
            None
        };
        if let Some(text) = refusal {
            let (a, s) = suggestion(Some(assoc_type), Some(session_type), sha1_only);
            return unsupported(v1, text, a.as_str(), s.as_str());
        }
        session_type
    };
    match associate(shared, behaviour, request, v1, assoc_type, session_type) {
        Ok(reply) => reply,
        Err(text) => direct_error(v1, 400, &text),
    }
}

/// Makes the association and the successful response (OpenID 2.0 section 8.2).
fn associate(
    shared: &Shared,
    behaviour: &Behaviour,
    request: &Message,
    v1: bool,
    assoc_type: AssociationType,
    session_type: SessionType,
) -> Result<Reply, String> {
    let issued = now();
    let lifetime = i64::try_from(behaviour.association_lifetime.as_secs()).unwrap_or(i64::MAX);
    let secret = random_bytes(assoc_type.secret_len()).map_err(|e| e.to_string())?;
    let association =
        Association::new(new_handle(assoc_type)?, secret, issued, lifetime, assoc_type)
            .map_err(|e| e.to_string())?;
    let mut pairs = vec![
        ("assoc_handle", association.handle().to_owned()),
        ("assoc_type", assoc_type.as_str().to_owned()),
        ("expires_in", lifetime.to_string()),
    ];
    match session_type {
        SessionType::NoEncryption => {
            // OpenID 1.1 signals plaintext by leaving session_type out.
            if !v1 {
                pairs.push(("session_type", session_type.as_str().to_owned()));
            }
            pairs.push(("mac_key", STANDARD.encode(association.secret())));
        }
        SessionType::DhSha1 | SessionType::DhSha256 => {
            let dh = provider_key(request)?;
            let consumer_public = request
                .get_openid("dh_consumer_public")
                .ok_or("missing openid.dh_consumer_public")?;
            let encrypted = dh
                .xor_secret(consumer_public, association.secret(), session_type)
                .map_err(|e| format!("invalid openid.dh_consumer_public: {e}"))?;
            let server_public =
                if matches!(behaviour.association, AssociationBehaviour::BadDhPublicKey) {
                    encode_btwoc_base64(&[1])
                } else {
                    dh.public_key_base64()
                };
            pairs.push(("session_type", session_type.as_str().to_owned()));
            pairs.push(("dh_server_public", server_public));
            pairs.push(("enc_mac_key", STANDARD.encode(encrypted)));
        }
    }
    tracing::debug!(handle = association.handle(), %assoc_type, %session_type, "associated");
    shared.add_shared(association);
    Ok(direct(v1, 200, &pairs))
}

/// A key pair over the relying party's parameters, each defaulting to OpenID 2.0 section
/// 8.1.2's.
fn provider_key(request: &Message) -> Result<DiffieHellman, String> {
    let modulus = request.get_openid("dh_modulus");
    let generator = request.get_openid("dh_gen");
    let result = if modulus.is_none() && generator.is_none() {
        DiffieHellman::new()
    } else {
        let default_generator = encode_btwoc_base64(&DEFAULT_GENERATOR.to_be_bytes());
        DiffieHellman::with_params(
            modulus.unwrap_or(DEFAULT_MODULUS_BASE64),
            generator.unwrap_or(&default_generator),
        )
    };
    result.map_err(|e| format!("invalid Diffie-Hellman parameters: {e}"))
}

/// An `unsupported-type` error with a suggestion (OpenID 2.0 section 8.2.4).
fn unsupported(v1: bool, text: &str, assoc_type: &str, session_type: &str) -> Reply {
    direct(
        v1,
        400,
        &[
            ("error", text.to_owned()),
            ("error_code", "unsupported-type".to_owned()),
            ("assoc_type", assoc_type.to_owned()),
            ("session_type", session_type.to_owned()),
        ],
    )
}

/// What to suggest instead of a refused request: always a pair this provider accepts over
/// http, so a relying party that follows it succeeds. The requested DH session type is kept
/// when possible, else the requested association type.
fn suggestion(
    assoc_type: Option<AssociationType>,
    session_type: Option<SessionType>,
    sha1_only: bool,
) -> (AssociationType, SessionType) {
    const SHA1: (AssociationType, SessionType) = (AssociationType::HmacSha1, SessionType::DhSha1);
    const SHA256: (AssociationType, SessionType) =
        (AssociationType::HmacSha256, SessionType::DhSha256);
    if sha1_only {
        return SHA1;
    }
    match (session_type, assoc_type) {
        (Some(SessionType::DhSha256), _) => SHA256,
        (Some(SessionType::DhSha1), _) | (_, Some(AssociationType::HmacSha1)) => SHA1,
        _ => SHA256,
    }
}

/// A fresh handle, as python-openid makes them: `{type}{hex time}{random}` (printable ASCII,
/// OpenID 2.0 section 8.2.1).
pub(super) fn new_handle(assoc_type: AssociationType) -> Result<String, String> {
    let unique = random_string(16, HANDLE_CHARS).map_err(|e| e.to_string())?;
    Ok(format!("{{{assoc_type}}}{{{:x}}}{{{unique}}}", now()))
}

const HANDLE_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
