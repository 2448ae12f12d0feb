//! A second process for a case: the test binary runs itself again, running only the same
//! `#[test]`, attached to the parent's fixture. The two talk over the child's stdin and
//! stdout: the child says it is ready, waits for "go", works, and reports one line.

use std::io::{BufRead as _, BufReader, Lines, Write as _};
use std::path::PathBuf;
use std::process::{ChildStdout, Command, Stdio};

use crate::fixture::Fixture;

/// Set in the child: `namespace \t directory \t now \t skew \t argument`.
const CHILD_ENV: &str = "OPENID_CONFORMANCE_CHILD";
/// Prefix of the lines the child writes for the parent.
const TAG: &str = "OPENID_CONFORMANCE";

/// What a child process knows of its parent's case.
#[derive(Debug)]
pub(crate) struct ChildSpec {
    /// The parent's fixture, the clock at the time the parent chose for the child.
    pub(crate) fixture: Fixture,
    /// What the case passed on (the nonces' timestamp, say).
    pub(crate) argument: i64,
}

/// The parent's handle on a child process.
pub(crate) struct Child {
    process: std::process::Child,
    lines: Lines<BufReader<ChildStdout>>,
}

/// This process's spec if it is a child a case started, `None` in every other process.
///
/// # Panics
/// If the variable is set but malformed.
pub(crate) fn child_spec() -> Option<ChildSpec> {
    let spec = std::env::var(CHILD_ENV).ok()?;
    let parts: Vec<&str> = spec.split('\t').collect();
    let [namespace, dir, now, skew, argument] = parts.as_slice() else {
        panic!("malformed {CHILD_ENV}: {spec:?}");
    };
    let number = |text: &str| text.parse::<i64>().unwrap_or_else(|_| panic!("bad {CHILD_ENV}"));
    Some(ChildSpec {
        fixture: Fixture::attach(
            (*namespace).to_owned(),
            PathBuf::from(dir),
            number(now),
            number(skew),
        ),
        argument: number(argument),
    })
}

/// Starts this test binary again as a child running only the test `test` (its libtest
/// name), attached to `fixture`, its clock at `now`, with `argument` for the case.
///
/// # Panics
/// If the child cannot be started.
pub(crate) fn spawn(test: &str, fixture: &Fixture, now: i64, argument: i64) -> Child {
    let exe = std::env::current_exe().expect("the test binary's path");
    let spec = format!(
        "{}\t{}\t{now}\t{}\t{argument}",
        fixture.namespace(),
        fixture.dir().display(),
        fixture.skew()
    );
    let mut process = Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, spec)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cannot start the child process");
    let stdout = process.stdout.take().expect("piped stdout");
    Child { process, lines: BufReader::new(stdout).lines() }
}

impl Child {
    /// Waits until the child said it is ready, then tells it to go.
    pub(crate) fn start(&mut self) {
        assert_eq!(self.next_line(), "ready", "the child's first word");
        let mut stdin = self.process.stdin.take().expect("piped stdin");
        writeln!(stdin, "go").expect("cannot signal the child");
    }

    /// The child's report, once it exited successfully.
    pub(crate) fn report(mut self) -> String {
        let report = self.next_line();
        let status = self.process.wait().expect("waiting for the child");
        assert!(status.success(), "the child process failed: {status}");
        report
    }

    fn next_line(&mut self) -> String {
        loop {
            match self.lines.next() {
                Some(Ok(line)) => {
                    if let Some(rest) = line.strip_prefix(TAG) {
                        return rest.trim().to_owned();
                    }
                }
                _ => panic!("the child process ended early: {:?}", self.process.wait()),
            }
        }
    }
}

/// In the child: says it is ready and waits for the parent's "go".
pub(crate) fn ready_then_wait() {
    let mut stdout = std::io::stdout();
    writeln!(stdout, "\n{TAG} ready").and_then(|()| stdout.flush()).expect("stdout");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).expect("waiting for the parent");
}

/// In the child: reports one line to the parent and exits at once, so that the test
/// harness does not judge a run that only served its parent.
pub(crate) fn report_and_exit(report: &str) -> ! {
    let mut stdout = std::io::stdout();
    writeln!(stdout, "\n{TAG} {report}").and_then(|()| stdout.flush()).expect("stdout");
    std::process::exit(0)
}
