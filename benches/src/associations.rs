//! The store-then-get step the store benches time, the same for every backend.

use std::hint::black_box;

use openid_consumer::crypto::AssociationType;
use openid_consumer::store::{Association, OpenIdStore};

/// Stores an HMAC-SHA256 association with handle `handle-N` at `server`, then reads it back.
///
/// # Panics
/// When the store fails or does not find what it stored: a benchmark has no caller to
/// report to.
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub fn store_then_get(store: &dyn OpenIdStore, server: &str, n: u64, now: i64) {
    let handle = format!("handle-{n}");
    let association =
        Association::new(handle.as_str(), vec![7; 32], now, 3_600, AssociationType::HmacSha256)
            .unwrap();
    store.store_association(server, &association).unwrap();
    black_box(store.get_association(server, Some(&handle)).unwrap().expect("stored"));
}
