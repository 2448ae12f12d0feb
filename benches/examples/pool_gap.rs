//! Where the PostgreSQL store's time goes with several threads, beside the bare `postgres` crate:
//! each variant inserts nonces (the store's statement, a table of its own) from `T`
//! threads (default 8) in rounds of 1.5 s (each round starts with the next variant; every
//! variant starts on an empty table), and the summary gives each one's median rate and
//! its ratio to the bare crate's.
//!
//! - `sync`: the `postgres` crate, one client per thread (the bench's bare loop);
//! - `syncpool`: `T` of those shared through a `Mutex<Vec<_>>`;
//! - `own`: the store's connection type alone, one per thread: `tokio-postgres` on a
//!   current-thread runtime, each call under `tokio::time::timeout`;
//! - `mutexpool`: `T` of those shared through a `Mutex<Vec<_>>`;
//! - `store`: `PostgresStore` (its r2d2 pool, 16 connections at most);
//! - `store_p8`: the same with `pool_size=8`.
//!
//! `cargo run --release -p openid-benches --example pool_gap` (starts a throwaway
//! server, or uses `OPENID_TEST_POSTGRES_URL`; `V=sync,store` picks variants). BENCHMARKS.md
//! records a run.
// A measuring program aborts on a failed set-up: there is no caller to report to.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_precision_loss
)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use openid_benches::postgres_bare;
use openid_benches::threads::throughput;
use openid_consumer::store::{Clock as _, OpenIdStore, SystemClock};
use openid_store_kit::keys::nonce_digest;
use openid_store_postgres::PostgresStore;
use openid_test_servers::{Backend, shared};
use tokio::runtime::Runtime;
use tokio_postgres::types::ToSql;

const SERVER: &str = "https://op.example/server";
/// The schema of the store's tables and of the bare one ([`postgres_bare`]).
const SCHEMA: &str = "gap";
const ROUND: Duration = Duration::from_millis(1_500);
const ROUNDS: usize = 4;

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn salt() -> String {
    format!("s{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// The bare crate's client, its insert prepared.
fn sync_connect(url: &str) -> (postgres::Client, postgres::Statement) {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let statement = client.prepare(&postgres_bare::insert(SCHEMA)).unwrap();
    (client, statement)
}

/// One insert of a fresh nonce through the bare crate.
fn sync_insert(client: &mut postgres::Client, statement: &postgres::Statement, now: i64) {
    let salt = salt();
    let key = nonce_digest(SERVER, now, &salt);
    client.execute(statement, &[&key.as_slice(), &SERVER, &now, &salt]).unwrap();
}

/// The store's connection type, rebuilt here (the store's is private).
struct Own {
    runtime: Runtime,
    client: tokio_postgres::Client,
    statement: tokio_postgres::Statement,
}

impl Own {
    fn connect(url: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let config: tokio_postgres::Config = url.parse().unwrap();
        let (client, connection) = runtime.block_on(config.connect(tokio_postgres::NoTls)).unwrap();
        runtime.spawn(async move {
            let _ = connection.await;
        });
        let statement = runtime.block_on(client.prepare(&postgres_bare::insert(SCHEMA))).unwrap();
        Self { runtime, client, statement }
    }

    fn insert(&self, now: i64) {
        let salt = salt();
        let key = nonce_digest(SERVER, now, &salt);
        let key = key.as_slice();
        let params: [&(dyn ToSql + Sync); 4] = [&key, &SERVER, &now, &salt];
        let call = self.client.execute(&self.statement, &params);
        self.runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(5), call).await })
            .unwrap()
            .unwrap();
    }
}

fn main() {
    let server = shared(Backend::Postgres).unwrap().expect("PostgreSQL is skipped");
    let url = server.url().to_owned();
    let store = PostgresStore::from_url(&format!("{url}?schema={SCHEMA}&migrate=true")).unwrap();
    let store_p8 = PostgresStore::from_url(&format!("{url}?schema={SCHEMA}&pool_size=8")).unwrap();
    let mut setup = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    setup.batch_execute(&postgres_bare::create_table(SCHEMA)).unwrap();
    let threads: usize = std::env::var("T").ok().and_then(|t| t.parse().ok()).unwrap_or(8);
    let variants =
        std::env::var("V").unwrap_or_else(|_| "sync,own,mutexpool,store,store_p8".into());
    let variants: Vec<&str> = variants.split(',').collect();
    let now = SystemClock.now();
    let pool: Mutex<Vec<Own>> = Mutex::new((0..threads).map(|_| Own::connect(&url)).collect());
    let sync_pool: Mutex<Vec<(postgres::Client, postgres::Statement)>> =
        Mutex::new((0..threads).map(|_| sync_connect(&url)).collect());
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for round in 0..ROUNDS {
        // Each round starts the variants one further along, so none always goes first.
        for offset in 0..variants.len() {
            let i = (round + offset) % variants.len();
            let variant = &variants[i];
            // Every variant inserts into an empty table: the bare one or the store's.
            setup
                .batch_execute(&format!(
                    "TRUNCATE {SCHEMA}.bare_nonces; TRUNCATE {SCHEMA}.openid_nonces"
                ))
                .unwrap();
            let rate = match *variant {
                "sync" => throughput(threads, ROUND, || {
                    let (mut client, statement) = sync_connect(&url);
                    Box::new(move || sync_insert(&mut client, &statement, now))
                }),
                "syncpool" => throughput(threads, ROUND, || {
                    let pool = &sync_pool;
                    Box::new(move || {
                        let (mut client, statement) = pool.lock().unwrap().pop().unwrap();
                        sync_insert(&mut client, &statement, now);
                        pool.lock().unwrap().push((client, statement));
                    })
                }),
                "own" => throughput(threads, ROUND, || {
                    let own = Own::connect(&url);
                    Box::new(move || own.insert(now))
                }),
                "mutexpool" => throughput(threads, ROUND, || {
                    let pool = &pool;
                    Box::new(move || {
                        let own = pool.lock().unwrap().pop().unwrap();
                        own.insert(now);
                        pool.lock().unwrap().push(own);
                    })
                }),
                "store" | "store_p8" => {
                    let store = if *variant == "store" { &store } else { &store_p8 };
                    throughput(threads, ROUND, || {
                        Box::new(move || assert!(store.use_nonce(SERVER, now, &salt()).unwrap()))
                    })
                }
                other => {
                    panic!("no variant {other}: sync, syncpool, own, mutexpool, store, store_p8")
                }
            };
            println!("round {round} {variant:>10} {threads} threads: {rate:>8.0}/s");
            rates[i].push(rate);
        }
    }
    let median = |list: &mut Vec<f64>| {
        list.sort_by(f64::total_cmp);
        f64::midpoint(list[ROUNDS / 2 - 1], list[ROUNDS / 2])
    };
    let medians: Vec<f64> = rates.iter_mut().map(median).collect();
    let sync = variants.iter().position(|v| *v == "sync").map(|i| medians[i]);
    println!("\n| variant | median (/s) | / sync |\n|---|---|---|");
    for (variant, rate) in variants.iter().zip(&medians) {
        let ratio = sync.map_or_else(|| "-".to_owned(), |s| format!("{:.2}", rate / s));
        println!("| {variant} | {rate:.0} | {ratio} |");
    }
}
