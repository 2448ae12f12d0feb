//! [`SqliteStore`]: the [`OpenIdStore`] over one SQLite database.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use openid_consumer::nonce::{SKEW, within_skew};
use openid_consumer::store::{Association, Clock, OpenIdStore, StoreError, SystemClock};
use rusqlite::{Connection, OptionalExtension as _, Row, params};

use crate::error::SqliteError;
use crate::pool::{Opener, Pool};
use crate::schema::{self, Statements, TableNames};

/// How long a statement waits for another connection's write lock by default.
const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections a store over a file opens at most, by default: one, behind a lock (the
/// measurement is in the crate docs and `BENCHMARKS.md`).
const DEFAULT_MAX_CONNECTIONS: usize = 1;
/// The default prefix of the table names.
pub const DEFAULT_TABLE_PREFIX: &str = "openid_";

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
    clock: Arc<dyn Clock>,
    location: String,
}

/// Options of a [`SqliteStore`]: table names, `synchronous`, busy timeout, connections and
/// clock.
///
/// ```
/// use openid_store_sqlite::{SqliteStore, Synchronous};
///
/// let store = SqliteStore::builder()
///     .table_prefix("login_")
///     .synchronous(Synchronous::Normal)
///     .open_in_memory()?;
/// # Ok::<(), openid_consumer::store::StoreError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SqliteStoreBuilder {
    tables: TableNames,
    synchronous: Synchronous,
    busy_timeout: Duration,
    max_connections: usize,
    clock: Arc<dyn Clock>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` with the default options.
    ///
    /// # Errors
    /// [`StoreError::Config`] naming the path when the file cannot be opened or created,
    /// is not a database, or has a schema from a newer version.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::builder().open(path)
    }

    /// A private in-memory database (for tests): gone when the store is dropped, not
    /// shared with any other store.
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::builder().open_in_memory()
    }

    /// A store over an open connection, which it sets up as [`SqliteStore::open`] does
    /// (busy timeout, WAL, `synchronous`, schema).
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub fn new(conn: Connection) -> Result<Self, StoreError> {
        Self::builder().connection(conn)
    }

    /// Opens the store a URL names: `sqlite:///absolute/path`, `sqlite:relative/path`, or
    /// `sqlite::memory:`, with optional query parameters `synchronous`
    /// (`off|normal|full|extra`), `table_prefix` and `busy_timeout_ms`.
    ///
    /// ```
    /// use openid_store_sqlite::SqliteStore;
    ///
    /// let store = SqliteStore::from_url("sqlite::memory:?table_prefix=t1_&synchronous=normal")?;
    /// # Ok::<(), openid_consumer::store::StoreError>(())
    /// ```
    ///
    /// # Errors
    /// [`StoreError::Config`] for another scheme, an unknown parameter or value, and as
    /// [`SqliteStore::open`].
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let bad =
            |reason: String| SqliteError::Option(format!("invalid SQLite URL {url:?}: {reason}"));
        let rest =
            url.strip_prefix("sqlite:").ok_or_else(|| bad("the scheme must be sqlite:".into()))?;
        let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut builder = Self::builder();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            builder = match key {
                "synchronous" => {
                    builder.synchronous(Synchronous::parse(value).ok_or_else(|| {
                        bad(format!("synchronous={value:?}: use off, normal, full or extra"))
                    })?)
                }
                "table_prefix" => builder.table_prefix(value),
                "busy_timeout_ms" => builder.busy_timeout(Duration::from_millis(
                    value
                        .parse()
                        .map_err(|_| bad(format!("busy_timeout_ms={value:?} is not a number")))?,
                )),
                other => return Err(bad(format!("unknown parameter {other:?}")).into()),
            };
        }
        if location == ":memory:" {
            return builder.open_in_memory();
        }
        let path = match location.strip_prefix("//") {
            Some(absolute) if absolute.starts_with('/') => absolute,
            Some(_) => return Err(bad("expected sqlite:///absolute/path (no host)".into()).into()),
            None if !location.is_empty() => location,
            None => return Err(bad("no path".into()).into()),
        };
        builder.open(path)
    }

    /// The options, starting from the defaults: tables prefixed `openid_`,
    /// [`Synchronous::Full`], a 5-second busy timeout, one connection, the [`SystemClock`].
    pub fn builder() -> SqliteStoreBuilder {
        SqliteStoreBuilder {
            tables: TableNames::with_prefix(DEFAULT_TABLE_PREFIX),
            synchronous: Synchronous::default(),
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            clock: Arc::new(SystemClock),
        }
    }

    /// The same store reading time from `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
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

    /// The error of a failed statement (built only on failure: no allocation on success).
    fn query_error<'a>(
        &'a self,
        action: &'static str,
        table: &'a str,
    ) -> impl FnOnce(rusqlite::Error) -> SqliteError + 'a {
        move |source| SqliteError::Query {
            action,
            location: self.location.clone(),
            table: table.to_owned(),
            source,
        }
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
            table: self.tables.associations.clone(),
            handle: handle.clone(),
            source,
        };
        let kind = match assoc_type.parse() {
            Ok(kind) => kind,
            Err(e) => {
                return Ok(Err(bad_row(openid_consumer::store::AssociationError::Malformed {
                    reason: format!("{e}"),
                })));
            }
        };
        let association = match Association::new(handle.clone(), secret, issued, lifetime, kind) {
            Ok(association) => association,
            Err(e) => return Ok(Err(bad_row(e))),
        };
        if association.expires_at() != expires_at {
            return Ok(Err(SqliteError::InconsistentRow {
                location: self.location.clone(),
                table: self.tables.associations.clone(),
                handle,
                found: expires_at,
                expected: association.expires_at(),
            }));
        }
        Ok(Ok(association))
    }
}

impl SqliteStoreBuilder {
    /// Names the tables `<prefix>associations`, `<prefix>nonces` and
    /// `<prefix>schema_version` (default prefix `openid_`). Several stores with different
    /// prefixes can share one database.
    #[must_use]
    pub fn table_prefix(mut self, prefix: &str) -> Self {
        self.tables = TableNames::with_prefix(prefix);
        self
    }

    /// Names the associations table.
    #[must_use]
    pub fn association_table(mut self, name: &str) -> Self {
        name.clone_into(&mut self.tables.associations);
        self
    }

    /// Names the nonces table.
    #[must_use]
    pub fn nonce_table(mut self, name: &str) -> Self {
        name.clone_into(&mut self.tables.nonces);
        self
    }

    /// Names the schema version table.
    #[must_use]
    pub fn schema_version_table(mut self, name: &str) -> Self {
        name.clone_into(&mut self.tables.schema_version);
        self
    }

    /// Sets `PRAGMA synchronous` (default [`Synchronous::Full`]).
    #[must_use]
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// How long a statement waits while another connection (another process, usually)
    /// holds the write lock before failing with [`StoreError::Unavailable`]; default 5 s.
    #[must_use]
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// How many connections a store over a file may open (default 1, at least 1); each
    /// operation uses one. `1`, the default, is one connection behind a lock: for
    /// `use_nonce` from many threads it measured as fast as a pool of 4 with
    /// [`Synchronous::Normal`] and faster with [`Synchronous::Full`] (see the crate docs).
    /// A pool may help read-heavy loads. An in-memory database or a connection given to
    /// [`SqliteStoreBuilder::connection`] always has exactly one.
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// The clock every time comes from (default [`SystemClock`]).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Opens (creating if needed) the database file at `path`.
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub fn open(self, path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref();
        let location = path.display().to_string();
        create_private(path)
            .map_err(|source| SqliteError::Create { location: location.clone(), source })?;
        let conn = Connection::open(path).map_err(|source| SqliteError::Setup {
            action: "open",
            location: location.clone(),
            source,
        })?;
        let opener = Opener {
            path: path.to_owned(),
            location: location.clone(),
            busy_timeout: self.busy_timeout,
            synchronous: self.synchronous,
        };
        self.finish(conn, location, Some(opener))
    }

    /// A private in-memory database.
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub fn open_in_memory(self) -> Result<SqliteStore, StoreError> {
        let location = ":memory:".to_owned();
        let conn = Connection::open_in_memory().map_err(|source| SqliteError::Setup {
            action: "open",
            location: location.clone(),
            source,
        })?;
        self.finish(conn, location, None)
    }

    /// A store over an open connection (its only connection).
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub fn connection(self, conn: Connection) -> Result<SqliteStore, StoreError> {
        let location = match conn.path() {
            Some(path) if !path.is_empty() => path.to_owned(),
            _ => ":memory:".to_owned(),
        };
        self.finish(conn, location, None)
    }

    fn finish(
        self,
        mut conn: Connection,
        location: String,
        opener: Option<Opener>,
    ) -> Result<SqliteStore, StoreError> {
        self.tables.validate()?;
        let setup = |action| {
            let location = location.clone();
            move |source| SqliteError::Setup { action, location, source }
        };
        conn.busy_timeout(self.busy_timeout).map_err(setup("set the busy timeout"))?;
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
            pool: Pool::new(conn, opener, self.max_connections),
            sql: Statements::new(&self.tables),
            tables: self.tables,
            clock: self.clock,
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
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl OpenIdStore for SqliteStore {
    fn store_association(
        &self,
        server_url: &str,
        association: &Association,
    ) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            conn.prepare_cached(&self.sql.store_association)
                .and_then(|mut s| {
                    s.execute(params![
                        server_url,
                        association.handle(),
                        association.secret(),
                        association.issued(),
                        association.lifetime(),
                        association.assoc_type().as_str(),
                        association.expires_at(),
                    ])
                })
                .map_err(self.query_error("store an association", &self.tables.associations))?;
            Ok(())
        })
    }

    fn get_association(
        &self,
        server_url: &str,
        handle: Option<&str>,
    ) -> Result<Option<Association>, StoreError> {
        let now = self.clock.now();
        let found = self.with_conn(|conn| {
            let row = match handle {
                Some(handle) => conn.prepare_cached(&self.sql.get_association).and_then(|mut s| {
                    s.query_row(params![server_url, handle, now], |row| self.association(row))
                        .optional()
                }),
                None => conn.prepare_cached(&self.sql.get_newest_association).and_then(|mut s| {
                    s.query_row(params![server_url, now], |row| self.association(row)).optional()
                }),
            };
            Ok(row.map_err(self.query_error("read an association", &self.tables.associations))?)
        })?;
        match found {
            None => Ok(None),
            Some(association) => {
                let association = association?;
                // The query compared expires_at; the row was checked consistent with it.
                Ok((!association.is_expired(now)).then_some(association))
            }
        }
    }

    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
        let removed = self.with_conn(|conn| {
            Ok(conn
                .prepare_cached(&self.sql.remove_association)
                .and_then(|mut s| s.execute(params![server_url, handle]))
                .map_err(self.query_error("remove an association", &self.tables.associations))?)
        })?;
        Ok(removed > 0)
    }

    fn use_nonce(&self, server_url: &str, timestamp: i64, salt: &str) -> Result<bool, StoreError> {
        if !within_skew(timestamp, self.clock.now(), SKEW) {
            return Ok(false);
        }
        // One statement: the primary key makes exactly one INSERT of a triple succeed,
        // across connections and processes.
        let inserted = self.with_conn(|conn| {
            Ok(conn
                .prepare_cached(&self.sql.use_nonce)
                .and_then(|mut s| s.execute(params![timestamp, server_url, salt]))
                .map_err(self.query_error("record a nonce", &self.tables.nonces))?)
        })?;
        Ok(inserted == 1)
    }

    fn cleanup_nonces(&self) -> Result<usize, StoreError> {
        let oldest_accepted = self.clock.now().saturating_sub(SKEW);
        self.with_conn(|conn| {
            Ok(conn
                .prepare_cached(&self.sql.cleanup_nonces)
                .and_then(|mut s| s.execute([oldest_accepted]))
                .map_err(self.query_error("delete expired nonces", &self.tables.nonces))?)
        })
    }

    fn cleanup_associations(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        self.with_conn(|conn| {
            Ok(conn
                .prepare_cached(&self.sql.cleanup_associations)
                .and_then(|mut s| s.execute([now]))
                .map_err(
                    self.query_error("delete expired associations", &self.tables.associations),
                )?)
        })
    }
}
