//! The store conformance suite on `FileStore`.

use openid_store_conformance::{Fixture, store_conformance_tests};
use openid_store_file::FileStore;

store_conformance_tests!(|f: &Fixture| Ok(FileStore::open(f.dir())?.with_clock(f.clock())));
