//! The Python side: where the interpreter with python3-openid is, and running its scripts
//! with bounded waits.

use std::io::{self, BufRead as _, BufReader, Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// The name `OPENID_TEST_SKIP` uses for these tests.
const SKIP_NAME: &str = "python";

/// The interpreter of the virtualenv `scripts/python-venv.sh` makes (relative to the
/// workspace root), unless `OPENID_PYTHON` names another.
const VENV_PYTHON: &str = "target/python-openid/bin/python";

/// The interpreter that has python3-openid, or `None` (after a loud `SKIPPED` line) when
/// there is none and `OPENID_TEST_SKIP` names `python`.
///
/// # Panics
/// When there is no interpreter and the tests are not skipped: the message says how to
/// make one.
pub(crate) fn interpreter() -> Option<PathBuf> {
    let (python, origin) = match std::env::var_os("OPENID_PYTHON").filter(|v| !v.is_empty()) {
        Some(path) => (PathBuf::from(path), "OPENID_PYTHON"),
        None => (workspace_root().join(VENV_PYTHON), "the default virtualenv"),
    };
    if python.is_file() {
        return Some(python);
    }
    let why = format!("no Python interpreter at {} ({origin})", python.display());
    if skipped() {
        let test = thread::current().name().unwrap_or("an interop test").to_owned();
        // Loud on purpose: a skipped test must never look like a passing one. Straight to
        // stderr: libtest hides what a passing test prints with println! and eprintln!.
        let _ = writeln!(
            io::stderr(),
            "SKIPPED: {test} did not run: {why}; OPENID_TEST_SKIP names {SKIP_NAME}"
        );
        return None;
    }
    panic!(
        "{why}. Run scripts/python-venv.sh (it makes {VENV_PYTHON} with python3-openid \
         3.2.0), or set OPENID_PYTHON to an interpreter that has python3-openid 3.2.0, or \
         OPENID_TEST_SKIP={SKIP_NAME} to skip the interop tests"
    );
}

/// The workspace root (the parent of this crate).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the crate is in a workspace").to_owned()
}

/// A script of `interop/`.
pub(crate) fn script(name: &str) -> PathBuf {
    workspace_root().join("interop").join(name)
}

/// Whether `OPENID_TEST_SKIP` names these tests (or `all`).
fn skipped() -> bool {
    std::env::var("OPENID_TEST_SKIP").is_ok_and(|list| {
        list.split(',').map(str::trim).any(|name| name == SKIP_NAME || name == "all")
    })
}

/// What a process printed, and how it ended.
#[derive(Debug)]
pub(crate) struct Finished {
    /// `None` when it was killed after `timeout`.
    pub(crate) status: Option<ExitStatus>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `command` to its end with no input, for at most `timeout` (then kills it).
pub(crate) fn run(mut command: Command, timeout: Duration) -> Finished {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let stdout = read_to_end(child.stdout.take().expect("stdout is piped"));
    let stderr = read_to_end(child.stderr.take().expect("stderr is piped"));
    let deadline = Instant::now() + timeout;
    let stdout_text = recv_until(&stdout, deadline);
    let stderr_text = recv_until(&stderr, deadline);
    let status = if stdout_text.is_some() && stderr_text.is_some() {
        Some(child.wait().expect("waiting for a process that ended"))
    } else {
        // Out of time: the process is killed, which closes its pipes.
        let _ = child.kill();
        let _ = child.wait();
        None
    };
    let rest = |text: Option<String>, pipe: &Receiver<String>| {
        text.or_else(|| pipe.recv_timeout(AFTER_KILL).ok()).unwrap_or_default()
    };
    Finished { status, stdout: rest(stdout_text, &stdout), stderr: rest(stderr_text, &stderr) }
}

/// Reads `pipe` to its end on a thread; the text arrives on the receiver.
pub(crate) fn read_to_end(mut pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        let _ = sender.send(String::from_utf8_lossy(&bytes).into_owned());
    });
    receiver
}

/// Reads `pipe` on a thread: its first line arrives on the receiver (nothing if the pipe
/// closes before a line); the rest is read and dropped.
pub(crate) fn first_line(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = String::new();
        if reader.read_line(&mut line).is_ok_and(|n| n > 0) {
            let _ = sender.send(line.trim_end().to_owned());
        }
        let _ = io::copy(&mut reader, &mut io::sink());
    });
    receiver
}

/// The message on `receiver` if it comes before `deadline`.
pub(crate) fn recv_until<T>(receiver: &Receiver<T>, deadline: Instant) -> Option<T> {
    let left = deadline.saturating_duration_since(Instant::now());
    receiver.recv_timeout(left).ok()
}

/// How long the output of a killed process may take to arrive.
pub(crate) const AFTER_KILL: Duration = Duration::from_secs(5);
