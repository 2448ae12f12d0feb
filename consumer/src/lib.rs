//! OpenID 2.0 Relying Party.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod discovery;
pub mod fetch;
pub mod urinorm;
