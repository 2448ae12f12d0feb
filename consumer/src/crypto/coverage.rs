//! Signature coverage: the fields of a positive assertion that must be signed (OpenID 2.0
//! section 10.1), checked before the signature itself.
//!
//! [`check_signature`](super::check_signature) proves that the fields listed in
//! `openid.signed` are intact, and nothing about the others: a provider's signature over
//! `signed=mode` alone verifies whatever `claimed_id` sits beside it. A relying party must
//! therefore also know that what it is about to trust is in that list.
//! [`check_signed_fields`] is that check (DESIGN.md section 3, step 1).

use crate::message::Message;

/// Why an assertion's signature does not cover what it must.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignedFieldsError {
    /// No `openid.signed`: nothing is signed.
    #[error("message has no openid.signed")]
    MissingSignedList,
    /// A field that must be present and signed is absent from the message.
    #[error("required field openid.{field} is missing")]
    MissingField {
        /// The field, without `openid.`.
        field: &'static str,
    },
    /// A field that must be signed is present but not listed in `openid.signed`.
    #[error("openid.{field} is not signed")]
    NotSigned {
        /// The field, without `openid.`.
        field: &'static str,
    },
}

/// Checks that `openid.signed` of a positive assertion (`id_res`) lists every field a
/// relying party relies on, so that a valid signature means those fields are the provider's.
///
/// - OpenID 2.0 (section 10.1: the list "MUST contain at least `op_endpoint`, `return_to`,
///   `response_nonce` and `assoc_handle`, and if present in the response, `claimed_id` and
///   `identity`"): the first four must be present and signed, the last two signed when
///   present.
/// - OpenID 1.x: `return_to` and `identity` must be present and signed (what python-openid
///   requires; OpenID 1.1 has no nonce or endpoint field to sign).
///
/// Call it on every assertion before [`check_signature`](super::check_signature) or
/// `check_authentication`, which prove only that the listed fields are intact. It reads
/// nothing but the message, so it also runs before any network request.
///
/// # Errors
/// [`SignedFieldsError::MissingSignedList`], or the first field in the order above that is
/// [`MissingField`](SignedFieldsError::MissingField) or
/// [`NotSigned`](SignedFieldsError::NotSigned).
///
/// # Security
/// Without this check a provider, or anyone holding a response signed over fewer fields,
/// can pair a valid signature with a forged `claimed_id`.
///
/// # Example
/// ```
/// use openid_consumer::crypto::{SignedFieldsError, check_signed_fields};
/// use openid_consumer::message::{Message, OpenIdVersion};
///
/// let mut assertion = Message::new(OpenIdVersion::V2_0);
/// for (key, value) in [
///     ("mode", "id_res"),
///     ("op_endpoint", "https://op.example/openid"),
///     ("claimed_id", "https://alice.example/"),
///     ("identity", "https://alice.example/"),
///     ("return_to", "https://rp.example/return"),
///     ("response_nonce", "2024-01-01T00:00:00Zabc"),
///     ("assoc_handle", "h1"),
///     ("signed", "op_endpoint,claimed_id,identity,return_to,response_nonce,assoc_handle"),
/// ] {
///     assertion.set_openid(key, value);
/// }
/// assert_eq!(check_signed_fields(&assertion), Ok(()));
///
/// // A signature that leaves out the claimed identifier says nothing about whose it is.
/// assertion.set_openid("signed", "op_endpoint,identity,return_to,response_nonce,assoc_handle");
/// assert_eq!(
///     check_signed_fields(&assertion),
///     Err(SignedFieldsError::NotSigned { field: "claimed_id" })
/// );
/// ```
pub fn check_signed_fields(message: &Message) -> Result<(), SignedFieldsError> {
    let signed = message.get_openid("signed").ok_or(SignedFieldsError::MissingSignedList)?;
    let (always, when_present): (&[&'static str], &[&'static str]) = if message.is_openid1() {
        (&OPENID1_ALWAYS, &[])
    } else {
        (&OPENID2_ALWAYS, &OPENID2_WHEN_PRESENT)
    };
    // One pass over the list marks the fields of interest, rather than one pass per field.
    let mut listed = [false; OPENID2_ALWAYS.len() + OPENID2_WHEN_PRESENT.len()];
    for entry in super::signed_list_entries(signed) {
        if let Some(index) = always.iter().chain(when_present).position(|f| *f == entry)
            && let Some(mark) = listed.get_mut(index)
        {
            *mark = true;
        }
    }
    let is_signed = |field: &str| {
        always.iter().chain(when_present).zip(listed).any(|(f, marked)| marked && *f == field)
    };
    for &field in always {
        if message.get_openid(field).is_none() {
            return Err(SignedFieldsError::MissingField { field });
        }
        if !is_signed(field) {
            return Err(SignedFieldsError::NotSigned { field });
        }
    }
    for &field in when_present {
        if message.get_openid(field).is_some() && !is_signed(field) {
            return Err(SignedFieldsError::NotSigned { field });
        }
    }
    Ok(())
}

/// OpenID 2.0 section 10.1: always signed.
const OPENID2_ALWAYS: [&str; 4] = ["op_endpoint", "return_to", "response_nonce", "assoc_handle"];
/// OpenID 2.0 section 10.1: signed "if present in the response".
const OPENID2_WHEN_PRESENT: [&str; 2] = ["claimed_id", "identity"];
/// OpenID 1.x: always signed (python-openid's `_idResCheckForFields`).
const OPENID1_ALWAYS: [&str; 2] = ["return_to", "identity"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Association;
    use crate::crypto::{AssociationType, check_signature, signature_for};
    use crate::message::{Namespace, OpenIdVersion};

    /// A complete OpenID 2.0 assertion signed over `signed`.
    fn assertion(signed: &str) -> Message {
        let mut message = Message::new(OpenIdVersion::V2_0);
        for (key, value) in [
            ("mode", "id_res"),
            ("op_endpoint", "https://op.example/openid"),
            ("claimed_id", "https://alice.example/"),
            ("identity", "https://alice.example/"),
            ("return_to", "https://rp.example/return"),
            ("response_nonce", "2024-01-01T00:00:00Zabc"),
            ("assoc_handle", "h"),
            ("signed", signed),
        ] {
            message.set_openid(key, value);
        }
        message
    }

    fn sign(message: &mut Message, association: &Association) {
        let sig = signature_for(message, association).unwrap();
        message.set_openid("sig", sig);
    }

    const ALL: &str = "op_endpoint,claimed_id,identity,return_to,response_nonce,assoc_handle";

    // See: issue 9, item 3.
    #[test]
    fn a_signature_over_the_mode_alone_verifies_but_does_not_cover_the_claimed_id() {
        let association =
            Association::new("h", [7u8; 32], 0, 3600, AssociationType::HmacSha256).unwrap();
        let mut forged = assertion("mode");
        sign(&mut forged, &association);
        forged.set_openid("claimed_id", "https://mallory.example/");
        // The finding: the MAC is intact, because it covers nothing that was changed.
        assert_eq!(check_signature(&forged, &association), Ok(()));
        assert_eq!(
            check_signed_fields(&forged),
            Err(SignedFieldsError::NotSigned { field: "op_endpoint" })
        );
    }

    #[test]
    fn a_fully_signed_assertion_passes_in_any_list_order() {
        assert_eq!(check_signed_fields(&assertion(ALL)), Ok(()));
        let reordered =
            "assoc_handle,response_nonce,return_to,identity,claimed_id,op_endpoint,mode";
        assert_eq!(check_signed_fields(&assertion(reordered)), Ok(()));
    }

    #[test]
    fn each_openid2_field_must_be_signed() {
        for field in OPENID2_ALWAYS.into_iter().chain(OPENID2_WHEN_PRESENT) {
            let signed: Vec<&str> = ALL.split(',').filter(|listed| *listed != field).collect();
            assert_eq!(
                check_signed_fields(&assertion(&signed.join(","))),
                Err(SignedFieldsError::NotSigned { field }),
                "{field}"
            );
        }
    }

    #[test]
    fn claimed_id_and_identity_need_signing_only_when_present() {
        let mut message = assertion("op_endpoint,return_to,response_nonce,assoc_handle");
        message.remove(&Namespace::OpenId, "claimed_id");
        message.remove(&Namespace::OpenId, "identity");
        assert_eq!(check_signed_fields(&message), Ok(()));
    }

    #[test]
    fn required_openid2_fields_must_be_present() {
        for field in OPENID2_ALWAYS {
            let mut message = assertion(ALL);
            message.remove(&Namespace::OpenId, field);
            assert_eq!(
                check_signed_fields(&message),
                Err(SignedFieldsError::MissingField { field }),
                "{field}"
            );
        }
    }

    #[test]
    fn a_list_entry_must_match_the_whole_field_name() {
        // `claimed_id_x` and ` claimed_id` are other fields, not `claimed_id`.
        let signed = ALL.replace("claimed_id", "claimed_id_x");
        assert_eq!(
            check_signed_fields(&assertion(&signed)),
            Err(SignedFieldsError::NotSigned { field: "claimed_id" })
        );
        let signed = ALL.replace(",claimed_id", ", claimed_id");
        assert_eq!(
            check_signed_fields(&assertion(&signed)),
            Err(SignedFieldsError::NotSigned { field: "claimed_id" })
        );
    }

    #[test]
    fn openid1_requires_return_to_and_identity() {
        let mut message = Message::new(OpenIdVersion::V1_1);
        message.set_openid("mode", "id_res");
        message.set_openid("identity", "https://alice.example/");
        message.set_openid("return_to", "https://rp.example/return");
        message.set_openid("signed", "mode,identity,return_to");
        assert_eq!(check_signed_fields(&message), Ok(()));
        message.set_openid("signed", "mode,return_to");
        assert_eq!(
            check_signed_fields(&message),
            Err(SignedFieldsError::NotSigned { field: "identity" })
        );
        message.remove(&Namespace::OpenId, "return_to");
        assert_eq!(
            check_signed_fields(&message),
            Err(SignedFieldsError::MissingField { field: "return_to" })
        );
        message.remove(&Namespace::OpenId, "signed");
        assert_eq!(check_signed_fields(&message), Err(SignedFieldsError::MissingSignedList));
    }

    #[test]
    fn errors_display_short_lower_case_messages() {
        assert_eq!(
            SignedFieldsError::MissingSignedList.to_string(),
            "message has no openid.signed"
        );
        assert_eq!(
            SignedFieldsError::MissingField { field: "op_endpoint" }.to_string(),
            "required field openid.op_endpoint is missing"
        );
        assert_eq!(
            SignedFieldsError::NotSigned { field: "claimed_id" }.to_string(),
            "openid.claimed_id is not signed"
        );
    }
}
