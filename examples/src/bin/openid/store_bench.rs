//! `openid store bench URL`: how many `use_nonce`, `store_association` and
//! `get_association` calls the store at URL answers per second, each measured in a phase
//! of its own (`--seconds` long) behind a progress bar, then a table.
//!
//! The bench writes under a server URL and salts of its own (a random run id), so it can
//! run against a store in use: its nonces are never seen by a login and expire as any
//! nonce does; its associations (a few per thread, short-lived) are removed at the end.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use openid_consumer::crypto::{AssociationType, random_string};
use openid_consumer::store::{Association, Clock, OpenIdStore, StoreError, SystemClock};
use serde::Serialize;

use crate::error::CliError;
use crate::output::{Format, Table, print, print_json};
use crate::stores::{self, shown};

/// `openid store bench`.
#[derive(Debug, clap::Args)]
#[expect(clippy::doc_markdown, reason = "the field docs are --help text, read as plain text")]
pub(crate) struct Args {
    /// The store: memory:, sqlite:PATH, file:///DIR, postgres://, mysql://, redis:// or
    /// memcache://.
    url: String,
    /// How long each of the three phases (use_nonce, store_association, get_association)
    /// runs, in seconds.
    #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = parse_seconds)]
    seconds: Duration,
    /// Threads calling the store at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: u16,
}

/// Runs the three phases and prints the table.
pub(crate) fn run(args: &Args, format: Format) -> Result<ExitCode, CliError> {
    let store = stores::open(&args.url)?;
    let run_id = random_string(12, b"abcdefghijklmnopqrstuvwxyz0123456789")
        .map_err(|error| CliError::Failed(format!("cannot name the bench run: {error}")))?;
    let bench = Bench {
        store,
        server_url: format!("https://bench.openid-rs.invalid/{run_id}/server"),
        run_id,
        threads: args.threads,
        phase: args.seconds,
    };
    let phases: [(&'static str, Worker); 3] = [
        ("use_nonce", Bench::nonces),
        ("store_association", Bench::stores),
        ("get_association", Bench::gets),
    ];
    let bar = match format {
        Format::Human => ProgressBar::new(millis(args.seconds * 3)),
        Format::Json => ProgressBar::hidden(),
    };
    if let Ok(style) = ProgressStyle::with_template("{msg:32} [{bar:30}] {elapsed:>3}") {
        bar.set_style(style.progress_chars("=> "));
    }
    let measured: Result<Vec<Row>, CliError> = phases
        .into_iter()
        .zip(0u32..)
        .map(|((name, worker), index)| {
            let offset = args.seconds * index;
            Ok(Row::new(name, bench.phase(&bar, offset, name, worker)?))
        })
        .collect();
    match &measured {
        Ok(_) => bar.finish_and_clear(),
        Err(_) => bar.abandon(),
    }
    // Also after a failed phase: the earlier ones may have stored associations.
    let removed = bench.remove_associations();
    let operations = measured?;
    removed?;
    let report = Report {
        store: shown(&args.url),
        threads: args.threads,
        seconds: args.seconds.as_secs_f64(),
        operations,
    };
    match format {
        Format::Json => print_json(&report)?,
        Format::Human => print(&report.human())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// What every thread of the bench shares.
struct Bench {
    store: Arc<dyn OpenIdStore>,
    server_url: String,
    run_id: String,
    threads: u16,
    phase: Duration,
}

/// Calls of one operation and the time spent in them.
#[derive(Debug, Default, Clone, Copy)]
struct Op {
    calls: u64,
    busy: Duration,
    /// How long the phase took, start to last thread done (set once merged).
    wall: Duration,
}

impl Op {
    /// Runs one call, counting it and its time.
    fn time<T>(&mut self, calls: &AtomicU64, call: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let result = call();
        self.busy += started.elapsed();
        self.calls += 1;
        calls.fetch_add(1, Ordering::Relaxed);
        result
    }
}

/// One thread's loop: `(bench, thread, deadline, live call counter)`.
type Worker = fn(&Bench, u16, Instant, &AtomicU64) -> Result<Op, CliError>;

impl Bench {
    /// Runs `worker` on every thread for one phase, moving the bar from `offset`.
    fn phase(
        &self,
        bar: &ProgressBar,
        offset: Duration,
        name: &str,
        worker: Worker,
    ) -> Result<Op, CliError> {
        bar.set_message(format!("{name}: 0 calls"));
        let started = Instant::now();
        let deadline = started + self.phase;
        let calls = AtomicU64::new(0);
        let (done, finished) = mpsc::channel::<()>();
        let results = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..self.threads)
                .map(|thread| {
                    let done = done.clone();
                    let calls = &calls;
                    scope.spawn(move || {
                        let op = worker(self, thread, deadline, calls);
                        // The receiver outlives the threads: a send cannot fail.
                        let _ = done.send(());
                        op
                    })
                })
                .collect();
            // Redraw until every thread is done: each sends once when it ends.
            let mut running = handles.len();
            while running > 0 {
                match finished.recv_timeout(REDRAW) {
                    Ok(()) => running -= 1,
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => break,
                }
                bar.set_position(millis(offset + started.elapsed().min(self.phase)));
                bar.set_message(format!("{name}: {} calls", calls.load(Ordering::Relaxed)));
            }
            handles.into_iter().map(std::thread::ScopedJoinHandle::join).collect::<Vec<_>>()
        });
        let mut total = Op { wall: started.elapsed(), ..Op::default() };
        for result in results {
            let op = result.map_err(|_| CliError::Failed("a bench thread panicked".into()))??;
            total.calls += op.calls;
            total.busy += op.busy;
        }
        Ok(total)
    }

    /// `use_nonce` with a fresh salt each time: every call must say "fresh".
    fn nonces(&self, thread: u16, deadline: Instant, calls: &AtomicU64) -> Result<Op, CliError> {
        let mut op = Op::default();
        let mut index = 0u64;
        while Instant::now() < deadline {
            let salt = format!("{}-{thread}-{index}", self.run_id);
            let now = SystemClock.now();
            let fresh = op.time(calls, || self.store.use_nonce(&self.server_url, now, &salt));
            if !fresh.map_err(|source| store_error("calling use_nonce", source))? {
                return Err(broken(&format!("use_nonce refused the fresh nonce {salt:?}")));
            }
            index += 1;
        }
        Ok(op)
    }

    /// `store_association` over a few handles per thread (each store replaces one), so
    /// the run leaves little to remove.
    fn stores(&self, thread: u16, deadline: Instant, calls: &AtomicU64) -> Result<Op, CliError> {
        let mut op = Op::default();
        let mut index = 0u64;
        while Instant::now() < deadline {
            let association = self.association(thread, index % HANDLES_PER_THREAD)?;
            op.time(calls, || self.store.store_association(&self.server_url, &association))
                .map_err(|source| store_error("calling store_association", source))?;
            index += 1;
        }
        // The get phase reads every handle: make sure each was stored.
        for slot in index..HANDLES_PER_THREAD {
            let association = self.association(thread, slot)?;
            self.store
                .store_association(&self.server_url, &association)
                .map_err(|source| store_error("calling store_association", source))?;
        }
        Ok(op)
    }

    /// `get_association` by handle, over the handles the store phase stored.
    fn gets(&self, thread: u16, deadline: Instant, calls: &AtomicU64) -> Result<Op, CliError> {
        let mut op = Op::default();
        let mut index = 0u64;
        while Instant::now() < deadline {
            let handle = self.handle(thread, index % HANDLES_PER_THREAD);
            let found = op
                .time(calls, || self.store.get_association(&self.server_url, Some(&handle)))
                .map_err(|source| store_error("calling get_association", source))?;
            if found.is_none() {
                return Err(broken(&format!("get_association lost the association {handle}")));
            }
            index += 1;
        }
        Ok(op)
    }

    fn association(&self, thread: u16, slot: u64) -> Result<Association, CliError> {
        Association::new(
            self.handle(thread, slot),
            SECRET,
            SystemClock.now(),
            ASSOCIATION_LIFETIME,
            AssociationType::HmacSha256,
        )
        .map_err(|error| CliError::Failed(format!("bench association: {error}")))
    }

    /// Removes every association the bench may have stored.
    fn remove_associations(&self) -> Result<(), CliError> {
        for thread in 0..self.threads {
            for slot in 0..HANDLES_PER_THREAD {
                self.store
                    .remove_association(&self.server_url, &self.handle(thread, slot))
                    .map_err(|source| store_error("removing the bench's associations", source))?;
            }
        }
        Ok(())
    }

    fn handle(&self, thread: u16, slot: u64) -> String {
        format!("{{HMAC-SHA256}}{{bench-{}}}{{{thread}.{slot}}}", self.run_id)
    }
}

/// A store that answers wrongly: the bench's numbers would mean nothing.
fn broken(what: &str) -> CliError {
    CliError::Failed(format!("{what}: the store is broken (run openid store check on it)"))
}

fn store_error(doing: &'static str, source: StoreError) -> CliError {
    CliError::Store { doing, source }
}

/// The table and the JSON document.
#[derive(Debug, Serialize)]
struct Report {
    store: String,
    threads: u16,
    /// Length of each phase.
    seconds: f64,
    operations: Vec<Row>,
}

#[derive(Debug, Serialize)]
struct Row {
    operation: &'static str,
    calls: u64,
    per_second: f64,
    mean_latency_us: f64,
}

impl Row {
    #[expect(clippy::cast_precision_loss, reason = "call counts stay far below 2^52")]
    fn new(operation: &'static str, op: Op) -> Self {
        let per_second = ratio(op.calls as f64, op.wall.as_secs_f64());
        let mean_latency_us = ratio(op.busy.as_secs_f64() * 1e6, op.calls as f64);
        Self { operation, calls: op.calls, per_second, mean_latency_us }
    }
}

impl Report {
    fn human(&self) -> String {
        let mut table = Table::new(&["operation", "calls", "per second", "mean latency"]);
        for row in &self.operations {
            table.row(vec![
                row.operation.to_owned(),
                row.calls.to_string(),
                format!("{:.0}", row.per_second),
                latency(row.mean_latency_us),
            ]);
        }
        let threads = if self.threads == 1 { "thread" } else { "threads" };
        format!(
            "{}, {} {threads}, {} s per phase\n{}",
            self.store,
            self.threads,
            self.seconds,
            table.render()
        )
    }
}

/// `a / b`, or 0 when `b` is 0.
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// Microseconds as `812.4 µs` or `2.35 ms`.
fn latency(micros: f64) -> String {
    if micros < 1000.0 { format!("{micros:.1} µs") } else { format!("{:.2} ms", micros / 1000.0) }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// `--seconds`: a positive number, at most an hour.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text.parse().map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(seconds > 0.0 && seconds <= 3600.0) {
        return Err(format!("{text} is not between 0 and 3600 seconds"));
    }
    Duration::try_from_secs_f64(seconds).map_err(|error| error.to_string())
}

/// How often the bar is redrawn.
const REDRAW: Duration = Duration::from_millis(100);
/// Handles each thread cycles through.
const HANDLES_PER_THREAD: u64 = 16;
/// Bench associations expire soon, in case the run is killed before it removes them.
const ASSOCIATION_LIFETIME: i64 = 600;
/// A 32-byte HMAC-SHA256 key (not a secret: nothing is signed with it).
const SECRET: &[u8] = &[0x5a; 32];
