//! The store conformance suite against a throwaway memcached server: a key prefix per
//! case. memcached expires the keys itself.

use openid_store_conformance::{
    Capabilities, on_server, store_conformance_tests, with_capabilities,
};
use openid_store_memcache::MemcacheStoreBuilder;
use openid_test_servers::Backend;

store_conformance_tests!(with_capabilities(
    Capabilities::new().self_expiring(),
    on_server(Backend::Memcache, |url, f| {
        MemcacheStoreBuilder::from_url(url)?
            .prefix(&format!("{}:", f.namespace()))
            .clock(f.clock())
            .skew(f.skew())
            .timeout(f.timeout())
            .build()
    }),
));
