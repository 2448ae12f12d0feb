//! Every store of `openid-consumer` behind one function: the backend is chosen by the URL
//! in your configuration, and compiled in by a cargo feature.
//!
//! ```
//! use openid_consumer::store::OpenIdStore;
//!
//! # let dir = tempfile::tempdir()?;
//! # let url = format!("sqlite://{}/openid.db", dir.path().display());
//! // e.g. "sqlite:///var/lib/mysite/openid.db" or "postgres://openid@db/site?migrate=true"
//! let store = openid_stores::connect(&url)?;
//! assert!(store.use_nonce("https://op.example/server", 1_700_000_000, "salt").is_ok());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # URLs and features
//!
//! | URL | backend | feature |
//! |---|---|---|
//! | `file:///path/to/dir` | [`openid-store-file`] | `file` (default) |
//! | `sqlite:///path/to/file.db`, `sqlite:relative.db`, `sqlite::memory:` | [`openid-store-sqlite`] | `sqlite` (default) |
//! | `postgres://user:pw@host/db[?migrate=true]` | [`openid-store-postgres`] | `postgres` |
//! | `mysql://user:pw@host/db[?migrate=true]` | [`openid-store-mysql`] | `mysql` |
//! | `redis://host:port/`, `rediss://host:port/[?tls_ca_file=/path/ca.pem]` (TLS), `redis+unix:///path`, `redis+cluster://host:port,host:port` | [`openid-store-redis`] | `redis` |
//! | `memcache://host:port[,host:port]` | [`openid-store-memcache`] | `memcache` |
//!
//! Each backend's own options go in the URL's query; see its crate. A scheme this crate
//! does not know, or a backend whose feature is off, is a [`StoreError::Config`] that
//! names the feature to enable. Passwords never appear in errors or logs.
//!
//! [`openid-store-file`]: https://docs.rs/openid-store-file
//! [`openid-store-sqlite`]: https://docs.rs/openid-store-sqlite
//! [`openid-store-postgres`]: https://docs.rs/openid-store-postgres
//! [`openid-store-mysql`]: https://docs.rs/openid-store-mysql
//! [`openid-store-redis`]: https://docs.rs/openid-store-redis
//! [`openid-store-memcache`]: https://docs.rs/openid-store-memcache

#![deny(missing_docs)]

use std::sync::Arc;

use openid_consumer::store::{OpenIdStore, StoreError};
use openid_store_kit::keys::redact_url;

/// The backend a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// A directory of files.
    File,
    /// An SQLite database.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
    /// Redis or Redis Cluster.
    Redis,
    /// memcached.
    Memcache,
}

impl Backend {
    /// The backend of a store URL, by its scheme.
    ///
    /// # Errors
    /// [`StoreError::Config`] for a URL without a known scheme.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        // Exactly the forms the backends accept, so a URL chosen here is not refused there.
        if url.starts_with("sqlite:") {
            return Ok(Self::Sqlite);
        }
        match url.split_once("://").map(|(scheme, _)| scheme) {
            Some("file") => Ok(Self::File),
            Some("postgres" | "postgresql") => Ok(Self::Postgres),
            Some("mysql") => Ok(Self::Mysql),
            // `rediss+cluster` reaches the Redis store, which explains that it is not supported.
            Some("redis" | "redis+unix" | "redis+cluster" | "rediss" | "rediss+cluster") => {
                Ok(Self::Redis)
            }
            Some("memcache") => Ok(Self::Memcache),
            _ => Err(StoreError::config(
                format!(
                    "unknown store URL {}: use file://, sqlite://, sqlite::memory:, postgres://, \
                     mysql://, redis://, rediss://, redis+cluster:// or memcache://",
                    redact_url(url)
                ),
                None,
            )),
        }
    }

    /// The cargo feature of `openid-stores` that compiles this backend in.
    pub fn feature(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Redis => "redis",
            Self::Memcache => "memcache",
        }
    }

    /// Whether this build has the backend.
    pub fn is_enabled(self) -> bool {
        match self {
            Self::File => cfg!(feature = "file"),
            Self::Sqlite => cfg!(feature = "sqlite"),
            Self::Postgres => cfg!(feature = "postgres"),
            Self::Mysql => cfg!(feature = "mysql"),
            Self::Redis => cfg!(feature = "redis"),
            Self::Memcache => cfg!(feature = "memcache"),
        }
    }
}

/// Opens the store a URL names (see the table in the crate docs).
///
/// # Errors
/// [`StoreError::Config`] for an unknown scheme, a disabled backend (naming the feature),
/// or a URL the backend refuses; [`StoreError::Unavailable`] if its server cannot be
/// reached. No error shows a password.
pub fn connect(url: &str) -> Result<Arc<dyn OpenIdStore>, StoreError> {
    let backend = Backend::of_url(url)?;
    if !backend.is_enabled() {
        return Err(StoreError::config(
            format!(
                "store URL {} needs the {name} backend, which this build leaves out: enable \
                 the `{name}` feature of openid-stores (openid-stores = {{ features = [\"{name}\"] }})",
                redact_url(url),
                name = backend.feature()
            ),
            None,
        ));
    }
    open(backend, url)
}

#[allow(
    clippy::unnecessary_wraps,
    unused_variables,
    reason = "with some backends left out, some arms and the URL go unused"
)]
fn open(backend: Backend, url: &str) -> Result<Arc<dyn OpenIdStore>, StoreError> {
    match backend {
        #[cfg(feature = "file")]
        Backend::File => Ok(Arc::new(openid_store_file::FileStore::from_url(url)?)),
        #[cfg(feature = "sqlite")]
        Backend::Sqlite => Ok(Arc::new(openid_store_sqlite::SqliteStore::from_url(url)?)),
        #[cfg(feature = "postgres")]
        Backend::Postgres => Ok(Arc::new(openid_store_postgres::PostgresStore::from_url(url)?)),
        #[cfg(feature = "mysql")]
        Backend::Mysql => Ok(Arc::new(openid_store_mysql::MysqlStore::from_url(url)?)),
        #[cfg(feature = "redis")]
        Backend::Redis => Ok(Arc::new(openid_store_redis::RedisStore::from_url(url)?)),
        #[cfg(feature = "memcache")]
        Backend::Memcache => Ok(Arc::new(openid_store_memcache::MemcacheStore::from_url(url)?)),
        #[allow(unreachable_patterns, reason = "unreachable only when every backend is in")]
        _ => Err(StoreError::config(
            format!("backend {} is not compiled in", backend.feature()),
            None,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_select_backends() {
        for (url, backend) in [
            ("file:///tmp/x", Backend::File),
            ("sqlite:///tmp/x.db", Backend::Sqlite),
            ("sqlite::memory:", Backend::Sqlite),
            ("postgres://h/db", Backend::Postgres),
            ("postgresql://h/db", Backend::Postgres),
            ("mysql://h/db", Backend::Mysql),
            ("redis://h:1/", Backend::Redis),
            ("rediss://h:1/?tls_ca_file=/ca.pem", Backend::Redis),
            ("redis+cluster://h:1,h:2", Backend::Redis),
            ("memcache://h:1", Backend::Memcache),
            ("sqlite:relative/path.db", Backend::Sqlite),
            ("sqlite::memory:?table_prefix=x_", Backend::Sqlite),
            ("redis+unix:///run/redis.sock", Backend::Redis),
        ] {
            assert_eq!(Backend::of_url(url).unwrap(), backend, "{url}");
        }
        // Forms no backend accepts are refused here, not passed on.
        for url in ["memcached://h:1", "MEMCACHE://h:1", "mariadb://h/db"] {
            assert!(Backend::of_url(url).is_err(), "{url}");
        }
    }

    #[test]
    fn unknown_schemes_are_config_errors_without_password() {
        for url in ["mongodb://u:hunter2@h/db", "hunter2", "", "ftp://u:hunter2@h/"] {
            let error = connect(url).err().expect("connect should fail");
            assert!(error.is_config(), "{url}: {error}");
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn a_disabled_backend_names_its_feature() {
        let disabled = [
            Backend::File,
            Backend::Sqlite,
            Backend::Postgres,
            Backend::Mysql,
            Backend::Redis,
            Backend::Memcache,
        ]
        .into_iter()
        .find(|b| !b.is_enabled());
        let Some(backend) = disabled else {
            // Straight to stderr: libtest hides what a passing test prints with println!.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                b"SKIPPED a_disabled_backend_names_its_feature: every backend is enabled in \
                  this build (scripts/test.sh runs it again with default features)\n",
            );
            return;
        };
        let url = match backend {
            Backend::File => "file:///tmp/x",
            Backend::Sqlite => "sqlite::memory:",
            Backend::Postgres => "postgres://u:hunter2@h/db",
            Backend::Mysql => "mysql://u:hunter2@h/db",
            Backend::Redis => "redis://:hunter2@h:1/",
            Backend::Memcache => "memcache://h:1",
        };
        let error = connect(url).err().expect("connect should fail").to_string();
        assert!(error.contains(&format!("`{}` feature", backend.feature())), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }
}
