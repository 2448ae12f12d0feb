//! The store conformance suite on `SqliteStore` over a database file.

use openid_store_conformance::{Fixture, store_conformance_tests};
use openid_store_sqlite::SqliteStore;

store_conformance_tests!(|f: &Fixture| SqliteStore::builder()
    .clock(f.clock())
    .table_prefix(&format!("{}_", f.namespace()))
    .open(f.dir().join("openid.sqlite")));
