//! The store conformance suite against a real, throwaway memcached server.

use openid_store_conformance::{
    Capabilities, Fixture, StoreError, skip_when, store_conformance_tests, with_capabilities,
};
use openid_store_memcache::MemcacheStore;
use openid_test_servers::{Backend, shared};

fn open(fixture: &Fixture) -> Result<MemcacheStore, StoreError> {
    let server = shared(Backend::Memcache)
        .map_err(|e| StoreError::config(e.to_string(), None))?
        .ok_or_else(|| StoreError::config("memcache is skipped (OPENID_TEST_SKIP)", None))?;
    let address = server.url().trim_start_matches("memcache://").to_owned();
    MemcacheStore::builder([address])
        .prefix(&format!("{}:", fixture.namespace()))
        .clock(fixture.clock())
        .build()
}

store_conformance_tests!(skip_when(
    Backend::Memcache.skip_reason(),
    with_capabilities(Capabilities::new().self_expiring(), open)
));
