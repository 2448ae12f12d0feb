//! The store conformance suite on `SqliteStore` with a pool of 4 connections.

use openid_store_conformance::store_conformance_tests;
use openid_store_sqlite::{SqliteStore, Synchronous};

store_conformance_tests!(|f| SqliteStore::builder(f.dir().join("openid.sqlite"))
    .pool_size(4)
    .synchronous(Synchronous::Normal)
    .clock(f.clock())
    .skew(f.skew())
    .build());
