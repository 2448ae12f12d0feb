//! Throwaway database and cache servers for tests: each test process starts what it needs
//! once, on a free 127.0.0.1 port with its own temporary data directory and no systemd, and
//! nothing is left running or on disk after the process ends.
//!
//! ```no_run
//! use openid_test_servers::{Backend, shared};
//!
//! // `None` means the backend is named in OPENID_TEST_SKIP (a SKIPPED line was printed).
//! let Some(server) = shared(Backend::Redis)? else { return Ok(()) };
//! println!("redis is at {}", server.url());
//! # Ok::<(), openid_test_servers::ServerError>(())
//! ```
//!
//! # Environment
//!
//! - `OPENID_TEST_<BACKEND>_URL` (`POSTGRES`, `MYSQL`, `REDIS`, `REDIS_CLUSTER`, `MEMCACHE`):
//!   use that existing server instead of starting one. Such a server cannot be stopped and
//!   restarted by fault tests, which then report themselves skipped.
//! - `OPENID_TEST_SKIP=redis,memcache`: skip these backends, with a loud `SKIPPED` line.
//!   Without it, a missing server binary is an error naming the Debian package to install.
//!
//! # How servers are cleaned up
//!
//! Every server process gets a watchdog (`sh`) that polls the test process; when the test
//! process is gone (test harnesses do not run destructors of statics), the watchdog stops
//! the server, waits for it and removes its data directory. A server stopped explicitly
//! with [`Server::stop`] is waited for at once.

mod backend;
mod error;
mod ports;
mod probe;
mod process;
mod server;
mod start;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

pub use backend::{Backend, Variant};
pub use error::ServerError;
pub use server::Server;

/// Started servers (or why they could not start), by backend and variant.
type Registry = HashMap<(Backend, Variant), Result<Arc<Server>, ServerError>>;

/// The server of this backend shared by every test in the process, started on first use.
/// A child process of a test process that started one (a cross-process test) gets the
/// parent's server.
///
/// Returns `Ok(None)` when `OPENID_TEST_SKIP` names the backend (a `SKIPPED` line is
/// printed). A failed start is remembered, so later tests report the same error quickly.
///
/// # Errors
/// [`ServerError`] when the binary is missing or the server does not start.
pub fn shared(backend: Backend) -> Result<Option<Arc<Server>>, ServerError> {
    shared_variant(backend, Variant::Standard)
}

/// As [`shared`], a server of this backend started with other settings than the tests'
/// default (see [`Variant`]), shared by every test of the process that asks for this
/// variant (and by a child process of it, as [`shared`]).
///
/// Returns `Ok(None)` when the backend is skipped, or, for a variant other than
/// [`Variant::Standard`], when `OPENID_TEST_<BACKEND>_URL` points at an existing server
/// (which has the settings it has; a `SKIPPED` line is printed).
///
/// # Errors
/// As [`shared`], and [`ServerError::Failed`] when the backend has no such variant.
pub fn shared_variant(
    backend: Backend,
    variant: Variant,
) -> Result<Option<Arc<Server>>, ServerError> {
    static SHARED: Mutex<Option<Registry>> = Mutex::new(None);
    if backend.is_skipped() {
        backend.print_skipped("OPENID_TEST_SKIP names it");
        return Ok(None);
    }
    if variant != Variant::Standard && backend.external_url().is_some() {
        backend.print_skipped(&format!("an external server is not the {variant:?} variant"));
        return Ok(None);
    }
    let mut guard = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    let map = guard.get_or_insert_with(HashMap::new);
    let entry = map
        .entry((backend, variant))
        .or_insert_with(|| Server::launch(backend, variant, true).map(Arc::new));
    entry.clone().map(Some)
}

/// A server of this backend for one test alone, for tests that stop and restart it.
///
/// Returns `Ok(None)` when the backend is skipped, or when `OPENID_TEST_<BACKEND>_URL`
/// points at an existing server, which a test must not stop (a `SKIPPED` line is printed).
///
/// # Errors
/// As [`shared`].
pub fn dedicated(backend: Backend) -> Result<Option<Server>, ServerError> {
    dedicated_variant(backend, Variant::Standard)
}

/// A server of this backend for one test alone, started with other settings than the
/// tests' default (see [`Variant`]), for tests of how a store treats such a server.
///
/// # Errors
/// As [`shared`], and [`ServerError::Failed`] when the backend has no such variant.
pub fn dedicated_variant(
    backend: Backend,
    variant: Variant,
) -> Result<Option<Server>, ServerError> {
    if backend.is_skipped() {
        backend.print_skipped("OPENID_TEST_SKIP names it");
        return Ok(None);
    }
    if backend.external_url().is_some() {
        backend.print_skipped("an external server cannot be stopped by a test");
        return Ok(None);
    }
    Server::launch(backend, variant, false).map(Some)
}
