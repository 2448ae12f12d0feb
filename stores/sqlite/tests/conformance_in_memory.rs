//! The store conformance suite on `SqliteStore` over a private in-memory database.

use openid_store_conformance::{Capabilities, Fixture, store_conformance_tests, with_capabilities};
use openid_store_sqlite::SqliteStore;

store_conformance_tests!(with_capabilities(
    Capabilities::new().single_process().separate_instances(),
    |f: &Fixture| SqliteStore::builder().clock(f.clock()).open_in_memory()
));
