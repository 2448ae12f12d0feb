//! The login flow end to end: `Consumer::begin` and `Consumer::complete` against the
//! scriptable provider of `openid-testkit` over HTTP on 127.0.0.1, in every mode a provider
//! answers in, and against every misbehaviour it can be told to show.

// Test code: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod e2e {
    pub(crate) mod adversarial;
    pub(crate) mod checks;
    pub(crate) mod extensions;
    pub(crate) mod flows;
    pub(crate) mod support;
}
