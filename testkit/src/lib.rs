//! A scriptable OpenID 2.0 (and 1.1) provider on `127.0.0.1`, for testing relying parties.
//!
//! [`Provider::start`] runs a provider on a free local port. It serves discovery documents
//! (Yadis/XRDS and HTML), makes associations (Diffie-Hellman, HMAC-SHA1 and HMAC-SHA256),
//! answers authentication requests at once without a human, and verifies its own assertions
//! for stateless relying parties. Its [`Behaviour`] can be changed at any time to answer
//! differently (cancel, setup needed, errors), to speak only OpenID 1.1, or to misbehave in
//! precise ways ([`Tamper`], [`AssociationBehaviour`], [`CheckAuth`]). Every request is
//! logged ([`Provider::requests`]). [`browser`] plays the user's browser.
//!
//! # Example: discovery, association and a signed assertion
//!
//! ```
//! use base64::Engine as _;
//! use base64::engine::general_purpose::STANDARD;
//! use openid_consumer::crypto::{AssociationType, DiffieHellman, SessionType, check_signature};
//! use openid_consumer::discovery::discover;
//! use openid_consumer::fetch::{Fetcher, NetworkPolicy, UreqFetcher};
//! use openid_consumer::message::{Message, kvform};
//! use openid_consumer::store::Association;
//! use openid_testkit::{Provider, browser};
//!
//! let provider = Provider::start()?;
//! let fetcher = UreqFetcher::new();
//! let policy = NetworkPolicy::default().allow_loopback();
//!
//! // Discovery of alice's identity URL finds the provider's endpoint.
//! let alice = provider.identity_url("alice");
//! let found = discover(&alice, &fetcher, &policy)?;
//! assert_eq!(found.endpoints[0].server_url(), provider.endpoint_url());
//!
//! // An association: the MAC key comes encrypted with Diffie-Hellman.
//! let dh = DiffieHellman::new()?;
//! let public = dh.public_key_base64();
//! let answer = fetcher.post_form(
//!     &provider.endpoint_url(),
//!     &[
//!         ("openid.ns", "http://specs.openid.net/auth/2.0"),
//!         ("openid.mode", "associate"),
//!         ("openid.assoc_type", "HMAC-SHA256"),
//!         ("openid.session_type", "DH-SHA256"),
//!         ("openid.dh_consumer_public", &public),
//!     ],
//!     &policy,
//! )?;
//! let fields = kvform::parse(std::str::from_utf8(&answer.body)?).pairs;
//! let field = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap();
//! let mac_key = dh.xor_secret(
//!     &field("dh_server_public"),
//!     &STANDARD.decode(field("enc_mac_key"))?,
//!     SessionType::DhSha256,
//! )?;
//! let handle = field("assoc_handle");
//! let association =
//!     Association::new(&handle, mac_key.as_slice(), 0, i64::MAX, AssociationType::HmacSha256)?;
//!
//! // The browser goes to the provider with a request and comes back with an assertion
//! // signed with that association.
//! let mut request = Message::from_pairs([
//!     ("openid.ns", "http://specs.openid.net/auth/2.0"),
//!     ("openid.mode", "checkid_setup"),
//!     ("openid.claimed_id", alice.as_str()),
//!     ("openid.identity", alice.as_str()),
//!     ("openid.return_to", "http://rp.example/return?session=1"),
//!     ("openid.assoc_handle", handle.as_str()),
//! ])?;
//! let callback = browser::follow(&request.to_url(&provider.endpoint_url()))?;
//! let assertion = Message::from_query(&callback.query)?;
//! assert_eq!(assertion.get_openid("mode"), Some("id_res"));
//! assert_eq!(assertion.get_openid("claimed_id"), Some(alice.as_str()));
//! check_signature(&assertion, &association)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Overview
//!
//! - [`Provider`]: start, URLs of the endpoint and of identities, extra pages, the request
//!   log, and [`Provider::configure`] to change the [`Behaviour`].
//! - [`Behaviour`]: [`Answer`], [`Transport`], [`Protocol`], [`AssociationBehaviour`],
//!   [`Tamper`], [`CheckAuth`], delay, padding and association lifetime.
//! - [`browser`]: [`browser::follow`] a redirect to the provider, or
//!   [`browser::submit_form`] a relying party's form, and get the [`browser::Callback`] the
//!   browser would bring back.
//!
//! # What the honest provider does
//!
//! - Discovery documents: see [`Provider`]'s table of paths.
//! - `associate` (OpenID 2.0 section 8): Diffie-Hellman over the relying party's modulus and
//!   generator (or the defaults); keys from the OS CSPRNG; `no-encryption` only over https;
//!   `error_code=unsupported-type` with a suggestion for what it does not do.
//! - `checkid_setup` / `checkid_immediate` (section 9): the `return_to` must be under the
//!   realm; the identity must be one of this provider's identity URLs (any claimed identifier
//!   may delegate to it); `identifier_select` logs in
//!   [`Behaviour::identifier_select_user`]. The assertion (section 10.1) is signed with the
//!   relying party's association when it is known and unexpired, else with a fresh private
//!   association, and then `openid.invalidate_handle` names the relying party's handle.
//! - `check_authentication` (section 11.4.2): only private associations verify, each
//!   assertion once.
//! - Garbage gets OpenID errors (direct: HTTP 400 with KV `error:`; indirect: `mode=error`
//!   to the `return_to` when there is a usable one; else an HTML error page) and the server
//!   goes on.
//!
//! # Security
//!
//! This is a test tool: it logs everyone in and keeps every association in memory. Never
//! expose it beyond loopback.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod behaviour;
pub mod browser;
mod documents;
mod http;
mod op;
mod provider;
mod reply;
mod router;
mod state;
mod workers;

pub use behaviour::{
    Answer, AssociationBehaviour, Behaviour, CheckAuth, DEFAULT_ASSOCIATION_LIFETIME, DEFAULT_USER,
    Protocol, Tamper, Transport,
};
pub use provider::{MAX_CONNECTIONS, Provider};
pub use state::{LoggedRequest, Page};

/// `openid.identity` of a request that lets the provider choose the identifier (OpenID 2.0
/// section 9.1).
pub const IDENTIFIER_SELECT: &str = op::IDENTIFIER_SELECT;
