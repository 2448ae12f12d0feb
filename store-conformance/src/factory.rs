//! [`StoreFactory`]: how the suite gets a store; [`Capabilities`]: where backends differ.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use openid_consumer::store::{MemoryStore, OpenIdStore, StoreError};

use crate::Fixture;

/// Makes the stores a case runs against.
///
/// [`StoreFactory::open`] is called with the case's [`Fixture`]: the store must read time
/// from [`Fixture::clock`] and keep its data apart from other fixtures' (a directory under
/// [`Fixture::dir`], tables or keys prefixed by [`Fixture::namespace`]). Called twice with
/// the same fixture, it must return two instances over the same data: that is how the suite
/// tests sharing, including from a second process.
///
/// Closures `Fn(&Fixture) -> Result<S, StoreError>` are factories with default
/// [`Capabilities`]; wrap one in [`with_capabilities`] to declare others.
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
    /// absent, say `OPENID_TEST_SKIP` names it): every case then passes after a loud
    /// `SKIPPED` line, which the summary counts as skipped. Default: never.
    fn skip_reason(&self) -> Option<String> {
        None
    }
}

impl<F, S> StoreFactory for F
where
    F: Fn(&Fixture) -> Result<S, StoreError> + Send + Sync,
    S: OpenIdStore + 'static,
{
    fn open(&self, fixture: &Fixture) -> Result<Box<dyn OpenIdStore>, StoreError> {
        Ok(Box::new(self(fixture)?))
    }
}

/// How a backend differs from the full contract: the one documented place for it.
///
/// A case that a capability rules out passes after printing a loud `SKIPPED` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// The server expires keys itself (Redis, memcached): `cleanup_*` return 0 and the
    /// cleanup cases check only that nothing live is removed.
    pub self_expiring: bool,
    /// Several processes can share one store's data (file, SQLite, servers); `false` for
    /// in-process stores, which skips the cross-process case.
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

/// A factory (a closure, usually) with declared [`Capabilities`]; made by
/// [`with_capabilities`].
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
}

impl<F> fmt::Debug for WithCapabilities<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithCapabilities")
            .field("capabilities", &self.capabilities)
            .finish_non_exhaustive()
    }
}

/// A factory whose whole suite is skipped when `reason` is given; made by [`skip_when`].
pub struct SkipWhen<F> {
    reason: Option<String>,
    factory: F,
}

/// Skips every case of `factory` with a loud line when `reason` is `Some` (a backend whose
/// server this run leaves out), and runs them all otherwise.
pub fn skip_when<F: StoreFactory>(reason: Option<String>, factory: F) -> SkipWhen<F> {
    SkipWhen { reason, factory }
}

impl<F: StoreFactory> StoreFactory for SkipWhen<F> {
    fn open(&self, fixture: &Fixture) -> Result<Box<dyn OpenIdStore>, StoreError> {
        self.factory.open(fixture)
    }

    fn capabilities(&self) -> Capabilities {
        self.factory.capabilities()
    }

    fn skip_reason(&self) -> Option<String> {
        self.reason.clone().or_else(|| self.factory.skip_reason())
    }
}

impl<F> fmt::Debug for SkipWhen<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SkipWhen").field("reason", &self.reason).finish_non_exhaustive()
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
        let store = stores
            .entry(fixture.namespace().to_owned())
            .or_insert_with(|| MemoryStore::new().with_clock(fixture.clock()));
        Ok(Box::new(store.clone()))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new().single_process()
    }
}
