//! [`MemcacheStore`]: the [`OpenIdStore`] operations as meta-protocol commands.

use std::fmt;

use openid_consumer::store::{Association, Lookup, NonceRecord, OpenIdStore, StoreError, Timing};
use openid_store_kit::pool::Pool;
use openid_store_kit::settings::{KeySettings, Settings};
use openid_store_kit::url::{StoreUrl, UrlOption};
use openid_store_kit::value::association_from_value;

use crate::client::{ClientError, Connection, Mode, Outcome};
use crate::error::MemcacheError;
use crate::keys::{self, Entry, Index};
use crate::pool::Connector;
use crate::ring::{self, Ring};

/// Attempts at a compare-and-swap update of an index before giving up.
const CAS_ATTEMPTS: usize = 64;

/// Associations and nonces in one or more memcached servers.
pub struct MemcacheStore {
    servers: Vec<Server>,
    ring: Ring,
    prefix: String,
    timing: Timing,
}

/// One memcached server: its connections.
struct Server {
    pool: Pool<Connector>,
}

/// Options for a [`MemcacheStore`]; from [`MemcacheStore::builder`] or
/// [`MemcacheStoreBuilder::from_url`].
#[derive(Debug, Clone)]
#[must_use]
pub struct MemcacheStoreBuilder {
    servers: Vec<String>,
    keys: KeySettings,
    settings: Settings,
    replace_ring: bool,
}

/// The options of a `memcache://` URL.
const OPTIONS: &[UrlOption<MemcacheStoreBuilder>] = &[
    UrlOption::text("prefix", MemcacheStoreBuilder::prefix),
    UrlOption::count("pool_size", MemcacheStoreBuilder::pool_size),
    UrlOption::millis("timeout_ms", MemcacheStoreBuilder::timeout),
    UrlOption::seconds("nonce_retention_s", MemcacheStoreBuilder::nonce_retention),
    UrlOption::flag("allow_eviction", MemcacheStoreBuilder::allow_eviction),
    UrlOption::flag("replace_ring", MemcacheStoreBuilder::replace_ring),
];

impl MemcacheStore {
    /// A store on these servers (`host:port` each) with the default options.
    ///
    /// # Errors
    /// As [`MemcacheStoreBuilder::build`].
    pub fn new<I, S>(servers: I) -> Result<Self, StoreError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::builder(servers).build()
    }

    /// Options for a store on these servers (`host:port` each); keys are spread over
    /// them by consistent hashing.
    pub fn builder<I, S>(servers: I) -> MemcacheStoreBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        MemcacheStoreBuilder {
            servers: servers.into_iter().map(Into::into).collect(),
            keys: KeySettings::new(),
            settings: Settings::new(),
            replace_ring: false,
        }
    }

    /// A store from a URL: `memcache://host:port[,host:port...][?options]`.
    ///
    /// Options: `prefix` (key prefix, default `openid:`), `pool_size` (connections per
    /// server), `timeout_ms` (connect, each read and write, pool wait), `nonce_retention_s`
    /// (seconds a nonce is kept past its window, default 300), `allow_eviction`,
    /// `replace_ring` (see [`MemcacheStoreBuilder::replace_ring`]).
    /// Unknown options are errors.
    ///
    /// # Errors
    /// [`StoreError::Config`] for a bad URL or option; [`StoreError::Unavailable`] if a
    /// server cannot be reached.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        MemcacheStoreBuilder::from_url(url)?.build()
    }

    /// The prefix every key of this store starts with.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn server(&self, key: &str) -> Result<&Server, StoreError> {
        Ok(self.servers.get(self.ring.server_for(key)).ok_or(MemcacheError::NoServers)?)
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
            let now = self.timing.now();
            let current = server.call("read the association index", |c| c.get(&key))?;
            let (mut index, cas) = match current {
                Some((bytes, cas)) => (parse_index(&bytes, &key)?, Some(cas)),
                None => (Index::default(), None),
            };
            if !update(&mut index) {
                return Ok(());
            }
            let value = index.encode();
            let ttl = index.ttl(now);
            let outcome = server.call("write the association index", |c| match cas {
                Some(cas) => c.store(&key, &value, ttl, Mode::Set, Some(cas)),
                None => c.store(&key, &value, ttl, Mode::Add, None),
            })?;
            if outcome == Outcome::Stored {
                return Ok(());
            }
        }
        Err(MemcacheError::Contention { key }.into())
    }

    /// The association `handle` of `server_url`, checked to be what its key says.
    fn read_association(
        &self,
        server_url: &str,
        handle: &str,
    ) -> Result<Option<Association>, StoreError> {
        let key = keys::association_key(&self.prefix, server_url, handle);
        let Some((bytes, _)) = self.server(&key)?.call("read an association", |c| c.get(&key))?
        else {
            return Ok(None);
        };
        let association = association_from_value(&bytes, Some(handle))
            .map_err(|source| MemcacheError::BadValue { key, source })?;
        Ok(Some(association))
    }
}

impl Server {
    /// Runs `command` on a pooled connection of this server (the kit's pool: reconnects
    /// after the server restarts, and tries a command that met a dead pooled connection
    /// once more: the server never saw it on the dead one).
    fn call<T>(
        &self,
        action: &'static str,
        command: impl FnMut(&mut Connection) -> Result<T, ClientError>,
    ) -> Result<T, StoreError> {
        self.pool.run(action, command)
    }

    fn address(&self) -> &str {
        &self.pool.connector().address
    }
}

/// Checks that every server records `identity` as the ring under `key`, recording it where
/// none is (a new server, or one restarted); with `replace`, records it everywhere.
///
/// Every server is read before any is written, so a store refused on one server changes
/// nothing on the others.
fn check_ring(
    servers: &[Server],
    key: &str,
    identity: &str,
    replace: bool,
) -> Result<(), StoreError> {
    let changed = |server: &Server, recorded: &[u8]| MemcacheError::RingChanged {
        address: server.address().to_owned(),
        recorded: String::from_utf8_lossy(recorded).into_owned(),
        configured: identity.to_owned(),
    };
    let mut missing = Vec::new();
    for server in servers {
        match server.call("read the ring's identity", |c| c.get(key))? {
            Some((recorded, _)) if recorded == identity.as_bytes() => {}
            Some((recorded, _)) if !replace => return Err(changed(server, &recorded).into()),
            _ => missing.push(server),
        }
    }
    let mode = if replace { Mode::Set } else { Mode::Add };
    for server in missing {
        // No TTL: the identity lives as long as the server's data does.
        let outcome = server.call("record the ring's identity", |c| {
            c.store(key, identity.as_bytes(), 0, mode, None)
        })?;
        match outcome {
            Outcome::Stored => {}
            // Another store added its identity first: it must be the same.
            Outcome::NotStored => match server.call("read the ring's identity", |c| c.get(key))? {
                Some((recorded, _)) if recorded != identity.as_bytes() => {
                    return Err(changed(server, &recorded).into());
                }
                _ => {}
            },
            outcome => {
                return Err(MemcacheError::Unexpected { key: key.to_owned(), outcome }.into());
            }
        }
    }
    Ok(())
}

fn parse_index(bytes: &[u8], key: &str) -> Result<Index, StoreError> {
    Ok(Index::parse(bytes).ok_or_else(|| MemcacheError::BadIndex { key: key.to_owned() })?)
}

impl MemcacheStoreBuilder {
    /// Options from a URL, as [`MemcacheStore::from_url`] takes it, to set more (a clock)
    /// before [`build`](Self::build).
    ///
    /// # Errors
    /// [`StoreError::Config`] naming what is wrong with the URL.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let parsed = StoreUrl::new("memcached", url);
        let Some(rest) = parsed.base().strip_prefix("memcache://") else {
            return Err(parsed.error("the scheme must be memcache://").into());
        };
        let hosts = rest.trim_end_matches('/');
        if hosts.is_empty() || hosts.contains(['@', '/']) {
            return Err(parsed
                .error(
                    "give host:port pairs only, memcache://host:port[,host:port] (memcached \
                     has no users or paths)",
                )
                .into());
        }
        Ok(parsed.apply(MemcacheStore::builder(hosts.split(',')), OPTIONS)?)
    }

    openid_store_kit::builder_settings!(keys: prefix, allow_eviction);

    openid_store_kit::builder_settings!(settings: clock, skew, retention, timeout, pool_size);

    /// Records this store's server list as the ring of its prefix on every server, even
    /// where another list is recorded (off by default; URL option `replace_ring=true`).
    ///
    /// A store refuses to start when a server holds another list than its own: the ring
    /// would send about 1/n of the keys to other servers than the running stores use, and
    /// a nonce used before, whose key moved, would be accepted again on its new server.
    /// Turn this on once, when the list changes on purpose (a server added, removed or
    /// renamed), after every process has the new list: for the nonce window plus the
    /// retention margin after that (5 hours and 5 minutes by default), a nonce used before
    /// the change whose key moved can be replayed once. Stopping every process for that
    /// long first avoids it; so does a database store.
    pub fn replace_ring(mut self, replace: bool) -> Self {
        self.replace_ring = replace;
        self
    }

    /// Checks the options, connects once to each server to fail early, and checks (or
    /// records) the ring of servers on each. The pool size and timeout apply to each
    /// server.
    ///
    /// # Errors
    /// [`StoreError::Config`] for no servers, a bad prefix or settings, a server that
    /// evicts, or a server that records another list of servers for this prefix (the
    /// error names both lists and how to change the list safely);
    /// [`StoreError::Unavailable`] if a server cannot be reached.
    pub fn build(self) -> Result<MemcacheStore, StoreError> {
        self.settings.check("memcached")?;
        // One normalised list feeds both the ring and the connections: two processes whose
        // lists differ only in spacing must send every key to the same server, or a nonce
        // could be added once on each.
        let addresses: Vec<String> = self.servers.iter().map(|s| s.trim().to_owned()).collect();
        if addresses.is_empty() || addresses.iter().any(String::is_empty) {
            return Err(MemcacheError::NoServers.into());
        }
        if !keys::is_valid_prefix(&self.keys.prefix) {
            return Err(MemcacheError::Prefix { prefix: self.keys.prefix }.into());
        }
        let timeout = self.settings.timeout;
        let mut servers = Vec::with_capacity(addresses.len());
        for address in &addresses {
            let target = format!("memcached {address}");
            let connector = Connector { address: address.clone(), timeout, target };
            let pool = Pool::new(connector, self.settings.pool_size, timeout);
            let mut connection = pool.connect()?;
            if !self.keys.allow_eviction {
                let evictions = connection
                    .setting("evictions")
                    .map_err(|e| pool.error("read the settings", e))?;
                if evictions.as_deref() != Some("off") {
                    return Err(MemcacheError::Evicting { address: address.clone() }.into());
                }
            }
            servers.push(Server { pool });
        }
        let identity = ring::identity(&addresses);
        check_ring(&servers, &keys::ring_key(&self.keys.prefix), &identity, self.replace_ring)?;
        Ok(MemcacheStore {
            ring: Ring::new(&addresses),
            servers,
            prefix: self.keys.prefix,
            timing: self.settings.timing(),
        })
    }
}

impl OpenIdStore for MemcacheStore {
    fn store_association(
        &self,
        server_url: &str,
        association: &Association,
    ) -> Result<(), StoreError> {
        let now = self.timing.now();
        let key = keys::association_key(&self.prefix, server_url, association.handle());
        let value = association.serialize();
        let ttl = keys::ttl(association.expires_in(now));
        self.server(&key)?.call("store an association", |c| {
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

    fn find_association(&self, lookup: &Lookup<'_>) -> Result<Option<Association>, StoreError> {
        let Lookup { server_url, handle, now, .. } = *lookup;
        if let Some(handle) = handle {
            return self.read_association(server_url, handle);
        }
        let key = keys::index_key(&self.prefix, server_url);
        let Some((bytes, _)) =
            self.server(&key)?.call("read the association index", |c| c.get(&key))?
        else {
            return Ok(None);
        };
        for entry in parse_index(&bytes, &key)?.entries {
            if entry.expires_at <= now {
                continue;
            }
            match self.read_association(server_url, &entry.handle)? {
                Some(association) if !association.is_expired(now) => return Ok(Some(association)),
                _ => {}
            }
        }
        Ok(None)
    }

    fn remove_association(&self, server_url: &str, handle: &str) -> Result<bool, StoreError> {
        let key = keys::association_key(&self.prefix, server_url, handle);
        let existed = self.server(&key)?.call("remove an association", |c| c.delete(&key))?;
        self.update_index(server_url, |index| index.remove(handle))?;
        Ok(existed)
    }

    fn record_nonce(&self, nonce: &NonceRecord<'_>) -> Result<bool, StoreError> {
        let key = keys::nonce_key(&self.prefix, nonce.server_url, nonce.timestamp, nonce.salt);
        // The contract's TTL, plus a second: memcached's clock ticks in whole seconds, so an
        // item may expire up to a second before its TTL has passed.
        let ttl = keys::ttl(nonce.ttl().saturating_add(1));
        let outcome = self
            .server(&key)?
            .call("record a nonce", |c| c.store(&key, b"1", ttl, Mode::Add, None))?;
        match outcome {
            Outcome::Stored => Ok(true),
            Outcome::NotStored => Ok(false),
            outcome => Err(MemcacheError::Unexpected { key, outcome }.into()),
        }
    }

    fn timing(&self) -> &Timing {
        &self.timing
    }

    openid_store_kit::expired_by_the_server!();
}

impl fmt::Debug for MemcacheStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let servers: Vec<&str> = self.servers.iter().map(Server::address).collect();
        f.debug_struct("MemcacheStore")
            .field("servers", &servers)
            .field("prefix", &self.prefix)
            .field("timing", &self.timing)
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
            "memcache://127.0.0.1:1?timeout_ms=0",
            "memcache://127.0.0.1:1?prefix=has%20space&x",
        ] {
            let error = MemcacheStore::from_url(url).unwrap_err();
            assert!(error.is_config(), "{url}: {error}");
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
    }

    /// memcached keeps a key at most 30 days from now: a window so wide that a nonce must be
    /// kept longer would be forgotten while still acceptable, so the builder refuses it
    /// before connecting.
    #[test]
    fn a_window_wider_than_the_server_can_keep_nonces_is_refused() {
        let error = MemcacheStore::builder(["127.0.0.1:1"]).skew(20 * 24 * 60 * 60).build();
        let error = error.unwrap_err();
        assert!(error.is_config(), "{error}");
        assert!(error.to_string().contains("nonce window"), "{error}");
    }

    #[test]
    fn urls_set_the_options() {
        let builder = MemcacheStoreBuilder::from_url(
            "memcache://a:1,b:2/?prefix=site%3A&pool_size=3&timeout_ms=250&allow_eviction=yes\
             &nonce_retention_s=900",
        )
        .unwrap();
        assert_eq!(builder.settings.retention, 900);
        assert_eq!(builder.servers, ["a:1", "b:2"]);
        assert_eq!(builder.keys.prefix, "site:");
        assert_eq!(builder.settings.pool_size, 3);
        assert!(builder.keys.allow_eviction);
        let error = MemcacheStoreBuilder::from_url("memcache://a:1?pool=3").unwrap_err();
        assert!(
            error.to_string().contains(
                "options are prefix, pool_size, timeout_ms, nonce_retention_s, allow_eviction, \
                 replace_ring"
            ),
            "{error}"
        );
    }
}
