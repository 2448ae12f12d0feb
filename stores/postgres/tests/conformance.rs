//! The store conformance suite against a throwaway PostgreSQL server: a schema per case.

use openid_store_conformance::{on_server, store_conformance_tests};
use openid_store_postgres::PostgresStoreBuilder;
use openid_test_servers::Backend;

store_conformance_tests!(on_server(Backend::Postgres, |url, f| {
    PostgresStoreBuilder::from_url(url)?
        .schema(f.namespace())
        .migrate(true)
        .pool_size(10)
        .clock(f.clock())
        .skew(f.skew())
        .timeout(f.timeout())
        .build()
}));
