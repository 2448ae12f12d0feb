//! The python-openid test vectors beside the checkout, shared by the test binaries that use
//! them (each includes this file with `#[path]`).

use std::path::PathBuf;

/// Reads one vector file as bytes, or says loudly that it is absent (a plain clone has no
/// `../shared`): the caller then skips its vector cases and the project's own still run.
pub(crate) fn vector(name: &str) -> Option<Vec<u8>> {
    let dir = std::env::var_os("OPENID_VECTORS_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/python-openid"),
        PathBuf::from,
    );
    let path = dir.join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
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
