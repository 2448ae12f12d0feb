//! [`MysqlStore`]: the [`OpenIdStore`] operations as SQL.

use std::fmt;

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder};
use openid_consumer::store::{Association, Lookup, NonceRecord, OpenIdStore, StoreError, Timing};
use openid_store_kit::keys::{hex, nonce_digest, server_digest, sha256};
use openid_store_kit::pool::{Connector as _, Pool};
use openid_store_kit::settings::Settings;
use openid_store_kit::sql::{
    NewerSchema, SchemaError, Statements, TableNames, association_from_row, check_version, count,
    pending,
};
use openid_store_kit::url::{StoreUrl, UrlOption};

use crate::error::{MysqlError, RowError};
use crate::pool::{Connector, is_duplicate_key};
use crate::schema::{self, CLEANUP_BATCH, NONCE_SHARDS, Names, Step};

/// Associations and nonces in MySQL or MariaDB tables, shared by every process that
/// connects.
pub struct MysqlStore {
    pool: Pool<Connector>,
    names: Names,
    sql: Statements,
    timing: Timing,
    timeout_secs: u64,
}

/// Options for a [`MysqlStore`]; from [`MysqlStore::builder`] or
/// [`MysqlStoreBuilder::from_url`].
#[derive(Clone)]
#[must_use]
pub struct MysqlStoreBuilder {
    opts: Opts,
    tables: TableNames,
    migrate: bool,
    settings: Settings,
}

/// How a migration ended, when the connection did not fail.
enum Migration {
    Done,
    Locked,
    Newer(NewerSchema),
}

/// The options of this store in a URL; the others go to the `mysql` driver.
const OPTIONS: &[UrlOption<MysqlStoreBuilder>] = &[
    UrlOption::text("table_prefix", MysqlStoreBuilder::table_prefix),
    UrlOption::text("associations_table", MysqlStoreBuilder::associations_table),
    UrlOption::text("nonces_table", MysqlStoreBuilder::nonces_table),
    UrlOption::text("schema_version_table", MysqlStoreBuilder::schema_version_table),
    UrlOption::count("pool_size", MysqlStoreBuilder::pool_size),
    UrlOption::millis("timeout_ms", MysqlStoreBuilder::timeout),
    UrlOption::seconds("nonce_retention_s", MysqlStoreBuilder::nonce_retention),
    UrlOption::flag("migrate", MysqlStoreBuilder::migrate),
    // The driver's, but its pool is not used and `build` sets the timeouts: refused, not
    // silently ignored.
    UrlOption::refused("pool_min", "use pool_size"),
    UrlOption::refused("pool_max", "use pool_size"),
    UrlOption::refused("check_health", "the store's own pool checks its connections"),
    UrlOption::refused("reset_connection", "the store's own pool does not reset connections"),
    UrlOption::refused("tcp_connect_timeout_ms", "use timeout_ms"),
];

impl MysqlStore {
    /// A store on the server `opts` describes (the database must be named), with the
    /// default options.
    ///
    /// # Errors
    /// As [`MysqlStoreBuilder::build`].
    pub fn new(opts: Opts) -> Result<Self, StoreError> {
        Self::builder(opts).build()
    }

    /// Options for a store on the server `opts` describes (the database must be named).
    pub fn builder(opts: Opts) -> MysqlStoreBuilder {
        MysqlStoreBuilder {
            opts,
            tables: TableNames::default(),
            migrate: false,
            settings: Settings::new(),
        }
    }

    /// A store from a URL: `mysql://user:password@host:port/database?options`.
    ///
    /// Options of this store: `table_prefix`, `associations_table`, `nonces_table`,
    /// `schema_version_table`, `pool_size`, `timeout_ms` (connect, each read and write,
    /// pool wait), `nonce_retention_s` (seconds a nonce is kept past its window, default
    /// 300) and `migrate=true` (create or upgrade the tables now). Other options go to the
    /// `mysql` driver, except those the store sets itself (`pool_min`, `pool_max`,
    /// `check_health`, `reset_connection`, `tcp_connect_timeout_ms`), which are errors
    /// naming what to use; an option neither knows is an error.
    ///
    /// # Errors
    /// [`StoreError::Config`] for a bad URL or option (the password is never shown);
    /// [`StoreError::Unavailable`] if the server cannot be reached.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        MysqlStoreBuilder::from_url(url)?.build()
    }

    /// Creates the tables, or upgrades them to this version. Idempotent, and safe to run
    /// from several processes at once (a named lock serialises them).
    ///
    /// # Errors
    /// [`StoreError::Config`] if the database has a newer schema than this code knows;
    /// [`StoreError::Unavailable`].
    pub fn migrate(&self) -> Result<(), StoreError> {
        // MySQL limits lock names to 64 characters: a digest of the table name fits.
        let digest: String =
            hex(&sha256(self.names.associations.as_bytes())).chars().take(16).collect();
        let lock = format!("openid-migrate-{digest}");
        let outcome = self.pool.run("migrate the schema", |connection| {
            let locked: Option<Option<i64>> = connection
                .exec_first("SELECT GET_LOCK(?, ?)", (&lock, self.timeout_secs.max(1)))?;
            // NULL (an error in GET_LOCK) and 0 (timeout) both mean "not locked".
            if locked.flatten() != Some(1) {
                return Ok(Migration::Locked);
            }
            let result = self.migrate_locked(connection);
            let released: Result<Option<Option<i64>>, _> =
                connection.exec_first("SELECT RELEASE_LOCK(?)", (&lock,));
            let outcome = result?;
            released?;
            Ok(outcome)
        })?;
        let target = self.target().to_owned();
        match outcome {
            Migration::Done => Ok(()),
            Migration::Locked => Err(MysqlError::MigrationLocked { target }.into()),
            Migration::Newer(newer) => Err(SchemaError::<RowError>::TooNew {
                target,
                table: self.names.versions.clone(),
                newer,
                package: "openid-store-mysql",
            }
            .into()),
        }
    }

    fn migrate_locked(&self, connection: &mut Conn) -> Result<Migration, mysql::Error> {
        connection.query_drop(schema::bootstrap(&self.names))?;
        let current: Option<Option<i64>> =
            connection.query_first(format!("SELECT max(version) FROM {}", self.names.versions))?;
        let steps = schema::migrations(&self.names);
        let todo = match pending(&steps, current.flatten().unwrap_or(0)) {
            Ok(todo) => todo,
            Err(newer) => return Ok(Migration::Newer(newer)),
        };
        let now = self.timing.now();
        for (version, step) in todo {
            match step {
                Step::Statements(statements) => {
                    for statement in statements {
                        connection.query_drop(statement)?;
                    }
                }
                Step::ShardNonces => schema::shard_nonces(connection, &self.names)?,
            }
            connection.exec_drop(
                format!("INSERT INTO {} (version, applied_at) VALUES (?, ?)", self.names.versions),
                (version, now),
            )?;
        }
        Ok(Migration::Done)
    }

    /// The schema version in the database (`None` before the first migration).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub fn schema_version(&self) -> Result<Option<i64>, StoreError> {
        let table = self.names.versions.trim_matches('`');
        self.pool.run("read the schema version", |connection| {
            let exists: Option<i64> = connection.exec_first(
                "SELECT count(*) FROM information_schema.tables \
                     WHERE table_schema = DATABASE() AND table_name = ?",
                (table,),
            )?;
            if exists.unwrap_or(0) == 0 {
                return Ok(None);
            }
            let version: Option<Option<i64>> = connection
                .query_first(format!("SELECT max(version) FROM {}", self.names.versions))?;
            Ok(version.flatten())
        })
    }

    /// Checks that the tables are at the version this code reads, for a store built
    /// without migrating: a store on old tables would fail every insert.
    fn check_schema(&self) -> Result<(), StoreError> {
        let found = self.schema_version()?;
        let steps = schema::migrations(&self.names);
        Ok(check_version::<_, RowError>(
            &steps,
            found,
            self.target(),
            &self.names.versions,
            "run MysqlStore::migrate, or connect with ?migrate=true",
            "openid-store-mysql",
        )?)
    }

    /// The server, for messages.
    fn target(&self) -> &str {
        self.pool.connector().target()
    }

    fn association_from_row(&self, row: &mysql::Row) -> Result<Association, StoreError> {
        let read = || -> Result<Association, RowError> {
            let handle = String::from_utf8(column(row, 0)?)?;
            let kind: String = column(row, 4)?;
            Ok(association_from_row(
                handle,
                column(row, 1)?,
                column(row, 2)?,
                column(row, 3)?,
                &kind,
            )?)
        };
        let table = &self.names.associations;
        Ok(read().map_err(|source| SchemaError::bad_row(self.target(), table, source))?)
    }
}

impl MysqlStoreBuilder {
    /// Options from a URL, as [`MysqlStore::from_url`] takes it, to set more (a clock)
    /// before [`build`](Self::build).
    ///
    /// # Errors
    /// [`StoreError::Config`] naming what is wrong with the URL (never its password).
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let parsed = StoreUrl::new("MySQL", url);
        // A placeholder until the driver has read the URL; replaced below.
        let placeholder = MysqlStore::builder(OptsBuilder::new().into());
        let (builder, driver_url) = parsed.apply_passing(placeholder, OPTIONS)?;
        let opts = Opts::from_url(&driver_url)
            .map_err(|e| parsed.unknown_to_driver("mysql", OPTIONS, e))?;
        Ok(Self { opts, ..builder })
    }

    openid_store_kit::builder_tables!(tables);

    openid_store_kit::builder_settings!(settings: clock, skew, retention, timeout, pool_size);

    /// Whether [`build`](Self::build) runs [`MysqlStore::migrate`] (default no: schema
    /// changes are an operator's decision).
    pub fn migrate(mut self, migrate: bool) -> Self {
        self.migrate = migrate;
        self
    }

    /// The driver's options: where the store connects (for tools that need a plain
    /// connection to the same database).
    pub fn opts(&self) -> &Opts {
        &self.opts
    }

    /// Connects (one connection, to fail early) and migrates if asked; otherwise checks
    /// that the tables are at this code's schema version.
    ///
    /// # Errors
    /// [`StoreError::Config`] for invalid names or settings, a URL without a database,
    /// credentials the server refuses, or tables not migrated to this version (the message
    /// says to run [`MysqlStore::migrate`] or connect with `?migrate=true`);
    /// [`StoreError::Unavailable`] if the server cannot be reached.
    pub fn build(self) -> Result<MysqlStore, StoreError> {
        self.settings.check("MySQL")?;
        let names = Names::new(&self.tables)?;
        let target = describe(&self.opts);
        if self.opts.get_db_name().is_none() {
            return Err(MysqlError::NoDatabase { target }.into());
        }
        let timeout = self.settings.timeout;
        let opts: Opts = OptsBuilder::from_opts(self.opts)
            .tcp_connect_timeout(Some(timeout))
            .read_timeout(Some(timeout))
            .write_timeout(Some(timeout))
            .into();
        let pool = Pool::new(Connector { opts, target }, self.settings.pool_size, timeout);
        // One connection outside the pool: the driver's own error says more than a pool's
        // timeout would.
        pool.connect()?;
        let store = MysqlStore {
            pool,
            sql: schema::statements(&names),
            names,
            timing: self.settings.timing(),
            timeout_secs: timeout.as_secs(),
        };
        if self.migrate {
            store.migrate()?;
        } else {
            store.check_schema()?;
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
        self.pool.run("store an association", |connection| {
            connection.exec_drop(
                &self.sql.store_association,
                (
                    key.as_slice(),
                    association.handle().as_bytes(),
                    server_url,
                    association.secret(),
                    association.issued(),
                    association.lifetime(),
                    association.assoc_type().as_str(),
                    association.expires_at(),
                ),
            )
        })
    }

    fn find_association(&self, lookup: &Lookup<'_>) -> Result<Option<Association>, StoreError> {
        let Lookup { server_url, handle, now, .. } = *lookup;
        let key = server_digest(server_url);
        let row: Option<mysql::Row> = self.pool.run("read an association", |connection| {
            if let Some(handle) = handle {
                connection
                    .exec_first(&self.sql.get_by_handle, (key.as_slice(), handle.as_bytes(), now))
            } else {
                connection.exec_first(&self.sql.get_newest, (key.as_slice(), now))
            }
        })?;
        row.map(|row| self.association_from_row(&row)).transpose()
    }

    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
        let key = server_digest(server_url);
        self.pool.run("remove an association", |connection| {
            connection
                .exec_drop(&self.sql.remove_association, (key.as_slice(), handle.as_bytes()))?;
            Ok(connection.affected_rows() > 0)
        })
    }

    fn record_nonce(&self, nonce: &NonceRecord<'_>) -> Result<bool, StoreError> {
        let key = nonce_digest(nonce.server_url, nonce.timestamp, nonce.salt);
        let shard = key.first().copied().unwrap_or(0) % NONCE_SHARDS;
        self.pool.run("record a nonce", |connection| {
            let row = (shard, nonce.timestamp, key.as_slice(), nonce.server_url, nonce.salt);
            match connection.exec_drop(&self.sql.use_nonce, row) {
                Ok(()) => Ok(true),
                Err(error) if is_duplicate_key(&error) => Ok(false),
                Err(error) => Err(error),
            }
        })
    }

    fn timing(&self) -> &Timing {
        &self.timing
    }

    /// Shard by shard, in batches of 20,000 rows (`CLEANUP_BATCH`), each its own statement
    /// and transaction under the time limit: a call runs at least one statement per shard,
    /// and as many as the backlog needs.
    fn delete_nonces_before(&self, oldest: i64) -> Result<usize, StoreError> {
        let mut removed: usize = 0;
        for shard in 0..NONCE_SHARDS {
            loop {
                let batch = self
                    .pool
                    .run("delete old nonces", |connection| {
                        connection.exec_drop(&self.sql.cleanup_nonces, (shard, oldest))?;
                        Ok(connection.affected_rows())
                    })
                    .inspect_err(|error| {
                        // What the earlier batches deleted stays deleted; the caller only
                        // sees the error.
                        tracing::warn!(removed, shard, %error, "nonce cleanup stopped by an error");
                    })?;
                removed = removed.saturating_add(count(batch));
                if batch < u64::from(CLEANUP_BATCH) {
                    break;
                }
            }
        }
        Ok(removed)
    }

    fn delete_expired_associations(&self, now: i64) -> Result<usize, StoreError> {
        self.pool.run("delete expired associations", |connection| {
            connection.exec_drop(&self.sql.cleanup_associations, (now,))?;
            Ok(count(connection.affected_rows()))
        })
    }
}

impl fmt::Debug for MysqlStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not `Opts`' own Debug: it shows the password.
        f.debug_struct("MysqlStoreBuilder")
            .field("target", &describe(&self.opts))
            .field("tables", &self.tables)
            .field("migrate", &self.migrate)
            .field("settings", &self.settings)
            .finish()
    }
}

impl fmt::Debug for MysqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MysqlStore")
            .field("target", &self.target())
            .field("associations", &self.names.associations)
            .field("nonces", &self.names.nonces)
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
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

/// One column of a row, by index.
fn column<T: mysql::prelude::FromValue>(row: &mysql::Row, index: usize) -> Result<T, RowError> {
    match row.get_opt::<T, usize>(index) {
        Some(Ok(value)) => Ok(value),
        Some(Err(source)) => Err(RowError::Column { index, source }),
        None => Err(RowError::Missing(index)),
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
            "mysql://u:hunter2@127.0.0.1:1/db?timeout_ms=0",
            "mysql://u:hunter2#x@127.0.0.1:1/db",
        ] {
            let error = MysqlStore::from_url(url).unwrap_err();
            assert!(error.is_config(), "{url}: {error}");
            assert!(!format!("{error} {error:?}").contains("hunter2"), "{error}");
        }
    }

    /// Driver options that the store overrides, or that only the driver's unused pool
    /// reads, would be accepted and then silently ignored.
    #[test]
    fn driver_options_the_store_overrides_are_refused() {
        for query in [
            "pool_max=4",
            "pool_min=1",
            "check_health=false",
            "reset_connection=false",
            "tcp_connect_timeout_ms=100",
        ] {
            let url = format!("mysql://u@h/db?{query}");
            let error = MysqlStoreBuilder::from_url(&url).unwrap_err();
            assert!(error.is_config(), "{url}: {error}");
            assert!(error.to_string().contains("is not used by this store"), "{url}: {error}");
        }
    }

    #[test]
    fn urls_set_the_options_and_pass_the_rest_to_the_driver() {
        let builder = MysqlStoreBuilder::from_url(
            "mysql://u:hunter2@db.example:3307/site?table_prefix=t_&pool_size=3&prefer_socket=false",
        )
        .unwrap();
        assert_eq!(builder.tables.associations(), "t_associations");
        assert_eq!(builder.settings.pool_size, 3);
        assert_eq!(builder.opts().get_tcp_port(), 3307);
        assert!(!builder.opts().get_prefer_socket());
    }
}
