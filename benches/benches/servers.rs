//! Server store benchmarks: `use_nonce` and store-then-get of an association on
//! PostgreSQL, MariaDB, Redis and memcached (throwaway servers on 127.0.0.1), each beside the
//! bare driver operation on the same server in the same run, with 1 and 8 threads.
//!
//! `cargo bench -p openid-benches --bench servers` prints criterion's per-operation times,
//! then a table of throughputs and ratios (store / bare, 8 threads / 1 thread) that
//! BENCHMARKS.md records.
// A benchmark aborts on a failed set-up: there is no caller to report to.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss, clippy::panic)]

use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::Criterion;
use mysql::prelude::Queryable;
use openid_consumer::crypto::AssociationType;
use openid_consumer::store::{Association, Clock, OpenIdStore, SystemClock};
use openid_store_kit::keys::{hex, nonce_digest};
use openid_store_memcache::MemcacheStore;
use openid_store_mysql::MysqlStore;
use openid_store_postgres::PostgresStore;
use openid_store_redis::RedisStore;
use openid_test_servers::{Backend, shared};

const SERVER: &str = "https://op.example/server";

/// Salts never repeat within a run, across threads and benches.
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn salt() -> String {
    format!("s{}", COUNTER.fetch_add(1, Ordering::Relaxed))
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
            b.iter(|| assert!(target.store.use_nonce(SERVER, now, &salt()).unwrap()));
        });
        let mut bare = (target.bare)();
        group.bench_function(format!("{} bare", target.name), |b| b.iter(|| bare(now, &salt())));
    }
    group.finish();
    let mut group = criterion.benchmark_group("server_store_then_get_association");
    for target in &targets {
        let mut n = 0u64;
        group.bench_function(target.name, |b| {
            b.iter(|| {
                n = (n + 1) % 64;
                let handle = format!("handle-{n}");
                let association = Association::new(
                    handle.as_str(),
                    vec![7; 32],
                    now,
                    3_600,
                    AssociationType::HmacSha256,
                )
                .unwrap();
                target.store.store_association(SERVER, &association).unwrap();
                black_box(target.store.get_association(SERVER, Some(&handle)).unwrap().unwrap());
            });
        });
    }
    group.finish();
    criterion.final_summary();
    ratios(&targets);
}

/// Throughput of the store and of the bare operation, 1 and 8 threads, best of three
/// interleaved rounds (so drift on a shared machine hits both alike).
fn ratios(targets: &[Target]) {
    const ROUND: Duration = Duration::from_millis(1_500);
    println!("\nthroughput (operations/s, best of 3 interleaved rounds of {ROUND:?})");
    println!("| backend | threads | store | bare | store / bare |");
    println!("|---|---|---|---|---|");
    for target in targets {
        let mut one_thread_store = 0.0;
        for threads in [1usize, 8] {
            let (mut store_best, mut bare_best) = (0.0f64, 0.0f64);
            for _ in 0..3 {
                let now = SystemClock.now();
                let store_rate = throughput(threads, ROUND, || {
                    let store = &target.store;
                    Box::new(move || assert!(store.use_nonce(SERVER, now, &salt()).unwrap()))
                });
                let bare_rate = throughput(threads, ROUND, || {
                    let mut bare = (target.bare)();
                    Box::new(move || bare(now, &salt()))
                });
                store_best = store_best.max(store_rate);
                bare_best = bare_best.max(bare_rate);
            }
            println!(
                "| {} | {threads} | {store_best:.0} | {bare_best:.0} | {:.2} |",
                target.name,
                store_best / bare_best
            );
            if threads == 1 {
                one_thread_store = store_best;
            } else {
                println!(
                    "| {} | 8 vs 1 | {:.2}x | | |",
                    target.name,
                    store_best / one_thread_store
                );
            }
        }
    }
}

/// Operations per second over `duration`, with `threads` threads each running the
/// operation `make` gives it in that thread (one connection per thread for bare
/// operations); timing starts once every thread is connected.
fn throughput<'a>(
    threads: usize,
    duration: Duration,
    make: impl Fn() -> Box<dyn FnMut() + 'a> + Sync,
) -> f64 {
    let total = AtomicU64::new(0);
    let ready = std::sync::Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (make, total, ready) = (&make, &total, &ready);
            scope.spawn(move || {
                let mut op = make();
                ready.wait();
                let start = Instant::now();
                let mut done = 0u64;
                while start.elapsed() < duration {
                    op();
                    done += 1;
                }
                total.fetch_add(done, Ordering::Relaxed);
            });
        }
        // The scope ends when every thread has run for `duration`.
        ready.wait();
    });
    total.load(Ordering::Relaxed) as f64 / duration.as_secs_f64()
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
fn postgres_target() -> Option<Target> {
    if !selected("postgres") {
        return None;
    }
    let server = shared(Backend::Postgres).unwrap()?;
    let url = server.url().to_owned();
    let store = PostgresStore::from_url(&format!("{url}?schema=bench&migrate=true")).unwrap();
    let mut setup = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    setup
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS bench.bare_nonces \
             (nonce_key bytea PRIMARY KEY, server_url text NOT NULL, timestamp bigint NOT NULL, salt text NOT NULL)",
        )
        .unwrap();
    Some(Target {
        name: "postgres",
        store: Box::new(store),
        bare: Box::new(move || {
            let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let statement = client
                .prepare(
                    "INSERT INTO bench.bare_nonces (nonce_key, server_url, timestamp, salt) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .unwrap();
            Box::new(move |now, salt| {
                let key = nonce_digest(SERVER, now, salt);
                let rows =
                    client.execute(&statement, &[&key.as_slice(), &SERVER, &now, &salt]).unwrap();
                assert_eq!(rows, 1);
            })
        }),
    })
}

/// The mysql store and bare operation, if selected and the server is available.
fn mysql_target() -> Option<Target> {
    if !selected("mysql") {
        return None;
    }
    let server = shared(Backend::Mysql).unwrap()?;
    let url = server.url().to_owned();
    let store = MysqlStore::from_url(&format!("{url}?table_prefix=bench_&migrate=true")).unwrap();
    let mut setup = mysql::Conn::new(mysql::Opts::from_url(&url).unwrap()).unwrap();
    setup
        .query_drop(
            "CREATE TABLE IF NOT EXISTS bare_nonces (nonce_key BINARY(32) PRIMARY KEY, \
             server_url MEDIUMTEXT NOT NULL, timestamp BIGINT NOT NULL, salt MEDIUMTEXT NOT NULL) \
             ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
        )
        .unwrap();
    Some(Target {
        name: "mysql",
        store: Box::new(store),
        bare: Box::new(move || {
            let mut conn = mysql::Conn::new(mysql::Opts::from_url(&url).unwrap()).unwrap();
            let statement = conn
                .prep("INSERT IGNORE INTO bare_nonces (nonce_key, server_url, timestamp, salt) VALUES (?, ?, ?, ?)")
                .unwrap();
            Box::new(move |now, salt| {
                let key = nonce_digest(SERVER, now, salt);
                conn.exec_drop(&statement, (&key[..], SERVER, now, salt)).unwrap();
                assert_eq!(conn.affected_rows(), 1);
            })
        }),
    })
}

/// The redis store and bare operation, if selected and the server is available.
fn redis_target() -> Option<Target> {
    if !selected("redis") {
        return None;
    }
    let server = shared(Backend::Redis).unwrap()?;
    let url = server.url().to_owned();
    let store = RedisStore::from_url(&format!("{url}?prefix=bench:")).unwrap();
    Some(Target {
        name: "redis",
        store: Box::new(store),
        bare: Box::new(move || {
            let mut connection =
                redis::Client::open(url.as_str()).unwrap().get_connection().unwrap();
            Box::new(move |now, salt| {
                let key = hex(&nonce_digest(SERVER, now, salt));
                let set: Option<String> = redis::cmd("SET")
                    .arg(format!("bare:n:{key}"))
                    .arg(1)
                    .arg("NX")
                    .arg("EX")
                    .arg(60)
                    .query(&mut connection)
                    .unwrap();
                assert_eq!(set.as_deref(), Some("OK"));
            })
        }),
    })
}

/// The memcache store and bare operation, if selected and the server is available.
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
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            let mut line = String::new();
            Box::new(move |now, salt| {
                let key = hex(&nonce_digest(SERVER, now, salt));
                write!(writer, "ms bare:n:{key} 1 T60 ME\r\n1\r\n").unwrap();
                line.clear();
                reader.read_line(&mut line).unwrap();
                assert_eq!(line, "HD\r\n");
            })
        }),
    })
}
