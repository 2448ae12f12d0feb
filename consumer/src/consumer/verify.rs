//! Discovered information (OpenID 2.0 section 11.2): does the endpoint that signed an
//! assertion speak for its claimed identifier?

use super::Inner;
use super::failure::{DiscoveredField, FailureReason};
use crate::discovery::ServiceEndpoint;
use crate::discovery::endpoint::TYPE_SIGNON_2_0;

/// What a verified signature says about who the user is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Claim<'a> {
    /// `openid.claimed_id`, without its fragment.
    pub(crate) claimed_id: &'a str,
    /// `openid.identity`.
    pub(crate) local_id: &'a str,
    /// The endpoint that signed.
    pub(crate) op_endpoint: &'a str,
}

/// The first difference between `endpoint` and `claim`, if any.
pub(crate) fn compare(endpoint: &ServiceEndpoint, claim: Claim<'_>) -> Result<(), FailureReason> {
    let mismatch = |field, expected: Option<&str>, got: &str| FailureReason::DiscoveryMismatch {
        field,
        expected: expected.unwrap_or("(none)").to_owned(),
        got: got.to_owned(),
    };
    let claimed = endpoint.claimed_id().map(without_fragment);
    if claimed != Some(claim.claimed_id) {
        return Err(mismatch(DiscoveredField::ClaimedId, claimed, claim.claimed_id));
    }
    if endpoint.local_id() != Some(claim.local_id) {
        return Err(mismatch(DiscoveredField::LocalId, endpoint.local_id(), claim.local_id));
    }
    if endpoint.server_url() != claim.op_endpoint {
        return Err(mismatch(
            DiscoveredField::OpEndpoint,
            Some(endpoint.server_url()),
            claim.op_endpoint,
        ));
    }
    if !endpoint.supports_type(TYPE_SIGNON_2_0) {
        return Err(mismatch(DiscoveredField::Version, Some("OpenID 1"), "OpenID 2.0"));
    }
    Ok(())
}

/// Discovers the claimed identifier and returns the first of its endpoints the claim
/// matches (and the consumer's pinning allows).
pub(crate) fn rediscover(
    inner: &Inner,
    claim: Claim<'_>,
) -> Result<ServiceEndpoint, FailureReason> {
    tracing::debug!(target: "openid_consumer", claimed_id = claim.claimed_id, "verifying by discovery");
    let discovered =
        inner.discoverer.discover(claim.claimed_id, &*inner.fetcher, &inner.policy).map_err(
            |source| FailureReason::Discovery { claimed_id: claim.claimed_id.to_owned(), source },
        )?;
    let mut first_mismatch = None;
    for endpoint in discovered.endpoints {
        if inner.pin.as_ref().is_some_and(|pin| !pin.allows(&endpoint)) {
            continue;
        }
        match compare(&endpoint, claim) {
            Ok(()) => return Ok(endpoint),
            Err(mismatch) => {
                first_mismatch.get_or_insert(mismatch);
            }
        }
    }
    Err(first_mismatch.unwrap_or(FailureReason::DiscoveryMismatch {
        field: DiscoveredField::OpEndpoint,
        expected: "(no endpoint this site allows)".to_owned(),
        got: claim.op_endpoint.to_owned(),
    }))
}

/// `id` without its fragment.
pub(crate) fn without_fragment(id: &str) -> &str {
    id.split_once('#').map_or(id, |(base, _)| base)
}
