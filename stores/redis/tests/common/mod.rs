//! The factory of the conformance suites (one server, a cluster, one server over TLS).

use openid_store_conformance::{Fixture, StoreError};
use openid_store_redis::{RedisStore, RedisStoreBuilder};

/// A store on the server at `url`, under a key prefix of its own.
pub(crate) fn open(url: &str, f: &Fixture) -> Result<RedisStore, StoreError> {
    RedisStoreBuilder::from_url(url)?
        .prefix(&format!("{}:", f.namespace()))
        .pool_size(10)
        .clock(f.clock())
        .skew(f.skew())
        .timeout(f.timeout())
        .build()
}
