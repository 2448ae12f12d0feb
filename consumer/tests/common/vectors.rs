//! The python-openid test vectors beside the checkout, shared by the test binaries that use
//! them (each includes this file with `#[path]`).

use std::io::Write as _;
use std::path::PathBuf;

/// Set (to anything but `0`) by `scripts/test.sh`: then absent vectors fail the tests
/// instead of skipping them, so CI cannot pass without running them.
const REQUIRED_VARIABLE: &str = "OPENID_VECTORS_REQUIRED";

/// The vectors directory, or `None` after a loud `VECTORS ABSENT` line when it does not
/// exist (a plain clone has no `../shared`): the caller then skips its vector cases and the
/// project's own still run.
///
/// # Panics
/// When the directory is absent and `OPENID_VECTORS_REQUIRED` is set.
#[allow(dead_code, reason = "each test binary that includes this file uses part of it")]
pub(crate) fn vectors_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("OPENID_VECTORS_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/python-openid"),
        PathBuf::from,
    );
    if dir.is_dir() {
        return Some(dir);
    }
    let required = std::env::var(REQUIRED_VARIABLE).is_ok_and(|value| value != "0");
    assert!(
        !required,
        "{REQUIRED_VARIABLE} is set but the python-openid vectors are not at {} \
         (set OPENID_VECTORS_DIR, or put ../shared beside the checkout)",
        dir.display()
    );
    // Straight to stderr: libtest hides what a passing test prints with println!.
    let _ = writeln!(
        std::io::stderr(),
        "VECTORS ABSENT: {} not found; python-openid vectors not run (set OPENID_VECTORS_DIR)",
        dir.display()
    );
    None
}

/// Reads one vector file as bytes, or `None` when the vectors directory is absent.
///
/// # Panics
/// When the directory exists but the file cannot be read: a missing file in a present
/// directory is a broken checkout, not an absent one.
#[allow(dead_code, reason = "each test binary that includes this file uses part of it")]
pub(crate) fn vector(name: &str) -> Option<Vec<u8>> {
    let path = vectors_dir()?.join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(error) => panic!(
            "cannot read {}: {error} (the vectors directory exists, so every file must)",
            path.display()
        ),
    }
}
