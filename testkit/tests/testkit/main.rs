//! The provider over real HTTP on 127.0.0.1, checked with the relying party's own code
//! (`openid-consumer`): discovery, associations, assertions and their defects,
//! `check_authentication`, robustness, and the browser.

// Helpers shared by the tests are not `#[test]` functions, so clippy's in-test allowances do
// not reach them; a failing unwrap or index there is a test failure, as in the tests.
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure"
)]

mod associate;
mod browser;
mod check_auth;
mod checkid;
mod common;
mod discovery;
mod edge;
mod robustness;
mod tamper;
