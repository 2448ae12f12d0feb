//! A Redis [`OpenIdStore`](openid_consumer::store::OpenIdStore), on one server or a Redis
//! Cluster: associations and nonces shared by every web server of a site, expired by Redis.
//!
//! ```
//! use openid_consumer::store::OpenIdStore;
//! use openid_store_redis::RedisStore;
//!
//! # // The doctest starts a throwaway server; in an application the URL is configuration.
//! # let Some(server) = openid_test_servers::shared(openid_test_servers::Backend::Redis)? else { return Ok(()) };
//! # let url = format!("{}?prefix=doc_example:", server.url());
//! // e.g. "redis://:secret@cache.internal:6379/0?prefix=site:"
//! // or "rediss://:secret@cache.internal:6380/0?tls_ca_file=/etc/redis/ca.pem" (TLS)
//! // or "redis+cluster://:secret@10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000"
//! let store = RedisStore::from_url(&url)?;
//! let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
//! let salt = format!("doc-{now}");
//! assert!(store.use_nonce("https://op.example/server", now, &salt)?);
//! assert!(!store.use_nonce("https://op.example/server", now, &salt)?, "a replay is refused");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Semantics
//!
//! - **Eviction.** A server with a `maxmemory` limit and an eviction policy other than
//!   `noeviction` may delete nonce keys before their TTL, and an evicted nonce would be
//!   accepted again. The store reads `INFO memory` when it is built on every node that
//!   holds its keys or may be promoted to: the server and the replicas it reports (`INFO
//!   replication`), or every master and replica of a cluster (`CLUSTER NODES`), and
//!   refuses to start if any evicts, naming it, unless `allow_eviction` says otherwise.
//!   Nodes added later are not checked until the next start.
//! - **Keys.** Every key starts with a prefix (default `openid:`; `?prefix=` in the URL).
//!   Server URLs, handles and salts are hashed (SHA-256, hex) into keys, so any length and
//!   any characters work. An association is a string holding
//!   [`Association::serialize`](openid_consumer::store::Association::serialize); each server
//!   URL has a sorted set indexing its associations by issue time, so the newest is found
//!   without scanning. The association keys and the index of one server URL share a hash
//!   tag, `{<digest of the server URL>}`, so the scripts that touch both run on Redis
//!   Cluster; nonce keys have none, so nonces spread over all masters. The prefix must not
//!   contain `{` or `}`.
//! - **Expiry.** Redis expires the keys itself:
//!   [`cleanup_nonces`](openid_consumer::store::OpenIdStore::cleanup_nonces) and
//!   [`cleanup_associations`](openid_consumer::store::OpenIdStore::cleanup_associations)
//!   do nothing and return 0. TTLs are relative (`EX`), computed from the store's clock, never
//!   from the server's: an association lives `expires_in(now)` seconds (at least 1), a nonce
//!   until it left the window more than the retention margin ago
//!   ([`NonceRecord::ttl`](openid_consumer::store::NonceRecord::ttl),
//!   `timestamp + skew + retention - now + 1` seconds, so a nonce dated in the future is
//!   kept longer, and a node whose clock runs ahead by less than the margin, 5 minutes by
//!   default, `nonce_retention_s`, gives no nonce a TTL shorter than the others accept it). The contract checks expiry again with the store's clock, so an association
//!   is never returned once expired even if Redis still holds it, and refuses a nonce
//!   outside the window without a round trip.
//! - **Failover.** Redis replicates asynchronously: by default a nonce counts as used once
//!   the master answered `SET NX`, and a failover before a replica received it forgets
//!   it (a replay). [`RedisStoreBuilder::wait_replicas`]`(N)` (URL `wait_replicas=N`)
//!   sends `WAIT N` after each recorded nonce and fails the call as unavailable when fewer
//!   replicas acknowledge within half the timeout, so a failover to any replica that
//!   acknowledged keeps it; one server only (a cluster with it is a configuration error).
//!   A restart of every node keeps what the persistence settings (RDB/AOF) keep.
//! - **Atomicity.** `use_nonce` is one `SET key 1 NX EX ttl`: exactly one concurrent caller
//!   creates the key and gets `true`. Storing (value and index entry, dropping entries
//!   whose association expired), removing (key and index entry; `true` only for the caller
//!   whose `DEL` deleted the key) and finding the newest association (walking the index
//!   newest first) are each one Lua script (`EVALSHA`): atomic, one round trip, and on a
//!   cluster within one slot.
//! - **Corruption.** A value that does not deserialize, or a key of another type, is
//!   [`StoreError::Corrupt`](openid_consumer::store::StoreError::Corrupt): never a wrong or
//!   missing association.
//! - **Connections.** The pool of `openid-store-kit` (16 by default; `?pool_size=`); on a cluster each pooled
//!   connection holds one connection per master and follows `MOVED`/`ASK` redirections.
//!   Connecting, waiting for a pooled connection, and each read and write are limited by
//!   the timeout (5 s default; `?timeout_ms=`): when the server goes away every call fails
//!   with [`StoreError::Unavailable`](openid_consumer::store::StoreError::Unavailable) in
//!   about that time; when it comes back the same store reconnects (a pooled connection
//!   found dropped is replaced and the call tried once more, so a restart between two
//!   calls fails neither). Checking a connection out of the pool costs no round trip. On
//!   one server, a call that ran out of time starts a back-off of 1 s during which calls
//!   fail as unavailable at once, instead of each waiting the whole timeout (a refused
//!   connection starts none: a restarted server is used at once); on a cluster, where one
//!   hung master must not fail the calls to the others, there is none.
//! - **Durability.** Whatever the server's persistence gives (RDB, AOF, replicas): a Redis
//!   without persistence forgets associations and nonces when it restarts. Forgotten
//!   associations are renegotiated; forgotten nonces could be replayed within the skew
//!   window, so production servers should persist (`appendonly yes`).
//! - **TLS.** `rediss://host:port/` connects over TLS (rustls, with ring as its crypto
//!   provider, installed as the process's default when a TLS store is built and the
//!   application installed none; an application that wants another provider installs it
//!   before it builds the store, as rustls refuses a second default). The server's
//!   certificate is always checked, host name or IP address included: by default
//!   against the public roots of `webpki-roots` (Mozilla's list, compiled in, as the
//!   fetcher of `openid-consumer` trusts them); with
//!   `tls_ca_file=/path/to/ca.pem` in the URL (or
//!   [`RedisStoreBuilder::tls_ca_file`]), only against the CA certificates (PEM) in that
//!   file, for a private or self-signed CA. The file is read when the store is built: a
//!   missing or unreadable file, or one without a certificate, is
//!   [`StoreError::Config`](openid_consumer::store::StoreError::Config) naming
//!   `tls_ca_file` and the path. A certificate that is not trusted fails the build with a
//!   configuration error that says so and what to set; a `rediss://` URL to a server
//!   without TLS fails with one that says to use `redis://`. Certificate checks cannot be
//!   turned off (a URL ending in `#insecure` is refused, and so is a `ConnectionInfo`
//!   given to [`RedisStore::builder`] with the driver's
//!   `set_danger_accept_invalid_hostnames(true)`), and client certificates are not
//!   supported. A Redis Cluster over TLS (`rediss+cluster://`) is refused, not supported
//!   yet. Replicas found for the eviction check are reached with the same TLS settings.
//!
//!   ```text
//!   rediss://:secret@cache.internal:6380/0?tls_ca_file=/etc/redis/tls/ca.pem
//!   ```
//! - **Secrets.** `Debug` and errors show the server, never the password or an
//!   association's secret.

#![deny(missing_docs)]

mod backoff;
mod error;
mod keys;
mod pool;
mod store;

pub use store::{RedisStore, RedisStoreBuilder};

/// The `redis` driver, whose [`ConnectionInfo`](redis::ConnectionInfo) and
/// [`Client`](redis::Client) [`RedisStore::builder`] and [`RedisStore::new`] take.
pub use redis;
