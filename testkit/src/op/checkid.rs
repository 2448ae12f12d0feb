//! `checkid_setup` and `checkid_immediate` (OpenID 2.0 section 9): the request is checked,
//! then answered as [`Behaviour::answer`] says; positive assertions (section 10.1) get the
//! defects of [`Behaviour::tampering`].

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openid_consumer::crypto::{AssociationType, random_bytes, signature_for};
use openid_consumer::message::{Message, OPENID2_NS};
use openid_consumer::nonce::ResponseNonce;
use openid_consumer::realm::Realm;
use openid_consumer::store::Association;

use super::associate::new_handle;
use super::{deliver, indirect_error, new_message, usable_return_to};
use crate::behaviour::{Answer, Behaviour, Protocol, Tamper};
use crate::http::Reply;
use crate::state::{Shared, now};

/// `openid.identity` (and `openid.claimed_id`) of a request that lets the provider choose the
/// identifier (OpenID 2.0 section 9.1).
pub(crate) const IDENTIFIER_SELECT: &str = "http://specs.openid.net/auth/2.0/identifier_select";

/// How long private associations (for relying parties without one) stay usable by
/// `check_authentication`: 14 days, python-openid's `SECRET_LIFETIME`.
const PRIVATE_LIFETIME: i64 = 14 * 24 * 60 * 60;

/// Answers an authentication request.
pub(super) fn handle(
    shared: &Shared,
    behaviour: &Behaviour,
    request: &Message,
    immediate: bool,
) -> Reply {
    let v1 = request.is_openid1() || behaviour.protocol == Protocol::V1Only;
    let checked = match check(request) {
        Ok(checked) => checked,
        Err(Invalid::NoReturnTo(text)) => return Reply::error_page(400, &text),
        Err(Invalid::Message { return_to, text }) => {
            return deliver(
                &indirect_error(v1, &text, None, None),
                &return_to,
                behaviour.transport,
            );
        }
    };
    let return_to = checked.return_to.as_str();
    match &behaviour.answer {
        Answer::Assert => assert(shared, behaviour, request, &checked),
        Answer::SetupNeeded if immediate => {
            let mut message = new_message(v1);
            if v1 {
                // OpenID 1.1 (mode checkid_immediate): "setup needed" is an id_res with
                // the URL to send the user to.
                let mut setup = request.clone();
                setup.set_openid("mode", "checkid_setup");
                message.set_openid("mode", "id_res");
                message.set_openid("user_setup_url", setup.to_url(&shared.urls().endpoint()));
            } else {
                message.set_openid("mode", "setup_needed");
            }
            deliver(&message, return_to, behaviour.transport)
        }
        // The user is already at the provider for checkid_setup: "setup needed" would mean
        // nothing, so the answer is the nearest one, a cancel.
        Answer::Cancel | Answer::SetupNeeded => {
            let mut message = new_message(v1);
            message.set_openid("mode", "cancel");
            deliver(&message, return_to, behaviour.transport)
        }
        Answer::Error { message, contact, reference } => deliver(
            &indirect_error(v1, message, contact.as_deref(), reference.as_deref()),
            return_to,
            behaviour.transport,
        ),
    }
}

/// A request that passed the checks.
struct Checked {
    return_to: String,
    requested: Requested,
}

/// Which identifier the relying party asks about.
enum Requested {
    /// None: an assertion about no identifier (OpenID 2.0 section 9.1, extensions only).
    Nothing,
    /// The provider chooses (`identifier_select`).
    Select,
    /// This local identifier, for this claimed identifier (none in 1.x).
    Identifier { claimed_id: Option<String>, identity: String },
}

enum Invalid {
    /// No usable `return_to`: nothing can be sent back.
    NoReturnTo(String),
    /// An error to send to the `return_to`.
    Message { return_to: String, text: String },
}

/// Checks the request: a usable `return_to` under the realm, and identifiers that make sense.
fn check(request: &Message) -> Result<Checked, Invalid> {
    let Some(return_to) = request.get_openid("return_to") else {
        // OpenID 2.0 section 9.1 allows a request without return_to, but then "the OP MUST
        // NOT send an assertion": there is nowhere to send anything.
        return Err(Invalid::NoReturnTo(
            "openid.return_to is missing: there is nowhere to send an answer".to_owned(),
        ));
    };
    if !usable_return_to(return_to) {
        return Err(Invalid::NoReturnTo(format!(
            "openid.return_to {return_to:?} is not an absolute http or https URL"
        )));
    }
    let invalid = |text: String| Invalid::Message { return_to: return_to.to_owned(), text };
    // OpenID 2.0 section 9.2: the realm defaults to return_to; OpenID 1 called it trust_root.
    let realm_key = if request.is_openid1() { "trust_root" } else { "realm" };
    let realm_text = request.get_openid(realm_key).unwrap_or(return_to);
    let realm = Realm::parse(realm_text)
        .map_err(|e| invalid(format!("invalid openid.{realm_key} {realm_text:?}: {e}")))?;
    if !realm.matches(return_to) {
        return Err(invalid(format!(
            "openid.return_to {return_to} does not match openid.{realm_key} {realm} \
             (OpenID 2.0 section 9.2)"
        )));
    }
    let identity = request.get_openid("identity");
    let requested = if request.is_openid1() {
        let identity = identity.ok_or_else(|| invalid("missing openid.identity".to_owned()))?;
        Requested::Identifier { claimed_id: None, identity: identity.to_owned() }
    } else {
        match (request.get_openid("claimed_id"), identity) {
            (None, None) => Requested::Nothing,
            (_, Some(IDENTIFIER_SELECT)) => Requested::Select,
            (Some(claimed_id), Some(identity)) => Requested::Identifier {
                claimed_id: Some(claimed_id.to_owned()),
                identity: identity.to_owned(),
            },
            _ => {
                return Err(invalid(
                    "openid.claimed_id and openid.identity must be both present or both absent \
                     (OpenID 2.0 section 9.1)"
                        .to_owned(),
                ));
            }
        }
    };
    Ok(Checked { return_to: return_to.to_owned(), requested })
}

/// A positive assertion (OpenID 2.0 section 10.1; OpenID 1.1 `id_res`), tampered with
/// as configured, signed, and delivered.
fn assert(shared: &Shared, behaviour: &Behaviour, request: &Message, checked: &Checked) -> Reply {
    let downgrade = behaviour.tampering.contains(&Tamper::OpenId1Form);
    let v1 = request.is_openid1() || behaviour.protocol == Protocol::V1Only || downgrade;
    let return_to = checked.return_to.as_str();
    let error =
        |text: &str| deliver(&indirect_error(v1, text, None, None), return_to, behaviour.transport);
    let (claimed_id, identity) = match &checked.requested {
        Requested::Nothing => (None, None),
        Requested::Select => {
            let identity = shared.urls().identity(&behaviour.identifier_select_user);
            (Some(identity.clone()), Some(identity))
        }
        Requested::Identifier { claimed_id, identity } => {
            if !shared.urls().is_local_identity(identity) {
                return error(&format!("{identity} is not an identifier of this provider"));
            }
            (claimed_id.clone(), Some(identity.clone()))
        }
    };
    let now = now();
    let mut fields = Fields::default();
    fields.set("mode", "id_res");
    if !v1 {
        fields.set("op_endpoint", &shared.urls().endpoint());
        if let Some(claimed_id) = &claimed_id {
            fields.set("claimed_id", claimed_id);
        }
    }
    if let Some(identity) = &identity {
        fields.set("identity", identity);
    }
    fields.set("return_to", return_to);
    if !v1 {
        match fresh_nonce(now) {
            Ok(nonce) => fields.set("response_nonce", &nonce),
            Err(e) => return error(&format!("cannot make a nonce: {e}")),
        }
    }
    if behaviour.answer_extensions {
        for (key, value) in super::extensions::answer(request, identity.as_deref(), v1) {
            fields.set(&key, &value);
        }
    }
    let mut defects = Defects::default();
    for tamper in &behaviour.tampering {
        if let Err(text) = apply(tamper, &mut fields, &mut defects, shared, now, v1) {
            return error(&text);
        }
    }
    if let Some(nonce) = fields.get("response_nonce") {
        shared.nonce_issued(nonce);
    }
    let rp_handle = request.get_openid("assoc_handle");
    let shared_association = rp_handle
        .filter(|_| !defects.private)
        .and_then(|handle| shared.shared_association(handle, now));
    let (association, invalidate) = match shared_association {
        Some(association) => (association, None),
        // Stateless mode (OpenID 2.0 section 10.1): a private association, and the relying
        // party's handle, unknown or expired or ignored, is to be dropped.
        None => match private_association(shared, now, v1) {
            Ok(association) => (association, rp_handle),
            Err(text) => return error(&text),
        },
    };
    if let Some(handle) = invalidate {
        fields.set("invalidate_handle", handle);
    }
    let mut wire: Vec<(String, String)> =
        fields.0.into_iter().map(|(key, value)| (format!("openid.{key}"), value)).collect();
    if !v1 && !wire.iter().any(|(key, _)| key == "openid.ns") {
        wire.push(("openid.ns".to_owned(), OPENID2_NS.to_owned()));
    }
    let mut message = match Message::from_pairs(wire) {
        Ok(message) => message,
        Err(e) => {
            return Reply::error_page(
                500,
                &format!("testkit: the tampered assertion is not a valid message: {e}"),
            );
        }
    };
    if let Err(text) = sign(&mut message, &association, &defects) {
        return error(&text);
    }
    deliver(&message, return_to, behaviour.transport)
}

/// The defects that act at signing time.
#[derive(Default)]
struct Defects {
    bad_signature: bool,
    unsigned: Vec<String>,
    private: bool,
}

/// Applies one defect to the fields, or records it for signing.
fn apply(
    tamper: &Tamper,
    fields: &mut Fields,
    defects: &mut Defects,
    shared: &Shared,
    now: i64,
    v1: bool,
) -> Result<(), String> {
    match tamper {
        Tamper::BadSignature => defects.bad_signature = true,
        Tamper::Unsigned(field) => defects.unsigned.push(field.clone()),
        Tamper::OpEndpoint(url) => fields.set("op_endpoint", url),
        Tamper::ReplayNonce => {
            if let Some(current) = fields.get("response_nonce").map(str::to_owned) {
                fields.set("response_nonce", &shared.first_nonce().unwrap_or(current));
            }
        }
        Tamper::NonceAge(seconds) => {
            if fields.get("response_nonce").is_some() {
                let nonce = fresh_nonce(now.saturating_add(*seconds))
                    .map_err(|e| format!("cannot make a nonce {seconds} s away: {e}"))?;
                fields.set("response_nonce", &nonce);
            }
        }
        Tamper::ClaimedId(id) => {
            if !v1 {
                fields.set("claimed_id", id);
            }
            fields.set("identity", id);
        }
        Tamper::NoIdentifier => {
            fields.remove("claimed_id");
            fields.remove("identity");
        }
        Tamper::PrivateAssociation => defects.private = true,
        Tamper::ReturnTo(url) => fields.set("return_to", url),
        // Decided before the fields were made.
        Tamper::OpenId1Form => {}
        Tamper::Extra(pairs) => {
            for (key, value) in pairs {
                fields.set(key.strip_prefix("openid.").unwrap_or(key), value);
            }
        }
    }
    Ok(())
}

/// Signs every `openid.` field except the ones left unsigned on purpose (OpenID 2.0 section
/// 10.1 lists what must be signed), as the consumer's `sign_message` does otherwise.
fn sign(message: &mut Message, association: &Association, defects: &Defects) -> Result<(), String> {
    message.set_openid("assoc_handle", association.handle());
    let mut signed: Vec<String> = message
        .to_form_pairs()
        .into_iter()
        .filter_map(|(key, _)| key.strip_prefix("openid.").map(str::to_owned))
        .filter(|key| key != "sig" && key != "signed")
        .chain(std::iter::once("signed".to_owned()))
        .filter(|key| !defects.unsigned.contains(key))
        .collect();
    signed.sort();
    message.set_openid("signed", signed.join(","));
    let sig = signature_for(message, association).map_err(|e| format!("cannot sign: {e}"))?;
    let sig = if defects.bad_signature { flip_bit(&sig) } else { sig };
    message.set_openid("sig", sig);
    Ok(())
}

/// A fresh private association (python-openid makes one per stateless assertion): HMAC-SHA1
/// in 1.x form, which knew no other, else HMAC-SHA256.
fn private_association(shared: &Shared, now: i64, v1: bool) -> Result<Association, String> {
    let assoc_type = if v1 { AssociationType::HmacSha1 } else { AssociationType::HmacSha256 };
    let secret = random_bytes(assoc_type.secret_len()).map_err(|e| e.to_string())?;
    let association =
        Association::new(new_handle(assoc_type)?, secret, now, PRIVATE_LIFETIME, assoc_type)
            .map_err(|e| e.to_string())?;
    shared.add_private(association.clone(), now);
    Ok(association)
}

/// The signature with its first bit flipped: still base64 of the right length, wrong value.
fn flip_bit(sig: &str) -> String {
    let mut bytes = STANDARD.decode(sig).unwrap_or_default();
    match bytes.first_mut() {
        Some(first) => *first ^= 0x80,
        None => bytes.push(0),
    }
    STANDARD.encode(bytes)
}

/// The assertion's fields (keys without `openid.`), in insertion order, keys unique.
#[derive(Default)]
struct Fields(Vec<(String, String)>);

impl Fields {
    fn set(&mut self, key: &str, value: &str) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => value.clone_into(&mut entry.1),
            None => self.0.push((key.to_owned(), value.to_owned())),
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }
}

/// A response nonce for `now` that this process never repeats: the random salt a provider
/// uses, then `-` and a counter. Random salts alone repeat within a second about once in
/// 440 sets of 16,000 (62^6 salts, the birthday bound), and a benchmark or load test
/// that makes thousands of logins a second would see its own provider's assertion
/// refused as a replay.
fn fresh_nonce(now: i64) -> Result<String, openid_consumer::nonce::NonceError> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(format!("{}-{count}", ResponseNonce::generate(now)?.as_str()))
}
