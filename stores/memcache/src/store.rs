//! [`MemcacheStore`]: the [`OpenIdStore`] operations as meta-protocol commands.

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use openid_consumer::nonce::{SKEW, within_skew};
use openid_consumer::store::keys::redact_url;
use openid_consumer::store::url_options::{UrlOptions, parse_flag, parse_millis, parse_value};
use openid_consumer::store::{Association, Clock, OpenIdStore, StoreError, SystemClock};

use crate::client::{ClientError, Connection, Mode, Outcome};
use crate::keys::{self, Entry, Index};
use crate::ring::Ring;

/// Default time limit for connecting and for each read and write.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default idle connections kept per server.
const DEFAULT_POOL_SIZE: usize = 16;
/// Attempts at a compare-and-swap update of an index before giving up.
const CAS_ATTEMPTS: usize = 64;

/// Associations and nonces in one or more memcached servers.
pub struct MemcacheStore {
    servers: Vec<Server>,
    ring: Ring,
    prefix: String,
    clock: Arc<dyn Clock>,
}

/// One memcached server and its idle connections.
struct Server {
    address: String,
    idle: Mutex<Vec<Connection>>,
    pool_size: usize,
    timeout: Duration,
}

/// Options for a [`MemcacheStore`]; from [`MemcacheStore::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct MemcacheStoreBuilder {
    servers: Vec<String>,
    prefix: String,
    pool_size: usize,
    timeout: Duration,
    allow_eviction: bool,
    clock: Arc<dyn Clock>,
}

impl MemcacheStore {
    /// Options for a store on these servers (`host:port` each); keys are spread over
    /// them by consistent hashing.
    pub fn builder<I, S>(servers: I) -> MemcacheStoreBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        MemcacheStoreBuilder {
            servers: servers.into_iter().map(Into::into).collect(),
            prefix: "openid:".into(),
            pool_size: DEFAULT_POOL_SIZE,
            timeout: DEFAULT_TIMEOUT,
            allow_eviction: false,
            clock: Arc::new(SystemClock),
        }
    }

    /// A store from a URL: `memcache://host:port[,host:port...][?options]`.
    ///
    /// Options: `prefix` (key prefix, default `openid:`), `pool_size` (idle connections per
    /// server), `timeout_ms` (connect, each read and write). Unknown options are errors.
    ///
    /// # Errors
    /// [`StoreError::Config`] for a bad URL or option; [`StoreError::Unavailable`] if a
    /// server cannot be reached.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        const KNOWN: [&str; 4] = ["prefix", "pool_size", "timeout_ms", "allow_eviction"];
        let bad_url = |why: &str| {
            StoreError::config(
                format!(
                    "invalid memcached URL {}: {why}; expected memcache://host:port[,host:port]",
                    redact_url(url)
                ),
                None,
            )
        };
        let options = UrlOptions::split(url, &KNOWN);
        let rest = options
            .base
            .strip_prefix("memcache://")
            .ok_or_else(|| bad_url("scheme is not memcache"))?;
        let hosts = rest.trim_end_matches('/');
        if hosts.is_empty() || hosts.contains(['@', '/']) {
            return Err(bad_url("give host:port pairs only (memcached has no users or paths)"));
        }
        if let Some(unknown) = options.other.first() {
            return Err(StoreError::config(
                format!(
                    "unknown option {unknown:?} in memcached URL (known: {})",
                    KNOWN.join(", ")
                ),
                None,
            ));
        }
        let mut builder = Self::builder(hosts.split(','));
        for (key, value) in options.own {
            builder = match key {
                "prefix" => builder.prefix(value),
                "pool_size" => builder.pool_size(parse_value("memcached", key, value)?),
                "allow_eviction" => builder.allow_eviction(parse_flag("memcached", key, value)?),
                _ => builder.timeout(parse_millis("memcached", key, value)?),
            };
        }
        builder.build()
    }

    fn server(&self, key: &str) -> Result<&Server, StoreError> {
        self.servers
            .get(self.ring.server_for(key))
            .ok_or_else(|| StoreError::config("memcached store has no servers", None))
    }

    /// Reads and updates a server's index by compare-and-swap, retrying on conflicts.
    fn update_index(
        &self,
        server_url: &str,
        update: impl Fn(&mut Index) -> bool,
    ) -> Result<(), StoreError> {
        let key = keys::index_key(&self.prefix, server_url);
        let server = self.server(&key)?;
        for _ in 0..CAS_ATTEMPTS {
            let now = self.clock.now();
            let current = server.call("reading the association index", |c| c.get(&key))?;
            let (mut index, cas) = match current {
                Some((bytes, cas)) => (parse_index(&bytes, &key)?, Some(cas)),
                None => (Index::default(), None),
            };
            if !update(&mut index) {
                return Ok(());
            }
            let value = index.encode();
            let ttl = index.ttl(now);
            let outcome = server.call("writing the association index", |c| match cas {
                Some(cas) => c.store(&key, &value, ttl, Mode::Set, Some(cas)),
                None => c.store(&key, &value, ttl, Mode::Add, None),
            })?;
            if outcome == Outcome::Stored {
                return Ok(());
            }
        }
        Err(StoreError::unavailable(
            format!("updating the association index {key}"),
            "too many concurrent updates",
        ))
    }

    fn read_association(
        &self,
        server_url: &str,
        handle: &str,
    ) -> Result<Option<Association>, StoreError> {
        let key = keys::association_key(&self.prefix, server_url, handle);
        let Some((bytes, _)) =
            self.server(&key)?.call("reading an association", |c| c.get(&key))?
        else {
            return Ok(None);
        };
        let corrupt = |detail: String| {
            StoreError::corrupt(format!("memcached association {key}: {detail}"), None)
        };
        let text = std::str::from_utf8(&bytes).map_err(|_| corrupt("not UTF-8".into()))?;
        let association = Association::deserialize(text).map_err(|e| corrupt(e.to_string()))?;
        if association.handle() != handle {
            return Err(corrupt(format!("holds handle {:?}", association.handle())));
        }
        Ok((!association.is_expired(self.clock.now())).then_some(association))
    }
}

impl Server {
    /// Runs `command` on an idle or new connection. A reused connection that turns out to
    /// be dead (the server restarted: the write is refused or the read ends at once) is
    /// dropped with the other idle ones and the command retried once on a new
    /// connection; the server never saw it on the dead one.
    fn call<T>(
        &self,
        context: &str,
        command: impl Fn(&mut Connection) -> Result<T, ClientError>,
    ) -> Result<T, StoreError> {
        let pooled = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let reused = pooled.is_some();
        let mut connection = match pooled {
            Some(connection) => connection,
            None => self.connect(context)?,
        };
        let result = match command(&mut connection) {
            Err(ClientError::Io(error)) if reused && is_dead_connection(&error) => {
                self.idle.lock().unwrap_or_else(PoisonError::into_inner).clear();
                connection = self.connect(context)?;
                command(&mut connection)
            }
            other => other,
        };
        match result {
            Ok(value) => {
                let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
                if idle.len() < self.pool_size {
                    idle.push(connection);
                }
                Ok(value)
            }
            Err(error) => Err(self.failed(context, error)),
        }
    }

    fn connect(&self, context: &str) -> Result<Connection, StoreError> {
        Connection::connect(&self.address, self.timeout).map_err(|e| self.failed(context, e))
    }

    fn failed(&self, context: &str, error: ClientError) -> StoreError {
        let context = format!("{context} on memcached {}", self.address);
        match error {
            ClientError::Protocol(_) => StoreError::corrupt(context, Some(Box::new(error))),
            ClientError::Io(_) | ClientError::Server(_) => StoreError::unavailable(context, error),
        }
    }
}

fn parse_index(bytes: &[u8], key: &str) -> Result<Index, StoreError> {
    Index::parse(bytes)
        .ok_or_else(|| StoreError::corrupt(format!("memcached association index {key}"), None))
}

fn is_dead_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
    )
}

impl MemcacheStoreBuilder {
    /// The prefix of every key (default `openid:`), to share servers between sites.
    pub fn prefix(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.prefix);
        self
    }

    /// Idle connections kept per server (default 16).
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size;
        self
    }

    /// How long connecting, and each read and write, may take before the operation fails
    /// with [`StoreError::Unavailable`] (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Accepts servers that evict items when full (memcached's default; `-M` turns it off).
    /// Off by default, because an evicted nonce is accepted again: a replay. With `-M` a
    /// full server answers errors, which fail the login instead.
    pub fn allow_eviction(mut self, allow: bool) -> Self {
        self.allow_eviction = allow;
        self
    }

    /// The clock every time comes from (default the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Checks the options and connects once to each server, to fail early.
    ///
    /// # Errors
    /// [`StoreError::Config`] for no servers or a bad prefix; [`StoreError::Unavailable`]
    /// if a server cannot be reached.
    pub fn build(self) -> Result<MemcacheStore, StoreError> {
        // One normalised list feeds both the ring and the connections: two processes whose
        // lists differ only in spacing must send every key to the same server, or a nonce
        // could be added once on each.
        let addresses: Vec<String> = self.servers.iter().map(|s| s.trim().to_owned()).collect();
        if addresses.is_empty() || addresses.iter().any(String::is_empty) {
            return Err(StoreError::config("memcached store needs at least one host:port", None));
        }
        keys::check_prefix(&self.prefix)?;
        let servers: Vec<Server> = addresses
            .iter()
            .map(|address| Server {
                address: address.clone(),
                idle: Mutex::new(Vec::new()),
                pool_size: self.pool_size,
                timeout: self.timeout,
            })
            .collect();
        for server in &servers {
            let mut connection = server.connect("connecting")?;
            if !self.allow_eviction {
                let evictions = connection
                    .setting("evictions")
                    .map_err(|e| server.failed("reading its settings", e))?;
                if evictions.as_deref() != Some("off") {
                    return Err(StoreError::config(
                        format!(
                            "memcached {} evicts items when full: an evicted nonce would be \
                             accepted again. Start it with -M, or set allow_eviction=true to \
                             accept the risk",
                            server.address
                        ),
                        None,
                    ));
                }
            }
            server.idle.lock().unwrap_or_else(PoisonError::into_inner).push(connection);
        }
        Ok(MemcacheStore {
            ring: Ring::new(&addresses),
            servers,
            prefix: self.prefix,
            clock: self.clock,
        })
    }
}

impl OpenIdStore for MemcacheStore {
    fn store_association(
        &self,
        server_url: &str,
        association: &Association,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let key = keys::association_key(&self.prefix, server_url, association.handle());
        let value = association.serialize();
        let ttl = keys::ttl(association.expires_in(now));
        self.server(&key)?.call("storing an association", |c| {
            c.store(&key, value.as_bytes(), ttl, Mode::Set, None)
        })?;
        let entry = Entry {
            issued: association.issued(),
            expires_at: association.expires_at(),
            handle: association.handle().to_owned(),
        };
        self.update_index(server_url, |index| {
            index.upsert(entry.clone(), now);
            true
        })
    }

    fn get_association(
        &self,
        server_url: &str,
        handle: Option<&str>,
    ) -> Result<Option<Association>, StoreError> {
        if let Some(handle) = handle {
            return self.read_association(server_url, handle);
        }
        let key = keys::index_key(&self.prefix, server_url);
        let Some((bytes, _)) =
            self.server(&key)?.call("reading the association index", |c| c.get(&key))?
        else {
            return Ok(None);
        };
        let now = self.clock.now();
        for entry in parse_index(&bytes, &key)?.entries {
            if entry.expires_at <= now {
                continue;
            }
            if let Some(association) = self.read_association(server_url, &entry.handle)? {
                return Ok(Some(association));
            }
        }
        Ok(None)
    }

    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
        let key = keys::association_key(&self.prefix, server_url, handle);
        let existed = self.server(&key)?.call("removing an association", |c| c.delete(&key))?;
        self.update_index(server_url, |index| index.remove(handle))?;
        Ok(existed)
    }

    fn use_nonce(&self, server_url: &str, timestamp: i64, salt: &str) -> Result<bool, StoreError> {
        let now = self.clock.now();
        if !within_skew(timestamp, now, SKEW) {
            return Ok(false);
        }
        let key = keys::nonce_key(&self.prefix, server_url, timestamp, salt);
        // Kept until it leaves the skew window: after that the timestamp check refuses it.
        let ttl = keys::ttl(timestamp.saturating_add(SKEW).saturating_sub(now).saturating_add(1));
        let outcome = self
            .server(&key)?
            .call("recording a nonce", |c| c.store(&key, b"1", ttl, Mode::Add, None))?;
        match outcome {
            Outcome::Stored => Ok(true),
            Outcome::NotStored => Ok(false),
            other => Err(StoreError::corrupt(
                format!("memcached answered {other:?} to add of nonce {key}"),
                None,
            )),
        }
    }

    fn cleanup_nonces(&self) -> Result<usize, StoreError> {
        // memcached expires nonces itself (their TTL ends with the skew window).
        Ok(0)
    }

    fn cleanup_associations(&self) -> Result<usize, StoreError> {
        // memcached expires associations itself (TTL = remaining lifetime).
        Ok(0)
    }
}

impl fmt::Debug for MemcacheStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let servers: Vec<&str> = self.servers.iter().map(|s| s.address.as_str()).collect();
        f.debug_struct("MemcacheStore")
            .field("servers", &servers)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_urls_are_config_errors() {
        for url in [
            "redis://127.0.0.1:1",
            "memcache://",
            "memcache://user:hunter2@127.0.0.1:1",
            "memcache://127.0.0.1:1?bogus=1",
            "memcache://127.0.0.1:1?pool_size=x",
            "memcache://127.0.0.1:1?prefix=has%20space&x",
        ] {
            let error = MemcacheStore::from_url(url).unwrap_err();
            assert!(error.is_config(), "{url}: {error}");
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
    }
}
