//! Fixed-size keys for backends that limit key length or characters: digests of server
//! URLs, associations and nonces; and URL redaction for error messages.
//!
//! Every backend derives its keys here, so a key means the same thing in all of them, and
//! no two different inputs share an encoding (fields are length-prefixed before hashing).
//! A store never changes how it derives a key it has written: a nonce stored under an old
//! key and looked up under a new one would be accepted twice.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// SHA-256 of a server URL.
pub fn server_digest(server_url: &str) -> [u8; 32] {
    sha256(server_url.as_bytes())
}

/// SHA-256 of (server URL, handle), the URL length-prefixed.
pub fn association_digest(server_url: &str, handle: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((server_url.len() as u64).to_be_bytes());
    hasher.update(server_url.as_bytes());
    hasher.update(handle.as_bytes());
    hasher.finalize().into()
}

/// SHA-256 of a whole nonce (server URL, timestamp, salt), the URL length-prefixed.
pub fn nonce_digest(server_url: &str, timestamp: i64, salt: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((server_url.len() as u64).to_be_bytes());
    hasher.update(server_url.as_bytes());
    hasher.update(timestamp.to_be_bytes());
    hasher.update(salt.as_bytes());
    hasher.finalize().into()
}

/// SHA-256 of `parts`, each prefixed by its length (8 bytes, big-endian).
pub fn parts_digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// Lower-case hex of a digest, for text keys.
pub fn hex(digest: &[u8]) -> String {
    digest.iter().fold(String::with_capacity(digest.len() * 2), |mut out, byte| {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// A store URL with any password replaced by `***`, for error messages and logs. A URL
/// of the form `scheme:path` (`sqlite:file.db`, `memory:`) has no user information and is
/// shown as it is; text with no scheme at all is not shown (it may be a mistyped password),
/// nor is anything before an `@`.
///
/// ```
/// use openid_store_kit::keys::redact_url;
///
/// assert_eq!(redact_url("mysql://app:s3cret@db:3306/site"), "mysql://app:***@db:3306/site");
/// assert_eq!(redact_url("redis://db:6379/"), "redis://db:6379/");
/// assert_eq!(redact_url("sqlite:openid.db"), "sqlite:openid.db");
/// ```
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        let has_scheme = url.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b))
        });
        return match url.rsplit_once('@') {
            // `user:password@host` typed without `//`: hide what may be a password.
            Some((_, host)) => format!("***@{}", redact_password_options(host)),
            None if has_scheme => redact_password_options(url),
            None => "<URL without scheme>".to_owned(),
        };
    };
    // The last `@` ends the user information even when the password holds an unencoded
    // `/`, `?`, `#` or `@`: over-redacting a query that holds an `@` is the safe mistake.
    let rest = match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            if user.contains(['/', '?', '#']) {
                format!("***@{host}")
            } else if userinfo.contains(':') {
                format!("{user}:***@{host}")
            } else {
                format!("{user}@{host}")
            }
        }
        None => rest.to_owned(),
    };
    format!("{scheme}://{}", redact_password_options(&rest))
}

/// Replaces the value of `password=` (and `pass=`) query options with `***`. The key is
/// compared percent-decoded, as drivers read it (`p%61ssword=` is a password to them).
fn redact_password_options(rest: &str) -> String {
    let Some((path, query)) = rest.split_once('?') else { return rest.to_owned() };
    let is_password = |key: &str| {
        let decoded: String = form_urlencoded::parse(key.as_bytes())
            .next()
            .map_or_else(|| key.to_owned(), |(decoded, _)| decoded.into_owned());
        let decoded = decoded.trim();
        decoded.eq_ignore_ascii_case("password") || decoded.eq_ignore_ascii_case("pass")
    };
    let items: Vec<String> = query
        .split('&')
        .map(|item| match item.split_once('=') {
            Some((key, _)) if is_password(key) => format!("{key}=***"),
            _ => item.to_owned(),
        })
        .collect();
    format!("{path}?{}", items.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_do_not_collide_across_field_boundaries() {
        assert_ne!(nonce_digest("ab", 1, "c"), nonce_digest("a", 1, "bc"));
        assert_ne!(nonce_digest("a", 1, "b"), nonce_digest("a", 2, "b"));
        assert_ne!(association_digest("ab", "c"), association_digest("a", "bc"));
        assert_ne!(parts_digest(&[b"ab", b"c"]), parts_digest(&[b"a", b"bc"]));
        assert_eq!(server_digest("x"), server_digest("x"));
    }

    #[test]
    fn digests_keep_the_layouts_stores_have_written() {
        // Changing any of these would make a store miss the keys it wrote before.
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(server_digest("abc"), sha256(b"abc"));
        let mut prefixed = 3u64.to_be_bytes().to_vec();
        prefixed.extend_from_slice(b"abch");
        assert_eq!(association_digest("abc", "h"), sha256(&prefixed));
    }

    #[test]
    fn hex_is_lower_case_and_complete() {
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(hex(&server_digest("")).len(), 64);
    }

    #[test]
    fn redacts_passwords_holding_url_delimiters_and_password_options() {
        assert_eq!(redact_url("mysql://app:hunter2#x@db/site"), "mysql://app:***@db/site");
        assert_eq!(redact_url("redis://:hunter2/x@h:1/"), "redis://:***@h:1/");
        assert_eq!(redact_url("redis://:p@ss@h:1/"), "redis://:***@h:1/");
        assert_eq!(redact_url("postgres://u:a?b@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            redact_url("postgres://app@h/db?password=hunter2&sslmode=bogus"),
            "postgres://app@h/db?password=***&sslmode=bogus"
        );
        for url in [
            "mysql://app:hunter2#x@db/site",
            "redis://:hunter2/x@h:1/",
            "x://h/?PASS=hunter2",
            "postgres://app@h/db?p%61ssword=hunter2&sslmode=bogus",
            "postgres://app@h/db?%70assword=hunter2",
            "mysql://app@h/db?pass%77ord=hunter2",
            "sqlite:x.db?password=hunter2",
        ] {
            assert!(!redact_url(url).contains("hunter2"), "{url}");
        }
    }

    #[test]
    fn redacts_only_the_password() {
        assert_eq!(redact_url("postgres://u:p@h/db?x=1"), "postgres://u:***@h/db?x=1");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("memcache://h:1,h:2"), "memcache://h:1,h:2");
        assert_eq!(redact_url("redis://:p@h:1/"), "redis://:***@h:1/");
        assert_eq!(redact_url("memory:"), "memory:");
        assert_eq!(redact_url("u:p@h"), "***@h");
        assert_eq!(redact_url("hunter2"), "<URL without scheme>");
        assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
    }
}
