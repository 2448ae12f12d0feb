//! Fixed-size keys for backends that limit key length or characters: digests of server
//! URLs, associations and nonces, and URL redaction for their error messages.
//!
//! Every backend of this workspace derives its keys here, so a key means the same thing
//! in all of them, and no two different inputs share an encoding (fields are
//! length-prefixed before hashing).

use sha2::{Digest, Sha256};

/// SHA-256 of a server URL.
pub fn server_digest(server_url: &str) -> [u8; 32] {
    Sha256::digest(server_url.as_bytes()).into()
}

/// SHA-256 of (server URL, handle), length-prefixed.
pub fn association_digest(server_url: &str, handle: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((server_url.len() as u64).to_be_bytes());
    hasher.update(server_url.as_bytes());
    hasher.update(handle.as_bytes());
    hasher.finalize().into()
}

/// SHA-256 of a whole nonce (server URL, timestamp, salt), length-prefixed.
pub fn nonce_digest(server_url: &str, timestamp: i64, salt: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((server_url.len() as u64).to_be_bytes());
    hasher.update(server_url.as_bytes());
    hasher.update(timestamp.to_be_bytes());
    hasher.update(salt.as_bytes());
    hasher.finalize().into()
}

/// Lower-case hex of a digest, for text keys.
pub fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    digest.iter().fold(String::with_capacity(digest.len() * 2), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// A store URL with any password replaced by `***`, for error messages and logs.
///
/// ```
/// use openid_consumer::store::keys::redact_url;
///
/// assert_eq!(redact_url("mysql://app:s3cret@db:3306/site"), "mysql://app:***@db:3306/site");
/// assert_eq!(redact_url("redis://db:6379/"), "redis://db:6379/");
/// ```
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<URL without scheme>".to_owned();
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

/// Replaces the value of `password=` (and `pass=`) query options with `***`.
fn redact_password_options(rest: &str) -> String {
    let Some((path, query)) = rest.split_once('?') else { return rest.to_owned() };
    let items: Vec<String> = query
        .split('&')
        .map(|item| match item.split_once('=') {
            Some((key, _))
                if key.eq_ignore_ascii_case("password") || key.eq_ignore_ascii_case("pass") =>
            {
                format!("{key}=***")
            }
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
        assert_eq!(server_digest("x"), server_digest("x"));
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
        for url in
            ["mysql://app:hunter2#x@db/site", "redis://:hunter2/x@h:1/", "x://h/?PASS=hunter2"]
        {
            assert!(!redact_url(url).contains("hunter2"), "{url}");
        }
    }

    #[test]
    fn redacts_only_the_password() {
        assert_eq!(redact_url("postgres://u:p@h/db?x=1"), "postgres://u:***@h/db?x=1");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("memcache://h:1,h:2"), "memcache://h:1,h:2");
        assert_eq!(redact_url("u:p@h"), "<URL without scheme>");
        assert_eq!(redact_url("redis://:p@h:1/"), "redis://:***@h:1/");
    }
}
