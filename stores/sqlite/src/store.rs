//! [`SqliteStore`]: the [`OpenIdStore`] over one SQLite database.

use std::fmt;
use std::path::{Path, PathBuf};

use openid_consumer::store::{Association, Lookup, NonceRecord, OpenIdStore, StoreError, Timing};
use openid_store_kit::settings::Settings;
use openid_store_kit::sql::{TableNames, association_from_row};
use openid_store_kit::url::{StoreUrl, UrlOption};
use rusqlite::{Connection, OptionalExtension as _, Row, params};

use crate::error::SqliteError;
use crate::pool::{Opener, Pool};
use openid_store_kit::sql::Statements;

use crate::schema;

/// Connections a store over a file opens at most, by default: one, behind a lock (the
/// measurement is in the crate docs and `BENCHMARKS.md`).
const DEFAULT_POOL_SIZE: u32 = 1;
/// Nonces one cleanup statement deletes at most: a few milliseconds of write lock.
const CLEANUP_BATCH: u32 = 5_000;
/// The longest pause between two cleanup batches.
const MAX_CLEANUP_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);
/// The default prefix of the table names.
pub const DEFAULT_TABLE_PREFIX: &str = openid_store_kit::sql::DEFAULT_TABLE_PREFIX;

/// SQLite's `synchronous` setting: how hard a commit waits for the disk.
///
/// The store runs in WAL mode (for file databases). There, `Full` flushes the WAL at every
/// commit, so an acknowledged nonce or association survives a power loss; `Normal` flushes
/// only at checkpoints, so a power loss (not a process crash) can forget the last commits,
/// and a forgotten nonce could be replayed within its 5-hour window. The database is never
/// corrupted by either. `Off` does not flush at all (an OS crash or power loss can lose
/// recent commits); `Extra` adds flushes that matter in rollback-journal modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Synchronous {
    /// `synchronous=OFF`: no flushes; an OS crash can lose recent commits.
    Off,
    /// `synchronous=NORMAL`: durable at checkpoints; consistent always.
    Normal,
    /// `synchronous=FULL` (the default): every commit is durable when it returns.
    #[default]
    Full,
    /// `synchronous=EXTRA`: as `Full`, plus the flushes rollback-journal modes need.
    Extra,
}

impl Synchronous {
    /// The pragma value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "OFF",
            Self::Normal => "NORMAL",
            Self::Full => "FULL",
            Self::Extra => "EXTRA",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "off" | "0" => Some(Self::Off),
            "normal" | "1" => Some(Self::Normal),
            "full" | "2" => Some(Self::Full),
            "extra" | "3" => Some(Self::Extra),
            _ => None,
        }
    }
}

/// An [`OpenIdStore`] in a SQLite database (bundled SQLite, WAL mode, one connection behind
/// a lock or a small pool). See the [crate documentation](crate) for the schema and semantics.
pub struct SqliteStore {
    pool: Pool,
    sql: Statements,
    pub(crate) tables: TableNames,
    timing: Timing,
    location: String,
}

/// Options of a [`SqliteStore`]: table names, `synchronous`, the time limit, connections,
/// clock and nonce window; from [`SqliteStore::builder`], [`SqliteStore::builder_in_memory`],
/// [`SqliteStore::builder_on`] or [`SqliteStoreBuilder::from_url`].
///
/// ```
/// use openid_store_sqlite::{SqliteStore, Synchronous};
///
/// let store = SqliteStore::builder_in_memory()
///     .table_prefix("login_")
///     .synchronous(Synchronous::Normal)
///     .build()?;
/// # Ok::<(), openid_consumer::store::StoreError>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct SqliteStoreBuilder {
    location: Location,
    tables: TableNames,
    synchronous: Synchronous,
    settings: Settings,
}

/// Where the database is.
#[derive(Debug)]
enum Location {
    File(PathBuf),
    Memory,
    Connection(Connection),
}

/// The options of a `sqlite:` URL.
const OPTIONS: &[UrlOption<SqliteStoreBuilder>] = &[
    UrlOption::choice("synchronous", |builder, value| match Synchronous::parse(value) {
        Some(level) => Ok(builder.synchronous(level)),
        None => Err("use off, normal, full or extra"),
    }),
    UrlOption::text("table_prefix", SqliteStoreBuilder::table_prefix),
    UrlOption::millis("timeout_ms", SqliteStoreBuilder::timeout),
    UrlOption::seconds("nonce_retention_s", SqliteStoreBuilder::nonce_retention),
    UrlOption::count("pool_size", SqliteStoreBuilder::pool_size),
];

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` with the default options.
    ///
    /// # Errors
    /// [`StoreError::Config`] naming the path when the file cannot be opened or created,
    /// is not a database, or has a schema from a newer version.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::builder(path.as_ref()).build()
    }

    /// A private in-memory database (for tests): gone when the store is dropped, not
    /// shared with any other store.
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::builder_in_memory().build()
    }

    /// A store over an open connection, which it sets up as [`SqliteStore::open`] does
    /// (busy timeout, WAL, `synchronous`, schema).
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub fn new(conn: Connection) -> Result<Self, StoreError> {
        Self::builder_on(conn).build()
    }

    /// Opens the store a URL names: `sqlite:///absolute/path`, `sqlite:relative/path`, or
    /// `sqlite::memory:`, with the options `synchronous` (`off|normal|full|extra`),
    /// `table_prefix`, `timeout_ms`, `pool_size` and `nonce_retention_s` (seconds a nonce is
    /// kept past its window, default 300).
    ///
    /// ```
    /// use openid_store_sqlite::SqliteStore;
    ///
    /// let store = SqliteStore::from_url("sqlite::memory:?table_prefix=t1_&synchronous=normal")?;
    /// # Ok::<(), openid_consumer::store::StoreError>(())
    /// ```
    ///
    /// # Errors
    /// [`StoreError::Config`] for another scheme, an unknown option or value, and as
    /// [`SqliteStore::open`].
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        SqliteStoreBuilder::from_url(url)?.build()
    }

    /// Options for a store in the database file at `path` (created if needed), starting
    /// from the defaults: tables prefixed `openid_`, [`Synchronous::Full`], a 5-second
    /// busy timeout, one connection, the system clock.
    pub fn builder(path: impl Into<PathBuf>) -> SqliteStoreBuilder {
        SqliteStoreBuilder::new(Location::File(path.into()))
    }

    /// Options for a store in a private in-memory database.
    pub fn builder_in_memory() -> SqliteStoreBuilder {
        SqliteStoreBuilder::new(Location::Memory)
    }

    /// Options for a store over an open connection (its only connection).
    pub fn builder_on(conn: Connection) -> SqliteStoreBuilder {
        SqliteStoreBuilder::new(Location::Connection(conn))
    }

    /// The database's path, or `:memory:`.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Runs `f` with one of the store's connections.
    pub(crate) fn with_conn<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.pool.with(f)
    }

    /// Runs one prepared statement with a connection; a failure is a
    /// [`SqliteError::Query`] naming `action` and `table` (built only on failure).
    fn run<T>(
        &self,
        action: &'static str,
        table: &str,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        self.with_conn(|conn| {
            f(conn).map_err(|source| {
                SqliteError::Query {
                    action,
                    location: self.location.clone(),
                    table: table.to_owned(),
                    source,
                }
                .into()
            })
        })
    }

    /// Reads an association row, strictly.
    fn association(&self, row: &Row<'_>) -> rusqlite::Result<Result<Association, SqliteError>> {
        let handle: String = row.get(0)?;
        let secret: Vec<u8> = row.get(1)?;
        let issued: i64 = row.get(2)?;
        let lifetime: i64 = row.get(3)?;
        let assoc_type: String = row.get(4)?;
        let expires_at: i64 = row.get(5)?;
        let bad_row = |source| SqliteError::BadRow {
            location: self.location.clone(),
            table: self.tables.associations().to_owned(),
            handle: handle.clone(),
            source,
        };
        let association =
            match association_from_row(handle.clone(), secret, issued, lifetime, &assoc_type) {
                Ok(association) => association,
                Err(e) => return Ok(Err(bad_row(e))),
            };
        if association.expires_at() != expires_at {
            return Ok(Err(SqliteError::InconsistentRow {
                location: self.location.clone(),
                table: self.tables.associations().to_owned(),
                handle,
                found: expires_at,
                expected: association.expires_at(),
            }));
        }
        Ok(Ok(association))
    }
}

impl SqliteStoreBuilder {
    fn new(location: Location) -> Self {
        let mut settings = Settings::new();
        settings.pool_size = DEFAULT_POOL_SIZE;
        Self {
            location,
            tables: TableNames::default(),
            synchronous: Synchronous::default(),
            settings,
        }
    }

    /// Options from a URL, as [`SqliteStore::from_url`] takes it, to set more (a clock)
    /// before [`build`](Self::build).
    ///
    /// # Errors
    /// [`StoreError::Config`] naming what is wrong with the URL.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let parsed = StoreUrl::new("SQLite", url);
        let Some(location) = parsed.base().strip_prefix("sqlite:") else {
            return Err(parsed.error("the scheme must be sqlite:").into());
        };
        let builder = match location.strip_prefix("//") {
            _ if location == ":memory:" => SqliteStore::builder_in_memory(),
            Some(absolute) if absolute.starts_with('/') => SqliteStore::builder(absolute),
            Some(_) => {
                return Err(parsed.error("expected sqlite:///absolute/path (no host)").into());
            }
            None if !location.is_empty() => SqliteStore::builder(location),
            None => return Err(parsed.error("no path").into()),
        };
        Ok(parsed.apply(builder, OPTIONS)?)
    }

    openid_store_kit::builder_tables!(tables);

    openid_store_kit::builder_settings!(settings: clock, skew, retention, timeout, pool_size);

    /// Sets `PRAGMA synchronous` (default [`Synchronous::Full`]).
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// Opens the database (creating a file if needed), sets it up and makes the store.
    ///
    /// For SQLite the timeout is the busy timeout: how long a statement waits while another
    /// connection (another process, usually) holds the write lock. The pool size is how
    /// many connections a store over a file may open (default 1); each operation uses one.
    /// `1` is one connection behind a lock: for `use_nonce` from many threads it measured
    /// as fast as a pool of 4 with [`Synchronous::Normal`] and faster with
    /// [`Synchronous::Full`] (see the crate docs). A pool may help read-heavy loads. An
    /// in-memory database or a given connection always has exactly one.
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub fn build(mut self) -> Result<SqliteStore, StoreError> {
        self.settings.check("SQLite")?;
        self.tables.check("SQLite", schema::MAX_TABLE_NAME, Some("sqlite_"))?;
        let (conn, location, opener) = match std::mem::replace(&mut self.location, Location::Memory)
        {
            Location::File(path) => {
                let location = path.display().to_string();
                create_private(&path)
                    .map_err(|source| SqliteError::Create { location: location.clone(), source })?;
                let conn = Connection::open(&path).map_err(|source| SqliteError::Setup {
                    action: "open",
                    location: location.clone(),
                    source,
                })?;
                let opener = Opener {
                    path,
                    location: location.clone(),
                    busy_timeout: self.settings.timeout,
                    synchronous: self.synchronous,
                };
                (conn, location, Some(opener))
            }
            Location::Memory => {
                let location = ":memory:".to_owned();
                let conn = Connection::open_in_memory().map_err(|source| SqliteError::Setup {
                    action: "open",
                    location: location.clone(),
                    source,
                })?;
                (conn, location, None)
            }
            Location::Connection(conn) => {
                let location = match conn.path() {
                    Some(path) if !path.is_empty() => path.to_owned(),
                    _ => ":memory:".to_owned(),
                };
                (conn, location, None)
            }
        };
        self.finish(conn, location, opener)
    }

    fn finish(
        self,
        mut conn: Connection,
        location: String,
        opener: Option<Opener>,
    ) -> Result<SqliteStore, StoreError> {
        let setup = |action| {
            let location = location.clone();
            move |source| SqliteError::Setup { action, location, source }
        };
        conn.busy_timeout(self.settings.timeout).map_err(setup("set the busy timeout"))?;
        // WAL: readers never block the writer, and commits append instead of rewriting.
        // An in-memory database answers "memory" and stays so.
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(setup("switch to WAL mode"))?;
        conn.pragma_update(None, "synchronous", self.synchronous.as_str())
            .map_err(setup("set synchronous"))?;
        schema::ensure(&mut conn, &self.tables, &location)?;
        tracing::debug!(
            location,
            journal_mode = mode,
            synchronous = self.synchronous.as_str(),
            "opened SQLite store"
        );
        Ok(SqliteStore {
            pool: Pool::new(
                conn,
                opener,
                self.settings.pool_size,
                self.settings.timeout,
                location.clone(),
            ),
            sql: schema::statements(&self.tables),
            tables: self.tables,
            timing: self.settings.timing(),
            location,
        })
    }
}

/// Creates the database file readable by its owner only (it holds association secrets)
/// unless it exists. SQLite gives its `-wal` and `-shm` files the same permissions.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("location", &self.location)
            .field("tables", &self.tables)
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
}

impl OpenIdStore for SqliteStore {
    fn store_association(
        &self,
        server_url: &str,
        association: &Association,
    ) -> Result<(), StoreError> {
        self.run("store an association", self.tables.associations(), |conn| {
            conn.prepare_cached(&self.sql.store_association)?.execute(params![
                server_url,
                association.handle(),
                association.secret(),
                association.issued(),
                association.lifetime(),
                association.assoc_type().as_str(),
                association.expires_at(),
            ])
        })?;
        Ok(())
    }

    fn find_association(&self, lookup: &Lookup<'_>) -> Result<Option<Association>, StoreError> {
        let Lookup { server_url, handle, now, .. } = *lookup;
        let found = self.run("read an association", self.tables.associations(), |conn| {
            match handle {
                Some(handle) => conn
                    .prepare_cached(&self.sql.get_by_handle)?
                    .query_row(params![server_url, handle, now], |row| self.association(row)),
                None => conn
                    .prepare_cached(&self.sql.get_newest)?
                    .query_row(params![server_url, now], |row| self.association(row)),
            }
            .optional()
        })?;
        Ok(found.transpose()?)
    }

    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
        let removed = self.run("remove an association", self.tables.associations(), |conn| {
            conn.prepare_cached(&self.sql.remove_association)?.execute(params![server_url, handle])
        })?;
        Ok(removed > 0)
    }

    fn record_nonce(&self, nonce: &NonceRecord<'_>) -> Result<bool, StoreError> {
        // One statement: the primary key makes exactly one INSERT of a triple succeed,
        // across connections and processes.
        let inserted = self.run("record a nonce", self.tables.nonces(), |conn| {
            conn.prepare_cached(&self.sql.use_nonce)?.execute(params![
                nonce.timestamp,
                nonce.server_url,
                nonce.salt
            ])
        })?;
        Ok(inserted == 1)
    }

    fn timing(&self) -> &Timing {
        &self.timing
    }

    /// In batches of 5,000 rows (`CLEANUP_BATCH`), each its own transaction: one delete of a large
    /// backlog would hold the write lock for seconds, and other processes' `use_nonce`
    /// would fail once their busy timeout ran out. After each batch the store pauses as
    /// long as the batch took, so waiting writers get the lock.
    fn delete_nonces_before(&self, oldest: i64) -> Result<usize, StoreError> {
        let full = usize::try_from(CLEANUP_BATCH).unwrap_or(usize::MAX);
        let mut removed = 0;
        loop {
            let started = std::time::Instant::now();
            let batch = self.run("delete expired nonces", self.tables.nonces(), |conn| {
                conn.prepare_cached(&self.sql.cleanup_nonces)?
                    .execute(params![oldest, CLEANUP_BATCH])
            })?;
            removed += batch;
            if batch < full {
                return Ok(removed);
            }
            std::thread::sleep(started.elapsed().min(MAX_CLEANUP_PAUSE));
        }
    }

    fn delete_expired_associations(&self, now: i64) -> Result<usize, StoreError> {
        self.run("delete expired associations", self.tables.associations(), |conn| {
            conn.prepare_cached(&self.sql.cleanup_associations)?.execute([now])
        })
    }
}
