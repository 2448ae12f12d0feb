//! The store conformance suite against a real, throwaway MariaDB server.

use openid_store_conformance::{Fixture, StoreError, skip_when, store_conformance_tests};
use openid_store_mysql::MysqlStore;
use openid_test_servers::{Backend, shared};

fn open(fixture: &Fixture) -> Result<MysqlStore, StoreError> {
    let server = shared(Backend::Mysql)
        .map_err(|e| StoreError::config(e.to_string(), None))?
        .ok_or_else(|| StoreError::config("mysql is skipped (OPENID_TEST_SKIP)", None))?;
    let opts = openid_store_mysql::mysql::Opts::from_url(server.url())
        .map_err(|e| StoreError::config(e.to_string(), None))?;
    let namespace = fixture.namespace();
    MysqlStore::builder(opts)
        .associations_table(&format!("{namespace}_a"))
        .nonces_table(&format!("{namespace}_n"))
        .clock(fixture.clock())
        .pool_size(10)
        .migrate(true)
        .build()
}

store_conformance_tests!(skip_when(Backend::Mysql.skip_reason(), open));
