//! [`PostgresStore`]: the [`OpenIdStore`] operations as SQL.

use std::fmt;
use std::time::Duration;

use openid_consumer::store::{Association, Lookup, NonceRecord, OpenIdStore, StoreError, Timing};
use openid_store_kit::keys::{nonce_digest, server_digest};
use openid_store_kit::pool::{Connector as _, Pool};
use openid_store_kit::settings::Settings;
use openid_store_kit::sql::{
    SchemaError, Statements, TableNames, association_from_row, check_version, count, pending,
};
use openid_store_kit::url::{StoreUrl, UrlOption};
use postgres::Row;

use crate::error::RowError;
use crate::pool::{Connector, to_async};
use crate::schema::{self, Names};

/// Nonces one cleanup statement deletes at most: well under a second of work.
const CLEANUP_BATCH: i64 = 20_000;

/// The key of the advisory lock that serialises migrations, whatever the table names.
const MIGRATION_LOCK: i64 = 7_351_846_402;

/// Associations and nonces in PostgreSQL tables, shared by every process that connects.
pub struct PostgresStore {
    pool: Pool<Connector>,
    names: Names,
    sql: Statements,
    timing: Timing,
}

/// Options for a [`PostgresStore`]; from [`PostgresStore::builder`] or
/// [`PostgresStoreBuilder::from_url`].
#[derive(Debug, Clone)]
#[must_use]
pub struct PostgresStoreBuilder {
    /// The driver's configuration (its `Debug` hides the password).
    config: postgres::Config,
    schema: String,
    tables: TableNames,
    migrate: bool,
    settings: Settings,
}

/// The options of this store in a URL; the others go to the `postgres` driver.
const OPTIONS: &[UrlOption<PostgresStoreBuilder>] = &[
    UrlOption::text("schema", PostgresStoreBuilder::schema),
    UrlOption::text("table_prefix", PostgresStoreBuilder::table_prefix),
    UrlOption::text("associations_table", PostgresStoreBuilder::associations_table),
    UrlOption::text("nonces_table", PostgresStoreBuilder::nonces_table),
    UrlOption::text("schema_version_table", PostgresStoreBuilder::schema_version_table),
    UrlOption::count("pool_size", PostgresStoreBuilder::pool_size),
    UrlOption::millis("timeout_ms", PostgresStoreBuilder::timeout),
    UrlOption::seconds("nonce_retention_s", PostgresStoreBuilder::nonce_retention),
    UrlOption::flag("migrate", PostgresStoreBuilder::migrate),
    // The driver's, but `build` sets them from the store's timeout: refused, not ignored.
    UrlOption::refused("connect_timeout", "use timeout_ms"),
    UrlOption::refused("keepalives", "the store keeps connections alive itself"),
    UrlOption::refused("keepalives_idle", "the store keeps connections alive itself"),
];

impl PostgresStore {
    /// A store on the server `config` describes, with the default options.
    ///
    /// # Errors
    /// As [`PostgresStoreBuilder::build`].
    pub fn new(config: postgres::Config) -> Result<Self, StoreError> {
        Self::builder(config).build()
    }

    /// Options for a store on the server `config` describes.
    pub fn builder(config: postgres::Config) -> PostgresStoreBuilder {
        PostgresStoreBuilder {
            config,
            schema: "public".into(),
            tables: TableNames::default(),
            migrate: false,
            settings: Settings::new(),
        }
    }

    /// A store from a URL: `postgres://user:password@host:port/dbname?options`.
    ///
    /// Options of this store: `schema`, `table_prefix`, `associations_table`,
    /// `nonces_table`, `schema_version_table` (names), `pool_size` (connections),
    /// `timeout_ms` (connect, pool wait, each statement), `nonce_retention_s` (seconds a
    /// nonce is kept past its window, default 300), and `migrate=true` (create or
    /// upgrade the tables now). Other options go to the `postgres` driver (`sslmode`,
    /// `application_name`, ...), except those the store sets itself (`connect_timeout`,
    /// `keepalives`, `keepalives_idle`), which are errors naming what to use; an option
    /// neither knows is an error.
    ///
    /// # Errors
    /// [`StoreError::Config`] for a bad URL or option (the password is never shown);
    /// [`StoreError::Unavailable`] if the server cannot be reached.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        PostgresStoreBuilder::from_url(url)?.build()
    }

    /// Creates the schema and tables, or upgrades them to this version. Idempotent, and
    /// safe to run from several processes at once (an advisory lock serialises them).
    ///
    /// # Errors
    /// [`StoreError::Config`] if the database has a newer schema than this code knows;
    /// [`StoreError::Unavailable`].
    pub fn migrate(&self) -> Result<(), StoreError> {
        let names = &self.names;
        let now = self.timing.now();
        let steps = schema::migrations(names);
        let steps = &steps;
        let outcome = self.pool.run("migrate the schema", |connection| {
            connection.run(|client| async move {
                let transaction = client.transaction().await?;
                transaction.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
                transaction.batch_execute(&schema::bootstrap(names)).await?;
                let current: i32 = transaction
                    .query_one(
                        &format!("SELECT coalesce(max(version), 0) FROM {}", names.versions),
                        &[],
                    )
                    .await?
                    .try_get(0)?;
                let todo = match pending(steps, i64::from(current)) {
                    Ok(todo) => todo,
                    Err(newer) => return Ok(Err(newer)),
                };
                for (version, migration) in todo {
                    transaction.batch_execute(migration).await?;
                    transaction
                        .execute(
                            &format!(
                                "INSERT INTO {} (version, applied_at) VALUES ($1, $2)",
                                names.versions
                            ),
                            &[&i32::try_from(version).unwrap_or(i32::MAX), &now],
                        )
                        .await?;
                }
                transaction.commit().await?;
                Ok(Ok(()))
            })
        })?;
        outcome.map_err(|newer| {
            SchemaError::<RowError>::TooNew {
                target: self.target().to_owned(),
                table: names.versions.clone(),
                newer,
                package: "openid-store-postgres",
            }
            .into()
        })
    }

    /// The schema version in the database (`None` before the first migration).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub fn schema_version(&self) -> Result<Option<i64>, StoreError> {
        self.pool.run("read the schema version", |connection| {
            let exists = connection
                .query_one("SELECT to_regclass($1) IS NOT NULL", &[&self.names.versions])?;
            if !exists.try_get::<_, bool>(0)? {
                return Ok(None);
            }
            let row = connection
                .query_one(&format!("SELECT max(version) FROM {}", self.names.versions), &[])?;
            Ok(row.try_get::<_, Option<i32>>(0)?.map(i64::from))
        })
    }

    /// Checks that the tables are at the version this code reads, for a store built
    /// without migrating: on missing or old tables every call would fail.
    fn check_schema(&self) -> Result<(), StoreError> {
        let found = self.schema_version()?;
        let steps = schema::migrations(&self.names);
        Ok(check_version::<_, RowError>(
            &steps,
            found,
            self.target(),
            &self.names.versions,
            "run PostgresStore::migrate, or connect with ?migrate=true",
            "openid-store-postgres",
        )?)
    }

    /// The server, for messages.
    fn target(&self) -> &str {
        self.pool.connector().target()
    }

    fn association_from_row(&self, row: &Row) -> Result<Association, StoreError> {
        let read = || -> Result<Association, RowError> {
            let kind: String = row.try_get(4)?;
            Ok(association_from_row(
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
                &kind,
            )?)
        };
        let table = &self.names.associations;
        Ok(read().map_err(|source| SchemaError::bad_row(self.target(), table, source))?)
    }
}

impl PostgresStoreBuilder {
    /// Options from a URL, as [`PostgresStore::from_url`] takes it, to set more (a clock)
    /// before [`build`](Self::build).
    ///
    /// # Errors
    /// [`StoreError::Config`] naming what is wrong with the URL (never its password).
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let parsed = StoreUrl::new("PostgreSQL", url);
        // A placeholder until the driver has read the URL; replaced below.
        let (builder, driver_url) =
            parsed.apply_passing(PostgresStore::builder(postgres::Config::new()), OPTIONS)?;
        let config = driver_url
            .parse()
            .map_err(|e: postgres::Error| parsed.unknown_to_driver("postgres", OPTIONS, e))?;
        Ok(Self { config, ..builder })
    }

    /// The schema of the tables (default `public`).
    pub fn schema(mut self, name: &str) -> Self {
        name.clone_into(&mut self.schema);
        self
    }

    openid_store_kit::builder_tables!(tables);

    openid_store_kit::builder_settings!(settings: clock, skew, retention, timeout, pool_size);

    /// Whether [`build`](Self::build) runs [`PostgresStore::migrate`] (default no: schema
    /// changes are an operator's decision).
    pub fn migrate(mut self, migrate: bool) -> Self {
        self.migrate = migrate;
        self
    }

    /// The driver's configuration: where the store connects (for tools that need a plain
    /// connection to the same database).
    pub fn config(&self) -> &postgres::Config {
        &self.config
    }

    /// Connects (one connection, to fail early) and migrates if asked; otherwise checks
    /// that the tables are at this code's schema version.
    ///
    /// # Errors
    /// [`StoreError::Config`] for invalid names or settings, credentials the server
    /// refuses, or tables not migrated to this version (the message says to run
    /// [`PostgresStore::migrate`] or connect with `?migrate=true`);
    /// [`StoreError::Unavailable`] if the server cannot be reached within the
    /// timeout.
    pub fn build(self) -> Result<PostgresStore, StoreError> {
        self.settings.check("PostgreSQL")?;
        let names = Names::new(&self.schema, &self.tables)?;
        let timeout = self.settings.timeout;
        let mut config = self.config;
        config.connect_timeout(timeout);
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        // A statement stuck behind a lock or a hung commit fails with the store's timeout
        // instead of blocking the login indefinitely.
        let millis = timeout.as_millis();
        let bounds = format!("-c statement_timeout={millis} -c lock_timeout={millis}");
        let options = match config.get_options() {
            Some(existing) if !existing.is_empty() => format!("{existing} {bounds}"),
            _ => bounds,
        };
        config.options(&options);
        // TCP keepalives and tcp_user_timeout find a dead host or a cut network; a frozen
        // server (its kernel still acknowledges) is bounded by the client-side deadline of
        // every operation (pool.rs).
        config.tcp_user_timeout(timeout);
        let target = describe(&config);
        let connector = Connector { config: to_async(&config), deadline: timeout, target };
        let pool = Pool::new(connector, self.settings.pool_size, timeout);
        // One connection outside the pool: the driver's own error says more than a pool's
        // timeout would.
        pool.connect()?;
        let store = PostgresStore {
            pool,
            sql: schema::statements(&names),
            names,
            timing: self.settings.timing(),
        };
        if self.migrate {
            store.migrate()?;
        } else {
            store.check_schema()?;
        }
        Ok(store)
    }
}

impl OpenIdStore for PostgresStore {
    fn store_association(
        &self,
        server_url: &str,
        association: &Association,
    ) -> Result<(), StoreError> {
        self.pool.run("store an association", |connection| {
            let key = server_digest(server_url);
            connection.execute(
                &self.sql.store_association,
                &[
                    &key.as_slice(),
                    &association.handle(),
                    &server_url,
                    &association.secret(),
                    &association.issued(),
                    &association.lifetime(),
                    &association.assoc_type().as_str(),
                    &association.expires_at(),
                ],
            )?;
            Ok(())
        })
    }

    fn find_association(&self, lookup: &Lookup<'_>) -> Result<Option<Association>, StoreError> {
        let Lookup { server_url, handle, now, .. } = *lookup;
        let key = server_digest(server_url);
        let row = self.pool.run("read an association", |connection| {
            if let Some(handle) = handle {
                connection.query_opt(&self.sql.get_by_handle, &[&key.as_slice(), &handle, &now])
            } else {
                connection.query_opt(&self.sql.get_newest, &[&key.as_slice(), &now])
            }
        })?;
        row.map(|row| self.association_from_row(&row)).transpose()
    }

    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
        let key = server_digest(server_url);
        self.pool.run("remove an association", |connection| {
            Ok(connection.execute(&self.sql.remove_association, &[&key.as_slice(), &handle])? > 0)
        })
    }

    fn record_nonce(&self, nonce: &NonceRecord<'_>) -> Result<bool, StoreError> {
        let key = nonce_digest(nonce.server_url, nonce.timestamp, nonce.salt);
        self.pool.run("record a nonce", |connection| {
            let inserted = connection.execute(
                &self.sql.use_nonce,
                &[&key.as_slice(), &nonce.server_url, &nonce.timestamp, &nonce.salt],
            )?;
            Ok(inserted == 1)
        })
    }

    fn timing(&self) -> &Timing {
        &self.timing
    }

    /// In batches of 20,000 rows (`CLEANUP_BATCH`), each its own statement under the time limit: one
    /// delete of a large backlog would run into `statement_timeout` every time and the
    /// table would never shrink.
    fn delete_nonces_before(&self, oldest: i64) -> Result<usize, StoreError> {
        let full = count(u64::try_from(CLEANUP_BATCH).unwrap_or(u64::MAX));
        let mut removed = 0;
        loop {
            let batch = self
                .pool
                .run("delete old nonces", |connection| {
                    connection.execute(&self.sql.cleanup_nonces, &[&oldest, &CLEANUP_BATCH])
                })
                .map(count)?;
            removed += batch;
            if batch < full {
                return Ok(removed);
            }
        }
    }

    fn delete_expired_associations(&self, now: i64) -> Result<usize, StoreError> {
        self.pool
            .run("delete expired associations", |connection| {
                connection.execute(&self.sql.cleanup_associations, &[&now])
            })
            .map(count)
    }
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("target", &self.target())
            .field("associations", &self.names.associations)
            .field("nonces", &self.names.nonces)
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
}

/// `postgres://user@host:port/dbname` from a config, without the password.
fn describe(config: &postgres::Config) -> String {
    let host = config.get_hosts().first().map_or_else(
        || "localhost".to_owned(),
        |host| match host {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        },
    );
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("?");
    let db = config.get_dbname().unwrap_or(user);
    format!("postgres://{user}@{host}:{port}/{db}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_urls_and_options_are_config_errors_without_password() {
        let urls = ["pool_size=x", "bogus_option=1", "schema=bad-name", "migrate=maybe"]
            .into_iter()
            .chain(["timeout_ms=0", "pool_size=0"])
            // A password option the driver reads, its key percent-encoded.
            .chain(["p%61ssword=hunter2&sslmode=bogus"])
            .map(|query| format!("postgres://u:hunter2@127.0.0.1:1/db?{query}"));
        for url in urls {
            let shown = match PostgresStore::from_url(&url) {
                Err(error) if error.is_config() => format!("{error} {error:?}"),
                other => panic!("{url}: {other:?}"),
            };
            assert!(!shown.contains("hunter2"), "{shown}");
        }
    }

    /// Driver options that `build` overrides would be accepted and then silently ignored.
    #[test]
    fn driver_options_the_store_overrides_are_refused() {
        for query in ["connect_timeout=30", "keepalives=0", "keepalives_idle=5"] {
            let url = format!("postgres://u@h/db?{query}");
            let error = PostgresStoreBuilder::from_url(&url).unwrap_err();
            assert!(error.is_config(), "{url}: {error}");
            assert!(error.to_string().contains("is not used by this store"), "{url}: {error}");
        }
    }

    /// The order of the options does not decide the tables: a named table survives a
    /// prefix given after it.
    #[test]
    fn a_named_table_survives_a_later_table_prefix() {
        let url = "postgres://u@h/db?nonces_table=used&table_prefix=site_";
        let builder = PostgresStoreBuilder::from_url(url).unwrap();
        assert_eq!(builder.tables.nonces(), "used");
        assert_eq!(builder.tables.associations(), "site_associations");
    }

    #[test]
    fn unknown_options_name_the_stores_options_and_keep_the_drivers_error() {
        let error = PostgresStoreBuilder::from_url("postgres://u@h/db?bogus_option=1").unwrap_err();
        assert!(error.to_string().contains("own options are schema, table_prefix"), "{error}");
        assert!(std::error::Error::source(&error).is_some(), "{error:?}");
    }

    #[test]
    fn urls_set_the_options_and_pass_the_rest_to_the_driver() {
        let builder = PostgresStoreBuilder::from_url(
            "postgres://u:hunter2@db.example:5433/site?schema=s1&table_prefix=t_&pool_size=3\
             &application_name=rp&migrate=yes",
        )
        .unwrap();
        assert_eq!(builder.schema, "s1");
        assert_eq!(builder.tables.nonces(), "t_nonces");
        assert_eq!(builder.settings.pool_size, 3);
        assert!(builder.migrate);
        assert_eq!(builder.config().get_application_name(), Some("rp"));
        assert_eq!(builder.config().get_ports(), [5433]);
        assert!(!format!("{builder:?}").contains("hunter2"));
    }
}
