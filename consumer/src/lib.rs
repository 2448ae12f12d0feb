//! An OpenID 2.0 (and 1.1) Relying Party: the site that lets people sign in with an
//! OpenID provider such as Steam, Launchpad / Ubuntu One or LiveJournal.
//!
//! This release holds the layers the login flow is built on: the protocol core (message
//! model and encodings, signatures and Diffie-Hellman, nonces, identifier normalisation,
//! realms, associations), discovery with the network policy that guards every fetch, and
//! the [`store::OpenIdStore`] contract with an in-memory store (other backends live in the
//! `openid-store-*` crates). The `begin` / `complete` flow and the extensions follow (see
//! the README's feature table).
//!
//! # Example: sign and verify an assertion
//!
//! A provider signs an assertion with the key of an association; the relying party checks,
//! in this order, that the signature covers every field it relies on
//! ([`crypto::check_signed_fields`]) and that those fields are intact
//! ([`crypto::check_signature`]). The signature check alone is not enough: it proves only
//! that the fields listed in `openid.signed` were not changed.
//!
//! ```
//! use openid_consumer::crypto::{
//!     AssociationType, SignatureError, SignedFieldsError, check_signature, check_signed_fields,
//!     sign_message,
//! };
//! use openid_consumer::message::{Message, OpenIdVersion};
//! use openid_consumer::store::Association;
//!
//! // A shared key, as an association exchange would have set it up.
//! let association = Association::new(
//!     "{HMAC-SHA256}{5f1c}{dGVzdA==}",
//!     [0x42u8; 32],
//!     1_700_000_000, // issued (Unix seconds)
//!     3_600,         // lifetime (seconds)
//!     AssociationType::HmacSha256,
//! )?;
//!
//! // The provider's side: an assertion, signed over every openid.* field.
//! let mut assertion = Message::new(OpenIdVersion::V2_0);
//! assertion.set_openid("mode", "id_res");
//! assertion.set_openid("op_endpoint", "https://op.example/openid");
//! assertion.set_openid("claimed_id", "https://example.com/alice");
//! assertion.set_openid("identity", "https://example.com/alice");
//! assertion.set_openid("return_to", "https://rp.example/openid/return");
//! assertion.set_openid("response_nonce", "2023-11-14T22:13:20ZUNIQUE");
//! sign_message(&mut assertion, &association)?;
//! let callback = assertion.to_url("https://rp.example/openid/return");
//!
//! // The relying party's side: parse what arrived, check what the signature covers, then
//! // the signature.
//! let (_, query) = callback.split_once('?').unwrap();
//! let mut received = Message::from_query(query)?;
//! check_signed_fields(&received)?;
//! check_signature(&received, &association)?;
//!
//! // A forged claimed identifier no longer verifies.
//! received.set_openid("claimed_id", "https://example.com/mallory");
//! assert_eq!(check_signature(&received, &association), Err(SignatureError::Mismatch));
//!
//! // Nor does one the signature never covered, though the signature itself is intact.
//! received.set_openid("signed", "mode,op_endpoint,identity,return_to,response_nonce,assoc_handle");
//! assert_eq!(
//!     check_signed_fields(&received),
//!     Err(SignedFieldsError::NotSigned { field: "claimed_id" })
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Overview
//!
//! - [`message`]: [`message::Message`], arguments by [`message::Namespace`], extension
//!   aliases, OpenID 1 compatibility, and the query, form and [`message::kvform`] encodings.
//! - [`crypto`]: association and session types, HMAC signatures checked in constant
//!   time, the fields an assertion's signature must cover, Diffie-Hellman with the
//!   public-key range check, OS randomness.
//! - [`nonce`]: `openid.response_nonce` parsing, generation and the skew check.
//! - [`urinorm`]: RFC 3986 normalisation of identifiers, IRIs included.
//! - [`realm`]: realm parsing, `return_to` matching and sanity by the Public Suffix List.
//! - [`store`]: the [`store::OpenIdStore`] contract, [`store::StoreError`], clocks,
//!   [`store::MemoryStore`], and [`store::Association`] with its versioned text form.
//! - [`fetch`]: the [`Fetcher`] trait and [`UreqFetcher`], governed by a [`NetworkPolicy`]
//!   (schemes, redirects, timeouts, body cap, and an address guard against SSRF).
//! - [`discovery`]: [`discover`] an identifier's endpoints through Yadis/XRDS, HTML links or
//!   XRI, into [`ServiceEndpoint`]s.
//!
//! # Errors
//!
//! Every parser returns a typed error that says what was wrong; none panics, whatever the
//! input (property tests feed each of them arbitrary text).
//!
//! # Compatibility
//!
//! OpenID 2.0 and 1.1 (OpenID 1.0 messages are read as 1.x). Minimum Rust version 1.89.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod associate;
pub mod consumer;
pub mod crypto;
pub mod discovery;
mod excerpt;
pub mod fetch;
pub mod message;
pub mod nonce;
pub mod realm;
pub mod store;
pub mod urinorm;

pub use associate::AssociationPreferences;
pub use consumer::{
    AuthRequest, BeginError, CallbackArgs, ConfigError, Consumer, ConsumerBuilder, Failure,
    FailureReason, Navigation, PendingAuth, ProviderPin, RequestError, Response, SuccessResponse,
};
pub use discovery::{DiscoveryError, DiscoveryResult, ServiceEndpoint, discover};
pub use fetch::{FetchError, Fetcher, NetworkPolicy, UreqFetcher};
