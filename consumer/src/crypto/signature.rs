//! Message signatures (OpenID 2.0 section 6): the fields named in `openid.signed`, in that
//! order, as KV form, MACed with the association's key, base64-encoded in `openid.sig`.

use base64::DecodeSliceError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::Sha256;

use super::Association;
use super::AssociationType;
use crate::message::kvform::{self, KvEncodeError};
use crate::message::{Message, Namespace};

/// Why a signature could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No `openid.sig`.
    #[error("message has no openid.sig")]
    MissingSignature,
    /// No `openid.signed`.
    #[error("message has no openid.signed")]
    MissingSignedList,
    /// `openid.signed` names a field the message does not have.
    #[error("signed field {field:?} is missing from the message")]
    SignedFieldMissing {
        /// The field, without `openid.`.
        field: String,
    },
    /// `openid.sig` is not base64.
    #[error("openid.sig is not valid base64")]
    BadEncoding,
    /// The signature does not match.
    #[error("signature mismatch")]
    Mismatch,
    /// A signed field cannot be written as KV form.
    #[error(transparent)]
    KvForm(#[from] KvEncodeError),
    /// The association's key does not have the length of its MAC type (20 bytes for
    /// HMAC-SHA1, 32 for HMAC-SHA256): a short or empty key would make signatures guessable,
    /// so it is never used.
    #[error("association key has the wrong length for its type")]
    InvalidKey,
    /// The message to sign already has `openid.sig` or `openid.signed`.
    #[error("message is already signed")]
    AlreadySigned,
    /// The message to sign names another association.
    #[error("message carries association handle {found:?}, not {expected:?}")]
    HandleMismatch {
        /// The association's handle.
        expected: String,
        /// The handle in the message.
        found: String,
    },
}

/// The base64 signature of `message` over the fields its `openid.signed` lists.
///
/// # Errors
/// [`SignatureError::MissingSignedList`], [`SignatureError::SignedFieldMissing`],
/// [`SignatureError::KvForm`].
pub fn signature_for(
    message: &Message,
    association: &Association,
) -> Result<String, SignatureError> {
    let mac = compute_mac(message, association)?;
    Ok(STANDARD.encode(mac))
}

/// Verifies `openid.sig` in constant time: the fields listed in `openid.signed` are intact.
///
/// That is all it proves. A message signed over `mode` alone verifies with any
/// `claimed_id` beside it, so a relying party calls
/// [`check_signed_fields`](super::check_signed_fields) on an assertion first, and relies
/// only on signed fields.
///
/// # Errors
/// [`SignatureError::MissingSignature`], [`SignatureError::BadEncoding`],
/// [`SignatureError::Mismatch`], and the errors of [`signature_for`].
///
/// # Security
/// The comparison does not reveal how many bytes matched (`hmac`'s `verify_slice`). Which
/// fields the signature covers is the caller's to check, with
/// [`check_signed_fields`](super::check_signed_fields).
///
/// # Example
/// ```
/// use openid_consumer::crypto::{AssociationType, check_signature, sign_message};
/// use openid_consumer::message::{Message, OpenIdVersion};
/// use openid_consumer::store::Association;
///
/// let assoc = Association::new("handle", [7u8; 32], 0, 3600, AssociationType::HmacSha256)?;
/// let mut msg = Message::new(OpenIdVersion::V2_0);
/// msg.set_openid("mode", "id_res");
/// sign_message(&mut msg, &assoc)?;
/// assert!(check_signature(&msg, &assoc).is_ok());
/// msg.set_openid("mode", "cancel");
/// assert!(check_signature(&msg, &assoc).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_signature(message: &Message, association: &Association) -> Result<(), SignatureError> {
    let sig = message.get_openid("sig").ok_or(SignatureError::MissingSignature)?;
    // Every MAC fits on the stack. A longer `sig` cannot match, but it is decoded in full
    // all the same: the buffer runs out before a bad character further on is seen, and the
    // error must name the check that failed (bad base64, a missing signed field) rather
    // than claim a MAC was compared.
    let mut decoded = [0u8; 64];
    let long;
    let expected = match STANDARD.decode_slice(sig, &mut decoded) {
        Ok(length) => decoded.get(..length).unwrap_or_default(),
        Err(DecodeSliceError::OutputSliceTooSmall) => {
            long = STANDARD.decode(sig).map_err(|_| SignatureError::BadEncoding)?;
            long.as_slice()
        }
        Err(DecodeSliceError::DecodeError(_)) => return Err(SignatureError::BadEncoding),
    };
    let secret = checked_secret(association)?;
    let verified = match association.assoc_type() {
        AssociationType::HmacSha1 => mac_of::<Hmac<Sha1>>(secret, message)?.verify_slice(expected),
        AssociationType::HmacSha256 => {
            mac_of::<Hmac<Sha256>>(secret, message)?.verify_slice(expected)
        }
    };
    verified.map_err(|_| SignatureError::Mismatch)
}

/// Signs every `openid.` field of `message` with `association`, as a provider does: sets
/// `openid.assoc_handle`, `openid.signed` (all `openid.` fields, sorted, including
/// `signed` itself) and `openid.sig`.
///
/// # Errors
/// [`SignatureError::InvalidKey`], [`SignatureError::AlreadySigned`],
/// [`SignatureError::HandleMismatch`], [`SignatureError::KvForm`]; the message is left
/// unchanged when the key is refused.
pub fn sign_message(
    message: &mut Message,
    association: &Association,
) -> Result<(), SignatureError> {
    checked_secret(association)?;
    if message.contains(&Namespace::OpenId, "sig") || message.contains(&Namespace::OpenId, "signed")
    {
        return Err(SignatureError::AlreadySigned);
    }
    match message.get_openid("assoc_handle") {
        Some(found) if found != association.handle() => {
            return Err(SignatureError::HandleMismatch {
                expected: association.handle().to_owned(),
                found: found.to_owned(),
            });
        }
        _ => message.set_openid("assoc_handle", association.handle()),
    }
    let mut fields: Vec<String> = message
        .to_form_pairs()
        .into_iter()
        .filter_map(|(key, _)| key.strip_prefix("openid.").map(str::to_owned))
        .collect();
    fields.push("signed".to_owned());
    fields.sort();
    message.set_openid("signed", fields.join(","));
    let sig = signature_for(message, association)?;
    message.set_openid("sig", sig);
    Ok(())
}

fn compute_mac(message: &Message, association: &Association) -> Result<Vec<u8>, SignatureError> {
    let secret = checked_secret(association)?;
    Ok(match association.assoc_type() {
        AssociationType::HmacSha1 => {
            mac_of::<Hmac<Sha1>>(secret, message)?.finalize().into_bytes().to_vec()
        }
        AssociationType::HmacSha256 => {
            mac_of::<Hmac<Sha256>>(secret, message)?.finalize().into_bytes().to_vec()
        }
    })
}

/// The MAC of the fields `openid.signed` lists, in its order, as KV form. The KV form is
/// fed to the MAC line by line rather than built first: the same bytes, no copy of the
/// message.
fn mac_of<M: Mac + KeyInit>(secret: &[u8], message: &Message) -> Result<M, SignatureError> {
    let list = message.get_openid("signed").ok_or(SignatureError::MissingSignedList)?;
    // HMAC takes keys of any length (RFC 2104 hashes long ones); the error is kept typed
    // rather than assumed away.
    let mut mac = <M as KeyInit>::new_from_slice(secret).map_err(|_| SignatureError::InvalidKey)?;
    for field in super::signed_list_entries(list) {
        let value = message
            .openid_field(field)
            .ok_or_else(|| SignatureError::SignedFieldMissing { field: field.to_owned() })?;
        kvform::check_pair(field, value)?;
        mac.update(field.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        mac.update(b"\n");
    }
    Ok(mac)
}

/// The association's key, if it has the length its type requires (OpenID 2.0 section 8.3).
fn checked_secret(association: &Association) -> Result<&[u8], SignatureError> {
    let secret = association.secret();
    if secret.len() == association.assoc_type().secret_len() {
        Ok(secret)
    } else {
        Err(SignatureError::InvalidKey)
    }
}

#[cfg(test)]
mod tests;
