//! Faults and several servers, against real memcached servers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

use openid_consumer::crypto::AssociationType;
use openid_consumer::store::{Association, Clock as _, OpenIdStore, SystemClock};
use openid_store_memcache::MemcacheStore;
use openid_test_servers::{Backend, Variant, dedicated, dedicated_variant, shared};

fn address(url: &str) -> String {
    url.trim_start_matches("memcache://").to_owned()
}

#[test]
fn keys_spread_over_several_servers_and_each_nonce_is_still_used_once() {
    let (Some(a), Some(b)) =
        (dedicated(Backend::Memcache).unwrap(), dedicated(Backend::Memcache).unwrap())
    else {
        return;
    };
    let url = format!("memcache://{},{}", address(a.url()), address(b.url()));
    let store = MemcacheStore::from_url(&url).unwrap();
    let other = MemcacheStore::from_url(&url).unwrap();
    let t = SystemClock.now();
    for i in 0..200 {
        assert!(store.use_nonce("https://op/", t, &format!("n{i}")).unwrap());
        assert!(!other.use_nonce("https://op/", t, &format!("n{i}")).unwrap(), "n{i} replayed");
    }
    let items = |url: &str| {
        let mut stream = TcpStream::connect(address(url)).unwrap();
        stream.write_all(b"stats\r\n").unwrap();
        let reader = BufReader::new(stream);
        reader
            .lines()
            .map(Result::unwrap)
            .take_while(|line| line != "END")
            .find_map(|line| {
                line.strip_prefix("STAT curr_items ").map(|n| n.parse::<u64>().unwrap())
            })
            .unwrap()
    };
    let (on_a, on_b) = (items(a.url()), items(b.url()));
    // 200 nonces, and each server's record of the ring.
    assert_eq!(on_a + on_b, 200 + 2);
    assert!(on_a > 40 && on_b > 40, "uneven spread: {on_a} and {on_b}");
}

#[test]
fn a_value_that_is_not_an_association_is_corrupt_not_a_wrong_association() {
    let Some(server) = shared(Backend::Memcache).unwrap() else { return };
    let store = MemcacheStore::builder([address(server.url())]).prefix("corrupt:").build().unwrap();
    let association =
        Association::new("h", vec![3; 20], SystemClock.now(), 600, AssociationType::HmacSha1)
            .unwrap();
    store.store_association("https://op/", &association).unwrap();
    // Overwrite every key under the prefix with garbage through the raw protocol.
    let mut stream = TcpStream::connect(address(server.url())).unwrap();
    stream.write_all(b"lru_crawler metadump all\r\n").unwrap();
    let reader = BufReader::new(stream.try_clone().unwrap());
    let keys: Vec<String> = reader
        .lines()
        .map(Result::unwrap)
        .take_while(|line| line != "END")
        .filter_map(|line| {
            line.strip_prefix("key=").map(|rest| rest.split(' ').next().unwrap().to_owned())
        })
        .filter(|key| key.starts_with("corrupt%3Aa%3A") || key.starts_with("corrupt:a:"))
        .collect();
    assert!(!keys.is_empty());
    for key in keys {
        let key = key.replace("%3A", ":");
        stream.write_all(format!("set {key} 0 60 7\r\ngarbage\r\n").as_bytes()).unwrap();
        let mut line = String::new();
        BufReader::new(&stream).read_line(&mut line).unwrap();
        assert_eq!(line, "STORED\r\n");
    }
    let error = store.get_association("https://op/", Some("h")).unwrap_err();
    assert!(error.is_corrupt(), "{error}");
    let error = store.get_association("https://op/", None).unwrap_err();
    assert!(error.is_corrupt(), "{error}");
}

#[test]
fn server_lists_that_differ_only_in_spacing_send_each_nonce_to_the_same_server() {
    let (Some(a), Some(b)) =
        (dedicated(Backend::Memcache).unwrap(), dedicated(Backend::Memcache).unwrap())
    else {
        return;
    };
    let (a, b) = (address(a.url()), address(b.url()));
    let tight = MemcacheStore::from_url(&format!("memcache://{a},{b}")).unwrap();
    let spaced = MemcacheStore::builder([format!(" {a}"), format!("{b} ")]).build().unwrap();
    let t = SystemClock.now();
    for i in 0..200 {
        assert!(tight.use_nonce("https://op/", t, &format!("n{i}")).unwrap());
        assert!(
            !spaced.use_nonce("https://op/", t, &format!("n{i}")).unwrap(),
            "n{i} accepted twice"
        );
    }
}

// See the store review: memcached evicts items when full unless started with -M, and an
// evicted nonce would be accepted again.
#[test]
fn a_server_that_evicts_items_is_refused_unless_allowed() {
    // memcached's default, without -M.
    let Some(server) = dedicated_variant(Backend::Memcache, Variant::Evicting).unwrap() else {
        return;
    };
    let refused = MemcacheStore::from_url(server.url());
    let allowed = MemcacheStore::from_url(&format!("{}?allow_eviction=true", server.url()));
    let error = refused.expect_err("a server that evicts is refused");
    assert!(error.is_config(), "{error}");
    assert!(error.to_string().contains("-M"), "{error}");
    assert!(allowed.is_ok());
}

// See: issue 15, item 3 (a changed server list moves keys, and a moved nonce is fresh).
#[test]
fn a_store_with_another_server_list_refuses_to_start_until_the_ring_is_replaced() {
    let Some(server) = shared(Backend::Memcache).unwrap() else { return };
    let ip = address(server.url());
    let port = ip.rsplit_once(':').unwrap().1;
    // The same server under another name: a different ring.
    let named = format!("localhost:{port}");
    let store = MemcacheStore::builder([ip.clone()]).prefix("ring1:").build().unwrap();
    let t = SystemClock.now();
    assert!(store.use_nonce("https://op/", t, "before").unwrap());

    let error = MemcacheStore::builder([named.clone()]).prefix("ring1:").build().unwrap_err();
    assert!(error.is_config(), "{error}");
    let shown = error.to_string();
    assert!(shown.contains(&format!("servers={ip}")), "names the recorded list: {shown}");
    assert!(shown.contains(&format!("servers={named}")), "names its own list: {shown}");
    assert!(shown.contains("replace_ring=true"), "says how to change it: {shown}");

    // The same list, spaced differently, is the same ring; another prefix has its own.
    assert!(MemcacheStore::builder([format!(" {ip} ")]).prefix("ring1:").build().is_ok());
    assert!(MemcacheStore::builder([named.clone()]).prefix("ring2:").build().is_ok());

    // Replacing the ring on purpose records the new list; the old one is refused then.
    let url = format!("memcache://{named}?prefix=ring1:&replace_ring=true");
    let replaced = MemcacheStore::from_url(&url).unwrap();
    assert!(!replaced.use_nonce("https://op/", t, "before").unwrap(), "one server: kept");
    assert!(MemcacheStore::builder([named]).prefix("ring1:").build().is_ok());
    let error = MemcacheStore::builder([ip]).prefix("ring1:").build().unwrap_err();
    assert!(error.is_config(), "{error}");
}
