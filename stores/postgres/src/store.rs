//! [`PostgresStore`]: the [`OpenIdStore`] operations as SQL.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use openid_consumer::crypto::AssociationType;
use openid_consumer::nonce::{SKEW, within_skew};
use openid_consumer::store::keys::{nonce_digest, redact_url, server_digest};
use openid_consumer::store::url_options::{UrlOptions, parse_flag, parse_millis, parse_value};
use openid_consumer::store::{Association, Clock, OpenIdStore, StoreError, SystemClock};
use postgres::Row;

use crate::error::PgError;
use crate::pool::{Connection, Manager};
use crate::schema::{self, Names, SCHEMA_VERSION, Statements};

/// Default time limit for getting a connection (and for connecting).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default number of pooled connections.
const DEFAULT_POOL_SIZE: u32 = 16;
/// The URL options of this store; the others go to the driver.
const OWN_OPTIONS: [&str; 6] =
    ["schema", "associations_table", "nonces_table", "pool_size", "timeout_ms", "migrate"];

/// Associations and nonces in PostgreSQL tables, shared by every process that connects.
pub struct PostgresStore {
    pool: r2d2::Pool<Manager>,
    generation: Arc<AtomicU64>,
    names: Names,
    sql: Statements,
    clock: Arc<dyn Clock>,
    /// `user@host:port/dbname`, never the password: for error messages.
    target: String,
}

/// Options for a [`PostgresStore`]; from [`PostgresStore::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct PostgresStoreBuilder {
    config: postgres::Config,
    schema: String,
    associations_table: String,
    nonces_table: String,
    pool_size: u32,
    timeout: Duration,
    migrate: bool,
    clock: Arc<dyn Clock>,
}

impl PostgresStore {
    /// Options for a store on the server `config` describes.
    pub fn builder(config: postgres::Config) -> PostgresStoreBuilder {
        PostgresStoreBuilder {
            config,
            schema: "public".into(),
            associations_table: "openid_associations".into(),
            nonces_table: "openid_nonces".into(),
            pool_size: DEFAULT_POOL_SIZE,
            timeout: DEFAULT_TIMEOUT,
            migrate: false,
            clock: Arc::new(SystemClock),
        }
    }

    /// A store from a URL: `postgres://user:password@host:port/dbname?options`.
    ///
    /// Options of this store: `schema`, `associations_table`, `nonces_table` (names),
    /// `pool_size` (connections), `timeout_ms` (connect and pool wait), and
    /// `migrate=true` (create or upgrade the tables now). Other options go to the
    /// `postgres` driver (`sslmode`, `application_name`, ...); an option neither knows is
    /// an error.
    ///
    /// # Errors
    /// [`StoreError::Config`] for a bad URL or option (the password is never shown);
    /// [`StoreError::Unavailable`] if the server cannot be reached.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        const STORE: &str = "PostgreSQL";
        let options = UrlOptions::split(url, &OWN_OPTIONS);
        let config: postgres::Config =
            options.driver_url().parse().map_err(|e: postgres::Error| {
                StoreError::config(format!("invalid PostgreSQL URL {}: {e}", redact_url(url)), None)
            })?;
        let mut builder = Self::builder(config);
        for (key, value) in options.own {
            builder = match key {
                "schema" => builder.schema(value),
                "associations_table" => builder.associations_table(value),
                "nonces_table" => builder.nonces_table(value),
                "pool_size" => builder.pool_size(parse_value(STORE, key, value)?),
                "timeout_ms" => builder.timeout(parse_millis(STORE, key, value)?),
                _ => builder.migrate(parse_flag(STORE, key, value)?),
            };
        }
        builder.build()
    }

    /// Creates the schema and tables, or upgrades them to this version. Idempotent, and
    /// safe to run from several processes at once (an advisory lock serialises them).
    ///
    /// # Errors
    /// [`StoreError::Config`] if the database has a newer schema than this code knows;
    /// [`StoreError::Unavailable`].
    pub fn migrate(&self) -> Result<(), StoreError> {
        let context = "migrating the schema".to_owned();
        let mut connection = self.connection(&context)?;
        let names = self.names.clone();
        let now = self.clock.now();
        let result = (|| -> Result<Result<(), StoreError>, postgres::Error> {
            let mut transaction = connection.client.transaction()?;
            // One migrator at a time, whatever the table names.
            transaction.execute("SELECT pg_advisory_xact_lock(7351846402)", &[])?;
            transaction.batch_execute(&schema::bootstrap(&names))?;
            let row = transaction.query_one(
                &format!("SELECT coalesce(max(version), 0) FROM {}", names.versions),
                &[],
            )?;
            let current: i32 = row.try_get(0)?;
            if current > SCHEMA_VERSION {
                return Ok(Err(StoreError::config(
                    format!(
                        "{}: tables {} have schema version {current}, newer than this \
                         openid-store-postgres ({SCHEMA_VERSION}); upgrade the library",
                        self.target, names.associations
                    ),
                    None,
                )));
            }
            for (index, migration) in schema::migrations(&names).iter().enumerate() {
                let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
                if version > current {
                    transaction.batch_execute(migration)?;
                    transaction.execute(
                        &format!(
                            "INSERT INTO {} (version, applied_at) VALUES ($1, $2)",
                            names.versions
                        ),
                        &[&version, &now],
                    )?;
                }
            }
            transaction.commit()?;
            Ok(Ok(()))
        })();
        match result {
            Ok(outcome) => outcome,
            Err(error) => Err(self.failed(error, &context)),
        }
    }

    /// The schema version in the database (`None` before the first migration).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub fn schema_version(&self) -> Result<Option<i32>, StoreError> {
        let context = "reading the schema version".to_owned();
        let mut connection = self.connection(&context)?;
        let exists = connection
            .client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&self.names.versions])
            .map_err(|e| self.failed(e, &context))?;
        if !exists.get::<_, bool>(0) {
            return Ok(None);
        }
        let row = connection
            .client
            .query_one(&self.sql.schema_version, &[])
            .map_err(|e| self.failed(e, &context))?;
        row.try_get(0).map_err(|e| self.failed(e, &context))
    }

    fn connection(&self, context: &str) -> Result<r2d2::PooledConnection<Manager>, StoreError> {
        self.pool.get().map_err(|e| PgError::Pool(e).into_store(context))
    }

    /// Runs `operation` on a pooled connection. A connection-level failure marks the
    /// pool's connections stale; if the connection was found closed (the server restarted:
    /// nothing ran on it), the operation runs once more on a new connection.
    fn run<T>(
        &self,
        context: impl Fn() -> String,
        operation: impl Fn(&mut Connection, &Statements) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut retried = false;
        loop {
            let mut connection = self.connection(&context())?;
            match operation(&mut connection, &self.sql) {
                Ok(value) => return Ok(value),
                Err(error) if connection_gone(&error) && !retried => {
                    self.generation.fetch_add(1, Ordering::AcqRel);
                    retried = true;
                }
                Err(error) => return Err(self.failed(error, &context())),
            }
        }
    }

    fn failed(&self, error: postgres::Error, context: &str) -> StoreError {
        if error.as_db_error().is_none() || connection_gone(&error) {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        PgError::Postgres(error).into_store(format!("{} on {}", context, self.target))
    }
}

impl PostgresStoreBuilder {
    /// The schema of the tables (default `public`).
    pub fn schema(mut self, name: &str) -> Self {
        name.clone_into(&mut self.schema);
        self
    }

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

    /// How long connecting, or waiting for a free connection, may take before the
    /// operation fails with [`StoreError::Unavailable`] (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether [`build`](Self::build) runs [`PostgresStore::migrate`] (default no: schema
    /// changes are an operator's decision).
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
    /// [`StoreError::Config`] for invalid names or pool size; [`StoreError::Unavailable`]
    /// if the server cannot be reached within the timeout.
    pub fn build(self) -> Result<PostgresStore, StoreError> {
        let names = Names::new(&self.schema, &self.associations_table, &self.nonces_table)?;
        if self.pool_size == 0 {
            return Err(StoreError::config("PostgreSQL pool_size must be at least 1", None));
        }
        let mut config = self.config;
        config.connect_timeout(self.timeout);
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        // A statement stuck behind a lock or a hung commit fails with the store's timeout
        // instead of blocking the login indefinitely.
        let millis = self.timeout.as_millis();
        let bounds = format!("-c statement_timeout={millis} -c lock_timeout={millis}");
        let options = match config.get_options() {
            Some(existing) if !existing.is_empty() => format!("{existing} {bounds}"),
            _ => bounds,
        };
        config.options(&options);
        let target = describe(&config);
        let generation = Arc::new(AtomicU64::new(0));
        let pool = r2d2::Pool::builder()
            .max_size(self.pool_size)
            .min_idle(Some(0))
            .connection_timeout(self.timeout)
            .test_on_check_out(true)
            .build_unchecked(Manager::new(config, Arc::clone(&generation)));
        let store = PostgresStore {
            pool,
            generation,
            sql: Statements::new(&names),
            names,
            clock: self.clock,
            target,
        };
        drop(store.connection(&format!("connecting to {}", store.target))?);
        if self.migrate {
            store.migrate()?;
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
        let key = server_digest(server_url);
        self.run(
            || format!("storing association {:?}", association.handle()),
            |connection, sql| {
                let statement = connection.statement(&sql.store_association)?;
                connection.client.execute(
                    &statement,
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
        let row = self.run(
            || format!("reading association {handle:?}"),
            |connection, sql| {
                if let Some(handle) = handle {
                    let statement = connection.statement(&sql.get_by_handle)?;
                    connection.client.query_opt(&statement, &[&key.as_slice(), &handle, &now])
                } else {
                    let statement = connection.statement(&sql.get_newest)?;
                    connection.client.query_opt(&statement, &[&key.as_slice(), &now])
                }
            },
        )?;
        let association = row.map(|row| self.association_from_row(&row)).transpose()?;
        // The query filtered on the stored expiry; the association's own times decide.
        Ok(association.filter(|association| !association.is_expired(now)))
    }

    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
        let key = server_digest(server_url);
        self.run(
            || format!("removing association {handle:?}"),
            |connection, sql| {
                let statement = connection.statement(&sql.remove_association)?;
                Ok(connection.client.execute(&statement, &[&key.as_slice(), &handle])? > 0)
            },
        )
    }

    fn use_nonce(&self, server_url: &str, timestamp: i64, salt: &str) -> Result<bool, StoreError> {
        if !within_skew(timestamp, self.clock.now(), SKEW) {
            return Ok(false);
        }
        let key = nonce_digest(server_url, timestamp, salt);
        self.run(
            || "recording a nonce".to_owned(),
            |connection, sql| {
                let statement = connection.statement(&sql.use_nonce)?;
                let inserted = connection
                    .client
                    .execute(&statement, &[&key.as_slice(), &server_url, &timestamp, &salt])?;
                Ok(inserted == 1)
            },
        )
    }

    fn cleanup_nonces(&self) -> Result<usize, StoreError> {
        let cutoff = self.clock.now().saturating_sub(SKEW);
        self.run(
            || "deleting old nonces".to_owned(),
            |connection, sql| {
                let statement = connection.statement(&sql.cleanup_nonces)?;
                connection.client.execute(&statement, &[&cutoff])
            },
        )
        .map(count)
    }

    fn cleanup_associations(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        self.run(
            || "deleting expired associations".to_owned(),
            |connection, sql| {
                let statement = connection.statement(&sql.cleanup_associations)?;
                connection.client.execute(&statement, &[&now])
            },
        )
        .map(count)
    }
}

impl PostgresStore {
    fn association_from_row(&self, row: &Row) -> Result<Association, StoreError> {
        let corrupt = |detail: String| {
            StoreError::corrupt(
                format!(
                    "association row in {} on {}: {detail}",
                    self.names.associations, self.target
                ),
                None,
            )
        };
        let handle: String = row.try_get(0).map_err(|e| corrupt(e.to_string()))?;
        let secret: Vec<u8> = row.try_get(1).map_err(|e| corrupt(e.to_string()))?;
        let issued: i64 = row.try_get(2).map_err(|e| corrupt(e.to_string()))?;
        let lifetime: i64 = row.try_get(3).map_err(|e| corrupt(e.to_string()))?;
        let kind: String = row.try_get(4).map_err(|e| corrupt(e.to_string()))?;
        let kind: AssociationType = kind.parse().map_err(|e| corrupt(format!("{e}")))?;
        Association::new(handle, secret, issued, lifetime, kind).map_err(|e| corrupt(e.to_string()))
    }
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("target", &self.target)
            .field("associations", &self.names.associations)
            .field("nonces", &self.names.nonces)
            .finish_non_exhaustive()
    }
}

/// Whether the connection is gone and nothing ran on it: closed, or terminated by a
/// server shutdown (SQLSTATE class 57P: the server says so on the next use of the
/// connection).
fn connection_gone(error: &postgres::Error) -> bool {
    error.is_closed() || error.as_db_error().is_some_and(|db| db.code().code().starts_with("57P"))
}

fn count(rows: u64) -> usize {
    usize::try_from(rows).unwrap_or(usize::MAX)
}

/// `user@host:port/dbname` from a config, without the password.
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
        for url in [
            "postgres://u:hunter2@127.0.0.1:1/db?pool_size=x",
            "postgres://u:hunter2@127.0.0.1:1/db?bogus_option=1",
            "postgres://u:hunter2@127.0.0.1:1/db?schema=bad-name",
            "postgres://u:hunter2@127.0.0.1:1/db?migrate=maybe",
        ] {
            let error = PostgresStore::from_url(url).unwrap_err();
            assert!(error.is_config(), "{url}: {error}");
            assert!(!format!("{error} {error:?}").contains("hunter2"), "{error}");
        }
    }
}
