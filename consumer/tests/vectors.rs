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

    use std::path::PathBuf;

    /// Reads one vector file, or says loudly that it is absent.
    pub(crate) fn read(name: &str) -> Option<String> {
        let dir = std::env::var_os("OPENID_VECTORS_DIR").map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/python-openid"),
            PathBuf::from,
        );
        let path = dir.join(name);
        match std::fs::read(&path) {
            Ok(bytes) => Some(String::from_utf8(bytes).expect("vector files are UTF-8")),
            Err(error) => {
                assert!(
                    error.kind() == std::io::ErrorKind::NotFound,
                    "cannot read {}: {error}",
                    path.display()
                );
                println!(
                    "VECTORS ABSENT: {} not found; python-openid vectors not run \
                     (set OPENID_VECTORS_DIR)",
                    path.display()
                );
                None
            }
        }
    }
}
