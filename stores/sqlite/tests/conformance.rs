//! The store conformance suite on `SqliteStore` over a database file.

use openid_store_conformance::store_conformance_tests;
use openid_store_sqlite::SqliteStore;

store_conformance_tests!(|f| SqliteStore::builder(f.dir().join("openid.sqlite"))
    .table_prefix(&format!("{}_", f.namespace()))
    .clock(f.clock())
    .skew(f.skew())
    .build());
