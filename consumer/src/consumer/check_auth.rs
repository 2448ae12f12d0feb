//! `check_authentication` (OpenID 2.0 section 11.4.2): asking the provider itself whether
//! an assertion it signed with a private association is valid.

use super::failure::FailureReason;
use crate::fetch::{Fetcher, NetworkPolicy};
use crate::message::{Message, Namespace};
use crate::store::OpenIdStore;

/// Sends the assertion back to `endpoint` (which the caller verified for this claimed
/// identifier) and accepts it only on `is_valid:true`. An `invalidate_handle` in the
/// answer removes that association from the store, valid or not.
pub(crate) fn verify(
    fetcher: &dyn Fetcher,
    policy: &NetworkPolicy,
    store: Option<&dyn OpenIdStore>,
    endpoint: &str,
    assertion: &Message,
) -> Result<(), FailureReason> {
    let request = request(assertion);
    let form: Vec<(&str, &str)> = request.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let response =
        fetcher.post_form(endpoint, &form, policy).map_err(FailureReason::CheckAuthentication)?;
    let text = String::from_utf8_lossy(&response.body);
    let answer = Message::from_kvform(&text).map_err(FailureReason::CheckAuthenticationAnswer)?;
    if let (Some(store), Some(handle)) = (store, answer.get_openid("invalidate_handle")) {
        // Section 11.4.2.2: the provider says this handle is no longer valid.
        let removed = store.remove_association(endpoint, handle).map_err(FailureReason::Store)?;
        tracing::debug!(target: "openid_consumer", endpoint, removed, "association invalidated");
    }
    if response.is_success() && answer.get_openid("is_valid") == Some("true") {
        Ok(())
    } else {
        Err(FailureReason::SignatureNotConfirmed)
    }
}

/// Section 11.4.2.1: exact copies of every field of the assertion, `openid.mode` set to
/// `check_authentication`. The application's own (bare) arguments are not sent.
fn request(assertion: &Message) -> Vec<(String, String)> {
    let mut copy = assertion.clone();
    copy.set_openid("mode", "check_authentication");
    let bare: Vec<String> = copy.args_in(&Namespace::Bare).map(|(k, _)| k.to_owned()).collect();
    for key in bare {
        copy.remove(&Namespace::Bare, &key);
    }
    copy.to_form_pairs()
}
