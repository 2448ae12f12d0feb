//! Helpers shared by the cases.

use openid_consumer::crypto::AssociationType;
use openid_consumer::store::{Association, OpenIdStore};

use crate::factory::{Stoppable, StoreFactory};
use crate::fixture::Fixture;

/// The store of `fixture`, or a failed case naming the error; checked to read the
/// fixture's clock and window, which every case relies on.
pub(crate) fn open(factory: &dyn StoreFactory, fixture: &Fixture) -> Box<dyn OpenIdStore> {
    let store = factory
        .open(fixture)
        .unwrap_or_else(|e| panic!("the factory could not open a store: {e:?}"));
    check_fixture(&*store, fixture);
    store
}

/// The stoppable store of `fixture`: `None` (a skip) when the factory has none.
pub(crate) fn open_stoppable(factory: &dyn StoreFactory, fixture: &Fixture) -> Option<Stoppable> {
    let stoppable = factory.open_stoppable(fixture)?.unwrap_or_else(|e| {
        panic!("the factory could not open a store on a backend of its own: {e:?}")
    });
    check_fixture(&*stoppable.store, fixture);
    Some(stoppable)
}

/// Fails the case, saying what to fix, when the store does not take the fixture's clock and
/// window: the cases move that clock and count on that window.
fn check_fixture(store: &dyn OpenIdStore, fixture: &Fixture) {
    let timing = store.timing();
    let (store_now, now) = (timing.now(), fixture.now());
    assert!(
        store_now == now,
        "the store's clock says {store_now}, the fixture's {now}: give the store \
         Fixture::clock() (the cases move that clock instead of sleeping)"
    );
    let (store_skew, skew) = (timing.skew(), fixture.skew());
    assert!(
        store_skew == skew,
        "the store's nonce window is {store_skew} s, the fixture's {skew} s: give the store \
         Fixture::skew() (its builder's skew), or Fixture::timing() for both"
    );
    let (store_retention, retention) = (timing.retention(), fixture.retention());
    assert!(
        store_retention == retention,
        "the store keeps nonces {store_retention} s past the window, the fixture {retention} s: \
         give the store Fixture::retention() (its builder's nonce_retention), or \
         Fixture::timing()"
    );
}

/// A fresh fixture and its store.
pub(crate) fn setup(factory: &dyn StoreFactory, case: &str) -> (Fixture, Box<dyn OpenIdStore>) {
    let fixture = Fixture::new(case);
    let store = open(factory, &fixture);
    (fixture, store)
}

/// An HMAC-SHA256 association with a 32-byte secret derived from the handle.
pub(crate) fn association(handle: &str, issued: i64, lifetime: i64) -> Association {
    Association::new(
        handle,
        bytes(handle.len() as u64, 32),
        issued,
        lifetime,
        AssociationType::HmacSha256,
    )
    .unwrap_or_else(|e| panic!("test association {handle:?} is invalid: {e}"))
}

/// `len` arbitrary bytes (every value 0..=255 appears in long enough runs), from `seed`.
pub(crate) fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
    (0..len)
        .map(|_| {
            // xorshift64*: deterministic, covers all byte values.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_be_bytes()[0]
        })
        .collect()
}

/// Every printable ASCII character (33..=126), repeated to `len` characters.
pub(crate) fn printable(len: usize) -> String {
    (33u8..=126).map(char::from).cycle().take(len).collect()
}

/// `store.get_association`, failing the case on an error.
pub(crate) fn get(
    store: &dyn OpenIdStore,
    server_url: &str,
    handle: Option<&str>,
) -> Option<Association> {
    store
        .get_association(server_url, handle)
        .unwrap_or_else(|e| panic!("get_association({server_url:?}, {handle:?}) failed: {e:?}"))
}

/// `store.store_association`, failing the case on an error.
pub(crate) fn put(store: &dyn OpenIdStore, server_url: &str, association: &Association) {
    store.store_association(server_url, association).unwrap_or_else(|e| {
        panic!("store_association({server_url:?}, {association:?}) failed: {e:?}")
    });
}

/// `store.remove_association`, failing the case on an error.
pub(crate) fn remove(store: &dyn OpenIdStore, server_url: &str, handle: &str) -> bool {
    store
        .remove_association(server_url, handle)
        .unwrap_or_else(|e| panic!("remove_association({server_url:?}, {handle:?}) failed: {e:?}"))
}

/// `store.use_nonce`, failing the case on an error.
pub(crate) fn nonce(store: &dyn OpenIdStore, server_url: &str, timestamp: i64, salt: &str) -> bool {
    store.use_nonce(server_url, timestamp, salt).unwrap_or_else(|e| {
        panic!("use_nonce({server_url:?}, {timestamp}, {salt:?}) failed: {e:?}")
    })
}
