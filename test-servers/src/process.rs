//! Starting a server process with a watchdog, and stopping it.

use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::probe::wait_until;

/// How to run one server process.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<String>,
    /// Run as this user and group (PostgreSQL refuses to run as root).
    pub(crate) user: Option<(u32, u32)>,
    /// Where stdout and stderr go.
    pub(crate) log: PathBuf,
    /// The signal for a clean, fast shutdown (`INT` is PostgreSQL's fast mode).
    pub(crate) stop_signal: &'static str,
    /// Removed by the watchdog once the test process and the server are gone.
    pub(crate) dir: PathBuf,
}

/// The watchdog: waits for the test process to go, then stops the server, waits for it
/// (a zombie counts as gone: PID 1 reaps late here) and removes the data directory. It
/// exits quietly if the server stops first (an explicit stop; the directory is kept for a
/// restart).
const WATCHDOG: &str = r#"
alive() { s=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [ "$s" != Z ]; }
while alive "$1" && alive "$2"; do sleep 0.2; done
alive "$1" && exit 0
if alive "$2"; then
  kill -"$3" "$2" 2>/dev/null
  i=0
  while alive "$2" && [ "$i" -lt 150 ]; do sleep 0.1; i=$((i+1)); done
  alive "$2" && kill -KILL "$2" 2>/dev/null
fi
rm -rf "$4"
"#;

/// Starts the process and its watchdog.
pub(crate) fn spawn(spec: &Spec) -> std::io::Result<Child> {
    let log = File::options().create(true).append(true).open(&spec.log)?;
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .env("TMPDIR", tmp_dir(&spec.dir))
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    if let Some((uid, gid)) = spec.user {
        command.uid(uid).gid(gid);
    }
    let child = command.spawn()?;
    Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("openid-test-watchdog")
        .arg(std::process::id().to_string())
        .arg(child.id().to_string())
        .arg(spec.stop_signal)
        .arg(&spec.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    Ok(child)
}

/// Sends the stop signal and waits up to 20 s, then kills.
pub(crate) fn stop(child: &mut Child, signal: &str) -> std::io::Result<()> {
    if child.try_wait()?.is_some() {
        return Ok(());
    }
    Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    let exited = wait_until(Duration::from_secs(20), || matches!(child.try_wait(), Ok(Some(_))));
    if !exited {
        child.kill()?;
        child.wait()?;
    }
    Ok(())
}

/// Sends `signal` (`STOP`, `CONT`) to the process `root` and every process it started
/// (found through `/proc`), by their ids: PostgreSQL serves each connection from a child
/// of the process the test started.
pub(crate) fn signal_tree(root: u32, signal: &str) -> std::io::Result<()> {
    let mut tree = vec![root];
    let mut index = 0;
    while let Some(&parent) = tree.get(index) {
        for entry in std::fs::read_dir("/proc")?.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
            // "pid (comm) state ppid ...": the name may hold spaces and parentheses.
            let parent_of = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if parent_of == Some(parent) && !tree.contains(&pid) {
                tree.push(pid);
            }
        }
        index += 1;
    }
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .args(tree.iter().map(u32::to_string))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("kill -{signal} {tree:?} exited with {status}")))
    }
}

/// The instance's own temporary directory, its processes' `TMPDIR`.
///
/// Never the system's: MariaDB deletes every `#sql*` file in its temporary directory when
/// it starts (`mysql_rm_tmp_tables`), so a bootstrap sharing `/tmp` with another lost its
/// temporary tables one run in three (`Unknown table 'mysql.tmp_user_sys'`).
pub(crate) fn tmp_dir(instance: &Path) -> PathBuf {
    instance.join("tmp")
}

/// Runs a set-up command of the instance in `dir` to completion, its output appended to
/// `dir/<program>.log`. On failure, the error gives the exit status and the end of that
/// output.
pub(crate) fn run(
    program: &Path,
    args: &[String],
    user: Option<(u32, u32)>,
    dir: &Path,
) -> Result<(), String> {
    let name = program.file_name().map_or_else(|| "setup".into(), |n| n.to_string_lossy());
    let log_path = dir.join(format!("{name}.log"));
    let log = File::options()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let stderr = log.try_clone().map_err(|e| format!("cannot use {}: {e}", log_path.display()))?;
    let mut command = Command::new(program);
    command.args(args).env("TMPDIR", tmp_dir(dir)).stdin(Stdio::null()).stdout(log).stderr(stderr);
    if let Some((uid, gid)) = user {
        command.uid(uid).gid(gid);
    }
    let status = command.status().map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} exited with {status}; {}", program.display(), log_tail(&log_path)))
    }
}

/// Runs a quick command (a readiness probe) and tells whether it succeeded.
pub(crate) fn succeeds(program: &Path, args: &[String]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The last lines of a log file, introduced by its path, for error messages.
pub(crate) fn log_tail(path: &Path) -> String {
    const LINES: usize = 20;
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines.get(lines.len().saturating_sub(LINES)..).unwrap_or_default();
            format!("{} ends:\n{}", path.display(), tail.join("\n"))
        }
        Err(error) => format!("{} could not be read: {error}", path.display()),
    }
}
