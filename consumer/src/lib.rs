//! OpenID 2.0 Relying Party.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod crypto;
pub mod message;
pub mod nonce;
pub mod store;
pub mod urinorm;
