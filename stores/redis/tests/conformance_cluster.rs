//! The store conformance suite against a throwaway Redis Cluster of three masters.

mod common;

use openid_store_conformance::{
    Capabilities, on_server, store_conformance_tests, with_capabilities,
};
use openid_test_servers::Backend;

store_conformance_tests!(with_capabilities(
    Capabilities::new().self_expiring(),
    on_server(Backend::RedisCluster, common::open),
));
