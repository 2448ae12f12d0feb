//! The backends, their names, packages and environment variables.

use std::fmt;
use std::io::Write as _;

/// A kind of server the tests can start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Backend {
    /// PostgreSQL.
    Postgres,
    /// MariaDB (or MySQL).
    Mysql,
    /// A single Redis server.
    Redis,
    /// A Redis Cluster of three masters.
    RedisCluster,
    /// memcached.
    Memcache,
}

impl Backend {
    /// Every backend.
    pub const ALL: [Self; 5] =
        [Self::Postgres, Self::Mysql, Self::Redis, Self::RedisCluster, Self::Memcache];

    /// The name used in `OPENID_TEST_SKIP` and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Redis => "redis",
            Self::RedisCluster => "redis-cluster",
            Self::Memcache => "memcache",
        }
    }

    /// The Debian package that provides the server.
    pub fn package(self) -> &'static str {
        match self {
            Self::Postgres => "postgresql",
            Self::Mysql => "mariadb-server",
            Self::Redis | Self::RedisCluster => "redis-server",
            Self::Memcache => "memcached",
        }
    }

    /// The variable that points the tests at an existing server.
    pub fn url_variable(self) -> &'static str {
        match self {
            Self::Postgres => "OPENID_TEST_POSTGRES_URL",
            Self::Mysql => "OPENID_TEST_MYSQL_URL",
            Self::Redis => "OPENID_TEST_REDIS_URL",
            Self::RedisCluster => "OPENID_TEST_REDIS_CLUSTER_URL",
            Self::Memcache => "OPENID_TEST_MEMCACHE_URL",
        }
    }

    /// The URL of an existing server given in the environment, if any.
    pub fn external_url(self) -> Option<String> {
        std::env::var(self.url_variable()).ok().filter(|url| !url.trim().is_empty())
    }

    /// Whether `OPENID_TEST_SKIP` names this backend.
    pub fn is_skipped(self) -> bool {
        std::env::var("OPENID_TEST_SKIP").is_ok_and(|list| {
            list.split(',').map(str::trim).any(|name| name == self.name() || name == "all")
        })
    }

    /// Why this run skips the backend, if `OPENID_TEST_SKIP` names it: for test suites
    /// that report skips themselves (the store conformance suite's `skip_when`).
    pub fn skip_reason(self) -> Option<String> {
        self.is_skipped().then(|| format!("OPENID_TEST_SKIP names {}", self.name()))
    }

    pub(crate) fn print_skipped(self, why: &str) {
        // Loud on purpose: a skipped backend must never look like a passing one. Straight
        // to stderr: libtest hides what a passing test prints with println! and eprintln!.
        let _ = writeln!(std::io::stderr(), "SKIPPED: {} tests did not run: {why}", self.name());
    }
}

/// Settings a dedicated server can be started with instead of the tests' default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Variant {
    /// The tests' default: for Redis and memcached, a server that never evicts keys.
    #[default]
    Standard,
    /// A small cache that evicts keys when full (Redis `allkeys-lru` with `maxmemory`,
    /// memcached without `-M`): what a store must refuse, since an evicted nonce is a
    /// replay. Redis and memcached only.
    Evicting,
    /// A Redis master (the URL's server, node 0) with one replica (node 1) that has
    /// caught up, for tests of what a store waits for. Redis only.
    Replicated,
    /// A Redis server that speaks only TLS (`--port 0 --tls-port`), with a certificate
    /// for 127.0.0.1 issued by a CA made for this instance when it starts. The URL is
    /// `rediss://127.0.0.1:<port>/?tls_ca_file=<instance directory>/tls/ca.pem`, the
    /// option that makes the Redis store trust that CA; [`Server::tls_ca_file`](crate::Server::tls_ca_file)
    /// gives the path. Clients are not asked for certificates. Redis only.
    Tls,
}

impl Variant {
    /// A short name, for directory names.
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Self::Standard => "",
            Self::Evicting => "-evicting",
            Self::Replicated => "-replicated",
            Self::Tls => "-tls",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
