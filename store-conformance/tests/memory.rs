//! The conformance suite on `MemoryStore`, the reference implementation.

use openid_store_conformance::{MemoryFactory, store_conformance_tests};

store_conformance_tests!(MemoryFactory::new());
