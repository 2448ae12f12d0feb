//! The reference implementation's test vectors (python-openid, Apache-2.0).
//!
//! They are read from `../shared/vectors/python-openid/` beside the checkout (or from
//! `OPENID_VECTORS_DIR`) and are not copied into the repository. When the folder is absent,
//! each test prints a clear line and passes, and the project's own cases still run.

// Test code: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod vectors {
    mod dhpriv;
    mod n2b64;
    mod trustroot;
    mod urinorm;

    #[path = "../common/vectors.rs"]
    mod common_vectors;

    /// Reads one vector file as text, or says loudly that it is absent.
    pub(crate) fn read(name: &str) -> Option<String> {
        common_vectors::vector(name)
            .map(|bytes| String::from_utf8(bytes).expect("vector files are UTF-8"))
    }
}
