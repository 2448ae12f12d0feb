//! What one `Consumer::complete` on a valid assertion is made of: the whole call beside
//! the parts no relying party can skip, each timed alone on the same assertion shape as
//! `benches/benches/login.rs` (HMAC-SHA256, memory store).
//!
//! `cargo run --release -p openid-benches --example complete_floor`
//!
//! The parts: reading the callback (`Message::from_query`: percent-decoding and the
//! arguments' index), the signature (`check_signature`: HMAC over the signed fields, and
//! the bare HMAC of the same bytes), the stored association's lookup and the nonce's insert
//! in the memory store. BENCHMARKS.md ("What 100x would take") compares their sum with the
//! issue's target. Inputs are made before each timed batch; what a call makes is dropped
//! in it (a message, a response), as a caller's would be.
// An example aborts on a failed set-up: there is no caller to report to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use openid_consumer::crypto::{AssociationType, check_signature, sign_message};
use openid_consumer::discovery::endpoint::TYPE_SIGNON_2_0;
use openid_consumer::message::{Message, OpenIdVersion};
use openid_consumer::store::{Association, Clock, MemoryStore, OpenIdStore, SystemClock};
use openid_consumer::{Consumer, PendingAuth, Response, ServiceEndpoint};
use sha2::Sha256;

const OP: &str = "http://127.0.0.1:8901/op";
const CLAIMED_ID: &str = "http://127.0.0.1:8901/id/alice";
const REALM: &str = "http://127.0.0.1:8000/";
const RETURN_TO: &str = "http://127.0.0.1:8000/return";
/// Calls per timed batch; assertions are made before each batch.
const BATCH: u32 = 20_000;

fn main() {
    let setup = Setup::new();
    let sample = Message::from_query(&setup.assertion()).unwrap();
    println!("one assertion: {} bytes of query", setup.assertion().len());
    let whole = best_of(|| setup.time_complete());
    println!("complete, whole call               {whole:>6.0} ns");
    if std::env::var_os("FLOOR_WHOLE_ONLY").is_some() {
        return; // for a profile of the whole call alone
    }
    let read = best_of(|| {
        let batch = setup.queries();
        let started = Instant::now();
        for query in &batch {
            black_box(Message::from_query(query).unwrap());
        }
        started.elapsed()
    });
    let signature =
        best_of(|| timed(|| check_signature(black_box(&sample), &setup.association).unwrap()));
    let text = signed_text(&sample);
    let secret = setup.association.secret();
    let mac = best_of(|| {
        timed(|| {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
            mac.update(black_box(text.as_bytes()));
            black_box(mac.finalize());
        })
    });
    // From a keyed state made once: the least any verifier can do.
    let keyed = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    let mac_keyed = best_of(|| {
        timed(|| {
            let mut mac = keyed.clone();
            mac.update(black_box(text.as_bytes()));
            black_box(mac.finalize());
        })
    });
    let lookup = best_of(|| {
        timed(|| black_box(setup.store.get_association(OP, Some("bench-handle")).unwrap()))
    });
    let nonce = best_of(|| setup.time_nonces());
    let parts = read + signature + lookup + nonce;
    println!("  read the callback                {read:>6.0} ns");
    println!("  check the signature              {signature:>6.0} ns");
    println!("    of which HMAC-SHA256 alone     {mac:>6.0} ns ({} bytes)", text.len());
    println!("    HMAC-SHA256 from a keyed state {mac_keyed:>6.0} ns");
    println!("  look up the association          {lookup:>6.0} ns");
    println!("  record the nonce                 {nonce:>6.0} ns");
    println!("  sum of these parts               {parts:>6.0} ns");
    println!("  the other checks and the result  {:>6.0} ns", whole - parts);
}

/// A consumer with a stored association and a login begun, as in the login bench.
struct Setup {
    store: Arc<MemoryStore>,
    consumer: Consumer,
    pending: PendingAuth,
    return_to: String,
    association: Association,
    /// A store of its own for the nonce part, so its nonces do not slow the whole call.
    nonces: MemoryStore,
}

impl Setup {
    fn new() -> Self {
        let now = SystemClock.now();
        let association = Association::new(
            "bench-handle",
            vec![1u8; 32],
            now,
            3_600,
            AssociationType::HmacSha256,
        )
        .unwrap();
        let store = Arc::new(MemoryStore::new());
        store.store_association(OP, &association).unwrap();
        let consumer = Consumer::builder().store(store.clone()).build().unwrap();
        let endpoint =
            ServiceEndpoint::for_claimed_id(CLAIMED_ID, OP, None, vec![TYPE_SIGNON_2_0.to_owned()]);
        let mut request = consumer.begin_with_endpoint(endpoint).unwrap();
        let message = request.message(REALM, RETURN_TO, false).unwrap();
        let return_to = message.get_openid("return_to").unwrap().to_owned();
        let pending = request.pending();
        Self { store, consumer, pending, return_to, association, nonces: MemoryStore::new() }
    }

    /// A fresh signed assertion, as the query string of the callback.
    fn assertion(&self) -> String {
        let mut message = Message::new(OpenIdVersion::V2_0);
        message.set_openid("mode", "id_res");
        message.set_openid("op_endpoint", OP);
        message.set_openid("claimed_id", CLAIMED_ID);
        message.set_openid("identity", CLAIMED_ID);
        message.set_openid("return_to", &self.return_to);
        let nonce = openid_benches::nonces::unique(SystemClock.now()).unwrap();
        message.set_openid("response_nonce", nonce.as_str());
        sign_message(&mut message, &self.association).unwrap();
        message.to_url(&self.return_to).split_once('?').unwrap().1.to_owned()
    }

    fn queries(&self) -> Vec<String> {
        (0..BATCH).map(|_| self.assertion()).collect()
    }

    /// A batch of `complete` calls, each on a fresh assertion.
    fn time_complete(&self) -> Duration {
        let batch: Vec<_> = self
            .queries()
            .into_iter()
            .map(|query| {
                let url = format!("{RETURN_TO}?{query}");
                (query, url)
            })
            .collect();
        let started = Instant::now();
        for (query, url) in &batch {
            let response = self.consumer.complete(Some(&self.pending), query.as_str(), url);
            assert!(matches!(response, Response::Success(_)));
            black_box(response);
        }
        started.elapsed()
    }

    /// A batch of new nonces recorded.
    fn time_nonces(&self) -> Duration {
        let nonces: Vec<_> = (0..BATCH)
            .map(|_| openid_benches::nonces::unique(SystemClock.now()).unwrap())
            .collect();
        let started = Instant::now();
        for nonce in &nonces {
            assert!(self.nonces.use_nonce(OP, nonce.timestamp(), nonce.salt()).unwrap());
        }
        started.elapsed()
    }
}

/// The bytes the signature covers: `openid.signed`'s fields in its order, as KV form.
fn signed_text(message: &Message) -> String {
    let mut text = String::new();
    for field in message.get_openid("signed").unwrap().split(',') {
        writeln!(text, "{field}:{}", message.openid_field(field).unwrap()).unwrap();
    }
    text
}

/// [`BATCH`] calls of `call`.
fn timed<T>(mut call: impl FnMut() -> T) -> Duration {
    let started = Instant::now();
    for _ in 0..BATCH {
        black_box(call());
    }
    started.elapsed()
}

/// The best of five batches, in nanoseconds per call.
fn best_of(mut batch: impl FnMut() -> Duration) -> f64 {
    (0..5).map(|_| batch().as_secs_f64() * 1e9 / f64::from(BATCH)).fold(f64::INFINITY, f64::min)
}
