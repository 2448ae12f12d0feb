//! The cross-process race: the test binary runs itself again as a child that races the
//! parent on the same backing data.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Barrier;
use std::sync::atomic::{AtomicU32, Ordering};

use openid_consumer::store::OpenIdStore;

use crate::cases::concurrency::RACED_NONCES;
use crate::support::{nonce, open};
use crate::{Fixture, StoreFactory};

/// Set in the child: `namespace \t directory \t now`.
const CHILD_ENV: &str = "OPENID_CONFORMANCE_CHILD";
/// Prefix of the lines the child writes for the parent.
const TAG: &str = "OPENID_CONFORMANCE";
/// Threads racing in each process.
const THREADS: usize = 4;
const CASE: &str = "two_processes_racing_use_nonce_get_exactly_one_true_per_nonce";

pub(crate) fn race_two_processes(factory: &dyn StoreFactory) {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        run_child(factory, &spec);
        return;
    }
    if !factory.capabilities().multi_process {
        crate::skip(CASE, "the store lives in one process");
        return;
    }
    let Some(test_name) = crate::current_test() else {
        crate::skip(CASE, "it re-runs its #[test] in a child: run it via store_conformance_tests!");
        return;
    };
    let f = Fixture::new("process-race");
    // Open (and so create) the store before the child does.
    let store = open(factory, &f);
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut child = Command::new(exe)
        .args([test_name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{}\t{}\t{}", f.namespace(), f.dir().display(), f.now()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cannot start the child process");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut next_tagged = |child: &mut std::process::Child| loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(rest) = line.strip_prefix(TAG) {
                    break rest.trim().to_owned();
                }
            }
            _ => panic!("the child process ended early: {:?}", child.wait()),
        }
    };
    assert_eq!(next_tagged(&mut child), "ready");
    let mut stdin = child.stdin.take().expect("piped stdin");
    writeln!(stdin, "go").expect("cannot signal the child");
    drop(stdin);
    let parent_wins = race(&*store, &f);
    let report = next_tagged(&mut child);
    let status = child.wait().expect("waiting for the child");
    assert!(status.success(), "the child process failed: {status}");
    let child_wins = parse_wins(&report);
    let mut per_nonce = vec![0u32; RACED_NONCES];
    for i in parent_wins.iter().chain(&child_wins) {
        per_nonce[*i] += 1;
    }
    let wrong: Vec<(usize, u32)> =
        per_nonce.iter().copied().enumerate().filter(|&(_, n)| n != 1).take(10).collect();
    assert_eq!(
        parent_wins.len() + child_wins.len(),
        RACED_NONCES,
        "total trues (parent {}, child {}); nonces not won exactly once: {wrong:?}",
        parent_wins.len(),
        child_wins.len()
    );
    assert!(wrong.is_empty(), "nonces not won exactly once: {wrong:?}");
}

fn run_child(factory: &dyn StoreFactory, spec: &str) {
    let mut parts = spec.split('\t');
    let (Some(namespace), Some(dir), Some(now)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("malformed {CHILD_ENV}: {spec:?}");
    };
    let now = now.parse().expect("the parent's time");
    let f = Fixture::attach(namespace.to_owned(), PathBuf::from(dir), now);
    let store = open(factory, &f);
    let mut stdout = std::io::stdout();
    writeln!(stdout, "\n{TAG} ready").and_then(|()| stdout.flush()).expect("stdout");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).expect("waiting for the parent");
    let wins = race(&*store, &f);
    let list: Vec<String> = wins.iter().map(ToString::to_string).collect();
    writeln!(stdout, "\n{TAG} {}", list.join(",")).and_then(|()| stdout.flush()).expect("stdout");
}

/// Races `THREADS` threads over the nonces; returns the indices this process won.
fn race(store: &dyn OpenIdStore, f: &Fixture) -> Vec<usize> {
    let server = f.server_url();
    let wins: Vec<AtomicU32> = (0..RACED_NONCES).map(|_| AtomicU32::new(0)).collect();
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                barrier.wait();
                for (i, win) in wins.iter().enumerate() {
                    if nonce(store, &server, f.now(), &format!("salt-{i}")) {
                        win.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    let mut won = Vec::new();
    for (i, win) in wins.iter().enumerate() {
        for _ in 0..win.load(Ordering::SeqCst) {
            won.push(i);
        }
    }
    won
}

fn parse_wins(report: &str) -> Vec<usize> {
    report
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap_or_else(|_| panic!("bad child report {report:?}")))
        .collect()
}
