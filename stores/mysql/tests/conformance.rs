//! The store conformance suite against a throwaway MariaDB server: tables per case.

use openid_store_conformance::{on_server, store_conformance_tests};
use openid_store_mysql::MysqlStoreBuilder;
use openid_test_servers::Backend;

store_conformance_tests!(on_server(Backend::Mysql, |url, f| {
    MysqlStoreBuilder::from_url(url)?
        .table_prefix(&format!("{}_", f.namespace()))
        .migrate(true)
        .pool_size(10)
        .clock(f.clock())
        .skew(f.skew())
        .timeout(f.timeout())
        .build()
}));
