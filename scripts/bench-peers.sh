#!/usr/bin/env bash
# Every operation python3-openid 3.2.0 also has, measured side by side with it on this
# machine, the two alternating in rounds (ours, reference, ours, ...) so that a disk or CPU
# that drifts during the run hits both alike: use_nonce and store + get association on the
# memory, file, SQLite (and PostgreSQL and MySQL) stores, complete() on a valid assertion, a whole
# login against one provider on loopback, and HTML / Yadis / XRDS discovery parsing of the
# same documents. Prints a table with the machine and the ratio per row, and writes it into
# BENCHMARKS.md (section "Side by side with python3-openid", replaced on each run).
#
#     scripts/bench-peers.sh
#
# About 3 to 4 minutes after the build on an idle two-core machine: 19 rows of 7 to 15 s each
# (set-up and a warm-up, then 3 rounds of 1 s per side) and the database servers' start.
# MariaDB's first start can take up to 3 minutes on a busy machine, and a first run also
# installs what is missing (Debian packages, the virtualenv, mysqlclient built from source).
#
# Environment:
#   PEERS_ROUNDS (default 3), PEERS_SECONDS (default 1): rounds per side and their length;
#   PEERS_ONLY=use_nonce:memory,complete: only these operations (then BENCHMARKS.md is left
#     alone; the MySQL rows are use_nonce:mysql,store_get:mysql);
#   PEERS_NOTE: a sentence on the machine's state for the table ("shared with builds");
#   PEERS_CARGO_LOCK=/tmp/x.lock: run cargo under flock on that file (a shared machine);
#   PEERS_ROUND_TIMEOUT (default 120): seconds a side has to answer one round, set-up
#     included, before it is killed and its row left out.
#
# Makes the virtualenv under target/ when missing (scripts/python-venv.sh), with
# psycopg2-binary added for the PostgreSQL rows (python3-openid's sqlstore module, of the
# SQLite and MySQL rows too, imports it: without it the SQLite, PostgreSQL and MySQL rows are
# all left out, with one reason) and mysqlclient (MySQLdb, built from source against
# libmariadb) for the MySQL rows. Installs what those need from Debian when missing: the
# PostgreSQL and MariaDB servers (scripts/install-servers.sh, which keeps their own daemons
# from starting) and mysqlclient's build dependencies (build-essential, pkg-config,
# libmariadb-dev, and python3-dev for Python.h when the virtualenv's Python has no headers),
# as root; otherwise it prints the apt-get line. OPENID_TEST_POSTGRES_URL and
# OPENID_TEST_MYSQL_URL name existing servers instead (each side then makes tables of its own
# there on each run, left behind; BENCHMARKS.md then says the server was an existing one);
# OPENID_TEST_SKIP=postgres,mysql leaves those rows out.
# Database URLs are printed with the password hidden (`user:***@`, `password=***`) and reach
# driver.py and both sides in the environment (PEERS_POSTGRES_URL, PEERS_MYSQL_URL), not in
# arguments any user can read.
# A backend whose Python driver or server cannot be had is left out of the table, which says
# why under "Not compared"; so is a row during which either side fails (an error, or no
# answer within PEERS_ROUND_TIMEOUT): that side is started again and the other rows are
# still measured. Each side's stderr is kept in target/bench-peers/ (ours.stderr,
# reference.stderr, overwritten by the next run).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/python-openid
psycopg2_version=2.9.13
# A mysqlclient that builds on Python 3.11 against Debian 12's libmariadb-dev (MariaDB
# 10.11's client library).
mysqlclient_version=2.2.7
target=${CARGO_TARGET_DIR:-target}
cargo=(cargo)
if [ -n "${PEERS_CARGO_LOCK:-}" ]; then cargo=(flock "$PEERS_CARGO_LOCK" cargo); fi

echo "==> virtualenv with python3-openid 3.2.0 in $venv"
bash scripts/python-venv.sh

not_compared=(
    "Stores python3-openid does not have (Redis, memcached): nothing to compare with."
)
wanted() { # BACKEND: whether PEERS_ONLY (if set) names a row of that store
    [ -z "${PEERS_ONLY:-}" ] || [[ ",$PEERS_ONLY," == *":$1,"* ]]
}
# OPENID_TEST_SKIP without spaces around its names, as the Rust side reads it
# ("redis, mysql" names mysql).
test_skip=$(sed -E 's/[[:space:]]*,[[:space:]]*/,/g; s/^[[:space:]]+|[[:space:]]+$//g' <<<"${OPENID_TEST_SKIP:-}")
test_skipped() { # BACKEND: whether OPENID_TEST_SKIP names it (or all)
    [[ ",$test_skip," == *",$1,"* || ",$test_skip," == *",all,"* ]]
}
redacted() { # URL: with its password hidden, by benches/peers/driver.py's public(); the URL
    # goes through the environment, not argv, which any user can read
    PEERS_POSTGRES_URL=$1 python3 -c 'import os, sys
sys.path.insert(0, "benches/peers")
import driver
print(driver.public(os.environ["PEERS_POSTGRES_URL"]))'
}
# Whether each server is the throwaway one started here (own) or an existing one named by
# OPENID_TEST_*_URL (existing; blank counts as unset, as in openid-test-servers).
postgres_server=own mysql_server=own
url=${OPENID_TEST_POSTGRES_URL:-}
if [ -n "${url//[[:space:]]/}" ]; then postgres_server=existing; fi
url=${OPENID_TEST_MYSQL_URL:-}
if [ -n "${url//[[:space:]]/}" ]; then mysql_server=existing; fi

# Installed even when PEERS_ONLY leaves the PostgreSQL rows out: python3-openid's sqlstore
# module imports psycopg2 when it is loaded, for its SQLite and MySQL stores too. Without it
# those rows are all left out, with one reason, and neither server nor mysqlclient is set up.
sql=yes
if ! "$venv/bin/python" -c 'import psycopg2' 2>/dev/null; then
    echo "==> psycopg2-binary $psycopg2_version for python3-openid's SQL stores"
    if ! timeout --foreground 120 "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --only-binary :all: "psycopg2-binary==$psycopg2_version"; then
        echo "SQLITE, POSTGRESQL AND MYSQL ROWS SKIPPED: psycopg2-binary did not install" >&2
        sql=
    fi
fi
postgres='' mysql=''
if [ -z "$sql" ]; then
    if wanted sqlite || wanted postgres || wanted mysql; then
        not_compared+=("SQLite, PostgreSQL and MySQL: python3-openid's sqlstore module, which has these three stores, imports psycopg2 when it is loaded, and psycopg2-binary $psycopg2_version could not be installed from PyPI (a failure, or over 2 minutes).")
    fi
else
    if wanted postgres; then postgres=yes; fi
    if wanted mysql; then mysql=yes; fi
fi
if [ -n "$mysql" ] && test_skipped mysql; then
    mysql=
    not_compared+=("MySQL: OPENID_TEST_SKIP names mysql.")
fi
if [ -n "$postgres" ] && test_skipped postgres; then
    postgres=
    not_compared+=("PostgreSQL: OPENID_TEST_SKIP names postgres.")
fi

# The servers of the PostgreSQL and MySQL rows: only the packages of those the script starts
# itself. Not fatal: a server that does not start below is left out of the table.
skip=redis,redis-cluster,memcache${test_skip:+,$test_skip}
if [ -z "$postgres" ] || [ "$postgres_server" = existing ]; then skip+=,postgres; fi
if [ -z "$mysql" ] || [ "$mysql_server" = existing ]; then skip+=,mysql; fi
echo "==> server packages for the PostgreSQL and MySQL rows"
OPENID_TEST_SKIP=$skip bash scripts/install-servers.sh ||
    echo "(continuing: the rows of a server that does not start are left out)" >&2

# python3-openid's MySQLStore imports MySQLdb, from the mysqlclient package, which PyPI has
# for Linux only as source: a C extension built with a C compiler and pkg-config against a
# MySQL client library (libmariadb-dev here) and Python's headers. Only this script installs
# it: the interop tests of scripts/test.sh do not need it, and its build would slow every
# fresh test run. A pure-Python driver posing as MySQLdb (PyMySQL) would measure another
# driver than the store's own. Not built when OPENID_TEST_SKIP or PEERS_ONLY leaves the MySQL
# rows out, nor without psycopg2 (python3-openid's MySQLStore cannot be loaded then).
# Prints why and returns 1 when it cannot be had; the MySQL rows are then left out.
mysqlclient() {
    if [ "$("$venv/bin/python" -c 'import MySQLdb; from importlib.metadata import version; print(version("mysqlclient"))' 2>/dev/null)" = "$mysqlclient_version" ]; then
        return 0
    fi
    local missing=()
    # A C compiler and the C library's headers: gcc alone only recommends libc6-dev.
    if ! command -v gcc >/dev/null 2>&1 || [ ! -e /usr/include/stdio.h ]; then
        missing+=(build-essential)
    fi
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
    # mysqlclient's build asks pkg-config for mysqlclient, mariadb, then libmariadb.
    if ! { command -v pkg-config >/dev/null 2>&1 &&
        { pkg-config --exists mysqlclient || pkg-config --exists mariadb ||
            pkg-config --exists libmariadb; }; }; then
        missing+=(libmariadb-dev)
    fi
    # Python.h where the virtualenv's interpreter looks for it: Debian's python3-dev for its
    # python3 (another Python brings its own headers, or none; pip's build then says so).
    if ! "$venv/bin/python" -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; then
        missing+=(python3-dev)
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        local line="apt-get install -y ${missing[*]}"
        if [ "$(id -u)" -ne 0 ]; then
            echo "mysqlclient needs Debian packages; run as root: $line" >&2
            why="its build needs Debian packages that are missing ($line, as root)"
            return 1
        fi
        echo "==> installing mysqlclient's build dependencies: ${missing[*]}"
        if ! bash scripts/apt-install.sh "${missing[@]}"; then
            why="$line failed"
            return 1
        fi
    fi
    echo "==> mysqlclient $mysqlclient_version (built from source) for python3-openid's MySQLStore"
    if ! timeout --foreground 600 "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-binary mysqlclient "mysqlclient==$mysqlclient_version" >"$venv/mysqlclient-build.log" 2>&1; then
        tail -n 20 "$venv/mysqlclient-build.log" >&2
        why="pip did not build and install mysqlclient $mysqlclient_version (a failure, or over 10 minutes; log: $venv/mysqlclient-build.log)"
        return 1
    fi
    if ! "$venv/bin/python" -c 'import MySQLdb' 2>>"$venv/mysqlclient-build.log"; then
        why="mysqlclient $mysqlclient_version built but MySQLdb does not import (log: $venv/mysqlclient-build.log)"
        return 1
    fi
}
why=''
if [ -n "$mysql" ] && ! mysqlclient; then
    echo "MYSQL ROWS SKIPPED: $why" >&2
    mysql=
    not_compared+=("MySQL: python3-openid's MySQLStore needs MySQLdb (mysqlclient $mysqlclient_version, built from source here), and $why.")
fi

echo "==> building (release)"
"${cargo[@]}" build --release --locked -p openid-benches --bin openid-peers \
    -p openid-testkit --bin openid-testkit
peers=$target/release/openid-peers

scratch=$(mktemp -d "${TMPDIR:-/tmp}/openid-peers.XXXXXX")
provider_in='' postgres_in='' mysql_in=''
cleanup() {
    # Closing their standard input stops the provider and the database servers.
    if [ -n "$provider_in" ]; then exec {provider_in}>&-; fi
    if [ -n "$postgres_in" ]; then exec {postgres_in}>&-; fi
    if [ -n "$mysql_in" ]; then exec {mysql_in}>&-; fi
    wait 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT

first_line() { # FILE [SECONDS]: waits (60 s by default) for the first line a background process writes there
    local seconds=${2:-60}
    for _ in $(seq $((seconds * 10))); do
        if [ -s "$1" ]; then head -n 1 "$1"; return; fi
        sleep 0.1
    done
    echo "no line in $1 after $seconds s" >&2
    return 1
}

# One provider process for both sides of the whole-login comparison.
exec {provider_in}> >(exec "$target/release/openid-testkit" >"$scratch/provider" 2>/dev/null)
provider=$(first_line "$scratch/provider")
echo "==> test provider at $provider"

# Throwaway database servers (openid-peers postgres|mysql: openid-test-servers), each kept
# until its standard input closes. Up to 180 s for its URL: MariaDB's bootstrap and first
# start on a busy two-core machine take a while (the servers' own limit is 90 s to be ready).
server_error() { # BACKEND: the start of what its server wrote on stderr, on one line
    head -c 300 "$scratch/$1.err" | tr '\n' ' '
}
postgres_url=
if [ -n "$postgres" ]; then
    exec {postgres_in}> >(exec "$peers" postgres >"$scratch/postgres" 2>"$scratch/postgres.err")
    if postgres_url=$(first_line "$scratch/postgres" 180) && [ -n "$postgres_url" ]; then
        echo "==> PostgreSQL at $(redacted "$postgres_url")"
    else
        not_compared+=("PostgreSQL: no server started here ($(server_error postgres)); install it with scripts/install-servers.sh or set OPENID_TEST_POSTGRES_URL.")
    fi
fi
mysql_url=
if [ -n "$mysql" ]; then
    exec {mysql_in}> >(exec "$peers" mysql >"$scratch/mysql" 2>"$scratch/mysql.err")
    if mysql_url=$(first_line "$scratch/mysql" 180) && [ -n "$mysql_url" ]; then
        echo "==> MySQL/MariaDB server at $(redacted "$mysql_url")"
    else
        not_compared+=("MySQL: no server started here ($(server_error mysql)); install it with scripts/install-servers.sh or set OPENID_TEST_MYSQL_URL.")
    fi
fi

echo "==> documents"
"$peers" documents "$scratch/documents"
cp benches/peers/documents/*.html benches/peers/documents/*.xml "$scratch/documents/"

benchmarks=BENCHMARKS.md
if [ -n "${PEERS_ONLY:-}" ]; then benchmarks=; fi
args=()
for line in "${not_compared[@]}"; do args+=(--not-compared "$line"); done
if [ -z "$sql" ]; then args+=(--without sqlite); fi

echo "==> measuring, interleaved (each row: a warm-up, then ${PEERS_ROUNDS:-3} rounds per side)"
# The database URLs (with their passwords) in the environment, which only this user can read.
PEERS_POSTGRES_URL=$postgres_url PEERS_MYSQL_URL=$mysql_url "$venv/bin/python" benches/peers/driver.py \
    --ours "$peers" --scratch "$scratch" --provider "$provider" \
    --documents "$scratch/documents" --stderr-dir "$target/bench-peers" \
    --postgres-server "$postgres_server" --mysql-server "$mysql_server" \
    --round-timeout "${PEERS_ROUND_TIMEOUT:-120}" \
    --rounds "${PEERS_ROUNDS:-3}" --seconds "${PEERS_SECONDS:-1}" --only "${PEERS_ONLY:-}" \
    --rustc "$(rustc --version)" --note "${PEERS_NOTE:-}" --benchmarks "$benchmarks" \
    "${args[@]}"
