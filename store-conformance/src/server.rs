//! [`on_server`]: the factory of a store on a throwaway server of `openid-test-servers`,
//! shared by the cases, with a server of its own for the fault cases.

use std::fmt;

use openid_consumer::store::{BoxError, OpenIdStore, StoreError};
use openid_test_servers::{Backend, Server, ServerError, dedicated, shared};

use crate::factory::{BackendSwitch, Stoppable, StoreFactory};
use crate::fixture::Fixture;

/// The factory of a store on a test server; made by [`on_server`].
pub struct OnServer<F> {
    backend: Backend,
    open: F,
}

/// The factory of the stores `open` makes from a server's URL, on a throwaway server of
/// `backend` started once per test process (or the one `OPENID_TEST_<BACKEND>_URL` names).
///
/// Every case is skipped, loudly, when `OPENID_TEST_SKIP` names the backend; a missing
/// server binary fails the cases with the package to install. The fault cases get a server
/// of their own, which they stop and start again.
///
/// ```no_run
/// use openid_store_conformance::on_server;
/// use openid_test_servers::Backend;
/// # use openid_consumer::store::{MemoryStore as MyRedisStore, StoreError};
/// # fn connect(_url: &str, _prefix: &str) -> Result<MyRedisStore, StoreError> { Ok(MyRedisStore::new()) }
///
/// let factory = on_server(Backend::Redis, |url, f| connect(url, f.namespace()));
/// ```
pub fn on_server<F, S>(backend: Backend, open: F) -> OnServer<F>
where
    F: Fn(&str, &Fixture) -> Result<S, StoreError> + Send + Sync,
    S: OpenIdStore + 'static,
{
    OnServer { backend, open }
}

impl<F, S> StoreFactory for OnServer<F>
where
    F: Fn(&str, &Fixture) -> Result<S, StoreError> + Send + Sync,
    S: OpenIdStore + 'static,
{
    fn open(&self, fixture: &Fixture) -> Result<Box<dyn OpenIdStore>, StoreError> {
        let server = shared(self.backend).map_err(unusable)?.ok_or_else(|| {
            StoreError::config(format!("OPENID_TEST_SKIP names {}", self.backend), None)
        })?;
        Ok(Box::new((self.open)(server.url(), fixture)?))
    }

    fn skip_reason(&self) -> Option<String> {
        self.backend.skip_reason()
    }

    fn open_stoppable(&self, fixture: &Fixture) -> Option<Result<Stoppable, StoreError>> {
        let server = match dedicated(self.backend) {
            Ok(server) => server?,
            Err(error) => return Some(Err(unusable(error))),
        };
        Some((self.open)(server.url(), fixture).map(|store| Stoppable::new(store, server)))
    }
}

impl<F> fmt::Debug for OnServer<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnServer").field("backend", &self.backend).finish_non_exhaustive()
    }
}

/// A dedicated test server, stopped and started by the fault cases.
impl BackendSwitch for Server {
    fn stop(&self) -> Result<(), BoxError> {
        Ok(Server::stop(self)?)
    }

    fn start(&self) -> Result<(), BoxError> {
        Ok(Server::start(self)?)
    }
}

/// A test server that could not be had: the cases fail with the reason (the package to
/// install, say).
fn unusable(error: ServerError) -> StoreError {
    StoreError::config("no test server for the store", Some(Box::new(error)))
}
