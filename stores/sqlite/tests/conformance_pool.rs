//! The store conformance suite on `SqliteStore` with a pool of 4 connections.

use openid_store_conformance::{Fixture, store_conformance_tests};
use openid_store_sqlite::{SqliteStore, Synchronous};

store_conformance_tests!(|f: &Fixture| SqliteStore::builder()
    .clock(f.clock())
    .max_connections(4)
    .synchronous(Synchronous::Normal)
    .open(f.dir().join("openid.sqlite")));
