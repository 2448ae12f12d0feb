//! Races: threads and processes using the same nonces, removing and replacing the same
//! association.

use std::sync::Barrier;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use openid_consumer::crypto::AssociationType;
use openid_consumer::store::Association;

use crate::StoreFactory;
use crate::support::{association, nonce, put, remove, setup};

/// Nonces raced over by every thread and process.
pub(crate) const RACED_NONCES: usize = 1_000;

/// 8 threads each call `use_nonce` on the same 1,000 nonces: exactly one call per nonce,
/// 1,000 in total, gets `true`.
pub fn eight_threads_racing_use_nonce_get_exactly_one_true_per_nonce(factory: &dyn StoreFactory) {
    let (f, store) = setup(factory, "nonce-race");
    let server = f.server_url();
    let wins: Vec<AtomicU32> = (0..RACED_NONCES).map(|_| AtomicU32::new(0)).collect();
    let barrier = Barrier::new(8);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                barrier.wait();
                for (i, win) in wins.iter().enumerate() {
                    if nonce(&*store, &server, f.now(), &format!("salt-{i}")) {
                        win.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    let counts: Vec<u32> = wins.iter().map(|w| w.load(Ordering::SeqCst)).collect();
    let total: u32 = counts.iter().sum();
    let wrong: Vec<(usize, u32)> =
        counts.iter().copied().enumerate().filter(|&(_, n)| n != 1).take(10).collect();
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
/// on the same 1,000 nonces of one backing store: exactly 1,000 `true` in total.
pub fn two_processes_racing_use_nonce_get_exactly_one_true_per_nonce(factory: &dyn StoreFactory) {
    crate::process::race_two_processes(factory);
}

/// Adds one to its counter when dropped, whether its thread returns or panics.
struct Done<'a>(&'a AtomicUsize);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
