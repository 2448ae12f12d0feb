//! Throughput of an operation run by several threads at once, as the server benches and
//! `examples/pool_gap.rs` measure it.

use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Operations per second over `duration`, with `threads` threads each running the
/// operation `make` gives it in that thread (one connection per thread for bare
/// operations); timing starts once every thread has made its operation.
#[allow(clippy::cast_precision_loss, reason = "a rate, not a count")]
pub fn throughput<'a>(
    threads: usize,
    duration: Duration,
    make: impl Fn() -> Box<dyn FnMut() + 'a> + Sync,
) -> f64 {
    let total = AtomicU64::new(0);
    let ready = Barrier::new(threads + 1);
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
