"""Drives both sides of the comparison with python3-openid, interleaved: for each operation,
one round of ours (the `openid-peers` binary), one round of the reference (reference.py),
and again, ROUNDS times each, after one short warm-up round each that also sets the
operation up. Each side times its own calls; the table gives each side's median rate over
its rounds and the ratio of the medians, with the range of the per-round ratios (ours in a
round against the reference's round right after it). Run by scripts/bench-peers.sh.

    PEERS_POSTGRES_URL=URL PEERS_MYSQL_URL=URL \
    python driver.py --ours BIN --scratch DIR --provider URL --documents DIR \
        [--stderr-dir target/bench-peers] [--rounds 3] [--seconds 1] [--round-timeout 120] \
        [--only OPERATION,...] [--without sqlite] [--postgres-server own|existing] \
        [--mysql-server own|existing] [--benchmarks BENCHMARKS.md]

The database URLs are read from the environment (unset or empty: those rows are left out)
and passed on to both sides the same way, never in arguments, which any user can read.
--postgres-server and --mysql-server say whether that server is the throwaway one the
script started (`own`, the default) or an existing one named by OPENID_TEST_POSTGRES_URL /
OPENID_TEST_MYSQL_URL (`existing`); BENCHMARKS.md's paragraph on the server says which.
--without BACKEND (repeatable) leaves that store's rows out (the script's reason is among
its --not-compared lines).

Each side's standard error goes to a file of --stderr-dir (default target/bench-peers,
relative to the working directory): `ours.stderr` and `reference.stderr`, emptied when the
driver starts and kept after it ends (the script's scratch directory is deleted on exit).
A side that fails during a row (it exits, answers something else than `<calls> <seconds>`,
or gives no answer within --round-timeout seconds, when it is killed) loses that row only:
the row goes under "Not compared" with the last meaningful line the side wrote on stderr
during that row (Rust's `note: run with ...` backtrace hint skipped), its last lines are
shown on the terminal (passwords hidden as in "Not compared"), the side is started again,
and the next row is measured. Runs under the virtualenv's interpreter; reference.py runs
under the same one.
"""

import argparse
import os
import platform
import re
import select
import statistics
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import unquote

HERE = os.path.dirname(os.path.abspath(__file__))
SECTION = "## Side by side with python3-openid (scripts/bench-peers.sh)"

# (operation, what is measured). Both sides name the operations alike (main.rs,
# reference.py).
ROWS = [
    ("use_nonce:memory", "memory store: `use_nonce`"),
    ("store_get:memory", "memory store: store + get association"),
    ("use_nonce:file", "file store: `use_nonce` (ours with fsync)"),
    ("store_get:file", "file store: store + get association (ours with fsync)"),
    ("use_nonce:file_nosync", "file store: `use_nonce` (ours `sync(false)`)"),
    ("store_get:file_nosync", "file store: store + get association (ours `sync(false)`)"),
    ("use_nonce:sqlite", "SQLite store: `use_nonce`"),
    ("store_get:sqlite", "SQLite store: store + get association"),
    ("use_nonce:postgres", "PostgreSQL store: `use_nonce`"),
    ("store_get:postgres", "PostgreSQL store: store + get association"),
    ("use_nonce:mysql", "MySQL store: `use_nonce`"),
    ("store_get:mysql", "MySQL store: store + get association"),
    ("complete", "`complete()` on a valid assertion (memory store, no network)"),
    ("login", "whole login against one provider on loopback"),
    ("html:openid_1_and_2.html", "HTML links to endpoints: python-openid's `openid_1_and_2.html` (409 B)"),
    ("html:page_100k.html", "HTML links to endpoints: our 100 KB page"),
    ("meta:openid_and_yadis.html", "Yadis `X-XRDS-Location` meta: python-openid's `openid_and_yadis.html` (457 B)"),
    ("xrds:openid_1_and_2_xrds.xml", "XRDS to endpoints: python-openid's `openid_1_and_2_xrds.xml` (532 B)"),
    ("xrds:xrds_2k.xml", "XRDS to endpoints: our 2 KB document (5 services)"),
]

WARM_UP_SECONDS = 0.2


class SideFailed(Exception):
    """A side that stopped, answered nonsense or did not answer in time: its row is lost."""

    def __init__(self, side, reason):
        super().__init__(reason)
        self.side = side
        self.reason = reason


class Side:
    """One worker process answering `<operation> <seconds>` with `<calls> <seconds>`, its
    standard error kept in `stderr_path` (emptied here; the reason of a failure)."""

    def __init__(self, name, command, stderr_path, timeout, scratch):
        self.name = name
        self.command = command
        self.stderr_path = stderr_path
        self.timeout = timeout
        self.scratch = scratch
        # This run's lines only (restarts append), readable by this user alone: a side's
        # errors may name a database with its password.
        os.close(os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        os.chmod(stderr_path, 0o600)
        self.start()

    def start(self):
        self.stderr = open(self.stderr_path, "ab")
        self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self.stderr, bufsize=0)
        self.pending = b""
        self.mark()

    def mark(self):
        """Where this row's standard error starts."""
        self.stderr.flush()
        self.stderr_from = os.path.getsize(self.stderr_path)

    def round(self, operation, seconds):
        try:
            self.process.stdin.write(("%s %s\n" % (operation, seconds)).encode())
        except OSError:  # it has stopped: its pipe is closed
            raise SideFailed(self, self.stopped()) from None
        answer = self.read_line(time.monotonic() + self.timeout)
        try:
            calls, took = answer.split()
            return int(calls) / float(took)
        except (ValueError, ZeroDivisionError):
            raise SideFailed(self, "answered %r, not `<calls> <seconds>`%s" % (
                answer[:80], self.last_words("; "))) from None

    def read_line(self, deadline):
        """One line of its standard output, waiting until `deadline` at most."""
        fd = self.process.stdout.fileno()
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.process.kill()
                self.process.wait()
                raise SideFailed(self, "gave no answer within %g s (killed)%s" % (
                    self.timeout, self.last_words("; ")))
            chunk = os.read(fd, 65536)
            if not chunk:
                raise SideFailed(self, self.stopped())
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        return line.decode("utf-8", "replace")

    def stopped(self):
        """Why it stopped: the last line it wrote on stderr during this row, and its exit code."""
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        return "%s (exit code %s)" % (self.last_line() or "it wrote nothing on stderr", code)

    def last_line(self):
        """The last meaningful line it wrote on stderr during this row, or None: Rust's
        `note: run with `RUST_BACKTRACE=1` ...` hint says nothing about the failure."""
        lines = [line for line in self.stderr_lines() if not line.startswith("note: run with")]
        return lines[-1] if lines else None

    def last_words(self, separator):
        """`separator` and the last meaningful stderr line of this row, or nothing."""
        line = self.last_line()
        return "%slast on stderr: %s" % (separator, line) if line else ""

    def stderr_lines(self):
        """The non-empty lines it wrote on stderr during this row."""
        self.stderr.flush()
        with open(self.stderr_path, "rb") as f:
            f.seek(self.stderr_from)
            text = f.read().decode("utf-8", "replace")
        return [line.rstrip() for line in text.splitlines() if line.strip()]

    def restart(self):
        """Shows what it wrote on stderr during the row, then starts it again."""
        for line in self.stderr_lines()[-10:]:
            print("    %s: %s" % (self.name, public(line, self.scratch)), file=sys.stderr)
        self.stop()
        self.start()

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        self.stderr.close()

    def close(self):
        """Asks it to quit; kills it if it has not within 30 s."""
        try:
            self.process.stdin.write(b"quit\n")
            self.process.stdin.close()
        except (OSError, ValueError):  # stopped, or its pipe already closed
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        self.stderr.close()


# A URL's password: from the user's `:` to the last `@` before any next URL in the same
# word (so a password holding a raw `@` or `/` is matched whole). What follows the `:` is a
# port instead when it is digits, then perhaps a path, then a query, before any `@`
# (`h:3306/db?user=root@localhost`).
URL_PASSWORD = re.compile(
    r"(://[^\s:@/]*):(?!\d{1,5}(?:[/#][^\s@?]*)?\?)((?:(?!://)\S)*)@")
# `password=` settings (libpq's key=value, URL queries): an unquoted value ends at white space
# or `&`. `password:` / `pass:` forms (Debug output, messages): an unquoted value ends at
# white space or punctuation that closes it.
PASSWORD_SETTING = re.compile(
    r"""((?:password|(?<![a-z])pass(?:wd)?)\s*=\s*)"""
    r"""(?:"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|(?:\\.|[^&\s])*)""", re.IGNORECASE)
PASSWORD_FIELD = re.compile(
    r"""((?:password|(?<![a-z])pass(?:wd)?)\s*:\s*)"""
    r"""(?:Some\("(?:[^"\\]|\\.)*"?\)?|"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?"""
    r"""|(?:\\.|[^&\s"',;)}])+)""", re.IGNORECASE)
# The environment variables whose URLs' passwords public() hides wherever they appear.
# main() keeps only those of servers this run did not start: a throwaway server's password
# is in this repository's code, and hiding it would mangle words that contain it.
SECRET_URLS = ["PEERS_POSTGRES_URL", "PEERS_MYSQL_URL"]


def known_secrets():
    """The passwords of the URLs named by SECRET_URLS, each as written and percent-decoded,
    with the pieces of them a URL parser may cut out (at `/ # ? @ :`) of 4 characters or
    more; longest first."""
    whole, pieces = set(), set()
    for name in SECRET_URLS:
        url = os.environ.get(name, "")
        found = [m.group(2) for m in URL_PASSWORD.finditer(url)]
        found += re.findall(r"[?&]password=([^&\s#]*)", url, re.IGNORECASE)
        for password in found:
            for form in (password, unquote(password)):
                form = " ".join(form.split())  # as public() collapses white space
                whole.add(form)
                pieces.update(p for p in re.split(r"[/#?@:]", form) if len(p) >= 4)
    return sorted((secret for secret in whole | pieces if secret), key=len, reverse=True)


def public(text, scratch=""):
    """`text` on one line, fit for BENCHMARKS.md: passwords hidden, machine-local absolute
    paths (the scratch directory, a data directory) replaced, at most 300 characters.

    Passwords are hidden three ways:
    - those of the database URLs of existing servers this run was given (SECRET_URLS)
      wherever they stand apart from letters and digits, as written, percent-decoded, and
      each piece of 4 characters or more a URL parser may cut out (a driver's error can
      quote one, such as libpq's `invalid integer value "SECRET" for connection option
      "port"` for a password with a raw `/`);
    - in any URL (URL_PASSWORD);
    - `password=`, `password:` and `pass:` settings, their value quoted or not
      (PASSWORD_SETTING, PASSWORD_FIELD).
    A hidden part is replaced with `***`; where in doubt, more is hidden rather than less."""
    text = " ".join(text.split())
    for secret in known_secrets():
        text = re.sub(r"(?<![A-Za-z0-9])%s(?![A-Za-z0-9])" % re.escape(secret), "***", text)
    text = URL_PASSWORD.sub(r"\1:***@", text)
    text = PASSWORD_SETTING.sub(r"\1***", text)
    text = PASSWORD_FIELD.sub(r"\1***", text)
    if scratch:
        text = text.replace(os.path.abspath(scratch), "<scratch>")
    # An absolute path not inside a URL (`//host/path`, `host:port/path`) or a relative one.
    text = re.sub(r"(?<![\w:/.~>-])~?/[^\s/'\"(),;:<>]+(?:/[^\s/'\"(),;:<>]*)*", "<path>", text)
    return text if len(text) <= 300 else text[:297] + "..."


def rate(value):
    """A rate per second, rounded to 3 significant figures and written with thin spaces."""
    if value >= 100:
        rounded = int(float("%.3g" % value))
        return "{:,}".format(rounded).replace(",", " ")
    return "%.3g" % value


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    uname = os.uname()
    cpus = len(os.sched_getaffinity(0))
    return "%s, %d cores (nproc), %s %s %s" % (model, cpus, uname.sysname, uname.release,
                                                uname.machine)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ours", required=True)
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--provider", required=True)
    parser.add_argument("--documents", required=True)
    parser.add_argument("--stderr-dir", default=os.path.join("target", "bench-peers"),
                        help="where the sides' stderr files are kept (emptied on each run)")
    parser.add_argument("--without", action="append", default=[], metavar="BACKEND",
                        help="leave the rows of this store out (repeatable)")
    parser.add_argument("--postgres-server", choices=("own", "existing"), default="own",
                        help="whether PEERS_POSTGRES_URL is the script's throwaway server")
    parser.add_argument("--mysql-server", choices=("own", "existing"), default="own",
                        help="whether PEERS_MYSQL_URL is the script's throwaway server")
    parser.add_argument("--not-compared", action="append", default=[],
                        help="a line saying what is not compared and why (repeatable)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--round-timeout", type=float, default=120.0,
                        help="seconds a side has to answer one round (its set-up included)")
    parser.add_argument("--only", default="", help="comma-separated operations to run")
    parser.add_argument("--rustc", default="")
    parser.add_argument("--note", default="", help="a sentence on the machine's state")
    parser.add_argument("--benchmarks", default="",
                        help="BENCHMARKS.md to write the table into (its section replaced)")
    args = parser.parse_args()
    SECRET_URLS[:] = [name for name, server in (("PEERS_POSTGRES_URL", args.postgres_server),
                                                ("PEERS_MYSQL_URL", args.mysql_server))
                      if server == "existing"]

    rows = [row for row in ROWS if not args.only or row[0] in args.only.split(",")]
    if not os.environ.get("PEERS_POSTGRES_URL"):
        rows = [row for row in rows if not row[0].endswith(":postgres")]
    if not os.environ.get("PEERS_MYSQL_URL"):
        rows = [row for row in rows if not row[0].endswith(":mysql")]
    rows = [row for row in rows if row[0].rpartition(":")[2] not in args.without]
    for directory in ("ours", "reference"):
        os.makedirs(os.path.join(args.scratch, directory), exist_ok=True)
    os.makedirs(args.stderr_dir, mode=0o700, exist_ok=True)
    os.chmod(args.stderr_dir, 0o700)
    common = [args.provider, args.documents]
    ours = Side("openid-peers",
                [args.ours, "serve", os.path.join(args.scratch, "ours")] + common,
                os.path.join(args.stderr_dir, "ours.stderr"), args.round_timeout, args.scratch)
    reference = Side("reference.py",
                     [sys.executable, os.path.join(HERE, "reference.py"),
                      os.path.join(args.scratch, "reference")] + common,
                     os.path.join(args.stderr_dir, "reference.stderr"), args.round_timeout,
                     args.scratch)

    not_compared = [public(line, args.scratch) for line in args.not_compared]
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()
    results = []
    try:
        for operation, label in rows:
            row_started = time.monotonic()
            ours.mark()
            reference.mark()
            try:
                ours.round(operation, WARM_UP_SECONDS)
                reference.round(operation, WARM_UP_SECONDS)
                ours_rates, reference_rates = [], []
                for _ in range(args.rounds):
                    ours_rates.append(ours.round(operation, args.seconds))
                    reference_rates.append(reference.round(operation, args.seconds))
            except SideFailed as failure:
                reason = public("%s failed: %s" % (failure.side.name, failure.reason),
                                args.scratch)
                print("%-70s NOT COMPARED: %s" % (label.replace("`", ""), reason),
                      file=sys.stderr, flush=True)
                failure.side.restart()
                not_compared.append("%s: %s" % (label, reason))
                continue
            ours_median = statistics.median(ours_rates)
            reference_median = statistics.median(reference_rates)
            ratios = [o / r for o, r in zip(ours_rates, reference_rates)]
            results.append((label, ours_median, reference_median, min(ratios), max(ratios)))
            print("%-70s ours %12s/s  reference %12s/s  %6.2fx  (%.0f s)" % (
                label.replace("`", ""), rate(ours_median), rate(reference_median),
                ours_median / reference_median, time.monotonic() - row_started),
                file=sys.stderr, flush=True)
    finally:
        ours.close()
        reference.close()
    load_after = os.getloadavg()
    if rows and not results:
        print("\n".join(["", "No row was measured:"] + ["- %s" % line for line in not_compared]),
              file=sys.stderr)
        sys.exit("every row failed; %s left as it is" % (args.benchmarks or "nothing written"))

    lines = [
        "Machine: %s; %s. Run of %s; load average %.1f before, %.1f after." % (
            machine(), args.rustc or "rustc (version not given)", started, load_before[0],
            load_after[0]),
        "Python %s, python3-openid %s." % (platform.python_version(), version("python3-openid")),
    ]
    if args.note:
        lines.append(args.note)
    lines += [
        "",
        "Rates are calls per second, the median of %d rounds of at least %g s per side, the "
        "two sides alternating round by round (ours, reference, ours, ...). Ratio: ours / "
        "reference of the medians; in brackets the lowest and highest ratio of a round of "
        "ours to the reference's round right after it." % (args.rounds, args.seconds),
        "",
        "| operation | ours (/s) | python3-openid (/s) | ours / python |",
        "|---|---|---|---|",
    ]
    for label, ours_median, reference_median, low, high in results:
        ratio = ours_median / reference_median
        mark = "**" if ratio < 1 else ""
        lines.append("| %s | %s | %s | %s%.2fx%s [%.2f %.2f] |" % (
            label, rate(ours_median), rate(reference_median), mark, ratio, mark, low, high))
    if not_compared:
        lines.append("")
        lines.append("Not compared:")
        lines.append("")
        lines += ["- %s" % line for line in not_compared]
    table = "\n".join(lines)
    print()
    print(table)
    if args.benchmarks:
        write_section(args.benchmarks, table, args.postgres_server, args.mysql_server)
        print("\n(written into %s, section %r)" % (args.benchmarks, SECTION[3:]))


SETTINGS = """\
Each row runs the same work on both sides: server URL `http://127.0.0.1:8901/op`, a fresh
salt per nonce and a new handle per association (HMAC-SHA256, 32-byte secret, one hour),
inputs made in batches of 2,000 outside the timed part, chunks of 100 calls timed (halved
while a chunk takes over a twentieth of the round, so slow rounds end near 1 s). Settings:

| store | ours | python3-openid |
|---|---|---|
| memory | `MemoryStore::new()` | `MemoryStore()` |
| file | `FileStore::open` (default: fsync of a nonce's directory; of an association's file before its rename) | `FileOpenIDStore` (fsyncs an association's file; neither nonce files nor directories) |
| file, `sync(false)` rows | `FileStore::builder(..).sync(false)` (no fsync) | `FileOpenIDStore`, the same as above |
| SQLite | `SqliteStore::open` (default: WAL, `synchronous=FULL`) | `SQLiteStore` on `sqlite3.connect` (rollback journal, `synchronous=FULL`: the defaults) |
| PostgreSQL | `PostgresStore::from_url` with `?table_prefix=...&migrate=true` | `PostgreSQLStore` on `psycopg2.connect` |
| MySQL | `MysqlStore::from_url` with `?table_prefix=...&migrate=true` | `MySQLStore` on `MySQLdb.connect` (mysqlclient MYSQLCLIENT_VERSION) |

The file store's `use_nonce` row with fsync compares different promises: ours flushes the
nonce's directory, so an acknowledged nonce survives a power cut and cannot be replayed
after it; python3-openid's nonce is a file created without a flush, and no flush-per-call
design reaches its rate on this disk. The `sync(false)` rows are the like-for-like
comparison. Both sides flush an association's file once (ours before the rename).

`complete()` is `Consumer::complete` against python3-openid's `Consumer.complete` on a
signed OpenID 2.0 assertion with a fresh response nonce (`benches/benches/login.rs`,
`benches/python/complete.py`); the whole login is discovery (identity page, then XRDS),
the browser's GET to one `openid-testkit` provider process and `complete`, with the
association reused (`scripts/bench-login.sh`). Discovery: ours `html::parse_links` then
`endpoint::from_html`, `html::find_xrds_location`, `xrds::parse` then `endpoint::from_xrds`;
python3-openid `OpenIDServiceEndpoint.fromHTML`, `openid.yadis.parsehtml.findHTMLMeta`,
`OpenIDServiceEndpoint.fromXRDS` (`openid.yadis.etxrd`). The python-openid documents are
copies in `benches/peers/documents/`; ours are made by `benches/src/documents.rs`.
"""

# The paragraph on each server, by whether it is the script's own throwaway server or an
# existing one named by OPENID_TEST_POSTGRES_URL / OPENID_TEST_MYSQL_URL.
POSTGRES = {
    "own": """\
Both PostgreSQL sides use one throwaway server on 127.0.0.1 started by the script
(`openid-test-servers`, `fsync=off`), each with tables of its own.
""",
    "existing": """\
Both PostgreSQL sides use an existing server, the one `OPENID_TEST_POSTGRES_URL` named for
this run, with that server's own settings (not a throwaway server started by the script),
each with tables of its own.
""",
}

MYSQL_STORES = """\
Ours keeps nonces in a table keyed by SHA-256 digests and sharded 16 ways (`stores/mysql`);
python3-openid's in one keyed by the first 255 bytes of the server URL, the timestamp and the
salt. Each side commits every call.
"""

MYSQL = {
    "own": """\
Both MySQL sides use one throwaway MariaDB server on 127.0.0.1 started by the script
(`openid-test-servers`, MariaDB's defaults otherwise: `innodb_flush_log_at_trx_commit=1`, a
log flush per commit), each with tables of its own.
""" + MYSQL_STORES,
    "existing": """\
Both MySQL sides use an existing MySQL or MariaDB server, the one `OPENID_TEST_MYSQL_URL`
named for this run, with that server's own settings (not a throwaway server started by the
script), each with tables of its own.
""" + MYSQL_STORES,
}


def mysqlclient_version():
    """mysqlclient's version in this virtualenv, or "absent" (then no MySQL row is shown)."""
    try:
        return version("mysqlclient")
    except PackageNotFoundError:
        return "absent"


def write_section(path, table, postgres_server="own", mysql_server="own"):
    """Replaces the section in BENCHMARKS.md (up to the next `## ` heading), or appends it.
    `postgres_server` and `mysql_server`: "own" (the script's throwaway server) or
    "existing" (one named by OPENID_TEST_*_URL), for the servers' paragraphs."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # Not %-formatted: the prose may hold a literal percent sign.
    settings = SETTINGS.replace("MYSQLCLIENT_VERSION", mysqlclient_version())
    # A server's settings row and paragraph only when its rows were measured.
    for backend, paragraph in (("PostgreSQL", POSTGRES[postgres_server]),
                               ("MySQL", MYSQL[mysql_server])):
        if "\n| %s store" % backend in table:
            settings += "\n" + paragraph
        else:
            settings = "\n".join(line for line in settings.split("\n")
                                 if not line.startswith("| %s |" % backend))
    section = "%s\n\n%s\n%s\n" % (SECTION, settings, table)
    start = text.find(SECTION + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        rest = text[end + 1:] if end >= 0 else ""
        text = text[:start] + section + ("\n" + rest if rest else "")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
