//! Stores by URL: `memory:` and every URL of `openid_stores::connect`; and, for
//! `openid store check`, the store at a URL opened once per conformance case with the
//! case's clock, window and namespace.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use openid_consumer::store::{MemoryStore, OpenIdStore, StoreError};
use openid_store_conformance::{Capabilities, Fixture, MemoryFactory, StoreFactory};
use openid_store_file::FileStoreBuilder;
use openid_store_kit::keys::redact_url;
use openid_store_memcache::{MemcacheStore, MemcacheStoreBuilder};
use openid_store_mysql::MysqlStoreBuilder;
use openid_store_mysql::mysql::{self, prelude::Queryable as _};
use openid_store_postgres::PostgresStoreBuilder;
use openid_store_postgres::postgres;
use openid_store_redis::{RedisStore, RedisStoreBuilder};
use openid_store_sqlite::SqliteStoreBuilder;
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
    redact_url(url)
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
/// own tables, schema, directory or key prefix (from [`Fixture::namespace`]) in that
/// store, reads time from [`Fixture::clock`] (which the cases move instead of sleeping)
/// and takes the case's nonce window and time limit. Every backend's builder can be made
/// from its URL and then given those, which `openid_stores::connect` alone could not.
pub(crate) struct FixtureStores {
    target: Target,
    /// Stores living in this process, by namespace: opening twice with one fixture must
    /// reach the same data, and a second in-memory database would be empty.
    in_process: Mutex<HashMap<String, Arc<dyn OpenIdStore>>>,
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
    /// PostgreSQL: a schema per namespace, migrated by the case.
    Postgres(String),
    /// MySQL or MariaDB: tables prefixed by the namespace, migrated by the case.
    Mysql(String),
    /// Redis: keys under the URL's prefix and the namespace.
    Redis {
        /// The URL.
        url: String,
        /// The prefix the URL gives (default `openid:`).
        prefix: String,
    },
    /// memcached: keys under the URL's prefix and the namespace.
    Memcache {
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
    /// A PostgreSQL schema and its tables.
    PostgresSchema { config: Box<postgres::Config>, schema: String },
    /// The three tables of a namespace in a MySQL database.
    MysqlTables { opts: Box<mysql::Opts>, namespace: String },
}

impl FixtureStores {
    /// The factory for `url`; connects once to a key-value server (Redis, memcached) to
    /// check the URL and learn its key prefix.
    ///
    /// # Errors
    /// A URL no backend takes, or a server that cannot be reached.
    pub(crate) fn new(url: &str) -> Result<Self, CliError> {
        let cannot_open = |source| CliError::OpenStore { url: shown(url), source };
        let url = url.to_owned();
        let target = if url == MEMORY_URL {
            Target::Memory(MemoryFactory::new())
        } else {
            match backend(&url)? {
                Backend::Sqlite if is_sqlite_memory(&url) => Target::SqliteMemory(url),
                Backend::Sqlite => Target::Sqlite(url),
                Backend::File => Target::File(url),
                Backend::Postgres => Target::Postgres(url),
                Backend::Mysql => Target::Mysql(url),
                Backend::Redis => {
                    let prefix =
                        RedisStore::from_url(&url).map_err(cannot_open)?.prefix().to_owned();
                    Target::Redis { url, prefix }
                }
                Backend::Memcache => {
                    let prefix =
                        MemcacheStore::from_url(&url).map_err(cannot_open)?.prefix().to_owned();
                    Target::Memcache { url, prefix }
                }
                other => {
                    return Err(CliError::Unsupported(format!(
                        "store check does not know the {} backend of openid-stores yet",
                        other.feature()
                    )));
                }
            }
        };
        Ok(Self { target, in_process: Mutex::default(), leftovers: Mutex::default() })
    }

    /// Removes the tables, schemas and directories the cases made; returns what could not
    /// be removed, and what removes itself, one line each.
    pub(crate) fn clean_up(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if let Target::Redis { prefix, .. } | Target::Memcache { prefix, .. } = &self.target {
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
    fn open(&self, f: &Fixture) -> Result<Box<dyn OpenIdStore>, StoreError> {
        let namespace = f.namespace();
        let prefixed = |prefix: &str| format!("{prefix}{namespace}:");
        let tables = format!("{namespace}_");
        Ok(match &self.target {
            Target::Memory(memory) => return memory.open(f),
            Target::SqliteMemory(url) => {
                return self.in_process(f, || {
                    let builder = SqliteStoreBuilder::from_url(url)?;
                    Ok(Arc::new(builder.clock(f.clock()).skew(f.skew()).build()?))
                });
            }
            Target::Sqlite(url) => {
                let builder = SqliteStoreBuilder::from_url(url)?.table_prefix(&tables);
                let store = builder.clock(f.clock()).skew(f.skew()).build()?;
                let path = store.location().to_owned();
                self.left(Leftover::SqliteTables { path, namespace: namespace.to_owned() });
                Box::new(store)
            }
            Target::File(url) => {
                let (base, query) = url.split_once('?').map_or((url.as_str(), ""), |(b, q)| (b, q));
                let separator = if base.ends_with('/') { "" } else { "/" };
                let query = if query.is_empty() { String::new() } else { format!("?{query}") };
                let builder =
                    FileStoreBuilder::from_url(&format!("{base}{separator}{namespace}{query}"))?;
                let store = builder.clock(f.clock()).skew(f.skew()).build()?;
                self.left(Leftover::Directory(store.path().to_owned()));
                Box::new(store)
            }
            Target::Postgres(url) => {
                let builder = PostgresStoreBuilder::from_url(url)?.schema(namespace).migrate(true);
                let config = Box::new(builder.config().clone());
                self.left(Leftover::PostgresSchema { config, schema: namespace.to_owned() });
                Box::new(builder.clock(f.clock()).skew(f.skew()).timeout(f.timeout()).build()?)
            }
            Target::Mysql(url) => {
                let builder = MysqlStoreBuilder::from_url(url)?.table_prefix(&tables).migrate(true);
                let opts = Box::new(builder.opts().clone());
                self.left(Leftover::MysqlTables { opts, namespace: namespace.to_owned() });
                Box::new(builder.clock(f.clock()).skew(f.skew()).timeout(f.timeout()).build()?)
            }
            Target::Redis { url, prefix } => Box::new(
                RedisStoreBuilder::from_url(url)?
                    .prefix(&prefixed(prefix))
                    .clock(f.clock())
                    .skew(f.skew())
                    .timeout(f.timeout())
                    .build()?,
            ),
            Target::Memcache { url, prefix } => Box::new(
                MemcacheStoreBuilder::from_url(url)?
                    .prefix(&prefixed(prefix))
                    .clock(f.clock())
                    .skew(f.skew())
                    .timeout(f.timeout())
                    .build()?,
            ),
        })
    }

    fn capabilities(&self) -> Capabilities {
        match &self.target {
            Target::Memory(memory) => memory.capabilities(),
            Target::SqliteMemory(_) => Capabilities::new().single_process(),
            Target::Redis { .. } | Target::Memcache { .. } => Capabilities::new().self_expiring(),
            Target::Sqlite(_) | Target::File(_) | Target::Postgres(_) | Target::Mysql(_) => {
                Capabilities::new()
            }
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
                let drop = ["associations", "nonces", "associations_schema_version"]
                    .map(|table| format!("DROP TABLE IF EXISTS {namespace}_{table};"))
                    .concat();
                Connection::open(&path)
                    .and_then(|connection| connection.execute_batch(&drop))
                    .map_err(|error| format!("tables {namespace}_* are left in {path}: {error}"))
            }
            Self::Directory(path) => std::fs::remove_dir_all(&path)
                .map_err(|error| format!("directory {} is left: {error}", path.display())),
            Self::PostgresSchema { config, schema } => config
                .connect(postgres::NoTls)
                .and_then(|mut client| {
                    client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                })
                .map_err(|error| format!("schema {schema} is left: {error}")),
            Self::MysqlTables { opts, namespace } => mysql::Conn::new(*opts)
                .and_then(|mut connection| {
                    connection.query_drop(format!(
                        "DROP TABLE IF EXISTS {namespace}_associations, {namespace}_nonces, \
                         {namespace}_associations_schema_version"
                    ))
                })
                .map_err(|error| format!("tables {namespace}_* are left: {error}")),
        }
    }
}

/// Whether a `sqlite:` URL names an in-memory database.
fn is_sqlite_memory(url: &str) -> bool {
    let location = url.strip_prefix("sqlite:").unwrap_or(url);
    location.split('?').next() == Some(":memory:")
}
