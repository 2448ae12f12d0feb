//! Stores by URL: `memory:` and every URL of `openid_stores::connect`; and, for
//! `openid store check`, the store at a URL opened once per conformance case with the
//! case's clock and namespace.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use openid_consumer::store::keys::redact_url;
use openid_consumer::store::{MemoryStore, OpenIdStore, StoreError};
use openid_store_conformance::{Capabilities, Fixture, MemoryFactory, StoreFactory};
use openid_store_file::FileStore;
use openid_store_redis::{RedisStore, RedisStoreBuilder};
use openid_store_sqlite::SqliteStore;
use openid_store_sqlite::rusqlite::Connection;
use openid_stores::Backend;

use crate::error::CliError;

/// The URL of a store in this process's memory (gone when the command ends).
pub(crate) const MEMORY_URL: &str = "memory:";

/// Opens the store at `url`.
pub(crate) fn open(url: &str) -> Result<Arc<dyn OpenIdStore>, CliError> {
    if url == MEMORY_URL {
        return Ok(Arc::new(MemoryStore::new()));
    }
    backend(url)?;
    openid_stores::connect(url).map_err(|source| CliError::OpenStore { url: shown(url), source })
}

/// `url` as it can be printed: without its password.
pub(crate) fn shown(url: &str) -> String {
    // `redact_url` wants `scheme://`; `sqlite:file.db` and `memory:` have no password.
    if url.contains("://") { redact_url(url) } else { url.to_owned() }
}

/// The backend of `url`, or the list of the URLs this tool takes.
fn backend(url: &str) -> Result<Backend, CliError> {
    Backend::of_url(url).map_err(|_| {
        CliError::Usage(format!(
            "unknown store URL {}: use memory:, sqlite:PATH, sqlite::memory:, file:///DIR, \
             postgres://, mysql://, redis://, redis+cluster:// or memcache://",
            shown(url)
        ))
    })
}

/// The conformance suite's [`StoreFactory`] for the store at a URL: each case gets its
/// own tables, directory or key prefix (from [`Fixture::namespace`]) in that store, and
/// reads time from [`Fixture::clock`], which the cases move instead of sleeping.
///
/// `openid_stores::connect` cannot do that (it opens with the system clock), so this opens
/// the backends whose URL can be given a clock and a namespace through their own types.
pub(crate) struct FixtureStores {
    target: Target,
    /// Stores living in this process, by namespace: opening twice with one fixture must
    /// reach the same data, and a second in-memory database would be empty.
    in_process: Mutex<HashMap<String, Arc<dyn OpenIdStore>>>,
    /// How many stores were opened: a case that opens none did not apply (it skipped).
    opened: AtomicUsize,
    /// What the cases left behind, removed by [`FixtureStores::clean_up`].
    leftovers: Mutex<Vec<Leftover>>,
}

/// Where the cases run.
enum Target {
    /// `memory:`: the suite's own factory of memory stores.
    Memory(MemoryFactory),
    /// `sqlite::memory:`: a private database per namespace.
    SqliteMemory(String),
    /// A SQLite file: tables prefixed by the namespace.
    Sqlite(String),
    /// A file store: a subdirectory per namespace.
    File(String),
    /// Redis: keys under the URL's prefix and the namespace.
    Redis {
        /// The URL.
        url: String,
        /// The prefix the URL gives (default `openid:`).
        prefix: String,
    },
}

/// Test data a case left in the store.
enum Leftover {
    /// The three tables of a namespace in a SQLite file.
    SqliteTables { path: String, namespace: String },
    /// A file store's directory.
    Directory(PathBuf),
}

impl FixtureStores {
    /// The factory for `url`; connects once to a server (Redis) to check the URL.
    ///
    /// # Errors
    /// A URL no backend takes, a backend the suite cannot be run against from a URL, or a
    /// server that cannot be reached.
    pub(crate) fn new(url: &str) -> Result<Self, CliError> {
        let target = if url == MEMORY_URL {
            Target::Memory(MemoryFactory::new())
        } else {
            match backend(url)? {
                Backend::Sqlite if is_sqlite_memory(url) => Target::SqliteMemory(url.to_owned()),
                Backend::Sqlite => Target::Sqlite(url.to_owned()),
                Backend::File => Target::File(url.to_owned()),
                Backend::Redis => {
                    let store = RedisStore::from_url(url)
                        .map_err(|source| CliError::OpenStore { url: shown(url), source })?;
                    Target::Redis { url: url.to_owned(), prefix: store.prefix().to_owned() }
                }
                other => return Err(unsupported(other)),
            }
        };
        Ok(Self {
            target,
            in_process: Mutex::default(),
            opened: AtomicUsize::new(0),
            leftovers: Mutex::default(),
        })
    }

    /// How many stores the cases opened so far.
    pub(crate) fn opened(&self) -> usize {
        self.opened.load(Ordering::SeqCst)
    }

    /// Removes the tables and directories the cases made; returns what could not be
    /// removed, and what removes itself, one line each.
    pub(crate) fn clean_up(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if let Target::Redis { prefix, .. } = &self.target {
            notes.push(format!(
                "the cases' keys under {prefix}oc_* expire on their own within 5 hours"
            ));
        }
        let leftovers =
            std::mem::take(&mut *self.leftovers.lock().unwrap_or_else(PoisonError::into_inner));
        for leftover in leftovers {
            if let Err(note) = leftover.remove() {
                notes.push(note);
            }
        }
        notes
    }

    /// The in-process store of `fixture`'s namespace, made by `make` the first time.
    fn in_process(
        &self,
        fixture: &Fixture,
        make: impl FnOnce() -> Result<Arc<dyn OpenIdStore>, StoreError>,
    ) -> Result<Box<dyn OpenIdStore>, StoreError> {
        let mut stores = self.in_process.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(store) = stores.get(fixture.namespace()) {
            return Ok(Box::new(Arc::clone(store)));
        }
        let store = make()?;
        stores.insert(fixture.namespace().to_owned(), Arc::clone(&store));
        Ok(Box::new(store))
    }

    fn left(&self, leftover: Leftover) {
        self.leftovers.lock().unwrap_or_else(PoisonError::into_inner).push(leftover);
    }
}

impl StoreFactory for FixtureStores {
    fn open(&self, fixture: &Fixture) -> Result<Box<dyn OpenIdStore>, StoreError> {
        self.opened.fetch_add(1, Ordering::SeqCst);
        let namespace = fixture.namespace();
        match &self.target {
            Target::Memory(memory) => memory.open(fixture),
            Target::SqliteMemory(url) => self.in_process(fixture, || {
                Ok(Arc::new(SqliteStore::from_url(url)?.with_clock(fixture.clock())))
            }),
            Target::Sqlite(url) => {
                let url = with_option(url, "table_prefix", &format!("{namespace}_"));
                let store = SqliteStore::from_url(&url)?.with_clock(fixture.clock());
                self.left(Leftover::SqliteTables {
                    path: store.location().to_owned(),
                    namespace: namespace.to_owned(),
                });
                Ok(Box::new(store))
            }
            Target::File(url) => {
                let separator = if url.ends_with('/') { "" } else { "/" };
                let store = FileStore::from_url(&format!("{url}{separator}{namespace}"))?
                    .with_clock(fixture.clock());
                self.left(Leftover::Directory(store.path().to_owned()));
                Ok(Box::new(store))
            }
            Target::Redis { url, prefix } => Ok(Box::new(
                RedisStoreBuilder::from_url(url)?
                    .prefix(&format!("{prefix}{namespace}:"))
                    .clock(fixture.clock())
                    .build()?,
            )),
        }
    }

    fn capabilities(&self) -> Capabilities {
        match &self.target {
            Target::Memory(memory) => memory.capabilities(),
            Target::SqliteMemory(_) => Capabilities::new().single_process(),
            Target::Redis { .. } => Capabilities::new().self_expiring(),
            Target::Sqlite(_) | Target::File(_) => Capabilities::new(),
        }
    }
}

impl Leftover {
    /// Removes it, or says what is left.
    fn remove(self) -> Result<(), String> {
        match self {
            Self::SqliteTables { path, namespace } => {
                // The names SqliteStoreBuilder::table_prefix documents; the namespace is
                // lower-case letters, digits and `_`, a plain SQL identifier.
                let drop = format!(
                    "DROP TABLE IF EXISTS {namespace}_associations;
                     DROP TABLE IF EXISTS {namespace}_nonces;
                     DROP TABLE IF EXISTS {namespace}_schema_version;"
                );
                Connection::open(&path)
                    .and_then(|connection| connection.execute_batch(&drop))
                    .map_err(|error| format!("tables {namespace}_* are left in {path}: {error}"))
            }
            Self::Directory(path) => std::fs::remove_dir_all(&path)
                .map_err(|error| format!("directory {} is left: {error}", path.display())),
        }
    }
}

/// Whether a `sqlite:` URL names an in-memory database.
fn is_sqlite_memory(url: &str) -> bool {
    let location = url.strip_prefix("sqlite:").unwrap_or(url);
    location.split('?').next() == Some(":memory:")
}

/// `url` with the query option `key=value` added (a later option overrides an earlier).
fn with_option(url: &str, key: &str, value: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{key}={value}")
}

/// Why the suite cannot run against a backend from its URL.
fn unsupported(backend: Backend) -> CliError {
    let (name, builder) = match backend {
        Backend::Postgres => ("PostgreSQL", "PostgresStoreBuilder"),
        Backend::Mysql => ("MySQL", "MysqlStoreBuilder"),
        _ => ("memcached", "MemcacheStoreBuilder"),
    };
    CliError::Unsupported(format!(
        "store check does not support {name} URLs yet: each case needs its own clock, which \
         the {name} store takes only from {builder}, and {builder} cannot be made from a URL \
         (the crate's own tests run the suite: cargo test -p openid-store-{})",
        backend.feature()
    ))
}
