//! [`Consumer::complete`](crate::Consumer::complete): the checks of an assertion, one
//! function per check of DESIGN.md section 3, in the order they run.
//!
//! Signature first, network last: nothing an unverified message names is fetched. Before
//! the signature is verified the only request made is `check_authentication`, and only to
//! an endpoint the relying party already trusts: the one this browser's login was started
//! with, or one the site pinned. ruby-openid's CVE-2019-11027 ran discovery on the
//! claimed identifier of an unverified assertion.
//!
//! Every string a stranger wrote that ends up in a [`FailureReason`] is escaped and cut
//! ([`bounded`]), so a reason prints as one short line.

use std::collections::HashSet;

use url::Url;

use super::Inner;
use super::callback::{self, CallbackArgs, CurrentUrl};
use super::check_auth;
use super::failure::{DiscoveredField, Failure, FailureReason, UrlPart};
use super::pending::{PENDING_AUTH_VERSION, PendingAuth, RETURN_TO_NONCE_ARG};
use super::response::{AnonymousResponse, Response, SignedFields, SuccessResponse};
use super::verify::{self, Claim, without_fragment};
use crate::crypto::{SignedFieldsError, check_signature, check_signed_fields};
use crate::discovery::ServiceEndpoint;
use crate::excerpt::{Excerpt, bounded};
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
                    claimed_id = %Excerpt(success.claimed_id()),
                    endpoint = %Excerpt(success.endpoint().server_url()),
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
                reason = %Excerpt(&reason.to_string()),
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
        .ok_or_else(|| FailureReason::InvalidCurrentUrl { current_url: bounded(current_url) })?;
    let message = callback::read_message(args, &current)?;
    Ok((message, current))
}

/// The modes a relying party can receive (OpenID 2.0 section 10, OpenID 1.1's `id_res`,
/// `cancel` and `error`).
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
            error: bounded(message.get_openid("error").unwrap_or_default()),
            contact: message.get_openid("contact").map(bounded),
            reference: message.get_openid("reference").map(bounded),
        }),
        Some("setup_needed") if !message.is_openid1() => {
            Ok(Response::SetupNeeded { setup_url: None })
        }
        Some("id_res") => match message.get_openid("user_setup_url") {
            // OpenID 1.1: an immediate request that needs the user is an id_res with the
            // URL to send them to. Only an OpenID 1 login can get one: anything else would
            // let anyone send the site's users to a URL of their choosing.
            Some(url)
                if message.is_openid1() && pending.is_some_and(|p| p.endpoint().compat_mode()) =>
            {
                Ok(Response::SetupNeeded { setup_url: Some(url.to_owned()) })
            }
            _ => id_res(inner, pending, message, current),
        },
        Some(mode) => Err(FailureReason::UnexpectedMode { mode: bounded(mode) }),
    }
}

/// A positive assertion: the seven checks.
fn id_res(
    inner: &Inner,
    pending: Option<&PendingAuth>,
    message: Message,
    current: &CurrentUrl,
) -> Result<Response, FailureReason> {
    // The login's age, the association's expiry and the nonce's window are judged at one
    // reading of the clock (reading it for each was a measurable part of the call), taken
    // again only after a `check_authentication` round trip, which may last seconds.
    let now = inner.clock.now();
    let (claimed_id, endpoint) = {
        let assertion = check_fields(inner, pending, &message)?;
        let return_to_args = check_return_to(&message, &assertion, current)?;
        check_pending(inner, pending, &assertion, &return_to_args, now)?;
        let now = match verify_signature(inner, pending, &message, &assertion, now)? {
            Verified::WithAssociation => now,
            Verified::ByProvider => inner.clock.now(),
        };
        check_nonce(inner, pending, &assertion, now)?;
        let endpoint = check_discovered(inner, pending, &assertion)?;
        (claimed_id_of(&assertion, &endpoint), endpoint)
    };
    success(inner, pending, message, claimed_id, endpoint)
}

/// The fields of an assertion the checks use.
struct Assertion<'m> {
    version: OpenIdVersion,
    /// The endpoint that signed: `openid.op_endpoint` (2.0), the login's endpoint (1.x).
    op_endpoint: &'m str,
    claimed_id: Option<&'m str>,
    identity: Option<&'m str>,
    return_to: &'m str,
    response_nonce: Option<&'m str>,
    assoc_handle: &'m str,
}

// ---- check 1 -------------------------------------------------------------------------------

/// The saved login state's format, the protocol version, the required fields, the required
/// signed fields, and the site's provider pinning (OpenID 2.0 sections 10.1 and 11.4).
fn check_fields<'m>(
    inner: &Inner,
    pending: Option<&'m PendingAuth>,
    message: &'m Message,
) -> Result<Assertion<'m>, FailureReason> {
    // The saved state is read from here on: first make sure it is this library's format.
    if let Some(pending) = pending
        && pending.version() != PENDING_AUTH_VERSION
    {
        return Err(FailureReason::PendingVersion {
            found: pending.version(),
            expected: PENDING_AUTH_VERSION,
        });
    }
    let version = message.version();
    if let Some(pending) = pending {
        // An OpenID 1 answer to a 2.0 login is a downgrade; 1.0 and 1.1 look alike.
        let expected = if pending.endpoint().compat_mode() {
            OpenIdVersion::V1_1
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
    required("sig")?;
    let assertion = if version.is_openid1() {
        // OpenID 1 names no endpoint: the login's endpoint is the only one it can be for,
        // and without a login there is nothing to check it against.
        let Some(pending) = pending else { return Err(FailureReason::Unsolicited) };
        Assertion {
            version,
            op_endpoint: pending.endpoint().server_url(),
            claimed_id: None,
            identity: Some(required("identity")?),
            return_to,
            response_nonce: None,
            assoc_handle,
        }
    } else {
        // Section 10.1: claimed_id and identity come together or not at all.
        let (claimed_id, identity) =
            match (message.get_openid("claimed_id"), message.get_openid("identity")) {
                (Some(_), None) => return Err(FailureReason::MissingField { field: "identity" }),
                (None, Some(_)) => return Err(FailureReason::MissingField { field: "claimed_id" }),
                pair => pair,
            };
        Assertion {
            version,
            op_endpoint: required("op_endpoint")?,
            claimed_id,
            identity,
            return_to,
            response_nonce: Some(required("response_nonce")?),
            assoc_handle,
        }
    };
    check_signed_fields(message).map_err(|error| match error {
        SignedFieldsError::MissingSignedList => FailureReason::MissingField { field: "signed" },
        SignedFieldsError::MissingField { field } => FailureReason::MissingField { field },
        SignedFieldsError::NotSigned { field } => {
            FailureReason::UnsignedField { field: field.to_owned() }
        }
    })?;
    check_pinning(inner, pending, &assertion)?;
    Ok(assertion)
}

/// The site's provider pinning, before any request is made.
fn check_pinning(
    inner: &Inner,
    pending: Option<&PendingAuth>,
    assertion: &Assertion<'_>,
) -> Result<(), FailureReason> {
    let Some(pin) = &inner.pin else { return Ok(()) };
    if !pin.allows_endpoint(assertion.op_endpoint) {
        return Err(FailureReason::ProviderNotAllowed {
            op_endpoint: bounded(assertion.op_endpoint),
        });
    }
    let claimed_id = assertion
        .claimed_id
        .or_else(|| pending.filter(|_| assertion.version.is_openid1())?.endpoint().claimed_id());
    if let Some(claimed_id) = claimed_id {
        if !pin.allows_claimed_id(claimed_id) {
            return Err(FailureReason::ClaimedIdNotAllowed { claimed_id: bounded(claimed_id) });
        }
        if let Some(local_id) = assertion.identity
            && pin.refuses_delegation()
            && local_id != without_fragment(claimed_id)
        {
            return Err(FailureReason::DelegationRefused {
                claimed_id: bounded(claimed_id),
                local_id: bounded(local_id),
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
    let invalid = || FailureReason::InvalidReturnTo { return_to: bounded(assertion.return_to) };
    let (base, query) = split(assertion.return_to);
    // The same text is the same URL; only different texts are normalised to compare.
    if base != current.base {
        let return_to = normalized(base).ok_or_else(invalid)?;
        let current = normalized(&current.base).ok_or_else(|| {
            FailureReason::InvalidCurrentUrl { current_url: bounded(&current.to_text()) }
        })?;
        if let Some((part, expected, got)) = first_difference(&return_to, &current) {
            return Err(FailureReason::ReturnToMismatch {
                part,
                expected: bounded(&expected),
                got: bounded(&got),
            });
        }
    }
    let return_to_args = decode_query(query).map_err(|_| invalid())?;
    for (name, value) in &return_to_args {
        let got = message.get(&Namespace::Bare, name);
        if got != Some(value.as_str()) {
            return Err(FailureReason::ReturnToArgument {
                name: bounded(name),
                expected: Some(bounded(value)),
                got: got.map(bounded),
            });
        }
    }
    let names: HashSet<&str> = return_to_args.iter().map(|(name, _)| name.as_str()).collect();
    for (name, value) in message.args_in(&Namespace::Bare) {
        if !names.contains(name) {
            return Err(FailureReason::ReturnToArgument {
                name: bounded(name),
                expected: None,
                got: Some(bounded(value)),
            });
        }
    }
    Ok(return_to_args)
}

/// A URL's text before its query (and fragment), and its query.
fn split(url: &str) -> (&str, &str) {
    let without_fragment = url.split_once('#').map_or(url, |(before, _)| before);
    without_fragment.split_once('?').unwrap_or((without_fragment, ""))
}

/// A URL split into its normalised scheme, host, port and path, and its query arguments.
/// The query is compared as arguments, so only the rest is normalised.
fn split_url(url: &str) -> Option<(Url, Vec<(String, String)>)> {
    let (base, query) = split(url);
    Some((normalized(base)?, decode_query(query).ok()?))
}

fn normalized(url: &str) -> Option<Url> {
    urinorm::normalize(url).ok().and_then(|text| Url::parse(&text).ok())
}

/// The first of scheme, host, port and path that differs between two URLs (the strings
/// are made only for a difference).
fn first_difference(a: &Url, b: &Url) -> Option<(UrlPart, String, String)> {
    let port = |url: &Url| url.port_or_known_default().map(|p| p.to_string()).unwrap_or_default();
    if a.scheme() != b.scheme() {
        Some((UrlPart::Scheme, a.scheme().to_owned(), b.scheme().to_owned()))
    } else if a.host_str() != b.host_str() {
        let host = |url: &Url| url.host_str().unwrap_or_default().to_owned();
        Some((UrlPart::Host, host(a), host(b)))
    } else if a.port_or_known_default() != b.port_or_known_default() {
        Some((UrlPart::Port, port(a), port(b)))
    } else if a.path() != b.path() {
        Some((UrlPart::Path, a.path().to_owned(), b.path().to_owned()))
    } else {
        None
    }
}

// ---- check 3 -------------------------------------------------------------------------------

/// The assertion answers this browser's login: its `return_to` is the one the login sent,
/// nonce included. Without a login, only an allowed unsolicited 2.0 assertion goes on.
fn check_pending(
    inner: &Inner,
    pending: Option<&PendingAuth>,
    assertion: &Assertion<'_>,
    return_to_args: &[(String, String)],
    now: i64,
) -> Result<(), FailureReason> {
    let Some(pending) = pending else {
        return if inner.allow_unsolicited { Ok(()) } else { Err(FailureReason::Unsolicited) };
    };
    let started = pending.started_at().ok_or(FailureReason::PendingMismatch)?;
    let age = now.saturating_sub(started);
    if age > inner.pending_max_age {
        return Err(FailureReason::PendingExpired { age, limit: inner.pending_max_age });
    }
    // The signed return_to carries the nonce the provider was given...
    let sent = return_to_args.iter().find(|(key, _)| key == RETURN_TO_NONCE_ARG);
    if sent.map(|(_, value)| value.as_str()) != Some(pending.nonce()) {
        return Err(FailureReason::PendingMismatch);
    }
    // ...and is the whole return_to the login sent: an assertion another site asked for,
    // carrying this login's nonce, is not this login's, even if the URL the application
    // says the browser came to was forged to match (a Host header, say).
    let Some(expected) = pending.return_to() else { return Err(FailureReason::PendingIncomplete) };
    let same = expected == assertion.return_to
        || match (split_url(expected), split_url(assertion.return_to)) {
            (Some((a, a_args)), Some((b, b_args))) => {
                first_difference(&a, &b).is_none() && a_args == b_args
            }
            _ => false,
        };
    if !same {
        return Err(FailureReason::ReturnToNotRequested {
            expected: bounded(expected),
            got: bounded(assertion.return_to),
        });
    }
    Ok(())
}

// ---- check 4 -------------------------------------------------------------------------------

/// How a signature was verified.
enum Verified {
    /// With the stored association: no request was made.
    WithAssociation,
    /// By the provider (`check_authentication`): a network round trip.
    ByProvider,
}

/// Section 11.4: the signature, with the stored association of the signing endpoint, or
/// else by `check_authentication` to an endpoint already trusted.
fn verify_signature(
    inner: &Inner,
    pending: Option<&PendingAuth>,
    message: &Message,
    assertion: &Assertion<'_>,
    now: i64,
) -> Result<Verified, FailureReason> {
    let expired = || FailureReason::AssociationExpired { handle: bounded(assertion.assoc_handle) };
    if let Some(store) = &inner.store {
        let association = store
            .get_association(assertion.op_endpoint, Some(assertion.assoc_handle))
            .map_err(FailureReason::Store)?;
        match association {
            Some(association) if !association.is_expired(now) => {
                return check_signature(message, &association)
                    .map(|()| Verified::WithAssociation)
                    .map_err(FailureReason::BadSignature);
            }
            // The provider signed with the association this login gave it, and the store
            // no longer has it (expired, or invalidated): the provider will not confirm a
            // signature made with a shared key (section 11.4.2.1), so no request is sent.
            Some(_) => return Err(expired()),
            None if pending.is_some_and(|p| {
                p.association_handle() == Some(assertion.assoc_handle)
                    && p.endpoint().server_url() == assertion.op_endpoint
            }) =>
            {
                return Err(expired());
            }
            None => {}
        }
    }
    // No shared association: ask the provider, if it is one this site already trusts.
    let trusted = match pending {
        // The endpoint this browser's login was started with (discovered, or given).
        Some(pending) => pending.endpoint().server_url() == assertion.op_endpoint,
        // An unsolicited assertion names its endpoint itself: before its signature is
        // known, only an endpoint the site pinned by name is asked (and discovery of its
        // claimed identifier waits for check 6). Asking any other would send a request
        // where a stranger says (CVE-2019-11027).
        None => inner.pin.as_ref().is_some_and(|pin| pin.names_endpoint(assertion.op_endpoint)),
    };
    if !trusted {
        return Err(FailureReason::UnverifiedEndpoint {
            op_endpoint: bounded(assertion.op_endpoint),
            expected: pending.map_or_else(
                || "(an endpoint the site pins, for an unsolicited assertion)".to_owned(),
                |p| bounded(p.endpoint().server_url()),
            ),
        });
    }
    tracing::debug!(
        target: "openid_consumer",
        endpoint = %Excerpt(assertion.op_endpoint),
        "check_authentication"
    );
    let store = inner.store.as_deref();
    check_auth::verify(&*inner.fetcher, &inner.policy, store, assertion.op_endpoint, message)?;
    Ok(Verified::ByProvider)
}

// ---- check 5 -------------------------------------------------------------------------------

/// Section 11.3: the nonce is recent and new. OpenID 1 has no response nonce: the library's
/// own nonce in `return_to` takes its place. Without a store, replays are left to the
/// provider, which verified the assertion once (check 4).
fn check_nonce(
    inner: &Inner,
    pending: Option<&PendingAuth>,
    assertion: &Assertion<'_>,
    now: i64,
) -> Result<(), FailureReason> {
    // Check 1 made sure a 2.0 assertion has a response nonce and a 1.x one a login.
    let text = assertion.response_nonce.or(pending.map(PendingAuth::nonce)).unwrap_or_default();
    let nonce = ResponseNonce::parse(text).map_err(FailureReason::InvalidNonce)?;
    if !nonce::within_skew(nonce.timestamp(), now, SKEW) {
        return Err(FailureReason::NonceOutOfRange {
            timestamp: nonce.timestamp(),
            now,
            skew: SKEW,
        });
    }
    let Some(store) = &inner.store else { return Ok(()) };
    let fresh = store
        .use_nonce(assertion.op_endpoint, nonce.timestamp(), nonce.salt())
        .map_err(FailureReason::Store)?;
    if fresh { Ok(()) } else { Err(FailureReason::NonceReplayed) }
}

// ---- check 6 -------------------------------------------------------------------------------

/// Section 11.2: the signing endpoint speaks for the claimed identifier. The login's own
/// endpoint settles it when the assertion matches it; otherwise (the provider chose the
/// identifier, asserted another one, or nobody asked) discovery of the claimed identifier
/// does. An assertion without an identifier must come from the login's own endpoint.
fn check_discovered(
    inner: &Inner,
    pending: Option<&PendingAuth>,
    assertion: &Assertion<'_>,
) -> Result<ServiceEndpoint, FailureReason> {
    if assertion.version.is_openid1() {
        // OpenID 1 assertions carry no claimed id: the login's endpoint is the claim
        // (check 1 made sure there is a login).
        let endpoint = pending.map(PendingAuth::endpoint).ok_or(FailureReason::Unsolicited)?;
        let identity = assertion.identity.unwrap_or_default();
        if endpoint.local_id() != Some(identity) {
            return Err(FailureReason::DiscoveryMismatch {
                field: DiscoveredField::LocalId,
                expected: bounded(endpoint.local_id().unwrap_or("(none)")),
                got: bounded(identity),
            });
        }
        return Ok(endpoint.clone());
    }
    let Some(claim) = claim(assertion) else {
        return match pending {
            // Nothing to discover: the signer must be the endpoint the login went to.
            Some(pending) if pending.endpoint().server_url() != assertion.op_endpoint => {
                Err(FailureReason::DiscoveryMismatch {
                    field: DiscoveredField::OpEndpoint,
                    expected: bounded(pending.endpoint().server_url()),
                    got: bounded(assertion.op_endpoint),
                })
            }
            Some(pending) => Ok(pending.endpoint().clone()),
            None => Ok(ServiceEndpoint::from_op_endpoint_url(assertion.op_endpoint)),
        };
    };
    if let Some(pending) = pending
        && !pending.endpoint().is_op_identifier()
        && verify::compare(pending.endpoint(), claim).is_ok()
    {
        return Ok(pending.endpoint().clone());
    }
    verify::rediscover(inner, claim)
}

fn claim<'a>(assertion: &'a Assertion<'_>) -> Option<Claim<'a>> {
    Some(Claim {
        claimed_id: without_fragment(assertion.claimed_id?),
        local_id: assertion.identity?,
        op_endpoint: assertion.op_endpoint,
    })
}

// ---- check 7 -------------------------------------------------------------------------------

/// Who the assertion says the user is: its claimed identifier, or for OpenID 1 the login's.
fn claimed_id_of(assertion: &Assertion<'_>, endpoint: &ServiceEndpoint) -> Option<String> {
    match assertion.claimed_id {
        Some(claimed_id) => Some(claimed_id.to_owned()),
        None if assertion.version.is_openid1() => endpoint.claimed_id().map(str::to_owned),
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
    endpoint: ServiceEndpoint,
) -> Result<Response, FailureReason> {
    let signed = SignedFields::of(message);
    if let Some(claimed_id) = claimed_id {
        return Ok(Response::Success(SuccessResponse::new(claimed_id, endpoint, signed)));
    }
    let asked = pending.is_some_and(PendingAuth::is_anonymous);
    if asked || inner.allow_identifierless {
        Ok(Response::Anonymous(AnonymousResponse::new(endpoint, signed)))
    } else {
        Err(FailureReason::NoIdentifier)
    }
}
