//! An OpenID 2.0 (and 1.1) Relying Party: the site that lets people sign in with an
//! OpenID provider such as Steam, Launchpad / Ubuntu One or LiveJournal.
//!
//! A site makes one [`Consumer`] and calls it twice per login: [`Consumer::begin`] when the
//! user submits an identifier (discovery, association, and the request to send the browser
//! to the provider with), and [`Consumer::complete`] when the provider sends the browser
//! back (every check of OpenID 2.0 section 11, signature before any network request).
//! Between the two, the site keeps the login's [`PendingAuth`] in the user's session.
//!
//! # Example: a whole login
//!
//! Here `openid-testkit`'s scriptable provider, on 127.0.0.1, plays the provider and the
//! user's browser; a real site redirects the browser and reads the callback from its web
//! framework.
//!
//! ```
//! use std::sync::Arc;
//!
//! use openid_consumer::store::MemoryStore;
//! use openid_consumer::{Consumer, NetworkPolicy, Response};
//! # use openid_testkit::{Provider, browser};
//! # let provider = Provider::start()?;
//! # let identifier = provider.identity_url("alice");
//!
//! // Once, at start-up: a store for associations and nonces (one of the openid-store-*
//! // crates in production: file, SQLite, PostgreSQL, MySQL, Redis, memcached).
//! let consumer = Consumer::builder()
//!     .store(Arc::new(MemoryStore::new()))
//!     # .policy(NetworkPolicy::default().allow_loopback()) // the test provider is local
//!     .build()?;
//!
//! // 1. The user typed an identifier: discover it and send the browser to the provider.
//! let mut request = consumer.begin(&identifier)?;
//! let redirect = request.redirect_url(
//!     "https://rp.example/",              // the realm the user is asked to trust
//!     "https://rp.example/openid/return", // where the provider sends the browser back
//!     false,                              // not immediate: the provider may ask the user
//! )?;
//! let pending = request.pending(); // keep it in the user's session
//!
//! // (The browser goes to the provider, which sends it back to return_to.)
//! # let callback = browser::follow(&redirect)?;
//! # let (query, current_url) = (callback.query, callback.url);
//!
//! // 2. The browser is back, at `current_url` with the provider's answer in `query`.
//! match consumer.complete(Some(&pending), query.as_str(), &current_url) {
//!     Response::Success(success) => {
//!         println!("signed in as {}", success.claimed_id());
//!         # assert_eq!(success.claimed_id(), identifier);
//!     }
//!     Response::Cancel => println!("the user cancelled"),
//!     Response::SetupNeeded { .. } => println!("log in at the provider first"),
//!     Response::Failure(failure) => println!("login refused: {failure}"),
//!     other => println!("unexpected: {other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A site with one provider (Steam) skips discovery: see [`ProviderPin::steam`] and
//! [`Consumer::begin_with_endpoint`].
//!
//! # What `complete` checks, in order
//!
//! 1. The protocol version, the fields the mode requires, that the signature covers every
//!    field the login relies on ([`crypto::check_signed_fields`]), and the site's
//!    [`ProviderPin`].
//! 2. That `return_to` is the URL the browser came back to, with the same arguments.
//! 3. That the answer belongs to this browser's login (a nonce the library put in
//!    `return_to` and keeps in [`PendingAuth`]); unsolicited assertions are refused unless
//!    allowed.
//! 4. The signature: with the stored association, else by `check_authentication` sent only
//!    to an endpoint already verified for the identifier.
//! 5. The nonce: recent, and never seen before (the store records it).
//! 6. That the provider speaks for the claimed identifier (the login's discovered endpoint,
//!    or discovery of the asserted identifier).
//! 7. That the assertion identifies someone.
//!
//! Each failure is a [`FailureReason`] naming the check; hostile input never panics and
//! never gives an `Err`. A store error fails the login.
//!
//! # Lower layers: sign and verify an assertion by hand
//!
//! A provider signs an assertion with the key of an association; the relying party checks,
//! in this order, that the signature covers every field it relies on
//! ([`crypto::check_signed_fields`]) and that those fields are intact
//! ([`crypto::check_signature`]). The signature check alone is not enough: it proves only
//! that the fields listed in `openid.signed` were not changed. [`Consumer::complete`] does
//! both, and everything else above.
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
//! - [`Consumer`] and [`consumer`]: the login flow, [`AuthRequest`], [`PendingAuth`],
//!   [`Response`] and [`FailureReason`]; [`associate`]: association negotiation.
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
pub mod extensions;
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
