#!/usr/bin/env bash
# The one test command (README, .ci/run): installs the servers the tests start, then runs
# formatting, lints, docs and every test of the workspace, and checks that no throwaway
# server is left running.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "test servers (PostgreSQL, MariaDB, Redis, memcached)"
bash scripts/install-servers.sh

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps --locked

step "cargo test"
mkdir -p target
cargo test --workspace --all-features --locked 2>&1 | tee target/test-output.log

step "openid-stores with default features (a disabled backend names its feature)"
cargo test -p openid-stores --lib --locked

step "store conformance suite, cases per backend"
bash scripts/conformance-summary.sh target/test-output.log memory file sqlite sqlite_memory sqlite_pool \
    postgres mysql redis redis_cluster memcache

step "reference vectors (python-openid), case counts"
cargo test -p openid-consumer --all-features --locked --test vectors -- --nocapture 2>&1 \
    | grep -E 'cases passed|deviation|VECTORS ABSENT'

step "no throwaway server left running"
bash scripts/check-no-servers.sh
