//! The store conformance suite against a real, throwaway PostgreSQL server.

use openid_store_conformance::{Fixture, StoreError, skip_when, store_conformance_tests};
use openid_store_postgres::PostgresStore;
use openid_test_servers::{Backend, shared};

fn open(fixture: &Fixture) -> Result<PostgresStore, StoreError> {
    let server = shared(Backend::Postgres)
        .map_err(|e| StoreError::config(e.to_string(), None))?
        .ok_or_else(|| StoreError::config("postgres is skipped (OPENID_TEST_SKIP)", None))?;
    let config = server.url().parse().map_err(|e| StoreError::config(format!("{e}"), None))?;
    PostgresStore::builder(config)
        .schema(fixture.namespace())
        .clock(fixture.clock())
        .pool_size(10)
        .migrate(true)
        .build()
}

store_conformance_tests!(skip_when(Backend::Postgres.skip_reason(), open));
