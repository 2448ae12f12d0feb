//! The store conformance suite against a real, throwaway Redis Cluster of three masters.

use openid_store_conformance::{
    Capabilities, Fixture, StoreError, skip_when, store_conformance_tests, with_capabilities,
};
use openid_store_redis::RedisStore;
use openid_store_redis::RedisStoreBuilder;
use openid_test_servers::{Backend, shared};

fn open(fixture: &Fixture) -> Result<RedisStore, StoreError> {
    let server = shared(Backend::RedisCluster)
        .map_err(|e| StoreError::config(e.to_string(), None))?
        .ok_or_else(|| StoreError::config("redis-cluster is skipped (OPENID_TEST_SKIP)", None))?;
    RedisStoreBuilder::from_url(server.url())?
        .prefix(&format!("{}:", fixture.namespace()))
        .clock(fixture.clock())
        .pool_size(10)
        .build()
}

store_conformance_tests!(skip_when(
    Backend::RedisCluster.skip_reason(),
    with_capabilities(Capabilities::new().self_expiring(), open)
));
