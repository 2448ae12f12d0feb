//! Races: threads and processes using the same nonces, removing and replacing the same
//! association.

use std::sync::Barrier;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use openid_consumer::crypto::AssociationType;
use openid_consumer::store::{Association, OpenIdStore};

use crate::factory::StoreFactory;
use crate::process;
use crate::runner::{current_test, skip};
use crate::support::{association, nonce, open, put, remove, setup};

/// Nonces raced over by every thread and process.
const RACED_NONCES: usize = 1_000;
/// Threads racing in each of the two processes.
const PROCESS_THREADS: usize = 4;
/// How far the child's clock runs ahead of the parent's: an hour, inside the window, as
/// two web servers' clocks may differ, and across an hour boundary for a store that files
/// nonces by hour.
const CLOCKS_APART: i64 = 3_600;

/// 8 threads each call `use_nonce` on the same 1,000 nonces: exactly one call per nonce,
/// 1,000 in total, gets `true`.
pub fn eight_threads_racing_use_nonce_get_exactly_one_true_per_nonce(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "nonce-race");
    let counts = race(&*store, &f.server_url(), f.now(), 8);
    let total: u32 = counts.iter().sum();
    let wrong = not_won_once(&counts);
    assert_eq!(total, 1_000, "total trues; nonces not won exactly once: {wrong:?}");
    assert!(wrong.is_empty(), "nonces not won exactly once: {wrong:?}");
}

/// 8 threads racing to remove one association: exactly one gets `true`, 20 times over.
pub fn racing_removes_get_exactly_one_true(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "remove-race");
    let server = f.server_url();
    for round in 0..20 {
        let handle = format!("h{round}");
        put(&*store, &server, &association(&handle, f.now(), 600));
        let trues = AtomicU32::new(0);
        let barrier = Barrier::new(8);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    barrier.wait();
                    if remove(&*store, &server, &handle) {
                        trues.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(trues.load(Ordering::SeqCst), 1, "round {round}");
    }
}

/// While 4 threads keep replacing one association, 4 readers always find a whole one:
/// never none, never an error, never a mix of two writes. All 8 start together and the
/// readers keep reading until every writer is done, so reads and writes overlap.
pub fn readers_never_see_a_partial_replacement(factory: &dyn StoreFactory) {
    const WRITERS: u8 = 4;
    const READERS: usize = 4;
    let (f, store) = setup(factory, "replace-race");
    let server = f.server_url();
    let version = |writer: u8, n: u8| {
        // Secret and lifetime both encode (writer, n), so a torn read shows as a mismatch.
        Association::new(
            "h",
            vec![writer.wrapping_mul(64).wrapping_add(n); 32],
            f.now(),
            600 + i64::from(writer) * 1_000 + i64::from(n),
            AssociationType::HmacSha256,
        )
        .expect("valid association")
    };
    put(&*store, &server, &version(0, 0));
    let barrier = Barrier::new(usize::from(WRITERS) + READERS);
    let writers_done = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let (store, server, barrier, writers_done) =
                    (&store, &server, &barrier, &writers_done);
                scope.spawn(move || {
                    // Counted when the writer ends, also by a panic (a failed write): the
                    // readers wait for every writer, and must not wait forever.
                    let _done = Done(writers_done);
                    barrier.wait();
                    for n in 0..25 {
                        put(&**store, server, &version(writer, n));
                    }
                })
            })
            .collect();
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    let mut reads = 0;
                    let mut seen = None;
                    while reads < 100 || writers_done.load(Ordering::SeqCst) < usize::from(WRITERS)
                    {
                        let Some(found) = crate::support::get(&*store, &server, Some("h")) else {
                            seen.get_or_insert_with(|| {
                                "the association vanished during a replacement".to_owned()
                            });
                            break;
                        };
                        let code = found.lifetime() - 600;
                        let (writer, n) = (code / 1_000, code % 1_000);
                        let expected = u8::try_from(writer)
                            .ok()
                            .zip(u8::try_from(n).ok())
                            .map(|(writer, n)| version(writer, n));
                        if expected.as_ref() != Some(&found) {
                            seen = Some(format!("a torn association: {found:?}"));
                            break;
                        }
                        reads += 1;
                    }
                    seen
                })
            })
            .collect();
        // The writer's or reader's own message, not "a scoped thread panicked".
        for writer in writers {
            if let Err(payload) = writer.join() {
                std::panic::resume_unwind(payload);
            }
        }
        for reader in readers {
            if let Some(problem) = reader.join().expect("a reader panicked") {
                panic!("{problem}");
            }
        }
    });
}

/// Two processes (this test binary run again as a child), 4 threads each, call `use_nonce`
/// on the same 1,000 nonces of one backing store, their clocks an hour apart: exactly
/// 1,000 `true` in total. For a store declared to live in one process, the child must
/// instead share nothing with the parent (each wins every nonce): a declaration that hid a
/// store shared between processes behind an in-process lock would let replays through.
pub fn two_processes_racing_use_nonce_get_exactly_one_true_per_nonce(factory: &dyn StoreFactory) {
    if let Some(spec) = process::child_spec() {
        let store = open(factory, &spec.fixture);
        process::ready_then_wait();
        let counts = race(&*store, &spec.fixture.server_url(), spec.argument, PROCESS_THREADS);
        let report: Vec<String> = counts.iter().map(ToString::to_string).collect();
        process::report_and_exit(&report.join(","));
    }
    let Some(test) = current_test() else {
        skip(
            "two_processes_racing_use_nonce_get_exactly_one_true_per_nonce",
            "it runs its #[test] again in a child: run it through store_conformance_tests!",
        );
        return;
    };
    let (f, store) = setup(factory, "process-race");
    let timestamp = f.now();
    let mut child = process::spawn(&test, &f, f.now() + CLOCKS_APART, timestamp);
    child.start();
    let parent = race(&*store, &f.server_url(), timestamp, PROCESS_THREADS);
    let report = child.report();
    let child: Vec<u32> = report
        .split(',')
        .map(|n| n.parse().unwrap_or_else(|_| panic!("bad child report {report:?}")))
        .collect();
    assert_eq!(child.len(), RACED_NONCES, "the child's report");
    let (parent_total, child_total): (u32, u32) = (parent.iter().sum(), child.iter().sum());
    if factory.capabilities().multi_process {
        let both: Vec<u32> = parent.iter().zip(&child).map(|(p, c)| p + c).collect();
        let wrong = not_won_once(&both);
        assert!(
            wrong.is_empty(),
            "nonces not won exactly once across two processes (parent {parent_total} trues, \
             child {child_total}, clocks {CLOCKS_APART} s apart): {wrong:?}{}",
            if parent_total + child_total == 2 * 1_000 {
                " (each process won every nonce: if this store keeps its data in one process, \
                 declare Capabilities::single_process())"
            } else {
                ""
            }
        );
    } else {
        let (wrong_parent, wrong_child) = (not_won_once(&parent), not_won_once(&child));
        assert!(
            wrong_parent.is_empty() && wrong_child.is_empty(),
            "the store is declared single_process(), but a second process shares its nonces \
             (parent {parent_total} trues, child {child_total}, of 1000 each): its data is \
             shared, so use_nonce must be atomic across processes; remove single_process() \
             from its capabilities"
        );
    }
}

/// `threads` threads each call `use_nonce` on the same 1,000 nonces at `timestamp`; how
/// many times each nonce was won.
fn race(store: &dyn OpenIdStore, server: &str, timestamp: i64, threads: usize) -> Vec<u32> {
    let wins: Vec<AtomicU32> = (0..RACED_NONCES).map(|_| AtomicU32::new(0)).collect();
    let barrier = Barrier::new(threads);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                barrier.wait();
                for (i, win) in wins.iter().enumerate() {
                    if nonce(store, server, timestamp, &format!("salt-{i}")) {
                        win.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    wins.iter().map(|w| w.load(Ordering::SeqCst)).collect()
}

/// Up to ten (nonce, wins) of nonces not won exactly once.
fn not_won_once(counts: &[u32]) -> Vec<(usize, u32)> {
    counts.iter().copied().enumerate().filter(|&(_, n)| n != 1).take(10).collect()
}

/// Adds one to its counter when dropped, whether its thread returns or panics.
struct Done<'a>(&'a AtomicUsize);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
