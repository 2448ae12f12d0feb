//! Server store benchmarks: `use_nonce` and store-then-get of an association on
//! PostgreSQL, MariaDB, Redis and memcached (throwaway servers on 127.0.0.1), each beside the
//! bare driver operation on the same server in the same run, with 1 and 8 threads.
//!
//! `cargo bench -p openid-benches --bench servers` prints criterion's per-operation times,
//! then a table of throughputs and ratios (store / bare, 8 threads / 1 thread) that
//! BENCHMARKS.md records.
//!
//! Each bare loop does what its store does on the wire, and nothing else: the same table
//! definition (copied from the store's current schema version, indexes and checks included)
//! and the same statement, or the same command, key form and TTL, sent the same way (one
//! write per request). Every nonce gets a fresh salt and a timestamp that advances through
//! the run ([`nonce`]), and the ratio rounds alternate which side runs first.
// A benchmark aborts on a failed set-up: there is no caller to report to.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::Criterion;
use mysql::prelude::Queryable;
use openid_benches::threads::throughput;
use openid_benches::{associations, postgres_bare};
use openid_consumer::nonce::SKEW;
use openid_consumer::store::{Clock, NONCE_RETENTION, OpenIdStore, SystemClock};
use openid_store_kit::keys::{hex, nonce_digest, sha256};
use openid_store_memcache::MemcacheStore;
use openid_store_mysql::MysqlStore;
use openid_store_postgres::PostgresStore;
use openid_store_redis::RedisStore;
use openid_test_servers::{Backend, shared};

const SERVER: &str = "https://op.example/server";

/// Nonces never repeat within a run, across threads and benches.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Nonces per second of timestamp: the timestamps advance as a busy provider's would.
const NONCES_PER_SECOND: u64 = 1_000;

/// How far (seconds) the timestamps advance before they start again from the run's start
/// (an hour, well inside the window; the salts keep every nonce new).
const TIMESTAMP_SPAN: u64 = 3_600;

/// A fresh nonce: a salt never used before, and a timestamp that advances one second per
/// [`NONCES_PER_SECOND`] nonces from `start` (within the window: `start` is the run's start).
fn nonce(start: i64) -> (i64, String) {
    let i = COUNTER.fetch_add(1, Ordering::Relaxed);
    let offset = (i / NONCES_PER_SECOND) % TIMESTAMP_SPAN;
    (start + i64::try_from(offset).unwrap(), format!("s{i}"))
}

/// The TTL (seconds) the store's contract gives a nonce of `timestamp` checked now:
/// kept for the window plus the retention margin, plus one second for the second that has
/// already begun (`NonceRecord::ttl`).
fn nonce_ttl(timestamp: i64) -> i64 {
    (timestamp + SKEW + NONCE_RETENTION - SystemClock.now() + 1).max(1)
}

/// A store and the bare operation it is compared with: one `use_nonce`-equivalent insert
/// on a connection of its own (the closure makes one connection per thread).
struct Target {
    name: &'static str,
    store: Box<dyn OpenIdStore>,
    bare: Box<dyn Fn() -> BareOp + Sync>,
}

/// One bare insert of a nonce (timestamp, salt) on a connection of its own.
type BareOp = Box<dyn FnMut(i64, &str)>;

fn main() {
    let targets = targets();
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    let now = SystemClock.now();
    let mut group = criterion.benchmark_group("server_use_nonce");
    for target in &targets {
        group.bench_function(format!("{} store", target.name), |b| {
            b.iter(|| {
                let (timestamp, salt) = nonce(now);
                assert!(target.store.use_nonce(SERVER, timestamp, &salt).unwrap());
            });
        });
        let mut bare = (target.bare)();
        group.bench_function(format!("{} bare", target.name), |b| {
            b.iter(|| {
                let (timestamp, salt) = nonce(now);
                bare(timestamp, &salt);
            });
        });
    }
    group.finish();
    let mut group = criterion.benchmark_group("server_store_then_get_association");
    for target in &targets {
        let mut n = 0u64;
        group.bench_function(target.name, |b| {
            b.iter(|| {
                n = (n + 1) % 64;
                associations::store_then_get(&*target.store, SERVER, n, now);
            });
        });
    }
    group.finish();
    criterion.final_summary();
    ratios(&targets);
}

/// Throughput of the store and of the bare operation, 1 and 8 threads, best of
/// four rounds of each; the rounds alternate which side runs first, so drift on a
/// shared machine and whatever one side leaves behind (dirty pages, a busier server) hit
/// both alike. Also the ratio of each store round to the bare round beside it: their median
/// and range show how far one run on a busy machine can be trusted.
fn ratios(targets: &[Target]) {
    const ROUND: Duration = Duration::from_millis(1_500);
    const ROUNDS: usize = 4;
    println!(
        "\nthroughput (operations/s, best of {ROUNDS} rounds of {ROUND:?} each, \
         alternating which side goes first)"
    );
    println!("| backend | threads | store | bare | store / bare | per round: median (range) |");
    println!("|---|---|---|---|---|---|");
    for target in targets {
        let mut one_thread_store = 0.0;
        for threads in [1usize, 8] {
            let (mut store_best, mut bare_best) = (0.0f64, 0.0f64);
            let mut round_ratios = Vec::new();
            for round in 0..ROUNDS {
                let start = SystemClock.now();
                let store = || {
                    throughput(threads, ROUND, || {
                        let store = &target.store;
                        Box::new(move || {
                            let (timestamp, salt) = nonce(start);
                            assert!(store.use_nonce(SERVER, timestamp, &salt).unwrap());
                        })
                    })
                };
                let bare = || {
                    throughput(threads, ROUND, || {
                        let mut bare = (target.bare)();
                        Box::new(move || {
                            let (timestamp, salt) = nonce(start);
                            bare(timestamp, &salt);
                        })
                    })
                };
                let (store_rate, bare_rate) = if round % 2 == 0 {
                    let store_rate = store();
                    (store_rate, bare())
                } else {
                    let bare_rate = bare();
                    (store(), bare_rate)
                };
                store_best = store_best.max(store_rate);
                bare_best = bare_best.max(bare_rate);
                round_ratios.push(store_rate / bare_rate);
            }
            round_ratios.sort_by(f64::total_cmp);
            let (low, high) = (round_ratios[0], round_ratios[ROUNDS - 1]);
            let median = f64::midpoint(round_ratios[ROUNDS / 2 - 1], round_ratios[ROUNDS / 2]);
            println!(
                "| {} | {threads} | {store_best:.0} | {bare_best:.0} | {:.2} | {median:.2} ({low:.2} to {high:.2}) |",
                target.name,
                store_best / bare_best
            );
            if threads == 1 {
                one_thread_store = store_best;
            } else {
                println!(
                    "| {} | 8 vs 1 | {:.2}x | | | |",
                    target.name,
                    store_best / one_thread_store
                );
            }
        }
    }
}

/// Whether `OPENID_BENCH_BACKENDS` (comma-separated; all when unset) selects `name`.
fn selected(name: &str) -> bool {
    std::env::var("OPENID_BENCH_BACKENDS")
        .map_or(true, |list| list.split(',').any(|b| b.trim() == name))
}

fn targets() -> Vec<Target> {
    [postgres_target(), mysql_target(), redis_target(), memcache_target()]
        .into_iter()
        .flatten()
        .collect()
}

/// The postgres store and bare operation, if selected and the server is available.
///
/// The bare table and insert are the store's ([`postgres_bare`]).
fn postgres_target() -> Option<Target> {
    if !selected("postgres") {
        return None;
    }
    let server = shared(Backend::Postgres).unwrap()?;
    let url = server.url().to_owned();
    let store = PostgresStore::from_url(&format!("{url}?schema=bench&migrate=true")).unwrap();
    let mut setup = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    setup.batch_execute(&postgres_bare::create_table("bench")).unwrap();
    Some(Target {
        name: "postgres",
        store: Box::new(store),
        bare: Box::new(move || {
            let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let statement = client.prepare(&postgres_bare::insert("bench")).unwrap();
            Box::new(move |timestamp, salt| {
                let key = nonce_digest(SERVER, timestamp, salt);
                let rows = client
                    .execute(&statement, &[&key.as_slice(), &SERVER, &timestamp, &salt])
                    .unwrap();
                assert_eq!(rows, 1);
            })
        }),
    })
}

/// The mysql store and bare operation, if selected and the server is available.
///
/// The bare table is the store's nonce table (schema version 2 of
/// `stores/mysql/src/schema.rs`: primary key `(shard, timestamp, nonce_key)`, 16 shards,
/// the shard check), and the insert is the store's plain `INSERT`.
fn mysql_target() -> Option<Target> {
    /// `NONCE_SHARDS` of the store.
    const SHARDS: u8 = 16;
    if !selected("mysql") {
        return None;
    }
    let server = shared(Backend::Mysql).unwrap()?;
    let url = server.url().to_owned();
    let store = MysqlStore::from_url(&format!("{url}?table_prefix=bench_&migrate=true")).unwrap();
    let mut setup = mysql::Conn::new(mysql::Opts::from_url(&url).unwrap()).unwrap();
    setup.query_drop("DROP TABLE IF EXISTS bare_nonces").unwrap();
    setup
        .query_drop(format!(
            "CREATE TABLE bare_nonces (
                 shard TINYINT UNSIGNED NOT NULL,
                 timestamp BIGINT NOT NULL,
                 nonce_key BINARY(32) NOT NULL,
                 server_url MEDIUMTEXT NOT NULL,
                 salt MEDIUMTEXT NOT NULL,
                 PRIMARY KEY (shard, timestamp, nonce_key),
                 CONSTRAINT bare_nonce_shard CHECK (shard = ASCII(nonce_key) % {SHARDS})
             ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
        ))
        .unwrap();
    Some(Target {
        name: "mysql",
        store: Box::new(store),
        bare: Box::new(move || {
            let mut conn = mysql::Conn::new(mysql::Opts::from_url(&url).unwrap()).unwrap();
            let statement = conn
                .prep(
                    "INSERT INTO bare_nonces (shard, timestamp, nonce_key, server_url, salt) \
                     VALUES (?, ?, ?, ?, ?)",
                )
                .unwrap();
            Box::new(move |timestamp, salt| {
                let key = nonce_digest(SERVER, timestamp, salt);
                let shard = key[0] % SHARDS;
                conn.exec_drop(&statement, (shard, timestamp, &key[..], SERVER, salt)).unwrap();
                assert_eq!(conn.affected_rows(), 1);
            })
        }),
    })
}

/// The redis store and bare operation, if selected and the server is available.
///
/// The bare command is the store's without `wait_replicas` (the default): `SET <key> 1 NX
/// EX <ttl>` on the store's key form (`stores/redis/src/keys.rs`) and TTL.
fn redis_target() -> Option<Target> {
    if !selected("redis") {
        return None;
    }
    let server = shared(Backend::Redis).unwrap()?;
    let url = server.url().to_owned();
    let store = RedisStore::from_url(&format!("{url}?prefix=bench:")).unwrap();
    let server_digest = hex(&sha256(SERVER.as_bytes()));
    Some(Target {
        name: "redis",
        store: Box::new(store),
        bare: Box::new(move || {
            let mut connection =
                redis::Client::open(url.as_str()).unwrap().get_connection().unwrap();
            let server_digest = server_digest.clone();
            Box::new(move |timestamp, salt| {
                let key = format!(
                    "bare:nonce:{server_digest}:{timestamp}:{}",
                    hex(&sha256(salt.as_bytes()))
                );
                let set: redis::Value = redis::cmd("SET")
                    .arg(&key)
                    .arg(1)
                    .arg("NX")
                    .arg("EX")
                    .arg(nonce_ttl(timestamp))
                    .query(&mut connection)
                    .unwrap();
                assert!(
                    matches!(&set, redis::Value::Okay)
                        || matches!(&set, redis::Value::SimpleString(text) if text == "OK"),
                    "{set:?}"
                );
            })
        }),
    })
}

/// The memcache store and bare operation, if selected and the server is available.
///
/// The bare request is the store's (`stores/memcache/src/client.rs`): `ms <prefix>n:<digest>
/// 1 T<ttl> ME`, the value, built in one buffer and sent with one write on a `TCP_NODELAY`
/// socket; the answer read through a buffered reader.
fn memcache_target() -> Option<Target> {
    if !selected("memcache") {
        return None;
    }
    let server = shared(Backend::Memcache).unwrap()?;
    let address = server.url().trim_start_matches("memcache://").to_owned();
    let store = MemcacheStore::builder([address.clone()]).prefix("bench:").build().unwrap();
    Some(Target {
        name: "memcache",
        store: Box::new(store),
        bare: Box::new(move || {
            let stream = TcpStream::connect(&address).unwrap();
            stream.set_nodelay(true).unwrap();
            let mut reader = BufReader::new(stream);
            let mut request = Vec::with_capacity(512);
            let mut line = String::new();
            Box::new(move |timestamp, salt| {
                let key = hex(&nonce_digest(SERVER, timestamp, salt));
                // The store's TTL: the contract's, plus a second for memcached's clock.
                let ttl = nonce_ttl(timestamp) + 1;
                request.clear();
                write!(request, "ms bare:n:{key} 1 T{ttl} ME\r\n1\r\n").unwrap();
                reader.get_mut().write_all(&request).unwrap();
                line.clear();
                reader.read_line(&mut line).unwrap();
                assert_eq!(line, "HD\r\n");
            })
        }),
    })
}
