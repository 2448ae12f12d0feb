//! Load on the login path: 8 threads x 2,000 assertions through `Consumer::complete`, the
//! same assertions replayed at the same time by a second process, against one SQLite file
//! and one Redis server. Every assertion succeeds exactly once across both processes, every
//! other attempt fails as a replay (no other failure, no panic), and afterwards the store
//! holds no nonce past its window.
//!
//! The second process is this test binary run again (`--exact` on the same test) with
//! `OPENID_LOAD_CHILD` naming a spec file; it answers with one outcome letter per assertion.
#![cfg(all(feature = "sqlite", feature = "redis"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use openid_consumer::crypto::{AssociationType, sign_message};
use openid_consumer::discovery::endpoint::TYPE_SIGNON_2_0;
use openid_consumer::message::{Message, OpenIdVersion};
use openid_consumer::nonce::{ResponseNonce, SKEW};
use openid_consumer::store::{Association, Clock, ManualClock, OpenIdStore, SystemClock};
use openid_consumer::{Consumer, FailureReason, PendingAuth, Response, ServiceEndpoint};
use openid_store_sqlite::SqliteStore;
use openid_test_servers::{Backend, shared};
use serde::{Deserialize, Serialize};

const OP: &str = "http://127.0.0.1:8901/op";
const CLAIMED_ID: &str = "http://127.0.0.1:8901/id/alice";
const REALM: &str = "http://127.0.0.1:8000/";
const RETURN_TO: &str = "http://127.0.0.1:8000/return";
const THREADS: usize = 8;
const PER_THREAD: usize = 2_000;
const CHILD: &str = "OPENID_LOAD_CHILD";
/// This file's test that both processes run.
const TEST: &str = "two_processes_replaying_16000_assertions_get_exactly_one_success_each";

/// What the child needs: where the store is, the login's pending state and the callbacks.
#[derive(Serialize, Deserialize)]
struct Spec {
    store_url: String,
    pending: PendingAuth,
    queries: Vec<String>,
}

/// A consumer on the spec's store, as a site's process would have.
fn consumer(spec: &Spec) -> Consumer {
    let store = openid_stores::connect(&spec.store_url).unwrap();
    Consumer::builder().store(store).build().unwrap()
}

/// One letter per assertion: `S` success, `R` refused as a replay, `F` anything else.
/// `backwards` walks each thread's share from its end, so that the two processes meet in
/// the middle of every share and both win some: walking in the same order, the one that
/// started first could stay ahead and the race would not be run at all.
fn run_all(consumer: &Consumer, spec: &Spec, backwards: bool) -> (Vec<u8>, Vec<String>) {
    let url = format!("{RETURN_TO}?");
    let chunks: Vec<(Vec<u8>, Vec<String>)> = std::thread::scope(|scope| {
        let threads: Vec<_> = spec
            .queries
            .chunks(PER_THREAD)
            .map(|chunk| {
                let (url, pending) = (&url, &spec.pending);
                scope.spawn(move || {
                    let mut letters = vec![b'?'; chunk.len()];
                    let mut other = Vec::new();
                    let order: Vec<usize> = if backwards {
                        (0..chunk.len()).rev().collect()
                    } else {
                        (0..chunk.len()).collect()
                    };
                    for i in order {
                        let query = &chunk[i];
                        let current = format!("{url}{query}");
                        let letter = match consumer.complete(Some(pending), query, &current) {
                            Response::Success(_) => b'S',
                            Response::Failure(f)
                                if matches!(f.reason(), FailureReason::NonceReplayed) =>
                            {
                                b'R'
                            }
                            response => {
                                other.push(format!("{response:?}"));
                                b'F'
                            }
                        };
                        letters[i] = letter;
                    }
                    (letters, other)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().expect("a login thread panicked")).collect()
    });
    let mut letters = Vec::new();
    let mut other = Vec::new();
    for (l, o) in chunks {
        letters.extend(l);
        other.extend(o);
    }
    (letters, other)
}

/// The child: waits for the parent's go, runs every assertion, prints the outcomes.
fn child(spec_path: &str) -> ! {
    let spec: Spec = serde_json::from_slice(&std::fs::read(spec_path).unwrap()).unwrap();
    let consumer = consumer(&spec);
    println!("ready");
    std::io::stdout().flush().unwrap();
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    let (letters, other) = run_all(&consumer, &spec, true);
    println!("outcomes:{}", String::from_utf8(letters).unwrap());
    for failure in other.iter().take(3) {
        println!("other:{failure}");
    }
    std::io::stdout().flush().unwrap();
    std::process::exit(0);
}

/// The association, the pending login and 16,000 signed assertions with fresh nonces.
fn prepare(store: &Arc<dyn OpenIdStore>, store_url: &str) -> Spec {
    let now = SystemClock.now();
    let association =
        Association::new("load-handle", vec![7u8; 32], now, 3_600, AssociationType::HmacSha256)
            .unwrap();
    store.store_association(OP, &association).unwrap();
    let consumer = Consumer::builder().store(Arc::clone(store)).build().unwrap();
    let endpoint =
        ServiceEndpoint::for_claimed_id(CLAIMED_ID, OP, None, vec![TYPE_SIGNON_2_0.to_owned()]);
    let mut request = consumer.begin_with_endpoint(endpoint).unwrap();
    let message = request.message(REALM, RETURN_TO, false).unwrap();
    let return_to = message.get_openid("return_to").unwrap().to_owned();
    let pending = request.pending();
    // Two of 16,000 random 6-character salts of one second are the same about once in 440
    // sets (62^6 salts, the birthday bound), and the second assertion carrying it is then
    // rightly refused by both processes: every nonce here is a distinct one.
    let mut salts = std::collections::HashSet::new();
    let queries = (0..THREADS * PER_THREAD)
        .map(|_| {
            let mut message = Message::new(OpenIdVersion::V2_0);
            message.set_openid("mode", "id_res");
            message.set_openid("op_endpoint", OP);
            message.set_openid("claimed_id", CLAIMED_ID);
            message.set_openid("identity", CLAIMED_ID);
            message.set_openid("return_to", &return_to);
            let nonce = std::iter::repeat_with(|| ResponseNonce::generate(now).unwrap())
                .take(1_000)
                .find(|nonce| salts.insert(nonce.salt().to_owned()))
                .expect("ResponseNonce::generate keeps repeating its salts");
            message.set_openid("response_nonce", nonce.as_str());
            message.set_openid("assoc_handle", association.handle());
            sign_message(&mut message, &association).unwrap();
            let url = message.to_url(&return_to);
            url.split_once('?').unwrap().1.to_owned()
        })
        .collect();
    Spec { store_url: store_url.to_owned(), pending, queries }
}

/// Runs the spec here and in a child process at once; checks one success per assertion.
fn race(spec: &Spec, dir: &std::path::Path) {
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, serde_json::to_vec(spec).unwrap()).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD, &spec_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, from_child) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let wait = Duration::from_secs(300);
    // libtest prints "test NAME ... " without a newline before the test runs, so the
    // child's first line may follow it on the same line.
    let next = |prefix: &str| loop {
        match from_child.recv_timeout(wait) {
            Ok(line) if line.contains(prefix) => {
                break line[line.find(prefix).unwrap()..].to_owned();
            }
            Ok(_) => {}
            Err(error) => panic!("the child never printed {prefix:?}: {error}"),
        }
    };
    let consumer = consumer(spec);
    next("ready");
    writeln!(child.stdin.as_mut().unwrap(), "go").unwrap();
    let (ours, our_other) = run_all(&consumer, spec, false);
    let theirs = next("outcomes:");
    let their_other: Vec<String> =
        from_child.try_iter().filter(|l| l.starts_with("other:")).collect();
    assert!(child.wait().unwrap().success());
    let theirs = theirs.strip_prefix("outcomes:").unwrap().as_bytes();
    assert!(
        our_other.is_empty(),
        "failures other than replays here: {:?}",
        &our_other[..our_other.len().min(3)]
    );
    assert!(their_other.is_empty(), "failures other than replays in the child: {their_other:?}");
    assert_eq!(ours.len(), spec.queries.len());
    assert_eq!(theirs.len(), spec.queries.len());
    let wrong: Vec<usize> = (0..ours.len())
        .filter(|&i| !matches!((ours[i], theirs[i]), (b'S', b'R') | (b'R', b'S')))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} assertions not accepted exactly once (first: {:?})",
        wrong.len(),
        wrong.iter().take(5).map(|&i| (i, ours[i] as char, theirs[i] as char)).collect::<Vec<_>>()
    );
    #[allow(clippy::naive_bytecount, reason = "16,000 bytes, once")]
    let here = ours.iter().filter(|&&l| l == b'S').count();
    // Both processes must have taken part: one that lost every race proved nothing.
    assert!(here > 0 && here < ours.len(), "this process won {here} of {}", ours.len());
    eprintln!("{}: this process won {here} of {}", spec.store_url, ours.len());
}

#[test]
fn two_processes_replaying_16000_assertions_get_exactly_one_success_each() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
    }
    let dir = tempfile::tempdir().unwrap();

    // SQLite: one file, both processes.
    let path = dir.path().join("load.db");
    // The test counts successes, not latency: on a loaded machine (a stress round, CI) 16
    // threads on one SQLite file made a call wait past the default 5 s for a connection.
    let sqlite_url = format!("sqlite://{}?timeout_ms=60000", path.display());
    let store = openid_stores::connect(&sqlite_url).unwrap();
    let spec = prepare(&store, &sqlite_url);
    race(&spec, dir.path());
    // Nothing is past its window yet: cleanup keeps every nonce.
    assert_eq!(store.cleanup_nonces().unwrap(), 0);
    // A day later every nonce is past its window, and cleanup leaves none behind.
    let later: Arc<dyn Clock> = Arc::new(ManualClock::new(SystemClock.now() + 24 * 3_600));
    let later_store = SqliteStore::builder(&path).clock(later).build().unwrap();
    assert_eq!(later_store.cleanup_nonces().unwrap(), spec.queries.len());
    assert_eq!(later_store.cleanup_nonces().unwrap(), 0);

    // Redis: the server expires nonces itself; each must carry a TTL within its window.
    let Some(server) = shared(Backend::Redis).unwrap() else { return };
    let prefix = format!("load-{}:", std::process::id());
    let separator = if server.url().contains('?') { '&' } else { '?' };
    let redis_url = format!("{}{separator}prefix={prefix}", server.url());
    let store = openid_stores::connect(&redis_url).unwrap();
    let spec = prepare(&store, &redis_url);
    race(&spec, dir.path());
    let mut connection = redis::Client::open(server.url()).unwrap().get_connection().unwrap();
    let keys: Vec<String> =
        redis::cmd("KEYS").arg(format!("{prefix}nonce:*")).query(&mut connection).unwrap();
    assert_eq!(keys.len(), spec.queries.len(), "one nonce key per assertion");
    for key in &keys {
        let ttl: i64 = redis::cmd("TTL").arg(key).query(&mut connection).unwrap();
        // Two windows at the most (a timestamp may lie a window ahead) and a margin.
        assert!(ttl > 0 && ttl <= 2 * SKEW + 3_600, "{key} has TTL {ttl}");
    }
}
