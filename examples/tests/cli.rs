//! The `openid` command-line tool, run as a process: discovery, association and logins
//! against openid-testkit's provider, store check and bench against every kind of store
//! (the server ones on throwaway servers), and its errors.
//!
//! No test sleeps: each waits on the tool's output or its exit, and every wait is bounded
//! by the tool's own limits (`--wait`, request timeouts).

// Test code: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use openid_store_conformance::CASES;
use openid_test_servers::Backend;
use openid_testkit::browser::{self, Method};
use openid_testkit::{Answer, Provider, Tamper, Transport};
use serde_json::Value;

/// The tool's exit code and output.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    /// The one line an error prints.
    fn error_line(&self) -> &str {
        assert_eq!(self.code, Some(2), "{self:?}");
        assert!(self.stdout.is_empty(), "{self:?}");
        assert_eq!(self.stderr.lines().count(), 1, "one line: {self:?}");
        self.stderr.trim_end()
    }
}

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_openid"));
    command.args(args).env_remove("RUST_LOG").stdin(Stdio::null());
    command
}

fn openid(args: &[&str]) -> Run {
    command(args).output().expect("the openid binary runs").into()
}

#[test]
fn discover_lists_the_endpoints_in_order_with_how_they_were_found() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    let run = openid(&["--allow-loopback", "discover", &alice]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0].starts_with("claimed id") && lines[0].ends_with(&alice), "{run:?}");
    let header = lines.iter().position(|l| l.starts_with("#  server URL")).expect("a table");
    let first = lines[header + 1];
    assert!(first.starts_with("1  "), "{first}");
    for cell in [provider.endpoint_url().as_str(), "2.0 signon", "yadis", "no"] {
        assert!(first.contains(cell), "{cell} in {first}");
    }

    // HTML-only identities are found by their links.
    let html = openid(&["--allow-loopback", "discover", &provider.html_identity_url("bob")]);
    assert_eq!(html.code, Some(0), "{html:?}");
    assert!(html.stdout.lines().any(|l| l.starts_with("1  ") && l.contains("html")), "{html:?}");
}

#[test]
fn discover_json_is_one_document_with_the_serialized_endpoints() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    let run = openid(&["--allow-loopback", "--json", "discover", &alice]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let document = run.json();
    assert_eq!(document["claimed_id"], alice.as_str());
    let first = &document["endpoints"][0];
    assert_eq!(first["server_url"], provider.endpoint_url().as_str());
    assert_eq!(first["claimed_id"], alice.as_str());
    assert_eq!(first["found_by"], "yadis");
    assert_eq!(first["used_yadis"], true);
    assert_eq!(first["op_identifier"], false);
    assert!(
        first["type_uris"]
            .as_array()
            .unwrap()
            .contains(&Value::from("http://specs.openid.net/auth/2.0/signon"))
    );
    assert_eq!(document["rejected"], Value::Array(Vec::new()));
}

#[test]
fn associate_shows_what_was_negotiated_and_never_the_key() {
    let provider = Provider::start().unwrap();
    let endpoint = provider.endpoint_url();
    let run = openid(&["--allow-loopback", "associate", &endpoint]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let handle = provider.issued_handles().pop().expect("an association was made");
    for expected in ["HMAC-SHA256", "DH-SHA256", handle.as_str(), "1209600 s (14 days)"] {
        assert!(run.stdout.contains(expected), "{expected} in {run:?}");
    }

    let json = openid(&["--allow-loopback", "--json", "associate", "--openid1", &endpoint]).json();
    assert_eq!(json["assoc_type"], "HMAC-SHA1");
    assert_eq!(json["session_type"], "DH-SHA1");
    assert_eq!(json["lifetime"], 1_209_600);
    assert_eq!(json["handle"], provider.issued_handles().pop().unwrap().as_str());
    let fields: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    assert!(!fields.iter().any(|f| f.contains("key") || f.contains("secret")), "{fields:?}");
}

#[test]
fn login_auto_exits_0_with_the_verified_claimed_identifier() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    let run = openid(&["--allow-loopback", "login", "--auto", &alice]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.lines().next().unwrap().ends_with(&alice), "{run:?}");
    // The profile, asked through SReg and AX, and where each value came from.
    assert!(run.stdout.contains("alice@example.com (from openid.sreg.email)"), "{run:?}");

    // With a store: an association signs the assertion; --json gives the signed fields.
    let json =
        openid(&["--allow-loopback", "--json", "login", "--auto", "--store", "memory:", &alice]);
    let document = json.json();
    assert_eq!(json.code, Some(0), "{json:?}");
    assert_eq!(document["outcome"], "success");
    assert_eq!(document["claimed_id"], alice.as_str());
    assert_eq!(document["display_identifier"], alice.as_str());
    assert_eq!(document["endpoint"]["server_url"], provider.endpoint_url().as_str());
    assert_eq!(document["signed"]["claimed_id"], alice.as_str());
    assert_eq!(document["signed"]["op_endpoint"], provider.endpoint_url().as_str());
    assert_eq!(document["profile"]["email"], "alice@example.com");
    assert_eq!(document["profile"]["fullname"], "Alice Example");
}

#[test]
fn login_auto_exits_1_when_the_user_cancels() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.answer = Answer::Cancel);
    let run = openid(&["--allow-loopback", "login", "--auto", &provider.identity_url("alice")]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(run.stderr.contains("login not verified (cancel)"), "{run:?}");

    provider.configure(|b| b.answer = Answer::SetupNeeded);
    let alice = provider.identity_url("alice");
    let run = openid(&["--allow-loopback", "login", "--auto", "--immediate", &alice]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("login not verified (setup_needed)"), "{run:?}");
}

#[test]
fn login_auto_exits_1_naming_the_failed_check() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.tampering.push(Tamper::BadSignature));
    let alice = provider.identity_url("alice");
    let run = openid(&["--allow-loopback", "login", "--auto", "--store", "memory:", &alice]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("login not verified (bad_signature)"), "{run:?}");

    let json = openid(&["--allow-loopback", "--json", "login", "--auto", &alice]);
    assert_eq!(json.code, Some(1), "{json:?}");
    let document = json.json();
    assert_eq!(document["outcome"], "signature_not_confirmed", "{json:?}");
    assert!(document["reason"].as_str().unwrap().len() > 10, "{json:?}");
}

#[test]
fn login_is_refused_without_allow_loopback_and_says_so() {
    let provider = Provider::start().unwrap();
    let run = openid(&["login", "--auto", &provider.identity_url("alice")]);
    let line = run.error_line();
    assert!(line.starts_with("openid: cannot start a login with http://127.0.0.1:"), "{line}");
    assert!(line.contains("loopback") && line.contains("use --allow-loopback"), "{line}");
    assert!(provider.requests().is_empty(), "nothing reached the provider");
}

#[test]
fn login_with_an_op_identifier_lets_the_provider_choose_who() {
    let provider = Provider::start().unwrap();
    let run =
        openid(&["--allow-loopback", "--json", "login", "--auto", &provider.op_identifier_url()]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.json()["claimed_id"], provider.identity_url("alice").as_str());
}

#[test]
fn network_flags_allow_a_host_and_bound_each_request() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    let allowed = openid(&["--allow-host", "127.0.0.1", "discover", &alice]);
    assert_eq!(allowed.code, Some(0), "{allowed:?}");

    provider.configure(|b| b.delay = Some(Duration::from_secs(30)));
    let started = Instant::now();
    let slow = openid(&["--allow-loopback", "--timeout", "0.5", "discover", &alice]);
    assert!(slow.error_line().contains("timed out"), "{slow:?}");
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
}

/// Starts `openid login` without --auto and returns the URL it asks to open, with the
/// rest of its stderr (kept open: the tool goes on writing to it).
fn start_human_login(
    provider: &Provider,
    extra: &[&str],
) -> (Child, String, impl Iterator<Item = String>) {
    let alice = provider.identity_url("alice");
    let mut args = vec!["--allow-loopback", "login", "--wait", "60"];
    args.extend_from_slice(extra);
    args.push(&alice);
    let mut child = command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the openid binary starts");
    // The process waits 60 s at most, then ends its stderr: this read is bounded.
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines().map_while(Result::ok);
    let url = stderr
        .find_map(|line| line.strip_prefix("open this URL: ").map(str::to_owned))
        .expect("the tool prints the URL to open");
    (child, url, stderr)
}

#[test]
fn login_waits_for_the_browser_on_its_listener() {
    let provider = Provider::start().unwrap();
    // A redirect back (the answer with the profile is long enough for a form otherwise).
    provider.configure(|b| b.transport = openid_testkit::Transport::Redirect);
    let (child, url, mut stderr) = start_human_login(&provider, &[]);
    assert!(stderr.next().unwrap().starts_with("waiting up to 60 s for the browser"));
    // The user's browser: to the provider, and back to the tool's listener.
    let callback = browser::follow(&url).unwrap();
    assert_eq!(callback.method, Method::Get);
    assert!(callback.url.starts_with("http://127.0.0.1:"), "{callback:?}");
    let mut page = ureq::get(&callback.url).call().unwrap();
    assert_eq!(page.status(), 200);
    let body = page.body_mut().read_to_string().unwrap();
    assert!(body.contains("Login verified"), "{body}");
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains(&provider.identity_url("alice")), "{run:?}");
}

#[test]
fn login_takes_a_form_posted_answer_and_other_paths_do_not_end_the_wait() {
    let provider = Provider::start().unwrap();
    provider.configure(|b| b.transport = Transport::FormPost);
    let (child, url, _stderr) = start_human_login(&provider, &["--store", "memory:"]);
    let callback = browser::follow(&url).unwrap();
    assert_eq!(callback.method, Method::Post);
    let origin = callback.url.split("/return").next().unwrap().to_owned();
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let favicon = agent.get(&format!("{origin}/favicon.ico")).call().unwrap();
    assert_eq!(favicon.status(), 404);
    // Nor does the return path without this login's token (any web page can make the
    // browser request it).
    let forged = agent.get(&format!("{origin}/return?openid.mode=cancel")).call().unwrap();
    assert_eq!(forged.status(), 404);
    let form = callback.params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let page = agent.post(&callback.url).send_form(form).unwrap();
    assert_eq!(page.status(), 200);
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains(&provider.identity_url("alice")), "{run:?}");
}

#[test]
fn login_gives_up_when_the_browser_does_not_come_back() {
    let provider = Provider::start().unwrap();
    let alice = provider.identity_url("alice");
    let run = openid(&["--allow-loopback", "--json", "login", "--wait", "1", &alice]);
    assert_eq!(run.code, Some(1), "{run:?}");
    let document = run.json();
    assert_eq!(document["outcome"], "no_answer");
    assert_eq!(document["reason"], "the browser did not come back within 1 s");
    assert!(run.stderr.starts_with("open this URL: http://127.0.0.1:"), "{run:?}");
}

/// The tables SQLite has, by name.
fn sqlite_tables(path: &std::path::Path) -> Vec<String> {
    let connection = openid_store_sqlite::rusqlite::Connection::open(path).unwrap();
    let mut statement =
        connection.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").unwrap();
    statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
}

/// Checks a store check run passed every case but the `skipped` ones.
fn assert_all_cases_pass(run: &Run, skipped: &[&str]) {
    assert_eq!(run.code, Some(0), "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    let case_lines = &lines[..CASES.len()];
    for (line, case) in case_lines.iter().zip(CASES) {
        let status = if skipped.contains(&case.name) { "SKIP  " } else { "PASS  " };
        assert!(line.starts_with(status) && line.contains(case.name), "{line}: {run:?}");
    }
    let total: Vec<&str> = lines
        .iter()
        .find(|line| line.starts_with("total "))
        .expect("a summary table")
        .split_whitespace()
        .collect();
    let expected = [CASES.len() - skipped.len(), 0, skipped.len()].map(|n| n.to_string());
    assert_eq!(total[1..], expected, "{run:?}");
    let verdict = format!("conforms ({} cases)", CASES.len());
    assert!(lines.last().unwrap().ends_with(&verdict), "{run:?}");
}

/// What the tool cannot run, whatever the store: the cross-process case needs the test
/// harness to run itself again, and the fault cases a server they may stop.
const NEVER_HERE: [&str; 3] = [
    "concurrency::two_processes_racing_use_nonce_get_exactly_one_true_per_nonce",
    "faults::calls_fail_as_unavailable_while_the_backend_is_down_and_work_after_restart",
    "faults::a_restart_between_two_calls_costs_no_failed_call",
];

/// The case that runs only for stores whose server expires keys itself.
const REAL_TIME: &str = "nonce::a_server_that_expires_keys_keeps_each_nonce_for_its_whole_window";

/// The cases a store that expires nothing itself skips here.
fn skipped_without_expiry() -> Vec<&'static str> {
    let mut skipped = NEVER_HERE.to_vec();
    skipped.push(REAL_TIME);
    skipped
}

#[test]
fn store_check_passes_against_a_sqlite_file_and_removes_its_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let url = format!("sqlite://{}?synchronous=normal", path.display());
    let run = openid(&["store", "check", &url]);
    assert_all_cases_pass(&run, &skipped_without_expiry());
    assert!(run.stderr.contains("SKIPPED conformance case"), "{run:?}");
    let left: Vec<String> =
        sqlite_tables(&path).into_iter().filter(|t| t.starts_with("oc_")).collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn store_check_passes_against_memory_stores() {
    let memory = openid(&["store", "check", "memory:"]);
    assert_all_cases_pass(&memory, &skipped_without_expiry());
    let json = openid(&["--json", "store", "check", "sqlite::memory:"]);
    assert_eq!(json.code, Some(0), "{json:?}");
    let document = json.json();
    assert_eq!(document["failed"], 0);
    assert_eq!(document["skipped"], 4);
    assert_eq!(document["passed"], CASES.len() - 4);
    assert_eq!(document["cases"].as_array().unwrap().len(), CASES.len());
    // In JSON mode the per-case lines go to stderr.
    assert!(json.stderr.lines().any(|l| l.starts_with("PASS  ")), "{json:?}");
}

#[test]
fn store_check_runs_against_a_file_store_and_removes_its_directories() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    let run = openid(&["store", "check", &url]);
    assert_all_cases_pass(&run, &skipped_without_expiry());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{run:?}");
}

#[test]
fn store_check_passes_against_redis_under_the_url_prefix() {
    // `None`: OPENID_TEST_SKIP names redis, and a SKIPPED line says so.
    let Some(server) = openid_test_servers::shared(Backend::Redis).unwrap() else { return };
    let url = format!("{}?prefix=cli_check:", server.url());
    let run = openid(&["store", "check", &url]);
    assert_all_cases_pass(&run, &NEVER_HERE);
    assert!(run.stdout.contains("note: the cases' keys under cli_check:oc_* expire"), "{run:?}");

    let bench = openid(&["store", "bench", "--seconds", "0.2", "--threads", "2", &url]);
    assert_eq!(bench.code, Some(0), "{bench:?}");
    assert!(bench.stdout.contains("get_association"), "{bench:?}");
}

#[test]
fn store_check_passes_against_postgres_in_a_schema_per_case_and_drops_them() {
    // `None`: OPENID_TEST_SKIP names postgres, and a SKIPPED line says so.
    let Some(server) = openid_test_servers::shared(Backend::Postgres).unwrap() else { return };
    let run = openid(&["store", "check", server.url()]);
    assert_all_cases_pass(&run, &skipped_without_expiry());
    let mut client = openid_store_postgres::postgres::Client::connect(
        server.url(),
        openid_store_postgres::postgres::NoTls,
    )
    .unwrap();
    let left = client
        .query_one("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'oc\\_%'", &[])
        .unwrap();
    assert_eq!(left.get::<_, i64>(0), 0, "the cases' schemas are dropped: {run:?}");
}

#[test]
fn store_check_passes_against_mysql_in_tables_per_case_and_drops_them() {
    use openid_store_mysql::mysql::prelude::Queryable as _;
    // `None`: OPENID_TEST_SKIP names mysql, and a SKIPPED line says so.
    let Some(server) = openid_test_servers::shared(Backend::Mysql).unwrap() else { return };
    let run = openid(&["store", "check", server.url()]);
    assert_all_cases_pass(&run, &skipped_without_expiry());
    let opts = openid_store_mysql::mysql::Opts::from_url(server.url()).unwrap();
    let mut connection = openid_store_mysql::mysql::Conn::new(opts).unwrap();
    let left: Vec<String> = connection.query("SHOW TABLES LIKE 'oc\\_%'").unwrap();
    assert!(left.is_empty(), "the cases' tables are dropped: {left:?} {run:?}");
}

#[test]
fn store_check_passes_against_memcached_under_the_url_prefix() {
    // `None`: OPENID_TEST_SKIP names memcache, and a SKIPPED line says so.
    let Some(server) = openid_test_servers::shared(Backend::Memcache).unwrap() else { return };
    let url = format!("{}?prefix=cli_check:", server.url());
    let run = openid(&["store", "check", &url]);
    assert_all_cases_pass(&run, &NEVER_HERE);
    assert!(run.stdout.contains("note: the cases' keys under cli_check:oc_* expire"), "{run:?}");
}

#[test]
fn store_bench_prints_a_table_of_throughput() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let run = openid(&["store", "bench", "--seconds", "0.5", &url]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[1].starts_with("operation") && lines[1].contains("per second"), "{run:?}");
    for (line, operation) in
        lines[2..].iter().zip(["use_nonce", "store_association", "get_association"])
    {
        assert!(line.starts_with(operation), "{line}");
        let calls: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!(calls > 0, "{line}");
    }

    let json =
        openid(&["--json", "store", "bench", "--seconds", "0.2", "--threads", "2", "memory:"]);
    assert_eq!(json.code, Some(0), "{json:?}");
    let document = json.json();
    assert_eq!(document["threads"], 2);
    assert_eq!(document["operations"].as_array().unwrap().len(), 3);
}

#[test]
fn bad_store_urls_are_one_line_errors() {
    let bogus = openid(&["store", "check", "mongodb://user:hunter2@db/x"]);
    let line = bogus.error_line();
    assert!(line.contains("unknown store URL") && line.contains("memory:"), "{line}");
    assert!(!line.contains("hunter2"), "{line}");

    let unreachable =
        openid(&["store", "check", "postgres://user:hunter2@127.0.0.1:1/db?timeout_ms=300"]);
    let line = unreachable.error_line();
    assert!(line.starts_with("openid: cannot open the store postgres://user:***@"), "{line}");
    assert!(!line.contains("hunter2"), "{line}");

    let missing = openid(&["store", "bench", "sqlite:///nonexistent-dir/x/y.db"]);
    assert!(missing.error_line().starts_with("openid: cannot open the store"), "{missing:?}");

    let login = openid(&["login", "--store", "nope", "http://example.com/"]);
    assert!(login.error_line().contains("unknown store URL"), "{login:?}");
}

#[test]
fn a_closed_output_pipe_is_an_error_line_not_a_panic() {
    // Regression: `eprintln!` after the reader went away killed `login` mid-wait, and
    // `openid ... | head` would panic the same way.
    // The reading end is closed before the tool starts: closed after it, the tool (160 ms
    // for this command) could write everything first on a busy machine, and pass.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = command(&["store", "check", "memory:"]).stdout(writer).output().unwrap();
    let run = Run::from(output);
    assert!(!run.stderr.contains("panicked"), "{run:?}");
    assert!(run.stderr.contains("openid: cannot write the output"), "{run:?}");
    assert_eq!(run.code, Some(2), "{run:?}");
}

#[test]
fn usage_mistakes_are_one_line_errors() {
    let unknown = openid(&["discover", "--bogus", "x"]);
    assert!(unknown.error_line().contains("unexpected argument '--bogus'"), "{unknown:?}");
    let missing = openid(&["associate"]);
    assert!(missing.error_line().contains("<ENDPOINT>"), "{missing:?}");
    let bad_value = openid(&["--timeout", "0", "discover", "x"]);
    assert!(bad_value.error_line().contains("--timeout"), "{bad_value:?}");
    let help = openid(&["--help"]);
    assert_eq!(help.code, Some(0));
    for command in ["discover", "associate", "login", "store"] {
        assert!(help.stdout.contains(command), "{help:?}");
    }
}
