//! The store conformance suite on `FileStore`.

use openid_store_conformance::store_conformance_tests;
use openid_store_file::FileStore;

store_conformance_tests!(|f| FileStore::builder(f.dir()).clock(f.clock()).skew(f.skew()).build());
