#!/usr/bin/env bash
# Every operation python3-openid 3.2.0 also has, measured side by side with it on this
# machine, the two alternating in rounds (ours, reference, ours, ...) so that a disk or CPU
# that drifts during the run hits both alike: use_nonce and store + get association on the
# memory, file, SQLite (and PostgreSQL) stores, complete() on a valid assertion, a whole
# login against one provider on loopback, and HTML / Yadis / XRDS discovery parsing of the
# same documents. Prints a table with the machine and the ratio per row, and writes it into
# BENCHMARKS.md (section "Side by side with python3-openid", replaced on each run).
#
#     scripts/bench-peers.sh                      # about 4 minutes after the build
#
# Environment:
#   PEERS_ROUNDS (default 3), PEERS_SECONDS (default 1): rounds per side and their length;
#   PEERS_ONLY=use_nonce:memory,complete: only these operations (then BENCHMARKS.md is left
#     alone);
#   PEERS_NOTE: a sentence on the machine's state for the table ("shared with builds");
#   PEERS_CARGO_LOCK=/tmp/x.lock: run cargo under flock on that file (a shared machine).
#
# Makes the virtualenv under target/ when missing (scripts/python-venv.sh), with
# psycopg2-binary added for the PostgreSQL rows; those rows also need PostgreSQL's server
# binaries (scripts/install-servers.sh) or OPENID_TEST_POSTGRES_URL.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/python-openid
psycopg2_version=2.9.13
target=${CARGO_TARGET_DIR:-target}
cargo=(cargo)
if [ -n "${PEERS_CARGO_LOCK:-}" ]; then cargo=(flock "$PEERS_CARGO_LOCK" cargo); fi

echo "==> virtualenv with python3-openid 3.2.0 in $venv"
bash scripts/python-venv.sh

not_compared=(
    "MySQL: python3-openid's MySQLStore imports MySQLdb (the mysqlclient package), which PyPI offers for Linux only as source: it builds with a C compiler, pkg-config and the MySQL client headers (libmysqlclient-dev or libmariadb-dev), so it does not install quickly from PyPI alone. A pure-Python driver posing as MySQLdb (PyMySQL) would measure another driver than the one the reference's store was written for."
    "Stores python3-openid does not have (Redis, memcached): nothing to compare with."
)
postgres=yes
if ! "$venv/bin/python" -c 'import psycopg2' 2>/dev/null; then
    echo "==> psycopg2-binary $psycopg2_version for python3-openid's PostgreSQLStore"
    if ! timeout 120 "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --only-binary :all: "psycopg2-binary==$psycopg2_version"; then
        postgres=
        not_compared+=("PostgreSQL: psycopg2-binary $psycopg2_version did not install from PyPI within 2 minutes.")
    fi
fi

echo "==> building (release)"
"${cargo[@]}" build --release --locked -p openid-benches --bin openid-peers \
    -p openid-testkit --bin openid-testkit
peers=$target/release/openid-peers

scratch=$(mktemp -d "${TMPDIR:-/tmp}/openid-peers.XXXXXX")
provider_in= postgres_in=
cleanup() {
    # Closing their standard input stops the provider and the PostgreSQL server.
    if [ -n "$provider_in" ]; then exec {provider_in}>&-; fi
    if [ -n "$postgres_in" ]; then exec {postgres_in}>&-; fi
    wait 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT

first_line() { # FILE: waits up to 60 s for the first line a background process writes there
    for _ in $(seq 600); do
        if [ -s "$1" ]; then head -n 1 "$1"; return; fi
        sleep 0.1
    done
    echo "no line in $1 after 60 s" >&2
    return 1
}

# One provider process for both sides of the whole-login comparison.
exec {provider_in}> >(exec "$target/release/openid-testkit" >"$scratch/provider" 2>/dev/null)
provider=$(first_line "$scratch/provider")
echo "==> test provider at $provider"

postgres_url=
if [ -n "$postgres" ]; then
    exec {postgres_in}> >(exec "$peers" postgres >"$scratch/postgres" 2>"$scratch/postgres.err")
    if postgres_url=$(first_line "$scratch/postgres") && [ -n "$postgres_url" ]; then
        echo "==> PostgreSQL at $postgres_url"
    else
        why=$(head -c 300 "$scratch/postgres.err" | tr '\n' ' ')
        not_compared+=("PostgreSQL: no server started here ($why); install it with scripts/install-servers.sh or set OPENID_TEST_POSTGRES_URL.")
    fi
fi

echo "==> documents"
"$peers" documents "$scratch/documents"
cp benches/peers/documents/*.html benches/peers/documents/*.xml "$scratch/documents/"

benchmarks=BENCHMARKS.md
if [ -n "${PEERS_ONLY:-}" ]; then benchmarks=; fi
args=()
for line in "${not_compared[@]}"; do args+=(--not-compared "$line"); done

echo "==> measuring, interleaved (each row: a warm-up, then ${PEERS_ROUNDS:-3} rounds per side)"
"$venv/bin/python" benches/peers/driver.py \
    --ours "$peers" --scratch "$scratch" --provider "$provider" \
    --documents "$scratch/documents" --postgres "$postgres_url" \
    --rounds "${PEERS_ROUNDS:-3}" --seconds "${PEERS_SECONDS:-1}" --only "${PEERS_ONLY:-}" \
    --rustc "$(rustc --version)" --note "${PEERS_NOTE:-}" --benchmarks "$benchmarks" \
    "${args[@]}"
