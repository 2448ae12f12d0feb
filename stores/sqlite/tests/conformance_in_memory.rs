//! The store conformance suite on `SqliteStore` over a private in-memory database: its data
//! lives in one process, and two stores share none.

use openid_store_conformance::{Capabilities, store_conformance_tests, stores, with_capabilities};
use openid_store_sqlite::SqliteStore;

store_conformance_tests!(with_capabilities(
    Capabilities::new().single_process().separate_instances(),
    stores(|f| SqliteStore::builder_in_memory().clock(f.clock()).skew(f.skew()).build()),
));
