//! [`RedisStore`]: the [`OpenIdStore`] operations as Redis commands and scripts.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use openid_consumer::nonce::{SKEW, within_skew};
use openid_consumer::store::keys::redact_url;
use openid_consumer::store::url_options::{parse_flag, parse_millis, parse_value};
use openid_consumer::store::{Association, Clock, OpenIdStore, StoreError, SystemClock};
use redis::cluster::ClusterClient;
use redis::{ConnectionInfo, ConnectionLike, IntoConnectionInfo, RedisResult, Script, Value};

use crate::error::RedisStoreError;
use crate::keys::{self, Keys, ServerKeys};
use crate::pool::{Connection, LogErrors, Manager, Target};

/// Default time limit for connecting, for getting a pooled connection and for each read
/// and write.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default number of pooled connections.
const DEFAULT_POOL_SIZE: u32 = 16;
/// Redirections (`MOVED`, `ASK`) a cluster call follows; each attempt gets a third of the
/// timeout, so a call stays within it.
const CLUSTER_RETRIES: u32 = 2;
/// Longest TTL given to a key (100 years): Redis refuses expiry times that overflow its
/// millisecond clock, and an association this long-lived is re-created long before.
const MAX_TTL: i64 = 100 * 365 * 24 * 60 * 60;
/// The options of this store in a URL.
const URL_OPTIONS: &str = "prefix, timeout_ms, pool_size, allow_eviction";

/// Associations and nonces in Redis (one server or a Redis Cluster), shared by every
/// process that connects; the server expires them.
pub struct RedisStore {
    pool: r2d2::Pool<Manager>,
    generation: Arc<AtomicU64>,
    keys: Keys,
    scripts: Scripts,
    clock: Arc<dyn Clock>,
    /// `redis://host:port/db` or `redis+cluster://host:port,...`, never the password: for
    /// error messages and `Debug`.
    target: String,
}

/// The scripts, with their SHA-1 computed once.
struct Scripts {
    store: Script,
    newest: Script,
    remove: Script,
}

/// Options for a [`RedisStore`]; from [`RedisStore::builder`],
/// [`RedisStore::cluster_builder`] or [`RedisStoreBuilder::from_url`].
#[must_use]
#[derive(Clone)]
pub struct RedisStoreBuilder {
    nodes: Nodes,
    prefix: String,
    pool_size: u32,
    timeout: Duration,
    allow_eviction: bool,
    clock: Arc<dyn Clock>,
}

#[derive(Clone)]
enum Nodes {
    Single(ConnectionInfo),
    Cluster(Vec<ConnectionInfo>),
}

impl RedisStore {
    /// A store on the server `client` connects to, with the default options.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if the server cannot be reached within 5 s;
    /// [`StoreError::Config`] if it refuses the credentials.
    pub fn new(client: &redis::Client) -> Result<Self, StoreError> {
        Self::builder(client.get_connection_info().clone()).build()
    }

    /// Options for a store on one server.
    ///
    /// ```
    /// use openid_store_redis::RedisStore;
    /// use openid_store_redis::redis::IntoConnectionInfo;
    ///
    /// let node = "redis://127.0.0.1:6379/".into_connection_info()?;
    /// let builder = RedisStore::builder(node).prefix("myapp:openid:").pool_size(4);
    /// # drop(builder);
    /// # Ok::<(), openid_store_redis::redis::RedisError>(())
    /// ```
    pub fn builder(node: ConnectionInfo) -> RedisStoreBuilder {
        RedisStoreBuilder::new(Nodes::Single(node))
    }

    /// Options for a store on a Redis Cluster; `nodes` are some of its masters (the others
    /// are discovered). Every node needs the same credentials.
    pub fn cluster_builder(nodes: Vec<ConnectionInfo>) -> RedisStoreBuilder {
        RedisStoreBuilder::new(Nodes::Cluster(nodes))
    }

    /// A store from a URL:
    ///
    /// - `redis://[user:password@]host[:port][/db][?options]`: one server;
    /// - `redis+unix:///path/to/socket[?options]`: one server on a Unix socket;
    /// - `redis+cluster://[user:password@]host:port,host:port,...[/][?options]`: a Redis
    ///   Cluster, of which these are some masters.
    ///
    /// Options: `prefix` (of every key, default `openid:`), `timeout_ms` (default 5000),
    /// `pool_size` (default 16). Any other option is an error.
    ///
    /// # Errors
    /// [`StoreError::Config`] for a bad URL or option (the password is never shown);
    /// [`StoreError::Unavailable`] if the server cannot be reached.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        RedisStoreBuilder::from_url(url)?.build()
    }

    /// The prefix every key of this store starts with.
    pub fn prefix(&self) -> &str {
        self.keys.prefix()
    }

    fn connection(
        &self,
        context: &dyn Fn() -> String,
    ) -> Result<r2d2::PooledConnection<Manager>, StoreError> {
        self.pool.get().map_err(|e| {
            RedisStoreError::Pool(e).into_store(format!("{} on {}", context(), self.target))
        })
    }

    /// Runs `operation` on a pooled connection.
    ///
    /// A connection-level failure keeps the connection out of the pool; a dropped
    /// connection (the server went away) marks every pooled connection stale, and if the
    /// connection had been idle in the pool the operation is tried once more on a new one,
    /// so that the first call after a server restart works. Retrying is safe for every
    /// operation here: the command was not run by the server that dropped the connection,
    /// or, if it was, the retry's answer errs on the safe side (a nonce seen, an
    /// association already removed).
    fn run<T>(
        &self,
        context: &dyn Fn() -> String,
        operation: impl Fn(&mut dyn ConnectionLike) -> RedisResult<T>,
    ) -> Result<T, StoreError> {
        let mut connection = self.connection(context)?;
        let error = match operation(connection.redis()) {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let retry = error.is_connection_dropped() && connection.was_reused();
        self.note_failure(&mut connection, &error);
        drop(connection);
        if !retry {
            return Err(self.failed(error, context));
        }
        tracing::debug!(target = %self.target, %error, "pooled Redis connection dropped; retrying on a new one");
        let mut connection = self.connection(context)?;
        operation(connection.redis()).map_err(|error| {
            self.note_failure(&mut connection, &error);
            self.failed(error, context)
        })
    }

    /// Keeps a connection whose command failed below the protocol out of the pool, and
    /// the whole pool's connections if the server dropped it.
    fn note_failure(&self, connection: &mut Connection, error: &redis::RedisError) {
        if matches!(error.kind(), redis::ErrorKind::Server(_) | redis::ErrorKind::Extension) {
            return; // The server answered: the connection is fine.
        }
        connection.mark_broken();
        if error.is_connection_dropped() {
            Manager::invalidate(&self.generation);
        }
    }

    fn failed(&self, error: redis::RedisError, context: &dyn Fn() -> String) -> StoreError {
        let context = format!("{} on {}", context(), self.target);
        tracing::debug!(%error, %context, "Redis store operation failed");
        RedisStoreError::Redis(error).into_store(context)
    }

    /// Reads a stored association: `Corrupt` unless it deserializes and has `handle` (when
    /// given); `None` if expired at the store's time.
    fn association_from(
        &self,
        value: &[u8],
        server_url: &str,
        handle: Option<&str>,
        now: i64,
    ) -> Result<Option<Association>, StoreError> {
        let corrupt = |detail: String| {
            StoreError::corrupt(
                format!(
                    "association of {server_url:?} in {} under prefix {:?}: {detail}",
                    self.target,
                    self.keys.prefix()
                ),
                None,
            )
        };
        let text = std::str::from_utf8(value).map_err(|e| corrupt(e.to_string()))?;
        let association = Association::deserialize(text).map_err(|e| corrupt(e.to_string()))?;
        if let Some(handle) = handle
            && association.handle() != handle
        {
            return Err(corrupt(format!(
                "the key of handle {handle:?} holds handle {:?}",
                association.handle()
            )));
        }
        // The store's clock decides, not the server's: a test clock may be far ahead.
        Ok((!association.is_expired(now)).then_some(association))
    }
}

impl RedisStoreBuilder {
    fn new(nodes: Nodes) -> Self {
        Self {
            nodes,
            prefix: keys::DEFAULT_PREFIX.to_owned(),
            pool_size: DEFAULT_POOL_SIZE,
            timeout: DEFAULT_TIMEOUT,
            allow_eviction: false,
            clock: Arc::new(SystemClock),
        }
    }

    /// Options from a URL, as [`RedisStore::from_url`] takes it, to set more (a clock)
    /// before [`build`](Self::build).
    ///
    /// # Errors
    /// [`StoreError::Config`] naming the bad part (the password is never shown).
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let shown = redact_url(url);
        let bad_url =
            |detail: &str| StoreError::config(format!("invalid Redis URL {shown}: {detail}"), None);
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let Some((scheme, rest)) = base.split_once("://") else {
            return Err(bad_url("expected redis://, redis+unix:// or redis+cluster://"));
        };
        let mut builder = match scheme {
            "redis" | "redis+unix" | "unix" => {
                let node = base.into_connection_info().map_err(|e| bad_url(&e.to_string()))?;
                RedisStore::builder(node)
            }
            "redis+cluster" => {
                let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                if !matches!(path, "" | "/" | "/0") {
                    return Err(bad_url("a Redis Cluster has only database 0: remove the path"));
                }
                let (userinfo, hosts) = match authority.rsplit_once('@') {
                    Some((userinfo, hosts)) => (format!("{userinfo}@"), hosts),
                    None => (String::new(), authority),
                };
                let mut nodes = Vec::new();
                for host in hosts.split(',') {
                    if host.is_empty() {
                        return Err(bad_url("empty host in the node list"));
                    }
                    let node = format!("redis://{userinfo}{host}/")
                        .into_connection_info()
                        .map_err(|e| bad_url(&format!("node {host}: {e}")))?;
                    nodes.push(node);
                }
                RedisStore::cluster_builder(nodes)
            }
            "rediss" | "rediss+cluster" => {
                return Err(bad_url(
                    "TLS is not supported by this store yet; use redis:// or redis+cluster://",
                ));
            }
            other => {
                return Err(bad_url(&format!(
                    "unknown scheme {other:?}: use redis://, redis+unix:// or redis+cluster://"
                )));
            }
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            builder = match &*key {
                "prefix" => builder.prefix(&value),
                "timeout_ms" => builder.timeout(parse_millis("Redis", &key, &value)?),
                "pool_size" => builder.pool_size(parse_value("Redis", &key, &value)?),
                "allow_eviction" => builder.allow_eviction(parse_flag("Redis", &key, &value)?),
                _ => {
                    return Err(StoreError::config(
                        format!(
                            "unknown option {key:?} in Redis URL {shown}; the options are {URL_OPTIONS}"
                        ),
                        None,
                    ));
                }
            };
        }
        Ok(builder)
    }

    /// The prefix of every key (default `openid:`), to share a server with other data or
    /// other sites. It must not contain `{` or `}`, which would change the cluster hash
    /// tag.
    pub fn prefix(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.prefix);
        self
    }

    /// Maximum pooled connections (default 16). On a cluster each one holds a connection to
    /// every master.
    pub fn pool_size(mut self, size: u32) -> Self {
        self.pool_size = size;
        self
    }

    /// Time limit for connecting, for waiting for a pooled connection, and for each read
    /// and write (default 5 s): when the server is away or hangs, every operation fails
    /// with [`StoreError::Unavailable`] after about this long.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The clock every time comes from (default the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Accepts a server that may evict keys before their TTL (a `maxmemory` limit with an
    /// eviction policy other than `noeviction`). Off by default, because an evicted nonce is
    /// accepted again: a replay. Turn it on only for a server that cannot fill up.
    pub fn allow_eviction(mut self, allow: bool) -> Self {
        self.allow_eviction = allow;
        self
    }

    /// Connects (one connection, to fail early) and makes the store.
    ///
    /// # Errors
    /// [`StoreError::Config`] for an invalid prefix, pool size or timeout, or credentials
    /// the server refuses; [`StoreError::Unavailable`] if the server cannot be reached
    /// within the timeout.
    pub fn build(self) -> Result<RedisStore, StoreError> {
        let keys = Keys::new(&self.prefix)?;
        if self.pool_size == 0 {
            return Err(StoreError::config("Redis pool_size must be at least 1", None));
        }
        if self.timeout.is_zero() {
            return Err(StoreError::config("Redis timeout must be more than zero", None));
        }
        let target = self.nodes.describe();
        let config_error = |e: redis::RedisError| {
            RedisStoreError::Redis(e).into_store(format!("configuring the client for {target}"))
        };
        let cluster_nodes = match &self.nodes {
            Nodes::Cluster(nodes) => Some(nodes.clone()),
            Nodes::Single(_) => None,
        };
        let client = match self.nodes {
            Nodes::Single(node) => Target::Single(redis::Client::open(node).map_err(config_error)?),
            Nodes::Cluster(nodes) => {
                let attempt = self.timeout / (CLUSTER_RETRIES + 1);
                let client = ClusterClient::builder(nodes)
                    .connection_timeout(attempt)
                    .response_timeout(attempt)
                    .retries(CLUSTER_RETRIES)
                    .min_retry_wait(10)
                    .max_retry_wait(100)
                    .build()
                    .map_err(config_error)?;
                Target::Cluster(client)
            }
        };
        let generation = Arc::new(AtomicU64::new(0));
        let manager = Manager::new(client, self.timeout, Arc::clone(&generation));
        // One connection outside the pool, so that refused credentials are reported as
        // such rather than as r2d2's timeout.
        let mut probe = r2d2::ManageConnection::connect(&manager).map_err(|e| {
            RedisStoreError::Connect(e).into_store(format!("connecting to {target}"))
        })?;
        probe.check().map_err(|error| {
            let error = match &cluster_nodes {
                Some(nodes) => not_a_cluster(nodes, self.timeout).unwrap_or(error),
                None => error,
            };
            RedisStoreError::Redis(error).into_store(format!("connecting to {target}"))
        })?;
        if !self.allow_eviction {
            match &cluster_nodes {
                None => refuse_eviction(probe.redis(), &target)?,
                Some(nodes) => {
                    for node in nodes {
                        let client = redis::Client::open(node.clone()).map_err(config_error)?;
                        let mut connection =
                            client.get_connection_with_timeout(self.timeout).map_err(|e| {
                                RedisStoreError::Redis(e)
                                    .into_store(format!("connecting to {target}"))
                            })?;
                        refuse_eviction(&mut connection, &target)?;
                    }
                }
            }
        }
        drop(probe);
        let pool = r2d2::Pool::builder()
            .max_size(self.pool_size)
            .min_idle(Some(0))
            .connection_timeout(self.timeout)
            .test_on_check_out(true)
            .error_handler(Box::new(LogErrors))
            .build_unchecked(manager);
        tracing::debug!(%target, prefix = %self.prefix, "Redis store ready");
        Ok(RedisStore {
            pool,
            generation,
            keys,
            scripts: Scripts {
                store: Script::new(keys::STORE_ASSOCIATION),
                newest: Script::new(keys::NEWEST_ASSOCIATION),
                remove: Script::new(keys::REMOVE_ASSOCIATION),
            },
            clock: self.clock,
            target,
        })
    }
}

impl Nodes {
    /// The nodes as a URL without credentials.
    fn describe(&self) -> String {
        match self {
            Self::Single(node) => match node.addr() {
                redis::ConnectionAddr::Unix(path) => format!("redis+unix://{}", path.display()),
                addr => format!("redis://{addr}/{}", node.redis_settings().db()),
            },
            Self::Cluster(nodes) => {
                let hosts: Vec<String> = nodes.iter().map(|n| n.addr().to_string()).collect();
                format!("redis+cluster://{}", hosts.join(","))
            }
        }
    }
}

/// Refuses a server that may evict keys before their TTL: `maxmemory` set with a policy
/// other than `noeviction`. An evicted nonce would be accepted again.
fn refuse_eviction(connection: &mut dyn ConnectionLike, target: &str) -> Result<(), StoreError> {
    let info: String = redis::cmd("INFO").arg("memory").query(connection).map_err(|e| {
        RedisStoreError::Redis(e).into_store(format!(
            "reading the eviction policy of {target} (INFO memory; allow the command, or set \
             allow_eviction=true if the server cannot fill up)"
        ))
    })?;
    let field = |name: &str| {
        info.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':')).map(str::trim)
    };
    let limited = field("maxmemory").is_some_and(|bytes| bytes != "0");
    let policy = field("maxmemory_policy").unwrap_or("noeviction");
    if limited && policy != "noeviction" {
        return Err(StoreError::config(
            format!(
                "{target} evicts keys when full (maxmemory-policy {policy}): an evicted nonce would \
                 be accepted again. Set maxmemory-policy noeviction, or allow_eviction=true to \
                 accept the risk"
            ),
            None,
        ));
    }
    Ok(())
}

/// When a cluster client found no cluster, the error of a node that says it is not in
/// cluster mode: the cluster client alone reports only "no connections found".
fn not_a_cluster(nodes: &[ConnectionInfo], timeout: Duration) -> Option<redis::RedisError> {
    nodes.iter().find_map(|node| {
        let mut connection =
            redis::Client::open(node.clone()).ok()?.get_connection_with_timeout(timeout).ok()?;
        connection.set_read_timeout(Some(timeout)).ok()?;
        let error = redis::cmd("CLUSTER").arg("INFO").exec(&mut connection).err()?;
        error
            .detail()
            .is_some_and(|detail| detail.contains("cluster support disabled"))
            .then_some(error)
    })
}

impl OpenIdStore for RedisStore {
    fn store_association(
        &self,
        server_url: &str,
        association: &Association,
    ) -> Result<(), StoreError> {
        let keys = self.keys.server(server_url);
        let handle = association.handle();
        let ttl = association.expires_in(self.clock.now()).clamp(1, MAX_TTL);
        let value = association.serialize();
        self.run(&|| format!("storing association {handle:?}"), |connection| {
            self.scripts
                .store
                .key(keys.association(handle))
                .key(keys.index())
                .arg(&value)
                .arg(ttl)
                .arg(association.issued())
                .arg(ServerKeys::member(handle))
                .arg(keys.association_prefix())
                .invoke::<Value>(connection)
                .map(drop)
        })
    }

    fn get_association(
        &self,
        server_url: &str,
        handle: Option<&str>,
    ) -> Result<Option<Association>, StoreError> {
        let keys = self.keys.server(server_url);
        let now = self.clock.now();
        let context = || format!("reading association {handle:?}");
        let value: Option<Vec<u8>> = match handle {
            Some(handle) => self.run(&context, |connection| {
                redis::cmd("GET").arg(keys.association(handle)).query(connection)
            })?,
            None => self.run(&context, |connection| {
                self.scripts
                    .newest
                    .key(keys.index())
                    .arg(keys.association_prefix())
                    .arg(now)
                    .invoke(connection)
            })?,
        };
        match value {
            Some(value) => self.association_from(&value, server_url, handle, now),
            None => Ok(None),
        }
    }

    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
        let keys = self.keys.server(server_url);
        let removed: i64 =
            self.run(&|| format!("removing association {handle:?}"), |connection| {
                self.scripts
                    .remove
                    .key(keys.association(handle))
                    .key(keys.index())
                    .arg(ServerKeys::member(handle))
                    .invoke(connection)
            })?;
        Ok(removed > 0)
    }

    fn use_nonce(&self, server_url: &str, timestamp: i64, salt: &str) -> Result<bool, StoreError> {
        let now = self.clock.now();
        if !within_skew(timestamp, now, SKEW) {
            return Ok(false);
        }
        // The nonce must be remembered while it is acceptable: until now passes
        // timestamp + SKEW. Relative to the store's clock, not the server's.
        let ttl =
            timestamp.saturating_add(SKEW).saturating_sub(now).saturating_add(1).clamp(1, MAX_TTL);
        let key = self.keys.nonce(server_url, timestamp, salt);
        let reply: Value = self.run(&|| "recording a nonce".to_owned(), |connection| {
            redis::cmd("SET").arg(&key).arg(1).arg("NX").arg("EX").arg(ttl).query(connection)
        })?;
        match reply {
            Value::Okay => Ok(true),
            Value::Nil => Ok(false),
            Value::SimpleString(text) if text == "OK" => Ok(true),
            other => Err(RedisStoreError::UnexpectedReply {
                command: "SET NX",
                reply: format!("{other:?}").chars().take(100).collect(),
            }
            .into_store(format!("recording a nonce on {}", self.target))),
        }
    }

    /// Returns 0: the server deletes nonces itself when they leave the skew window.
    fn cleanup_nonces(&self) -> Result<usize, StoreError> {
        Ok(0)
    }

    /// Returns 0: the server deletes associations itself when they expire.
    fn cleanup_associations(&self) -> Result<usize, StoreError> {
        Ok(0)
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("target", &self.target)
            .field("prefix", &self.keys.prefix())
            .field("pool_size", &self.pool.max_size())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not derived: `ConnectionInfo`'s Debug shows the password.
        f.debug_struct("RedisStoreBuilder")
            .field("target", &self.nodes.describe())
            .field("prefix", &self.prefix)
            .field("pool_size", &self.pool_size)
            .field("timeout", &self.timeout)
            .field("allow_eviction", &self.allow_eviction)
            .field("clock", &self.clock)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact_url("redis://u:secret@h:5/0?x=1"), "redis://u:***@h:5/0?x=1");
        assert_eq!(
            redact_url("redis+cluster://:secret@a:1,b:2/?prefix=x"),
            "redis+cluster://:***@a:1,b:2/?prefix=x"
        );
    }

    #[test]
    fn bad_urls_and_options_are_config_errors_without_password() {
        for url in [
            "redis://u:hunter2@127.0.0.1:1/?pool_size=x",
            "redis://u:hunter2@127.0.0.1:1/?bogus_option=1",
            "redis://u:hunter2@127.0.0.1:1/?prefix=%7Bbrace%7D",
            "redis://u:hunter2@127.0.0.1:1/?timeout_ms=0",
            "redis://u:hunter2@127.0.0.1:1/?pool_size=0",
            "redis://u:hunter2@127.0.0.1:1/notadb",
            "rediss://u:hunter2@127.0.0.1:1/",
            "memcache://u:hunter2@127.0.0.1:1/",
            "u:hunter2@127.0.0.1:1",
            "redis+cluster://u:hunter2@127.0.0.1:1,127.0.0.1:2/3",
            "redis+cluster://u:hunter2@127.0.0.1:1,,127.0.0.1:2/",
        ] {
            let error = RedisStore::from_url(url).unwrap_err();
            assert!(error.is_config(), "{url}: {error}");
            assert!(!format!("{error} {error:?}").contains("hunter2"), "{error:?}");
        }
    }

    #[test]
    fn unknown_options_name_the_known_ones() {
        let error = RedisStoreBuilder::from_url("redis://127.0.0.1/?pool=3").unwrap_err();
        assert!(error.to_string().contains("\"pool\""), "{error}");
        assert!(error.to_string().contains("pool_size"), "{error}");
    }

    #[test]
    fn urls_set_the_options_and_debug_hides_the_password() {
        let builder = RedisStoreBuilder::from_url(
            "redis://user:hunter2@127.0.0.1:7000/2?prefix=site%3A&timeout_ms=250&pool_size=3",
        )
        .unwrap();
        assert_eq!(builder.prefix, "site:");
        assert_eq!(builder.timeout, Duration::from_millis(250));
        assert_eq!(builder.pool_size, 3);
        let shown = format!("{builder:?}");
        assert!(shown.contains("redis://127.0.0.1:7000/2"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");

        let cluster =
            RedisStoreBuilder::from_url("redis+cluster://:hunter2@127.0.0.1:7000,127.0.0.1:7001")
                .unwrap();
        let shown = format!("{cluster:?}");
        assert!(shown.contains("redis+cluster://127.0.0.1:7000,127.0.0.1:7001"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");

        let unix = RedisStoreBuilder::from_url("redis+unix:///run/redis.sock?prefix=x:").unwrap();
        assert_eq!(unix.nodes.describe(), "redis+unix:///run/redis.sock");
    }
}
