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
use openid_benches::assertions::{BenchLogin, HANDLE, OP};
use openid_consumer::Response;
use openid_consumer::crypto::check_signature;
use openid_consumer::message::Message;
use openid_consumer::store::{Clock, MemoryStore, OpenIdStore, SystemClock};
use sha2::Sha256;

/// Calls per timed batch; assertions are made before each batch.
const BATCH: u32 = 20_000;

fn main() {
    let setup = Setup::new();
    let query = setup.login.assertion();
    let sample = Message::from_query(&query).unwrap();
    println!("one assertion: {} bytes of query", query.len());
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
    let signature = best_of(|| {
        timed(|| check_signature(black_box(&sample), &setup.login.association).unwrap())
    });
    let text = signed_text(&sample);
    let secret = setup.login.association.secret();
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
    let lookup =
        best_of(|| timed(|| black_box(setup.store.get_association(OP, Some(HANDLE)).unwrap())));
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

/// A login begun, as in the login bench, and a store of its own for the nonce part (so
/// its nonces do not slow the whole call).
struct Setup {
    store: Arc<MemoryStore>,
    login: BenchLogin,
    nonces: MemoryStore,
}

impl Setup {
    fn new() -> Self {
        let store = Arc::new(MemoryStore::new());
        let login = BenchLogin::new(store.clone());
        Self { store, login, nonces: MemoryStore::new() }
    }

    fn queries(&self) -> Vec<String> {
        (0..BATCH).map(|_| self.login.assertion()).collect()
    }

    /// A batch of `complete` calls, each on a fresh assertion.
    fn time_complete(&self) -> Duration {
        let batch: Vec<_> = self
            .queries()
            .into_iter()
            .map(|query| {
                let url = BenchLogin::callback_url(&query);
                (query, url)
            })
            .collect();
        let started = Instant::now();
        for (query, url) in &batch {
            let response = self.login.consumer.complete(Some(&self.login.pending), query, url);
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
