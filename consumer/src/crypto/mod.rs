//! Cryptography of OpenID 2.0: associations, the MAC keys shared with providers, with their
//! types and session types (section 8), message signatures (section 6) and what they must
//! cover (section 10.1), Diffie-Hellman key exchange (section 8.4.2) and randomness. The
//! store module re-exports [`Association`], which stores keep.
//!
//! A relying party verifying an assertion calls [`check_signed_fields`] first (is every
//! field it relies on covered?), then [`check_signature`] (are the covered fields intact?).
//! Either alone proves nothing about the claimed identifier.

mod association;
mod btwoc;
mod coverage;
mod dh;
mod kinds;
mod random;
mod signature;
mod signed_list;

pub use association::{Association, AssociationError, MAX_HANDLE_LEN, is_valid_handle};
pub use btwoc::{BtwocError, decode_btwoc_base64, encode_btwoc_base64};
pub use coverage::{SignedFieldsError, check_signed_fields};
pub use dh::{DEFAULT_GENERATOR, DEFAULT_MODULUS_BASE64, DhError, DiffieHellman};
pub use kinds::{AssociationType, SessionType, UnknownTypeError};
pub use random::{RandomError, random_bytes, random_string};
pub use signature::{SignatureError, check_signature, sign_message, signature_for};
pub(crate) use signed_list::entries as signed_list_entries;
