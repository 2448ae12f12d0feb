//! [`MysqlStore`]: the [`OpenIdStore`] operations as SQL.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder};
use openid_consumer::crypto::AssociationType;
use openid_consumer::nonce::{SKEW, within_skew};
use openid_consumer::store::keys::{hex, nonce_digest, redact_url, server_digest};
use openid_consumer::store::url_options::{UrlOptions, parse_flag, parse_millis, parse_value};
use openid_consumer::store::{Association, Clock, OpenIdStore, StoreError, SystemClock};

use crate::error::{into_store, is_connection_gone, is_duplicate_key};
use crate::pool::Manager;
use crate::schema::{self, NONCE_SHARDS, Names, SCHEMA_VERSION, Statements};

/// Default time limit for connecting, for each read and write, and for waiting for a
/// pooled connection.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default number of pooled connections.
const DEFAULT_POOL_SIZE: u32 = 16;
/// The URL options of this store; the others go to the driver.
const OWN_OPTIONS: [&str; 5] =
    ["associations_table", "nonces_table", "pool_size", "timeout_ms", "migrate"];

/// Associations and nonces in MySQL or MariaDB tables, shared by every process that
/// connects.
pub struct MysqlStore {
    pool: r2d2::Pool<Manager>,
    generation: Arc<AtomicU64>,
    timeout: Duration,
    names: Names,
    sql: Statements,
    clock: Arc<dyn Clock>,
    /// `mysql://user@host:port/db`, never the password.
    target: String,
}

/// Options for a [`MysqlStore`]; from [`MysqlStore::builder`].
#[derive(Clone)]
#[must_use]
pub struct MysqlStoreBuilder {
    opts: Opts,
    associations_table: String,
    nonces_table: String,
    pool_size: u32,
    timeout: Duration,
    migrate: bool,
    clock: Arc<dyn Clock>,
}

impl MysqlStore {
    /// Options for a store on the server `opts` describes (the database must be named).
    pub fn builder(opts: Opts) -> MysqlStoreBuilder {
        MysqlStoreBuilder {
            opts,
            associations_table: "openid_associations".into(),
            nonces_table: "openid_nonces".into(),
            pool_size: DEFAULT_POOL_SIZE,
            timeout: DEFAULT_TIMEOUT,
            migrate: false,
            clock: Arc::new(SystemClock),
        }
    }

    /// A store from a URL: `mysql://user:password@host:port/database?options`.
    ///
    /// Options of this store: `associations_table`, `nonces_table`, `pool_size`,
    /// `timeout_ms` (connect, each read and write, pool wait) and `migrate=true` (create or
    /// upgrade the tables now). Other options go to the `mysql` driver; an option neither
    /// knows is an error.
    ///
    /// # Errors
    /// [`StoreError::Config`] for a bad URL or option (the password is never shown);
    /// [`StoreError::Unavailable`] if the server cannot be reached.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        const STORE: &str = "MySQL";
        let options = UrlOptions::split(url, &OWN_OPTIONS);
        let opts = Opts::from_url(&options.driver_url()).map_err(|e| {
            StoreError::config(format!("invalid MySQL URL {}: {e}", redact_url(url)), None)
        })?;
        let mut builder = Self::builder(opts);
        for (key, value) in options.own {
            builder = match key {
                "associations_table" => builder.associations_table(value),
                "nonces_table" => builder.nonces_table(value),
                "pool_size" => builder.pool_size(parse_value(STORE, key, value)?),
                "timeout_ms" => builder.timeout(parse_millis(STORE, key, value)?),
                _ => builder.migrate(parse_flag(STORE, key, value)?),
            };
        }
        builder.build()
    }

    /// Creates the tables, or upgrades them to this version. Idempotent, and safe to run
    /// from several processes at once (a named lock serialises them).
    ///
    /// # Errors
    /// [`StoreError::Config`] if the database has a newer schema than this code knows;
    /// [`StoreError::Unavailable`].
    pub fn migrate(&self) -> Result<(), StoreError> {
        let context = "migrating the schema";
        let mut pooled = self.connection(context)?;
        let connection = &mut pooled.conn;
        let fail = |e| into_store(e, format!("{context} on {}", self.target));
        // MySQL limits lock names to 64 characters: a digest of the table name fits.
        let lock =
            format!("openid-migrate-{}", &hex(&server_digest(&self.names.associations))[..16]);
        let locked: Option<Option<i64>> = connection
            .exec_first("SELECT GET_LOCK(?, ?)", (&lock, self.timeout.as_secs().max(1)))
            .map_err(fail)?;
        // NULL (an error in GET_LOCK) and 0 (timeout) both mean "not locked".
        if locked.flatten() != Some(1) {
            return Err(StoreError::unavailable(
                format!("{context} on {}", self.target),
                "another process holds the migration lock",
            ));
        }
        let result = self.migrate_locked(connection);
        let released: Result<Option<Option<i64>>, _> =
            connection.exec_first("SELECT RELEASE_LOCK(?)", (&lock,));
        result?;
        released.map_err(fail)?;
        Ok(())
    }

    fn migrate_locked(&self, connection: &mut Conn) -> Result<(), StoreError> {
        let fail = |e| into_store(e, format!("migrating the schema on {}", self.target));
        connection.query_drop(schema::bootstrap(&self.names)).map_err(fail)?;
        let current: Option<Option<u32>> = connection
            .query_first(format!("SELECT max(version) FROM {}", self.names.versions))
            .map_err(fail)?;
        let current = current.flatten().unwrap_or(0);
        if current > SCHEMA_VERSION {
            return Err(StoreError::config(
                format!(
                    "{}: tables {} have schema version {current}, newer than this \
                     openid-store-mysql ({SCHEMA_VERSION}); upgrade the library",
                    self.target, self.names.associations
                ),
                None,
            ));
        }
        let now = self.clock.now();
        for (version, statements) in (1..).zip(schema::migrations(&self.names)) {
            if version > current {
                for statement in statements {
                    connection.query_drop(statement).map_err(fail)?;
                }
                connection
                    .exec_drop(
                        format!(
                            "INSERT INTO {} (version, applied_at) VALUES (?, ?)",
                            self.names.versions
                        ),
                        (version, now),
                    )
                    .map_err(fail)?;
            }
        }
        Ok(())
    }

    /// The schema version in the database (`None` before the first migration).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub fn schema_version(&self) -> Result<Option<u32>, StoreError> {
        let context = "reading the schema version";
        let mut pooled = self.connection(context)?;
        let connection = &mut pooled.conn;
        let table = self.names.versions.trim_matches('`');
        let fail = |e| into_store(e, format!("{context} on {}", self.target));
        let exists: Option<i64> = connection
            .exec_first(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
                (table,),
            )
            .map_err(fail)?;
        if exists.unwrap_or(0) == 0 {
            return Ok(None);
        }
        let version: Option<Option<u32>> = connection
            .query_first(format!("SELECT max(version) FROM {}", self.names.versions))
            .map_err(fail)?;
        Ok(version.flatten())
    }

    fn connection(&self, context: &str) -> Result<r2d2::PooledConnection<Manager>, StoreError> {
        self.pool.get().map_err(|error| {
            // r2d2 keeps only the last connection error's message; it has no password.
            StoreError::unavailable(format!("{context} on {}", self.target), error)
        })
    }

    /// Runs `operation` on a pooled connection. A connection that turns out to be gone
    /// (the server restarted: nothing was executed on it) is dropped, the other pooled
    /// connections are marked stale, and the operation runs once more on a new
    /// connection. Any other failure below SQL also retires the connection.
    fn run<T>(
        &self,
        context: impl Fn() -> String,
        operation: impl Fn(&mut Conn, &Statements) -> Result<T, mysql::Error>,
    ) -> Result<T, StoreError> {
        let mut retried = false;
        loop {
            let mut connection = self.connection(&context())?;
            let error = match operation(&mut connection.conn, &self.sql) {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let gone = is_connection_gone(&error);
            if gone || !matches!(error, mysql::Error::MySqlError(_)) {
                connection.mark_broken();
                self.generation.fetch_add(1, Ordering::AcqRel);
            }
            if gone && !retried {
                retried = true;
                continue;
            }
            return Err(into_store(error, format!("{} on {}", context(), self.target)));
        }
    }

    fn association_from_row(
        &self,
        row: &mysql::Row,
        now: i64,
    ) -> Result<Option<Association>, StoreError> {
        let corrupt = |detail: String| {
            StoreError::corrupt(
                format!(
                    "association row in {} on {}: {detail}",
                    self.names.associations, self.target
                ),
                None,
            )
        };
        let handle: Vec<u8> = column(row, 0).map_err(corrupt)?;
        let secret: Vec<u8> = column(row, 1).map_err(corrupt)?;
        let issued: i64 = column(row, 2).map_err(corrupt)?;
        let lifetime: i64 = column(row, 3).map_err(corrupt)?;
        let kind: String = column(row, 4).map_err(corrupt)?;
        let handle =
            String::from_utf8(handle).map_err(|_| corrupt("handle is not UTF-8".into()))?;
        let kind: AssociationType = kind.parse().map_err(|e| corrupt(format!("{e}")))?;
        let association = Association::new(handle, secret, issued, lifetime, kind)
            .map_err(|e| corrupt(e.to_string()))?;
        // The query filtered on the stored expiry; the association's own times decide.
        Ok((!association.is_expired(now)).then_some(association))
    }
}

impl MysqlStoreBuilder {
    /// The associations table (default `openid_associations`).
    pub fn associations_table(mut self, name: &str) -> Self {
        name.clone_into(&mut self.associations_table);
        self
    }

    /// The nonces table (default `openid_nonces`).
    pub fn nonces_table(mut self, name: &str) -> Self {
        name.clone_into(&mut self.nonces_table);
        self
    }

    /// The most connections kept open (default 16).
    pub fn pool_size(mut self, size: u32) -> Self {
        self.pool_size = size;
        self
    }

    /// How long connecting, each read and write, or waiting for a free connection may take
    /// before the operation fails with [`StoreError::Unavailable`] (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether [`build`](Self::build) runs [`MysqlStore::migrate`] (default no).
    pub fn migrate(mut self, migrate: bool) -> Self {
        self.migrate = migrate;
        self
    }

    /// The clock every time comes from (default the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Connects (one connection, to fail early) and, if asked, migrates.
    ///
    /// # Errors
    /// [`StoreError::Config`] for invalid names, pool size or a URL without a database;
    /// [`StoreError::Unavailable`] if the server cannot be reached.
    pub fn build(self) -> Result<MysqlStore, StoreError> {
        let names = Names::new(&self.associations_table, &self.nonces_table)?;
        let target = describe(&self.opts);
        if self.opts.get_db_name().is_none() {
            return Err(StoreError::config(
                format!(
                    "MySQL URL {target} names no database: use mysql://user:password@host/database"
                ),
                None,
            ));
        }
        if self.pool_size == 0 {
            return Err(StoreError::config("MySQL pool_size must be at least 1", None));
        }
        let opts: Opts = OptsBuilder::from_opts(self.opts)
            .tcp_connect_timeout(Some(self.timeout))
            .read_timeout(Some(self.timeout))
            .write_timeout(Some(self.timeout))
            .into();
        let generation = Arc::new(AtomicU64::new(0));
        let pool = r2d2::Pool::builder()
            .max_size(self.pool_size)
            .min_idle(Some(0))
            .connection_timeout(self.timeout)
            .test_on_check_out(true)
            .build_unchecked(Manager::new(opts, Arc::clone(&generation)));
        let store = MysqlStore {
            pool,
            generation,
            timeout: self.timeout,
            sql: Statements::new(&names),
            names,
            clock: self.clock,
            target,
        };
        drop(store.connection("connecting")?);
        if self.migrate {
            store.migrate()?;
        }
        Ok(store)
    }
}

impl OpenIdStore for MysqlStore {
    fn store_association(
        &self,
        server_url: &str,
        association: &Association,
    ) -> Result<(), StoreError> {
        let key = server_digest(server_url);
        self.run(
            || format!("storing association {:?}", association.handle()),
            |connection, sql| {
                connection.exec_drop(
                    &sql.store_association,
                    (
                        &key[..],
                        association.handle().as_bytes(),
                        server_url,
                        association.secret(),
                        association.issued(),
                        association.lifetime(),
                        association.assoc_type().as_str(),
                        association.expires_at(),
                    ),
                )
            },
        )
    }

    fn get_association(
        &self,
        server_url: &str,
        handle: Option<&str>,
    ) -> Result<Option<Association>, StoreError> {
        let key = server_digest(server_url);
        let now = self.clock.now();
        let row: Option<mysql::Row> = self.run(
            || format!("reading association {handle:?}"),
            |connection, sql| {
                if let Some(handle) = handle {
                    connection.exec_first(&sql.get_by_handle, (&key[..], handle.as_bytes(), now))
                } else {
                    connection.exec_first(&sql.get_newest, (&key[..], now))
                }
            },
        )?;
        match row {
            Some(row) => self.association_from_row(&row, now),
            None => Ok(None),
        }
    }

    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
        let key = server_digest(server_url);
        self.run(
            || format!("removing association {handle:?}"),
            |connection, sql| {
                connection.exec_drop(&sql.remove_association, (&key[..], handle.as_bytes()))?;
                Ok(connection.affected_rows() > 0)
            },
        )
    }

    fn use_nonce(&self, server_url: &str, timestamp: i64, salt: &str) -> Result<bool, StoreError> {
        if !within_skew(timestamp, self.clock.now(), SKEW) {
            return Ok(false);
        }
        let key = nonce_digest(server_url, timestamp, salt);
        let shard = key.first().copied().unwrap_or(0) % NONCE_SHARDS;
        self.run(
            || "recording a nonce".to_owned(),
            |connection, sql| match connection
                .exec_drop(&sql.use_nonce, (shard, timestamp, &key[..], server_url, salt))
            {
                Ok(()) => Ok(true),
                Err(error) if is_duplicate_key(&error) => Ok(false),
                Err(error) => Err(error),
            },
        )
    }

    fn cleanup_nonces(&self) -> Result<usize, StoreError> {
        let cutoff = self.clock.now().saturating_sub(SKEW);
        self.run(
            || "deleting old nonces".to_owned(),
            |connection, sql| {
                connection.exec_drop(&sql.cleanup_nonces, (cutoff,))?;
                Ok(count(connection.affected_rows()))
            },
        )
    }

    fn cleanup_associations(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        self.run(
            || "deleting expired associations".to_owned(),
            |connection, sql| {
                connection.exec_drop(&sql.cleanup_associations, (now,))?;
                Ok(count(connection.affected_rows()))
            },
        )
    }
}

impl fmt::Debug for MysqlStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not `Opts`' own Debug: it shows the password.
        f.debug_struct("MysqlStoreBuilder")
            .field("target", &describe(&self.opts))
            .field("associations_table", &self.associations_table)
            .field("nonces_table", &self.nonces_table)
            .field("pool_size", &self.pool_size)
            .field("timeout", &self.timeout)
            .field("migrate", &self.migrate)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for MysqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MysqlStore")
            .field("target", &self.target)
            .field("associations", &self.names.associations)
            .field("nonces", &self.names.nonces)
            .finish_non_exhaustive()
    }
}

fn count(rows: u64) -> usize {
    usize::try_from(rows).unwrap_or(usize::MAX)
}

/// `mysql://user@host:port/db`, without the password.
fn describe(opts: &Opts) -> String {
    format!(
        "mysql://{}@{}:{}/{}",
        opts.get_user().unwrap_or("?"),
        opts.get_ip_or_hostname(),
        opts.get_tcp_port(),
        opts.get_db_name().unwrap_or("")
    )
}

/// One column of a row, by index; read column by column, never through the row's Debug,
/// which would show the secret.
fn column<T: mysql::prelude::FromValue>(row: &mysql::Row, index: usize) -> Result<T, String> {
    match row.get_opt::<T, usize>(index) {
        Some(Ok(value)) => Ok(value),
        Some(Err(_)) => Err(format!("column {index} has an unexpected type or NULL")),
        None => Err(format!("column {index} is missing")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_debug_hides_the_password() {
        let opts = Opts::from_url("mysql://app:hunter2@db.example:3306/site").unwrap();
        let shown = format!("{:?}", MysqlStore::builder(opts));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("db.example"), "{shown}");
    }

    #[test]
    fn bad_urls_and_options_are_config_errors_without_password() {
        for url in [
            "mysql://u:hunter2@127.0.0.1:1/db?pool_size=x",
            "mysql://u:hunter2@127.0.0.1:1/db?bogus_option=1",
            "mysql://u:hunter2@127.0.0.1:1/db?nonces_table=bad-name",
            "mysql://u:hunter2@127.0.0.1:1/db?migrate=maybe",
            "mysql://u:hunter2@127.0.0.1:1",
            "mysql://u:hunter2@127.0.0.1:1/db?pool_size=0",
            "mysql://u:hunter2#x@127.0.0.1:1/db",
        ] {
            let error = MysqlStore::from_url(url).unwrap_err();
            assert!(error.is_config(), "{url}: {error}");
            assert!(!format!("{error} {error:?}").contains("hunter2"), "{error}");
        }
    }
}
