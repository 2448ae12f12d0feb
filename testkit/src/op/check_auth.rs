//! `check_authentication` (OpenID 2.0 section 11.4.2): the relying party without an
//! association asks whether an assertion is genuine.

use openid_consumer::crypto::check_signature;
use openid_consumer::message::Message;

use super::{direct, direct_error};
use crate::behaviour::{Behaviour, CheckAuth};
use crate::http::Reply;
use crate::state::{Shared, now};

/// Answers a `check_authentication` request.
pub(super) fn handle(shared: &Shared, behaviour: &Behaviour, request: &Message) -> Reply {
    let v1 = request.is_openid1();
    for field in ["assoc_handle", "sig", "signed"] {
        if request.get_openid(field).is_none() {
            return direct_error(v1, 400, &format!("missing openid.{field}"));
        }
    }
    let now = now();
    let honest = verify(shared, request, now);
    let is_valid = match behaviour.check_authentication {
        CheckAuth::AlwaysValid => true,
        CheckAuth::AlwaysInvalid => false,
        _ => honest,
    };
    let mut pairs = vec![("is_valid", is_valid.to_string())];
    // Section 11.4.2.2: confirm that the handle the assertion told the relying party to drop
    // is indeed unknown here (or expired).
    if let Some(handle) = request.get_openid("invalidate_handle")
        && shared.shared_association(handle, now).is_none()
    {
        pairs.push(("invalidate_handle", handle.to_owned()));
    }
    direct(v1, 200, &pairs)
}

/// The honest answer: signed with one of this provider's private associations, unchanged,
/// and not verified before.
fn verify(shared: &Shared, request: &Message, now: i64) -> bool {
    let Some(handle) = request.get_openid("assoc_handle") else {
        return false;
    };
    // Section 11.4.2.1: "the OP MUST NOT verify signatures for associations that have shared
    // MAC keys", or an assertion sent to one relying party could be replayed to another.
    let Some(association) = shared.private_association(handle, now) else {
        tracing::debug!(handle, "check_authentication: not a private association");
        return false;
    };
    // The assertion as it was signed: with its original mode.
    let mut assertion = request.clone();
    assertion.set_openid("mode", "id_res");
    if let Err(error) = check_signature(&assertion, &association) {
        tracing::debug!(%error, "check_authentication: signature does not verify");
        return false;
    }
    // Section 11.4.2.1: the OP "MUST NOT issue more than one verification response" per
    // assertion. 2.0 assertions are told apart by nonce, 1.x ones by signature.
    let key =
        request.get_openid("response_nonce").or(request.get_openid("sig")).unwrap_or_default();
    shared.first_verification(&format!("{handle} {key}"))
}
