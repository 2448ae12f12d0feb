//! `interop/provider.py` (python3-openid's provider) as a child process of a test.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use openid_consumer::fetch::{Fetcher, NetworkPolicy, UreqFetcher};

use super::python;

/// A running python3-openid provider; dropping it stops the process.
///
/// The process exits when its standard input closes: when this is dropped, and also when
/// the test process dies, so nothing is left behind.
pub(crate) struct PythonProvider {
    base: String,
    /// The process and its standard input, until stopped.
    process: Mutex<Option<(Child, ChildStdin)>>,
    /// Standard error so far: the provider's log, and Python's tracebacks.
    stderr: Arc<Mutex<String>>,
    /// Gets `()` when standard error closes (the process ended).
    stderr_closed: Mutex<Receiver<()>>,
}

impl PythonProvider {
    /// Starts `interop/provider.py` with `args` (`--answer cancel`, ...) and waits for its
    /// base URL. `context` (the test's mode and store) starts the message if it fails.
    pub(crate) fn start(python: &Path, args: &[&str], context: &str) -> Self {
        let mut command = Command::new(python);
        command
            .arg(python::script("provider.py"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let stdin = child.stdin.take().expect("stdin is piped");
        let base = python::first_line(child.stdout.take().expect("stdout is piped"));
        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr_closed =
            collect_lines(child.stderr.take().expect("stderr is piped"), stderr.clone());
        let mut provider = Self {
            base: String::new(),
            process: Mutex::new(Some((child, stdin))),
            stderr,
            stderr_closed: Mutex::new(stderr_closed),
        };
        let problem = match base.recv_timeout(STARTUP) {
            Ok(base) if base.starts_with("http://127.0.0.1:") => {
                provider.base = base;
                return provider;
            }
            Ok(other) => format!("printed {other:?}, not its base URL"),
            Err(RecvTimeoutError::Disconnected) => "exited before printing its base URL".into(),
            Err(RecvTimeoutError::Timeout) => format!("did not start within {STARTUP:?}"),
        };
        provider.fail(&format!("{context}: python3-openid's provider ({command:?}) {problem}"))
    }

    /// The URL of `path` (which starts with `/`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The OP endpoint.
    pub(crate) fn endpoint_url(&self) -> String {
        self.url("/op")
    }

    /// Changes the provider's switches (`answer=allow`, `associations=refuse`, ...).
    pub(crate) fn control(&self, query: &str) {
        let url = format!("{}/control?{query}", self.base);
        match UreqFetcher::new().post_form(&url, &[], &policy()) {
            Ok(response) if response.status == 200 => {}
            Ok(response) => self.fail(&format!(
                "POST {url}: HTTP {}: {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            )),
            Err(error) => self.fail(&format!("POST {url}: {error}")),
        }
    }

    /// The lines of the provider's log so far (complete up to its last answer).
    pub(crate) fn log(&self) -> Vec<String> {
        let url = format!("{}/log", self.base);
        match UreqFetcher::new().get(&url, &[], &policy()) {
            Ok(response) if response.status == 200 => {
                String::from_utf8_lossy(&response.body).lines().map(str::to_owned).collect()
            }
            Ok(response) => self.fail(&format!("GET {url}: HTTP {}", response.status)),
            Err(error) => self.fail(&format!("GET {url}: {error}")),
        }
    }

    /// The log lines of the requests to the OP endpoint with this `openid.mode`.
    pub(crate) fn requests_with_mode(&self, mode: &str) -> Vec<String> {
        let needle = format!(" /op openid.mode={mode} ");
        self.log().into_iter().filter(|line| line.contains(&needle)).collect()
    }

    /// Fails the test with `what` and the provider's whole log (the process is stopped
    /// first, so the log is complete).
    #[track_caller]
    pub(crate) fn fail(&self, what: &str) -> ! {
        let log = self.stop();
        let base = if self.base.is_empty() { "(not started)" } else { &self.base };
        panic!(
            "{what}\n--- log of python3-openid's provider {base} ---\n{log}--- end of the log ---"
        );
    }

    /// Stops the process (closing its standard input, then killing it if it does not end
    /// in time) and returns its whole standard error.
    fn stop(&self) -> String {
        let process = self.process.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some((mut child, stdin)) = process {
            drop(stdin);
            let closed = self.stderr_closed.lock().unwrap_or_else(PoisonError::into_inner);
            if python::recv_until(&closed, Instant::now() + SHUTDOWN).is_none() {
                let _ = child.kill();
                let _ = python::recv_until(&closed, Instant::now() + python::AFTER_KILL);
            }
            let _ = child.wait();
        }
        let mut log = self.stderr.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if log.is_empty() {
            let _ = writeln!(log, "(nothing)");
        }
        log
    }
}

impl Drop for PythonProvider {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Loopback allowed: the provider runs on 127.0.0.1.
pub(crate) fn policy() -> NetworkPolicy {
    NetworkPolicy::default().allow_loopback()
}

/// Appends the lines of `pipe` to `into` on a thread; the receiver gets `()` when it closes.
fn collect_lines(
    pipe: impl std::io::Read + Send + 'static,
    into: Arc<Mutex<String>>,
) -> Receiver<()> {
    let (sender, closed) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            let mut text = into.lock().unwrap_or_else(PoisonError::into_inner);
            text.push_str(&line);
            text.push('\n');
        }
        let _ = sender.send(());
    });
    closed
}

/// How long the provider may take to start (Python and python3-openid load in a fraction
/// of a second; a loaded machine running tests in parallel is slower).
const STARTUP: Duration = Duration::from_secs(30);
/// How long the provider may take to exit once its standard input is closed.
const SHUTDOWN: Duration = Duration::from_secs(10);
