//! Key layout, and the Lua scripts that run the multi-key operations.
//!
//! Every variable part of a key is a SHA-256 digest in hex, so server URLs, handles and
//! salts of any length and any characters make short, safe keys:
//!
//! ```text
//! <prefix>assoc:{<S>}:<H>       string: Association::serialize(), EX = validity left
//! <prefix>assoc-index:{<S>}     sorted set: member <H>, score = issued
//! <prefix>nonce:<S>:<T>:<N>     string "1", EX = what remains of the skew window
//! ```
//!
//! `S` is the digest of the server URL, `H` of the handle, `N` of the salt; `T` is the
//! nonce's timestamp in decimal. The association key and the index of one server URL share
//! the hash tag `{S}`, so Redis Cluster keeps them in one slot and the scripts below, which
//! touch both, work there (a multi-key command across slots fails with `CROSSSLOT`).
//! Nonce keys have no hash tag on purpose: `use_nonce` touches one key, and without a tag
//! the nonces of a busy provider spread over every master instead of loading one.
//!
//! The index's members are handle digests, not handles: a script finds an association's key
//! by appending the member to the key prefix, and Lua has no SHA-256 to compute it from a
//! handle. The handle itself is inside the stored value.

use openid_store_kit::keys::{hex, sha256};

use crate::error::RedisStoreError;

/// The keys of one store: everything starts with its prefix.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: String,
}

/// The keys of one server URL.
#[derive(Debug)]
pub(crate) struct ServerKeys {
    /// `<prefix>assoc:{S}:`, to which a handle digest is appended.
    association_prefix: String,
    /// `<prefix>assoc-index:{S}`.
    index: String,
}

impl Keys {
    /// Keys under `prefix`, which must not contain `{` or `}`: a brace in the prefix would
    /// become the hash tag and put every key of the store in one cluster slot.
    pub(crate) fn new(prefix: &str) -> Result<Self, RedisStoreError> {
        if prefix.contains(['{', '}']) {
            return Err(RedisStoreError::Prefix { prefix: prefix.to_owned() });
        }
        Ok(Self { prefix: prefix.to_owned() })
    }

    /// The prefix every key starts with.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The association keys of `server_url`.
    pub(crate) fn server(&self, server_url: &str) -> ServerKeys {
        let tag = digest(server_url.as_bytes());
        ServerKeys {
            association_prefix: format!("{}assoc:{{{tag}}}:", self.prefix),
            index: format!("{}assoc-index:{{{tag}}}", self.prefix),
        }
    }

    /// The key of the nonce (server URL, timestamp, salt). Fixed-length digests around the
    /// decimal timestamp make the encoding unambiguous.
    pub(crate) fn nonce(&self, server_url: &str, timestamp: i64, salt: &str) -> String {
        format!(
            "{}nonce:{}:{timestamp}:{}",
            self.prefix,
            digest(server_url.as_bytes()),
            digest(salt.as_bytes())
        )
    }
}

impl ServerKeys {
    /// The index member (the handle's digest) of `handle`.
    pub(crate) fn member(handle: &str) -> String {
        digest(handle.as_bytes())
    }

    /// The key of the association `handle`.
    pub(crate) fn association(&self, handle: &str) -> String {
        format!("{}{}", self.association_prefix, Self::member(handle))
    }

    /// What the scripts prepend to an index member to get an association key.
    pub(crate) fn association_prefix(&self) -> &str {
        &self.association_prefix
    }

    /// The index (sorted set) of this server URL's associations.
    pub(crate) fn index(&self) -> &str {
        &self.index
    }
}

/// Lower-case hex SHA-256: the layout this store has always written.
fn digest(bytes: &[u8]) -> String {
    hex(&sha256(bytes))
}

/// Stores an association and indexes it; prunes index members whose association the server
/// has expired; keeps the index at least as long as its longest-lived association.
///
/// `KEYS[1]` association key, `KEYS[2]` index; `ARGV[1]` serialised association,
/// `ARGV[2]` TTL in seconds (at least 1), `ARGV[3]` issued (the score), `ARGV[4]` index
/// member, `ARGV[5]` association key prefix. Returns 1.
///
/// Pruning walks the whole index, which holds the server's live associations and the few
/// that expired since the last store: stores are rare (one per association lifetime).
pub(crate) const STORE_ASSOCIATION: &str = r"
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if redis.call('EXISTS', ARGV[5] .. member) == 0 then
    redis.call('ZREM', KEYS[2], member)
  end
end
local ttl = tonumber(ARGV[2])
if redis.call('TTL', KEYS[2]) < ttl then
  redis.call('EXPIRE', KEYS[2], ttl)
end
return 1
";

/// Finds the most recently issued association of a server that exists and is not expired
/// at the store's time, walking the index newest first; removes members whose association
/// the server has expired.
///
/// `KEYS[1]` index; `ARGV[1]` association key prefix, `ARGV[2]` now (the store's clock).
/// Returns the serialised association, or nil. A value whose times cannot be read is
/// returned as it is, so that the store reports it as corrupt instead of skipping it.
/// (Lua numbers are doubles: exact up to 2^53 seconds; the store checks expiry again in
/// integers.)
pub(crate) const NEWEST_ASSOCIATION: &str = r"
local now = tonumber(ARGV[2])
for _, member in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, -1)) do
  local value = redis.call('GET', ARGV[1] .. member)
  if not value then
    redis.call('ZREM', KEYS[1], member)
  else
    local issued, lifetime = string.match(value, '\nissued:(%-?%d+)\nlifetime:(%-?%d+)\n')
    if issued == nil or tonumber(issued) + tonumber(lifetime) > now then
      return value
    end
  end
end
return false
";

/// Deletes an association and its index member in one step.
///
/// `KEYS[1]` association key, `KEYS[2]` index; `ARGV[1]` index member. Returns the number
/// of association keys deleted (0 or 1).
pub(crate) const REMOVE_ASSOCIATION: &str = r"
local removed = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return removed
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_one_server_share_a_hash_tag_and_nonces_have_none() {
        let keys = Keys::new("app:").unwrap();
        let server = keys.server("https://op.example/server");
        let tag = format!("{{{}}}", digest(b"https://op.example/server"));
        let association = server.association("handle");
        assert!(association.starts_with("app:assoc:{"), "{association}");
        assert!(association.contains(&tag) && server.index().contains(&tag));
        assert_eq!(association, format!("{}{}", server.association_prefix(), digest(b"handle")));
        let nonce = keys.nonce("https://op.example/server", 1_700_000_000, "salt");
        assert!(!nonce.contains('{'), "{nonce}");
        assert!(nonce.starts_with("app:nonce:") && nonce.contains(":1700000000:"), "{nonce}");
    }

    #[test]
    fn nonce_keys_do_not_collide_across_fields() {
        let keys = Keys::new("").unwrap();
        assert_ne!(keys.nonce("ab", 1, "c"), keys.nonce("a", 1, "bc"));
        assert_ne!(keys.nonce("a", 1, "b"), keys.nonce("a", 2, "b"));
        assert_ne!(keys.nonce("a", 12, "b"), keys.nonce("a", 1, "2b"));
        assert_ne!(keys.nonce("a", -1, "b"), keys.nonce("a", 1, "b"));
    }

    #[test]
    fn digests_are_lower_case_hex_sha256() {
        assert_eq!(
            digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_prefix_with_braces_is_a_configuration_error() {
        for prefix in ["{app}:", "a}", "{"] {
            let error = openid_consumer::store::StoreError::from(Keys::new(prefix).unwrap_err());
            assert!(error.is_config(), "{prefix}");
        }
        assert_eq!(Keys::new("").unwrap().prefix(), "");
    }
}
