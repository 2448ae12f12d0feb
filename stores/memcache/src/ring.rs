//! Consistent hashing of keys onto servers (a ketama-style ring): adding or removing one
//! server moves only about 1/n of the keys, so the other servers' nonces and associations
//! stay where they were.
//!
//! Hand-written: it is thirty lines over SHA-256, and the crates offering it are
//! unmaintained or bring their own hashing of keys that this store already hashes.

use openid_store_kit::keys::sha256;

/// Points per server: enough for an even spread across a handful of servers.
const POINTS_PER_SERVER: usize = 160;

/// A ring of server indexes.
#[derive(Debug, Clone)]
pub(crate) struct Ring {
    points: Vec<(u32, usize)>,
}

impl Ring {
    /// A ring over the servers (by their `host:port` names).
    pub(crate) fn new(servers: &[String]) -> Self {
        let mut points = Vec::with_capacity(servers.len() * POINTS_PER_SERVER);
        for (index, server) in servers.iter().enumerate() {
            for point in 0..POINTS_PER_SERVER {
                points.push((hash32(format!("{server}-{point}").as_bytes()), index));
            }
        }
        points.sort_unstable();
        Self { points }
    }

    /// The index of the server that owns `key`.
    pub(crate) fn server_for(&self, key: &str) -> usize {
        let hash = hash32(key.as_bytes());
        let position = self.points.partition_point(|(point, _)| *point < hash);
        self.points.get(position).or_else(|| self.points.first()).map_or(0, |(_, index)| *index)
    }
}

/// What decides where the ring sends each key: its version, points per server and server
/// names (sorted, without repeats: the order of a list does not move keys, a name does).
///
/// Recorded on every server when a store is built; a store whose identity differs refuses
/// to start (see `MemcacheStoreBuilder::replace_ring`): its keys would go to other servers
/// than those of the stores already running, and a nonce whose key moved would be fresh on
/// its new server.
pub(crate) fn identity(servers: &[String]) -> String {
    let mut names: Vec<&str> = servers.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    format!("ring-v1 points={POINTS_PER_SERVER} servers={}", names.join(","))
}

fn hash32(bytes: &[u8]) -> u32 {
    let [a, b, c, d, ..] = sha256(bytes);
    u32::from_be_bytes([a, b, c, d])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("127.0.0.1:{}", 11_211 + i)).collect()
    }

    #[test]
    fn one_server_owns_everything() {
        let ring = Ring::new(&servers(1));
        assert!((0..100).all(|k| ring.server_for(&k.to_string()) == 0));
    }

    #[test]
    fn keys_spread_over_servers() {
        let ring = Ring::new(&servers(3));
        let mut counts = [0usize; 3];
        for k in 0..3_000 {
            counts[ring.server_for(&format!("key-{k}"))] += 1;
        }
        assert!(counts.iter().all(|&c| c > 700), "{counts:?}");
    }

    #[test]
    fn the_identity_ignores_order_and_repeats_but_not_names() {
        let list = |names: &[&str]| names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let one = identity(&list(&["b:1", "a:1"]));
        assert_eq!(one, "ring-v1 points=160 servers=a:1,b:1");
        assert_eq!(identity(&list(&["a:1", "b:1", "a:1"])), one);
        assert_ne!(identity(&list(&["a:1", "c:1"])), one);
        assert_ne!(identity(&list(&["localhost:1"])), identity(&list(&["127.0.0.1:1"])));
    }

    #[test]
    fn adding_a_server_moves_few_keys() {
        let (before, after) = (Ring::new(&servers(3)), Ring::new(&servers(4)));
        let moved = (0..4_000)
            .filter(|k| {
                let key = format!("key-{k}");
                before.server_for(&key) != after.server_for(&key)
            })
            .count();
        // About a quarter should move to the new server; far fewer than a rehash's 3/4.
        assert!(moved < 1_600, "{moved} of 4000 keys moved");
    }
}
