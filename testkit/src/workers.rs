//! Threads that serve connections, kept for the next connection instead of started for
//! each one.
//!
//! Starting a thread per connection cost about 0.8 ms on the 2-core test machine before
//! the first byte was read, which a client opening a connection per request
//! (python3-openid's urllib fetcher, the benchmarks' reference) paid on every request. A
//! kept thread is woken instead; one idle for [`IDLE`] ends.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

/// What a worker runs: one connection, served to its end.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// How long a thread waits for another connection before it ends.
const IDLE: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
pub(crate) struct Workers {
    /// The idle threads, each by the channel it waits on.
    idle: Mutex<Vec<(u64, SyncSender<Job>)>>,
    next_id: AtomicU64,
    closed: AtomicBool,
}

impl Workers {
    /// Runs `job` on an idle thread, or on a new one when none is idle.
    ///
    /// # Errors
    /// When a thread is needed and cannot be started (the job is dropped).
    pub(crate) fn run(self: &Arc<Self>, mut job: Job) -> io::Result<()> {
        loop {
            let Some((_, sender)) = self.lock().pop() else { break };
            match sender.send(job) {
                Ok(()) => return Ok(()),
                // That thread has ended: the job comes back for the next one.
                Err(mpsc::SendError(back)) => job = back,
            }
        }
        let workers = Arc::clone(self);
        thread::Builder::new()
            .name("openid-testkit-conn".to_owned())
            .spawn(move || workers.work(job))
            .map(drop)
    }

    /// Lets the idle threads end, and the busy ones after their job.
    pub(crate) fn close(&self) {
        let mut idle = self.lock();
        self.closed.store(true, Ordering::SeqCst);
        idle.clear();
    }

    fn work(&self, mut job: Job) {
        loop {
            job();
            let (sender, receiver) = mpsc::sync_channel(1);
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            {
                let mut idle = self.lock();
                if self.closed.load(Ordering::SeqCst) {
                    return;
                }
                idle.push((id, sender));
            }
            job = match receiver.recv_timeout(IDLE) {
                Ok(next) => next,
                Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {
                    let mut idle = self.lock();
                    if let Some(at) = idle.iter().position(|(waiting, _)| *waiting == id) {
                        idle.swap_remove(at);
                        return;
                    }
                    drop(idle);
                    // `run` took this thread's channel just now: its job is on the way.
                    match receiver.recv() {
                        Ok(next) => next,
                        Err(_) => return,
                    }
                }
            };
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(u64, SyncSender<Job>)>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    #[test]
    fn a_finished_thread_takes_the_next_job() {
        let workers = Arc::new(Workers::default());
        let (done, finished) = channel();
        let mut threads = Vec::new();
        for _ in 0..3 {
            let done = done.clone();
            workers.run(Box::new(move || done.send(thread::current().id()).unwrap())).unwrap();
            threads.push(finished.recv().unwrap());
            // The next job goes to an idle thread only once this one is back.
            while workers.lock().is_empty() {
                thread::yield_now();
            }
        }
        assert!(threads.iter().all(|id| *id == threads[0]), "one thread served all: {threads:?}");
        workers.close();
        assert!(workers.lock().is_empty());
    }
}
