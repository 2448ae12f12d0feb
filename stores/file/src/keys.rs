//! Where each entry lives: the directory layout and the hashed file names.
//!
//! ```text
//! <dir>/openid-store-version              "1": the layout version
//! <dir>/lock                              locked while opening and during cleanup
//! <dir>/tmp/<random>.tmp                  files being written, renamed into place
//! <dir>/associations/<H(server)>/<H(handle)>          Association::serialize text
//! <dir>/nonces/<timestamp div 3600>/<timestamp>_<H(server, timestamp, salt)>  empty
//! ```
//!
//! `H` is SHA-256 in lower-case hex over length-prefixed parts, so any server URL, handle or
//! salt (any length, any characters) makes a fixed, safe file name, and no two different
//! keys share one. Nonces are grouped by hour so cleanup deletes whole old directories.

use std::path::{Path, PathBuf};

use openid_store_kit::keys::{hex, parts_digest};

/// The layout version this library writes and reads.
pub(crate) const LAYOUT_VERSION: &str = "1";
/// Name of the layout version file.
pub(crate) const VERSION_FILE: &str = "openid-store-version";
/// Name of the lock file.
pub(crate) const LOCK_FILE: &str = "lock";
/// Seconds of nonce timestamps per nonce directory.
pub(crate) const BUCKET_SECONDS: i64 = 3_600;

/// The paths of one store directory.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    root: PathBuf,
}

impl Layout {
    pub(crate) fn new(root: PathBuf) -> Self {
        Self { root }
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }

    pub(crate) fn associations(&self) -> PathBuf {
        self.root.join("associations")
    }

    pub(crate) fn nonces(&self) -> PathBuf {
        self.root.join("nonces")
    }

    /// The directory of one server's associations.
    pub(crate) fn server_dir(&self, server_url: &str) -> PathBuf {
        self.associations().join(hash(&[server_url.as_bytes()]))
    }

    /// The name of an association's file in its server directory.
    pub(crate) fn association_name(handle: &str) -> String {
        hash(&[handle.as_bytes()])
    }

    /// The directory of the nonces of one hour.
    pub(crate) fn nonce_dir(&self, timestamp: i64) -> PathBuf {
        self.nonces().join(timestamp.div_euclid(BUCKET_SECONDS).to_string())
    }

    /// The name of a nonce's file in its hour directory.
    pub(crate) fn nonce_name(server_url: &str, timestamp: i64, salt: &str) -> String {
        let stamp = timestamp.to_string();
        format!("{stamp}_{}", hash(&[server_url.as_bytes(), stamp.as_bytes(), salt.as_bytes()]))
    }
}

/// The timestamp of a nonce file name, `None` for any other name.
pub(crate) fn nonce_timestamp(name: &str) -> Option<i64> {
    let (stamp, digest) = name.split_once('_')?;
    is_hash(digest).then(|| stamp.parse().ok()).flatten()
}

/// The first second of the nonce directory named `name` (an hour number).
pub(crate) fn bucket_start(name: &str) -> Option<i64> {
    name.parse::<i64>().ok()?.checked_mul(BUCKET_SECONDS)
}

/// Whether `name` is a hash as [`hash`] makes them.
pub(crate) fn is_hash(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// SHA-256 of the parts, each prefixed by its length (8 bytes, big-endian), in hex.
fn hash(parts: &[&[u8]]) -> String {
    hex(&parts_digest(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_prefixes_keep_different_keys_apart() {
        assert_ne!(hash(&[b"ab", b"c"]), hash(&[b"a", b"bc"]));
        assert_ne!(Layout::nonce_name("s", 1, "ab"), Layout::nonce_name("s1", 1, "ab"));
        assert!(is_hash(&Layout::association_name("h")));
    }

    #[test]
    fn nonce_names_carry_their_timestamp() {
        for t in [-5, 0, 1_700_000_000, 253_402_300_799] {
            assert_eq!(nonce_timestamp(&Layout::nonce_name("s", t, "x_y")), Some(t));
        }
        assert_eq!(nonce_timestamp("12_notahash"), None);
        assert_eq!(nonce_timestamp("junk"), None);
    }

    #[test]
    fn nonce_hours_round_down_also_before_1970() {
        let layout = Layout::new(PathBuf::from("/s"));
        assert!(layout.nonce_dir(3_599).ends_with("nonces/0"));
        assert!(layout.nonce_dir(-1).ends_with("nonces/-1"));
        assert_eq!(bucket_start("-1"), Some(-3_600));
    }
}
