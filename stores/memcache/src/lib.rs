//! A memcached [`OpenIdStore`](openid_consumer::store::OpenIdStore): associations and nonces
//! in one or several memcached servers, spoken to in memcached's meta protocol.
//!
//! ```
//! use openid_consumer::store::OpenIdStore;
//! use openid_store_memcache::MemcacheStore;
//!
//! # // The doctest starts a throwaway memcached; in an application the URL is configuration.
//! # let Some(server) = openid_test_servers::shared(openid_test_servers::Backend::Memcache)? else { return Ok(()) };
//! # let url = format!("{}?prefix=doc:", server.url());
//! // e.g. "memcache://cache1:11211,cache2:11211"
//! let store = MemcacheStore::from_url(&url)?;
//! let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
//! let salt = format!("doc-{now}");
//! assert!(store.use_nonce("https://op.example/server", now, &salt)?);
//! assert!(!store.use_nonce("https://op.example/server", now, &salt)?, "a replay is refused");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Semantics
//!
//! - **Protocol.** The meta protocol (memcached 1.6 or newer), through a small client in
//!   this crate: every store command answers `HD` (stored) or `NS` (not stored), so a
//!   duplicate `add` can never pass for a first one. (The `memcache` crate's ASCII client
//!   reports a duplicate `add` as success, which would accept a replayed nonce.)
//! - **Nonces.** `add` with a TTL that ends with the window plus the retention margin
//!   ([`NonceRecord::ttl`](openid_consumer::store::NonceRecord::ttl), 5 minutes of margin
//!   by default, `nonce_retention_s`, so a node whose clock runs ahead does not give
//!   nonces a TTL shorter than the others accept them; plus a second for memcached's
//!   whole-second clock): the first caller stores the key and gets `true`,
//!   every other caller `NS` and `false`; atomic in the server. The contract refuses a
//!   timestamp outside the window without a round trip.
//! - **Associations.** Each under its own key (the serialised association) with a TTL of
//!   its remaining life (capped at 30 days, memcached's limit for relative TTLs), plus a
//!   per-server index of the 32 newest handles with their issue and expiry times, updated
//!   by compare-and-swap. Lookups without a handle walk the index newest first. The
//!   contract checks expiry with the store's clock on every read too.
//! - **Keys.** A prefix (default `openid:`) and a hex SHA-256 digest: any URL, handle or
//!   salt fits memcached's 250-byte keys.
//! - **Several servers.** Keys are spread by consistent hashing (a ring of 160 points per
//!   server), so adding a server moves about 1/n of the keys. A moved nonce key would be
//!   fresh on its new server, so the ring is guarded: each store records its server list
//!   (sorted; names as written) on every server under `<prefix>ring` when it is built, and
//!   a store whose list differs (a server added, removed or renamed, or `localhost` where
//!   the others say `127.0.0.1`) refuses to start with an error naming both lists.
//!   Changing the list on purpose takes
//!   [`replace_ring`](MemcacheStoreBuilder::replace_ring)`(true)` once, which accepts a
//!   replay window of the nonce window plus the retention margin for nonces whose keys
//!   moved. A server that restarts has lost its nonces anyway, and gets the list again.
//! - **Expiry and cleanup.** The server expires keys itself: `cleanup_nonces` and
//!   `cleanup_associations` return 0.
//! - **Eviction.** memcached evicts items when it is full, unless started with `-M`; an
//!   evicted nonce would be accepted again. The store reads each server's settings when it
//!   is built and refuses a server that evicts, unless `allow_eviction` says otherwise. With
//!   `-M`, a full server answers `SERVER_ERROR`, which fails the login instead. Size the
//!   cache for every nonce of the skew window: about 100 bytes each, kept 5 hours (at 100
//!   logins a second, some 180 MB).
//! - **Durability.** None: memcached keeps data in memory. A restart forgets used nonces
//!   (a replay inside the skew window after a restart is possible) and associations (they
//!   are negotiated again). Use a database store where that matters.
//! - **Connections.** One pool of `openid-store-kit` per server (16 connections each by
//!   default, `pool_size`). Connecting, each command (from sending it to the end of its
//!   answer, however the server paces it) and the wait for a free connection are bounded
//!   by the timeout (5 s default, `timeout_ms`): a server that goes away makes every call fail
//!   with [`StoreError::Unavailable`](openid_consumer::store::StoreError::Unavailable);
//!   when it comes back the store reconnects, within the first call.

#![deny(missing_docs)]

mod client;
mod error;
mod keys;
mod pool;
mod ring;
mod store;

pub use store::{MemcacheStore, MemcacheStoreBuilder};
