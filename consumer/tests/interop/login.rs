//! Our relying party against python3-openid's provider: a login named by its mode and
//! store, whose every failed check shows the provider's log.

use std::fmt::{Debug, Display};
use std::path::Path;
use std::sync::Arc;

use openid_consumer::store::{MemoryStore, OpenIdStore};
use openid_consumer::{AuthRequest, Consumer, PendingAuth, Response, SuccessResponse};
use openid_store_sqlite::SqliteStore;
use openid_testkit::browser::{self, Callback, Method};

use super::python_provider::{PythonProvider, policy};

/// The relying party's realm and `return_to`. Nothing listens there: the browser stops at
/// the callback and the test hands it to `complete`.
pub(crate) const REALM: &str = "http://rp.example/";
pub(crate) const RETURN_TO: &str = "http://rp.example/return?session=s1";

/// Where our relying party keeps associations and nonces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Store {
    Memory,
    Sqlite,
    /// No store: every assertion is verified with `check_authentication`.
    Stateless,
}

/// Every store, and stateless.
pub(crate) const ALL: [Store; 3] = [Store::Memory, Store::Sqlite, Store::Stateless];
/// The stores (where there is an association to make or a nonce to remember).
pub(crate) const STORES: [Store; 2] = [Store::Memory, Store::Sqlite];

/// For each of `stores`: a python3-openid provider started with `args`, a relying party
/// with that store, and `test` on them. The provider is stopped after each.
pub(crate) fn each_store(
    python: &Path,
    mode: &'static str,
    args: &[&str],
    stores: &[Store],
    mut test: impl FnMut(&Login<'_>),
) {
    for &store in stores {
        let context =
            format!("our consumer against python3-openid's provider, mode {mode}, store {store:?}");
        let provider = PythonProvider::start(python, args, &context);
        let login = Login::new(mode, store, &provider);
        test(&login);
    }
}

/// One relying party logging in at one provider, in one mode.
pub(crate) struct Login<'p> {
    pub(crate) mode: &'static str,
    pub(crate) store: Store,
    pub(crate) provider: &'p PythonProvider,
    pub(crate) consumer: Consumer,
    _dir: Option<tempfile::TempDir>,
}

/// A login sent to the provider: the request, the state kept, where the browser came back.
pub(crate) struct Started {
    pub(crate) request: AuthRequest,
    pub(crate) pending: PendingAuth,
    pub(crate) callback: Callback,
}

impl<'p> Login<'p> {
    pub(crate) fn new(mode: &'static str, store: Store, provider: &'p PythonProvider) -> Self {
        let builder = Consumer::builder().policy(policy());
        let (builder, dir) = match store {
            Store::Memory => (builder.store(Arc::new(MemoryStore::new())), None),
            Store::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let sqlite = SqliteStore::open(dir.path().join("rp.sqlite")).expect("SQLite");
                (builder.store(Arc::new(sqlite)), Some(dir))
            }
            Store::Stateless => (builder.stateless(), None),
        };
        let consumer = builder.build().expect("a valid consumer configuration");
        Self { mode, store, provider, consumer, _dir: dir }
    }

    /// The store, unless stateless.
    pub(crate) fn store(&self) -> Option<&Arc<dyn OpenIdStore>> {
        self.consumer.store()
    }

    /// Fails the test, naming the mode and the store, with the provider's log.
    #[track_caller]
    pub(crate) fn fail(&self, what: impl Display) -> ! {
        self.provider.fail(&format!(
            "our consumer against python3-openid's provider, mode {}, store {:?}: {what}",
            self.mode, self.store
        ))
    }

    /// Fails the test with `what` unless `ok`.
    #[track_caller]
    pub(crate) fn ensure(&self, ok: bool, what: impl Display) {
        if !ok {
            self.fail(what);
        }
    }

    /// Fails the test unless `got == expected`.
    #[track_caller]
    pub(crate) fn ensure_eq<T, U>(&self, what: &str, got: &T, expected: &U)
    where
        T: PartialEq<U> + Debug + ?Sized,
        U: Debug + ?Sized,
    {
        if got != expected {
            self.fail(format!("{what}: expected {expected:?}, got {got:?}"));
        }
    }

    /// `begin` on `identifier` and the browser's trip to the provider.
    #[track_caller]
    pub(crate) fn start(&self, identifier: &str, immediate: bool) -> Started {
        self.start_with(identifier, RETURN_TO, immediate)
    }

    /// As [`start`](Self::start), with this `return_to`.
    #[track_caller]
    pub(crate) fn start_with(&self, identifier: &str, return_to: &str, immediate: bool) -> Started {
        let mut request = self
            .consumer
            .begin(identifier)
            .unwrap_or_else(|e| self.fail(format!("begin({identifier}): {e}")));
        let url = request
            .redirect_url(REALM, return_to, immediate)
            .unwrap_or_else(|e| self.fail(format!("redirect_url: {e}")));
        let callback =
            browser::follow(&url).unwrap_or_else(|e| self.fail(format!("following {url}: {e}")));
        let pending = request.pending();
        Started { request, pending, callback }
    }

    /// `complete` on the callback of a started login (a GET query or a POST form).
    pub(crate) fn finish(&self, started: &Started) -> Response {
        self.complete(&started.pending, &started.callback)
    }

    /// `complete` on `callback` with `pending`.
    pub(crate) fn complete(&self, pending: &PendingAuth, callback: &Callback) -> Response {
        match callback.method {
            Method::Get => {
                self.consumer.complete(Some(pending), callback.query.as_str(), &callback.url)
            }
            Method::Post => {
                self.consumer.complete(Some(pending), callback.params.clone(), &callback.url)
            }
        }
    }

    /// A whole login that must succeed.
    #[track_caller]
    pub(crate) fn login(&self, identifier: &str) -> SuccessResponse {
        let started = self.start(identifier, false);
        self.success(self.finish(&started))
    }

    /// The success, or the test fails.
    #[track_caller]
    pub(crate) fn success(&self, response: Response) -> SuccessResponse {
        match response {
            Response::Success(success) => success,
            other => self.fail(format!("expected a success, got {other:?}")),
        }
    }
}
