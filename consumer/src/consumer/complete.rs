//! [`Consumer::complete`](crate::Consumer::complete): the checks of an assertion, one
//! function per check of DESIGN.md section 3, in the order they run. Signature first,
//! network last: nothing an unverified message says is fetched (ruby-openid's
//! CVE-2019-11027 ran discovery on the claimed identifier before checking the signature).

use url::Url;

use super::Inner;
use super::callback::{self, CallbackArgs, CurrentUrl};
use super::check_auth;
use super::failure::{Failure, FailureReason, UrlPart};
use super::pending::{PENDING_AUTH_VERSION, PendingAuth, RETURN_TO_NONCE_ARG};
use super::response::{AnonymousResponse, Response, SignedFields, SuccessResponse};
use super::verify::{self, Claim, without_fragment};
use crate::crypto::{SignedFieldsError, check_signature, check_signed_fields};
use crate::discovery::ServiceEndpoint;
use crate::message::{Message, Namespace, OpenIdVersion, decode_query};
use crate::nonce::{self, ResponseNonce, SKEW};
use crate::urinorm;

/// Runs every check; whatever happens, the outcome is a [`Response`].
pub(crate) fn complete(
    inner: &Inner,
    pending: Option<&PendingAuth>,
    args: CallbackArgs<'_>,
    current_url: &str,
) -> Response {
    let outcome = read(inner, args, current_url)
        .and_then(|(message, current)| dispatch(inner, pending, message, &current));
    match outcome {
        Ok(response) => {
            if let Response::Success(success) = &response {
                tracing::info!(
                    target: "openid_consumer",
                    claimed_id = success.claimed_id(),
                    endpoint = success.endpoint().server_url(),
                    "login verified"
                );
            } else {
                tracing::info!(target: "openid_consumer", outcome = response.code(), "login ended");
            }
            response
        }
        Err(reason) => {
            tracing::info!(
                target: "openid_consumer",
                check = reason.code(),
                reason = %LogSafe(&reason.to_string()),
                "assertion refused"
            );
            Response::Failure(Failure::new(reason, pending.map(|p| p.endpoint().clone())))
        }
    }
}

/// The callback as a message, and the URL the browser came to as the public sees it.
fn read(
    inner: &Inner,
    args: CallbackArgs<'_>,
    current_url: &str,
) -> Result<(Message, CurrentUrl), FailureReason> {
    let current = callback::resolve(current_url, inner.public_base.as_ref())
        .ok_or_else(|| FailureReason::InvalidCurrentUrl { current_url: current_url.to_owned() })?;
    let message = callback::read_message(args, &current)?;
    Ok((message, current))
}

/// The modes a relying party can receive (OpenID 2.0 section 10, OpenID 1.1 section 4.2).
fn dispatch(
    inner: &Inner,
    pending: Option<&PendingAuth>,
    message: Message,
    current: &CurrentUrl,
) -> Result<Response, FailureReason> {
    match message.get_openid("mode") {
        None => Err(FailureReason::MissingMode),
        Some("cancel") => Ok(Response::Cancel),
        Some("error") => Err(FailureReason::ProviderError {
            error: message.get_openid("error").unwrap_or_default().to_owned(),
            contact: message.get_openid("contact").map(str::to_owned),
            reference: message.get_openid("reference").map(str::to_owned),
        }),
        Some("setup_needed") if !message.is_openid1() => {
            Ok(Response::SetupNeeded { setup_url: None })
        }
        Some("id_res") => match message.get_openid("user_setup_url") {
            // OpenID 1.1: an immediate request that needs the user is an id_res with the
            // URL to send them to.
            Some(url) if message.is_openid1() => {
                Ok(Response::SetupNeeded { setup_url: Some(url.to_owned()) })
            }
            _ => id_res(inner, pending, message, current),
        },
        Some(mode) => Err(FailureReason::UnexpectedMode { mode: mode.to_owned() }),
    }
}

/// A positive assertion: the seven checks.
fn id_res(
    inner: &Inner,
    pending: Option<&PendingAuth>,
    message: Message,
    current: &CurrentUrl,
) -> Result<Response, FailureReason> {
    let (claimed_id, endpoint, op_endpoint) = {
        let assertion = check_fields(inner, pending, &message)?;
        let return_to_args = check_return_to(&message, &assertion, current)?;
        check_pending(inner, pending, &return_to_args, assertion.version.is_openid1())?;
        let mut verified = Verified::default();
        check_signature_of(inner, pending, &message, &assertion, &mut verified)?;
        check_nonce(inner, pending, &assertion)?;
        let endpoint = check_discovered(inner, pending, &assertion, verified)?;
        (identity_of(&assertion, endpoint.as_ref()), endpoint, assertion.op_endpoint)
    };
    success(inner, pending, message, claimed_id, endpoint, op_endpoint)
}

/// The fields of an assertion the checks use.
struct Assertion<'m> {
    version: OpenIdVersion,
    /// The endpoint that signed: `openid.op_endpoint` (2.0), the login's endpoint (1.x).
    op_endpoint: String,
    claimed_id: Option<&'m str>,
    identity: Option<&'m str>,
    return_to: &'m str,
    response_nonce: Option<&'m str>,
    assoc_handle: &'m str,
}

/// An endpoint found by discovery while checking the signature, kept for check 6.
#[derive(Default)]
struct Verified {
    endpoint: Option<ServiceEndpoint>,
}

// ---- check 1 -------------------------------------------------------------------------------

/// Version and namespace, required fields, required signed fields, and the site's provider
/// pinning (OpenID 2.0 section 10.1 and 11.4).
fn check_fields<'m>(
    inner: &Inner,
    pending: Option<&PendingAuth>,
    message: &'m Message,
) -> Result<Assertion<'m>, FailureReason> {
    let version = message.version();
    if let Some(pending) = pending {
        let expected = if pending.endpoint().compat_mode() {
            // OpenID 1.0 and 1.1 messages look alike (no openid.ns): either will do.
            message.version().min(OpenIdVersion::V1_1)
        } else {
            OpenIdVersion::V2_0
        };
        if version.is_openid1() != expected.is_openid1() {
            return Err(FailureReason::VersionMismatch { expected, got: version });
        }
    }
    let required = |field: &'static str| {
        message.get_openid(field).ok_or(FailureReason::MissingField { field })
    };
    let return_to = required("return_to")?;
    let assoc_handle = required("assoc_handle")?;
    required("signed")?;
    required("sig")?;
    let (op_endpoint, claimed_id, identity, response_nonce) = if version.is_openid1() {
        let endpoint = pending.map_or("", |p| p.endpoint().server_url());
        (endpoint.to_owned(), None, Some(required("identity")?), None)
    } else {
        let op_endpoint = required("op_endpoint")?;
        let response_nonce = required("response_nonce")?;
        // Section 10.1: claimed_id and identity come together or not at all.
        let (claimed_id, identity) =
            match (message.get_openid("claimed_id"), message.get_openid("identity")) {
                (Some(c), Some(i)) => (Some(c), Some(i)),
                (None, None) => (None, None),
                (Some(_), None) => return Err(FailureReason::MissingField { field: "identity" }),
                (None, Some(_)) => return Err(FailureReason::MissingField { field: "claimed_id" }),
            };
        (op_endpoint.to_owned(), claimed_id, identity, Some(response_nonce))
    };
    check_signed_list(message)?;
    let assertion = Assertion {
        version,
        op_endpoint,
        claimed_id,
        identity,
        return_to,
        response_nonce,
        assoc_handle,
    };
    check_pinning(inner, pending, &assertion)?;
    Ok(assertion)
}

/// Section 10.1: what must be signed ([`check_signed_fields`]).
fn check_signed_list(message: &Message) -> Result<(), FailureReason> {
    check_signed_fields(message).map_err(|error| match error {
        SignedFieldsError::MissingSignedList => FailureReason::MissingField { field: "signed" },
        SignedFieldsError::MissingField { field } => FailureReason::MissingField { field },
        SignedFieldsError::NotSigned { field } => {
            FailureReason::UnsignedField { field: field.to_owned() }
        }
    })
}

/// The site's provider pinning, before any request is made.
fn check_pinning(
    inner: &Inner,
    pending: Option<&PendingAuth>,
    assertion: &Assertion<'_>,
) -> Result<(), FailureReason> {
    let Some(pin) = &inner.pin else { return Ok(()) };
    if !pin.allows_endpoint(&assertion.op_endpoint) {
        return Err(FailureReason::ProviderNotAllowed {
            op_endpoint: assertion.op_endpoint.clone(),
        });
    }
    let claimed_id = assertion
        .claimed_id
        .or_else(|| pending.filter(|_| assertion.version.is_openid1())?.endpoint().claimed_id());
    if let Some(claimed_id) = claimed_id {
        if !pin.allows_claimed_id(claimed_id) {
            return Err(FailureReason::ClaimedIdNotAllowed { claimed_id: claimed_id.to_owned() });
        }
        if let Some(local_id) = assertion.identity
            && pin.refuses_delegation()
            && local_id != without_fragment(claimed_id)
        {
            return Err(FailureReason::DelegationRefused {
                claimed_id: claimed_id.to_owned(),
                local_id: local_id.to_owned(),
            });
        }
    }
    Ok(())
}

// ---- check 2 -------------------------------------------------------------------------------

/// Section 11.1: `return_to` is the URL the browser came to (scheme, host, port, path after
/// normalisation), and the query arguments of both are the same. Gives `return_to`'s
/// arguments.
fn check_return_to(
    message: &Message,
    assertion: &Assertion<'_>,
    current: &CurrentUrl,
) -> Result<Vec<(String, String)>, FailureReason> {
    let invalid = || FailureReason::InvalidReturnTo { return_to: assertion.return_to.to_owned() };
    let without_fragment =
        assertion.return_to.split_once('#').map_or(assertion.return_to, |(before, _)| before);
    let (return_to_base, return_to_query) =
        without_fragment.split_once('?').unwrap_or((without_fragment, ""));
    // The queries are compared as arguments below: only the rest is normalised here.
    let return_to = urinorm::normalize(return_to_base)
        .ok()
        .and_then(|text| Url::parse(&text).ok())
        .ok_or_else(invalid)?;
    let current = urinorm::normalize(&current.base)
        .ok()
        .and_then(|text| Url::parse(&text).ok())
        .ok_or_else(|| FailureReason::InvalidCurrentUrl { current_url: current.to_text() })?;
    let parts: [(UrlPart, String, String); 4] = [
        (UrlPart::Scheme, return_to.scheme().to_owned(), current.scheme().to_owned()),
        (UrlPart::Host, host(&return_to), host(&current)),
        (UrlPart::Port, port(&return_to), port(&current)),
        (UrlPart::Path, return_to.path().to_owned(), current.path().to_owned()),
    ];
    for (part, expected, got) in parts {
        if expected != got {
            return Err(FailureReason::ReturnToMismatch { part, expected, got });
        }
    }
    let return_to_args = decode_query(return_to_query).map_err(|_| invalid())?;
    for (name, value) in &return_to_args {
        let got = message.get(&Namespace::Bare, name);
        if got != Some(value.as_str()) {
            return Err(FailureReason::ReturnToArgument {
                name: name.clone(),
                expected: Some(value.clone()),
                got: got.map(str::to_owned),
            });
        }
    }
    for (name, value) in message.args_in(&Namespace::Bare) {
        if !return_to_args.iter().any(|(key, _)| key == name) {
            return Err(FailureReason::ReturnToArgument {
                name: name.to_owned(),
                expected: None,
                got: Some(value.to_owned()),
            });
        }
    }
    Ok(return_to_args)
}

fn host(url: &Url) -> String {
    url.host_str().unwrap_or_default().to_owned()
}

fn port(url: &Url) -> String {
    url.port_or_known_default().map(|p| p.to_string()).unwrap_or_default()
}

// ---- check 3 -------------------------------------------------------------------------------

/// The assertion answers this browser's login: the nonce the library put in `return_to`
/// is the one the login keeps. Without a login, only an allowed unsolicited 2.0 assertion
/// goes on.
fn check_pending(
    inner: &Inner,
    pending: Option<&PendingAuth>,
    return_to_args: &[(String, String)],
    openid1: bool,
) -> Result<(), FailureReason> {
    let Some(pending) = pending else {
        return if inner.allow_unsolicited && !openid1 {
            Ok(())
        } else {
            Err(FailureReason::Unsolicited)
        };
    };
    if pending.version() != PENDING_AUTH_VERSION {
        return Err(FailureReason::PendingVersion {
            found: pending.version(),
            expected: PENDING_AUTH_VERSION,
        });
    }
    let started = pending.started_at().ok_or(FailureReason::PendingMismatch)?;
    let age = inner.clock.now().saturating_sub(started);
    if age > inner.pending_max_age {
        return Err(FailureReason::PendingExpired { age, limit: inner.pending_max_age });
    }
    // The signed return_to carries the nonce the provider was given.
    let sent = return_to_args.iter().find(|(key, _)| key == RETURN_TO_NONCE_ARG);
    if sent.map(|(_, value)| value.as_str()) != Some(pending.nonce()) {
        return Err(FailureReason::PendingMismatch);
    }
    Ok(())
}

// ---- check 4 -------------------------------------------------------------------------------

/// Section 11.4: the signature, with the stored association of the signing endpoint, or
/// else by `check_authentication` to an endpoint already verified for the claimed id.
fn check_signature_of(
    inner: &Inner,
    pending: Option<&PendingAuth>,
    message: &Message,
    assertion: &Assertion<'_>,
    verified: &mut Verified,
) -> Result<(), FailureReason> {
    let now = inner.clock.now();
    if let Some(store) = &inner.store {
        let association = store
            .get_association(&assertion.op_endpoint, Some(assertion.assoc_handle))
            .map_err(FailureReason::Store)?;
        match association {
            Some(association) if !association.is_expired(now) => {
                return check_signature(message, &association).map_err(FailureReason::BadSignature);
            }
            // The provider signed with the association this login gave it, and the store
            // no longer has it (expired, or invalidated): the provider will not confirm a
            // signature made with a shared key (section 11.4.2.1), so no request is sent.
            Some(_) => return Err(expired(assertion)),
            None if pending.is_some_and(|p| {
                p.association_handle() == Some(assertion.assoc_handle)
                    && p.endpoint().server_url() == assertion.op_endpoint
            }) =>
            {
                return Err(expired(assertion));
            }
            None => {}
        }
    }
    // No shared association: only an endpoint known to speak for this identifier is asked.
    let endpoint = if let Some(pending) = pending {
        let expected = pending.endpoint().server_url();
        if expected != assertion.op_endpoint {
            return Err(FailureReason::UnverifiedEndpoint {
                op_endpoint: assertion.op_endpoint.clone(),
                expected: expected.to_owned(),
            });
        }
        expected.to_owned()
    } else {
        // An allowed unsolicited assertion (check 3): discovery of its claimed id decides
        // which endpoint may confirm it.
        let claim = claim(assertion).ok_or(FailureReason::NoIdentifier)?;
        let endpoint = verify::rediscover(inner, claim)?;
        let url = endpoint.server_url().to_owned();
        verified.endpoint = Some(endpoint);
        url
    };
    tracing::debug!(target: "openid_consumer", endpoint = %endpoint, "check_authentication");
    let store = inner.store.as_deref();
    check_auth::verify(&*inner.fetcher, &inner.policy, store, &endpoint, message)
}

fn expired(assertion: &Assertion<'_>) -> FailureReason {
    FailureReason::AssociationExpired { handle: assertion.assoc_handle.to_owned() }
}

// ---- check 5 -------------------------------------------------------------------------------

/// Section 11.3: the nonce is recent and new. OpenID 1 has no response nonce: the library's
/// own nonce in `return_to` takes its place. Without a store, replays are left to the
/// provider, which verified the assertion once (check 4).
fn check_nonce(
    inner: &Inner,
    pending: Option<&PendingAuth>,
    assertion: &Assertion<'_>,
) -> Result<(), FailureReason> {
    let text = match (assertion.response_nonce, pending) {
        (Some(nonce), _) => nonce,
        (None, Some(pending)) => pending.nonce(),
        (None, None) => return Err(FailureReason::Unsolicited),
    };
    let nonce = ResponseNonce::parse(text).map_err(FailureReason::InvalidNonce)?;
    let now = inner.clock.now();
    if !nonce::within_skew(nonce.timestamp(), now, SKEW) {
        return Err(FailureReason::NonceOutOfRange {
            timestamp: nonce.timestamp(),
            now,
            skew: SKEW,
        });
    }
    let Some(store) = &inner.store else { return Ok(()) };
    let fresh = store
        .use_nonce(&assertion.op_endpoint, nonce.timestamp(), nonce.salt())
        .map_err(FailureReason::Store)?;
    if fresh { Ok(()) } else { Err(FailureReason::NonceReplayed) }
}

// ---- check 6 -------------------------------------------------------------------------------

/// Section 11.2: the signing endpoint speaks for the claimed identifier. The login's own
/// endpoint settles it when the assertion matches it; otherwise (the provider chose the
/// identifier, or asserted another one) discovery of the claimed identifier does.
fn check_discovered(
    inner: &Inner,
    pending: Option<&PendingAuth>,
    assertion: &Assertion<'_>,
    verified: Verified,
) -> Result<Option<ServiceEndpoint>, FailureReason> {
    if assertion.version.is_openid1() {
        // OpenID 1 assertions carry no claimed id: the login's endpoint is the claim.
        let Some(pending) = pending else { return Err(FailureReason::Unsolicited) };
        let endpoint = pending.endpoint();
        let identity = assertion.identity.unwrap_or_default();
        if endpoint.local_id() != Some(identity) {
            return Err(FailureReason::DiscoveryMismatch {
                field: super::DiscoveredField::LocalId,
                expected: endpoint.local_id().unwrap_or("(none)").to_owned(),
                got: identity.to_owned(),
            });
        }
        return Ok(Some(endpoint.clone()));
    }
    let Some(claim) = claim(assertion) else { return Ok(None) };
    if let Some(endpoint) = verified.endpoint {
        return Ok(Some(endpoint));
    }
    if let Some(pending) = pending
        && !pending.endpoint().is_op_identifier()
        && verify::compare(pending.endpoint(), claim).is_ok()
    {
        return Ok(Some(pending.endpoint().clone()));
    }
    verify::rediscover(inner, claim).map(Some)
}

fn claim<'a>(assertion: &'a Assertion<'_>) -> Option<Claim<'a>> {
    Some(Claim {
        claimed_id: without_fragment(assertion.claimed_id?),
        local_id: assertion.identity?,
        op_endpoint: &assertion.op_endpoint,
    })
}

// ---- check 7 -------------------------------------------------------------------------------

/// Who the assertion says the user is: its claimed identifier, or for OpenID 1 the login's.
fn identity_of(assertion: &Assertion<'_>, endpoint: Option<&ServiceEndpoint>) -> Option<String> {
    match assertion.claimed_id {
        Some(claimed_id) => Some(claimed_id.to_owned()),
        None if assertion.version.is_openid1() => endpoint?.claimed_id().map(str::to_owned),
        None => None,
    }
}

/// Section 11: every check passed. An assertion without an identifier is a success only
/// for a login that asked for one, or a consumer that accepts them.
fn success(
    inner: &Inner,
    pending: Option<&PendingAuth>,
    message: Message,
    claimed_id: Option<String>,
    endpoint: Option<ServiceEndpoint>,
    op_endpoint: String,
) -> Result<Response, FailureReason> {
    match (claimed_id, endpoint) {
        (Some(claimed_id), Some(endpoint)) => {
            let signed = SignedFields::of(message);
            Ok(Response::Success(SuccessResponse::new(claimed_id, endpoint, signed)))
        }
        (None, _) => {
            let asked = pending.is_some_and(PendingAuth::is_anonymous);
            if !(asked || inner.allow_identifierless) {
                return Err(FailureReason::NoIdentifier);
            }
            let endpoint = pending.map_or_else(
                || ServiceEndpoint::from_op_endpoint_url(op_endpoint),
                |p| p.endpoint().clone(),
            );
            Ok(Response::Anonymous(AnonymousResponse::new(endpoint, SignedFields::of(message))))
        }
        (Some(_), None) => Err(FailureReason::NoIdentifier),
    }
}

/// Text from the network, with control characters escaped, for a log line.
struct LogSafe<'a>(&'a str);

impl std::fmt::Display for LogSafe<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const LIMIT: usize = 300;
        for (i, c) in self.0.chars().enumerate() {
            if i == LIMIT {
                return f.write_str("...");
            }
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                std::fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
    }
}
