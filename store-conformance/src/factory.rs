//! [`StoreFactory`]: how the suite gets a store; [`Capabilities`]: where backends differ;
//! [`Stoppable`]: a store whose backend the fault cases may stop.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use openid_consumer::store::{BoxError, MemoryStore, OpenIdStore, StoreError};

use crate::fixture::Fixture;

/// Makes the stores a case runs against.
///
/// [`StoreFactory::open`] is called with the case's [`Fixture`]: the store must read time
/// from [`Fixture::clock`], use [`Fixture::skew`] as its nonce window, and keep its data
/// apart from other fixtures' (a directory under [`Fixture::dir`], tables or keys prefixed
/// by [`Fixture::namespace`]). Called twice with the same fixture, it must return two
/// instances over the same data: that is how the suite tests sharing, including from a
/// second process.
///
/// [`stores`] makes one from a closure, [`on_server`](crate::on_server) one for a store on a
/// throwaway server; [`with_capabilities`] declares how a backend differs.
pub trait StoreFactory: Send + Sync {
    /// A store over the data of `fixture`.
    ///
    /// # Errors
    /// Whatever the store's constructor returns; the case fails with it.
    fn open(&self, fixture: &Fixture) -> Result<Box<dyn OpenIdStore>, StoreError>;

    /// What the backend can do; the default is [`Capabilities::new`].
    fn capabilities(&self) -> Capabilities {
        Capabilities::new()
    }

    /// Why the backend is not tested in this run at all (its server is deliberately
    /// absent, say `OPENID_TEST_SKIP` names it): every case is then skipped with a loud
    /// `SKIPPED` line, and counted as skipped. Default: never.
    fn skip_reason(&self) -> Option<String> {
        None
    }

    /// A store on a backend that the fault cases may stop and start again: a server of its
    /// own, which no other case uses. `None`, the default: the fault cases are skipped.
    fn open_stoppable(&self, fixture: &Fixture) -> Option<Result<Stoppable, StoreError>> {
        let _ = fixture;
        None
    }
}

/// The backend of a [`Stoppable`] store, as the fault cases switch it off and on.
pub trait BackendSwitch: Send + Sync {
    /// Makes the backend unavailable (stops the server) and returns once it is.
    ///
    /// # Errors
    /// Why it could not be stopped; the case fails with it.
    fn stop(&self) -> Result<(), BoxError>;

    /// Brings the backend back and returns once it answers.
    ///
    /// # Errors
    /// Why it could not be started; the case fails with it.
    fn start(&self) -> Result<(), BoxError>;
}

/// A store and the switch of its backend, for the fault cases.
#[non_exhaustive]
pub struct Stoppable {
    /// The store, on the backend `switch` controls.
    pub store: Box<dyn OpenIdStore>,
    /// Stops and starts the store's backend.
    pub switch: Box<dyn BackendSwitch>,
}

impl Stoppable {
    /// `store`, whose backend `switch` stops and starts.
    pub fn new(store: impl OpenIdStore + 'static, switch: impl BackendSwitch + 'static) -> Self {
        Self { store: Box::new(store), switch: Box::new(switch) }
    }
}

impl fmt::Debug for Stoppable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stoppable").finish_non_exhaustive()
    }
}

/// How a backend differs from the full contract: the one documented place for it.
///
/// A case that a capability rules out is skipped with a loud `SKIPPED` line. A case that
/// fails where a capability would explain it says which one to declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// The server expires keys itself (Redis, memcached): `cleanup_*` return 0, the
    /// cleanup cases check only that nothing live is removed, and a case waits through a
    /// short window in real time to check the server keeps each nonce long enough.
    pub self_expiring: bool,
    /// Several processes can share one store's data (file, SQLite, servers). `false` for
    /// in-process stores: the cross-process case then checks that a second process really
    /// shares nothing.
    pub multi_process: bool,
    /// Two stores opened on one fixture share their data. `false` for stores that cannot
    /// (a plain in-memory store), which skips the two-instances case.
    pub shared_instances: bool,
}

impl Capabilities {
    /// The full contract: exact cleanup counts, shared between processes and instances.
    pub const fn new() -> Self {
        Self { self_expiring: false, multi_process: true, shared_instances: true }
    }

    /// Declares that the server expires keys itself and cleanup returns 0.
    #[must_use]
    pub const fn self_expiring(mut self) -> Self {
        self.self_expiring = true;
        self
    }

    /// Declares that the data lives in one process.
    #[must_use]
    pub const fn single_process(mut self) -> Self {
        self.multi_process = false;
        self
    }

    /// Declares that two instances opened on one fixture do not share data.
    #[must_use]
    pub const fn separate_instances(mut self) -> Self {
        self.shared_instances = false;
        self
    }
}

impl Default for Capabilities {
    fn default() -> Self {
        Self::new()
    }
}

/// The factory of a closure; made by [`stores`].
pub struct Stores<F> {
    open: F,
}

/// The factory of the stores `open` makes, with the full contract's [`Capabilities`].
///
/// A function with the closure's signature written out, so that a plain `|f| ...` needs no
/// type on its parameter; [`store_conformance_tests!`](crate::store_conformance_tests)
/// calls it for a bare closure.
pub fn stores<F, S>(open: F) -> Stores<F>
where
    F: Fn(&Fixture) -> Result<S, StoreError> + Send + Sync,
    S: OpenIdStore + 'static,
{
    Stores { open }
}

impl<F, S> StoreFactory for Stores<F>
where
    F: Fn(&Fixture) -> Result<S, StoreError> + Send + Sync,
    S: OpenIdStore + 'static,
{
    fn open(&self, fixture: &Fixture) -> Result<Box<dyn OpenIdStore>, StoreError> {
        Ok(Box::new((self.open)(fixture)?))
    }
}

impl<F> fmt::Debug for Stores<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stores").finish_non_exhaustive()
    }
}

/// A factory with declared [`Capabilities`]; made by [`with_capabilities`].
pub struct WithCapabilities<F> {
    capabilities: Capabilities,
    factory: F,
}

/// Declares the `capabilities` of the stores `factory` makes.
pub fn with_capabilities<F: StoreFactory>(
    capabilities: Capabilities,
    factory: F,
) -> WithCapabilities<F> {
    WithCapabilities { capabilities, factory }
}

impl<F: StoreFactory> StoreFactory for WithCapabilities<F> {
    fn open(&self, fixture: &Fixture) -> Result<Box<dyn OpenIdStore>, StoreError> {
        self.factory.open(fixture)
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    fn skip_reason(&self) -> Option<String> {
        self.factory.skip_reason()
    }

    fn open_stoppable(&self, fixture: &Fixture) -> Option<Result<Stoppable, StoreError>> {
        self.factory.open_stoppable(fixture)
    }
}

impl<F> fmt::Debug for WithCapabilities<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithCapabilities")
            .field("capabilities", &self.capabilities)
            .finish_non_exhaustive()
    }
}

/// The factory of [`MemoryStore`]: stores opened on the same fixture are clones, so they
/// share data; the data lives in this process only.
#[derive(Debug, Default)]
pub struct MemoryFactory {
    stores: Mutex<HashMap<String, MemoryStore>>,
}

impl MemoryFactory {
    /// A factory with no stores yet.
    pub fn new() -> Self {
        Self::default()
    }
}

impl StoreFactory for MemoryFactory {
    fn open(&self, fixture: &Fixture) -> Result<Box<dyn OpenIdStore>, StoreError> {
        let mut stores = self.stores.lock().unwrap_or_else(PoisonError::into_inner);
        let store = stores.entry(fixture.namespace().to_owned()).or_insert_with(|| {
            MemoryStore::new().with_clock(fixture.clock()).with_skew(fixture.skew())
        });
        Ok(Box::new(store.clone()))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new().single_process()
    }
}
