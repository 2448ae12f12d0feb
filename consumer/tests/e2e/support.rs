//! A relying party, a provider, and the browser between them.

use std::sync::Arc;

use openid_consumer::fetch::NetworkPolicy;
use openid_consumer::store::{Clock, MemoryStore, OpenIdStore};
use openid_consumer::{
    AuthRequest, Consumer, ConsumerBuilder, FailureReason, PendingAuth, Response, SuccessResponse,
};
use openid_store_sqlite::SqliteStore;
use openid_testkit::browser::{self, Callback, Method};
use openid_testkit::{LoggedRequest, Provider};

/// The relying party's realm and `return_to`. Nothing listens there: the browser stops at the
/// callback and the test hands it to `complete`.
pub(crate) const REALM: &str = "http://rp.example/";
pub(crate) const RETURN_TO: &str = "http://rp.example/return?session=s1";

/// Where the relying party keeps associations and nonces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Store {
    Memory,
    Sqlite,
    Stateless,
}

/// A relying party under test.
pub(crate) struct Rp {
    pub(crate) consumer: Consumer,
    pub(crate) store: Option<Arc<dyn OpenIdStore>>,
    /// The memory store, when that is the store, to count what it holds.
    pub(crate) memory: Option<MemoryStore>,
    pub(crate) _dir: Option<tempfile::TempDir>,
}

/// Loopback allowed: the providers run on 127.0.0.1.
pub(crate) fn policy() -> NetworkPolicy {
    NetworkPolicy::default().allow_loopback()
}

pub(crate) fn rp(store: Store) -> Rp {
    rp_with(store, |builder| builder)
}

pub(crate) fn rp_with(
    store: Store,
    configure: impl FnOnce(ConsumerBuilder) -> ConsumerBuilder,
) -> Rp {
    let builder = Consumer::builder().policy(policy());
    let (builder, store, memory, dir) = match store {
        Store::Memory => {
            let memory = MemoryStore::new();
            let shared: Arc<dyn OpenIdStore> = Arc::new(memory.clone());
            (builder.store(shared.clone()), Some(shared), Some(memory), None)
        }
        Store::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let sqlite: Arc<dyn OpenIdStore> =
                Arc::new(SqliteStore::open(dir.path().join("rp.sqlite")).unwrap());
            (builder.store(sqlite.clone()), Some(sqlite), None, Some(dir))
        }
        Store::Stateless => (builder.stateless(), None, None, None),
    };
    Rp { consumer: configure(builder).build().unwrap(), store, memory, _dir: dir }
}

/// A memory-store relying party whose store and consumer read `clock`.
pub(crate) fn rp_with_clock(clock: Arc<dyn Clock>) -> Rp {
    let memory = MemoryStore::new().with_clock(clock.clone());
    let shared: Arc<dyn OpenIdStore> = Arc::new(memory.clone());
    let consumer =
        Consumer::builder().policy(policy()).store(shared.clone()).clock(clock).build().unwrap();
    Rp { consumer, store: Some(shared), memory: Some(memory), _dir: None }
}

impl Rp {
    /// A relying party around a consumer made by the test.
    pub(crate) fn from_consumer(consumer: Consumer) -> Self {
        Self { store: consumer.store().cloned(), consumer, memory: None, _dir: None }
    }

    /// (associations, nonces) held by the memory store.
    pub(crate) fn held(&self) -> (usize, usize) {
        self.memory.as_ref().expect("a memory store").len()
    }
}

/// A login started at `identifier` and sent to the provider: the pending state and where
/// the browser comes back.
pub(crate) struct Started {
    pub(crate) request: AuthRequest,
    pub(crate) pending: PendingAuth,
    pub(crate) callback: Callback,
}

pub(crate) fn start(rp: &Rp, identifier: &str) -> Started {
    start_with(rp, identifier, false)
}

pub(crate) fn start_with(rp: &Rp, identifier: &str, immediate: bool) -> Started {
    let request =
        rp.consumer.begin(identifier).unwrap_or_else(|e| panic!("begin({identifier}): {e}"));
    send(request, immediate)
}

/// Sends a begun request to its provider.
pub(crate) fn send(mut request: AuthRequest, immediate: bool) -> Started {
    let url = request.redirect_url(REALM, RETURN_TO, immediate).unwrap();
    let callback = browser::follow(&url).unwrap_or_else(|e| panic!("following {url}: {e}"));
    let pending = request.pending();
    Started { request, pending, callback }
}

/// Hands the callback to `complete`, as a GET query or a POST form.
pub(crate) fn finish(rp: &Rp, pending: Option<&PendingAuth>, callback: &Callback) -> Response {
    match callback.method {
        Method::Get => rp.consumer.complete(pending, callback.query.as_str(), &callback.url),
        Method::Post => rp.consumer.complete(pending, callback.params.clone(), &callback.url),
    }
}

/// Start and finish.
pub(crate) fn login(rp: &Rp, identifier: &str) -> Response {
    let started = start(rp, identifier);
    finish(rp, Some(&started.pending), &started.callback)
}

#[track_caller]
pub(crate) fn success(response: Response) -> SuccessResponse {
    match response {
        Response::Success(success) => success,
        other => panic!("expected a success, got {other:?}"),
    }
}

#[track_caller]
pub(crate) fn failure(response: Response) -> FailureReason {
    match response {
        Response::Failure(failure) => failure.into_reason(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// The provider's requests with this `openid.mode`.
pub(crate) fn requests_with_mode(provider: &Provider, mode: &str) -> Vec<LoggedRequest> {
    provider.requests().into_iter().filter(|r| r.mode.as_deref() == Some(mode)).collect()
}

/// Replaces the value of `key` in a query string (a tampering browser or network).
pub(crate) fn replace_arg(query: &str, key: &str, value: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if k == key => format!("{k}={encoded}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The callback URL with `query` as its query.
pub(crate) fn with_query(callback: &Callback, query: &str) -> String {
    let base = callback.url.split_once('?').map_or(callback.url.as_str(), |(base, _)| base);
    format!("{base}?{query}")
}
