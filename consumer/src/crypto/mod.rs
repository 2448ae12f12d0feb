//! Cryptography of OpenID 2.0: association and session types (section 8), message
//! signatures (section 6), Diffie-Hellman key exchange (section 8.4.2) and randomness.

mod btwoc;
mod dh;
mod kinds;
mod random;
mod signature;

pub use btwoc::{BtwocError, decode_btwoc_base64, encode_btwoc_base64};
pub use dh::{DEFAULT_GENERATOR, DEFAULT_MODULUS_BASE64, DhError, DiffieHellman};
pub use kinds::{AssociationType, SessionType, UnknownTypeError};
pub use random::{RandomError, random_bytes, random_string};
pub use signature::{SignatureError, check_signature, sign_message, signature_for};
