//! Interop with an implementation nobody here wrote: python3-openid 3.2.0 (Python Package
//! Index).
//!
//! Our consumer and our test provider share message and crypto code, so a bug there could
//! make both agree and still be wrong. An independent implementation settles it:
//!
//! - `our_consumer`: openid-rs's `Consumer` logs in against python3-openid's provider
//!   (`interop/provider.py`), with `MemoryStore`, `SqliteStore` and stateless.
//! - `python_consumer`: python3-openid's consumer (`interop/consumer.py`) logs in against
//!   openid-testkit's provider, so the testkit is a provider an independent relying party
//!   accepts, not one tuned to ours.
//!
//! The interpreter is `target/python-openid/bin/python` (`scripts/python-venv.sh` makes
//! it), or `OPENID_PYTHON`. Without it these tests fail, unless `OPENID_TEST_SKIP` names
//! `python`. A failure names the mode and the store, and shows the provider's log.

// Test code: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod interop {
    pub(crate) mod login;
    pub(crate) mod our_consumer;
    pub(crate) mod python;
    pub(crate) mod python_consumer;
    pub(crate) mod python_provider;
}
