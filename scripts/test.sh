#!/usr/bin/env bash
# The one test command (README, .ci/run): installs the servers the tests start and makes
# the python3-openid virtualenv of the interop tests, then runs formatting, lints, docs and
# every test of the workspace, and checks that no throwaway server is left running. Each
# step prints how long it took, and the end gives the total, so CI's 90-minute limit can be
# watched as the suite grows.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
step_name=""
step_started=$SECONDS
timings=()
finish_step() {
    if [ -n "$step_name" ]; then
        local took=$((SECONDS - step_started))
        timings+=("$(printf '%5d s  %s' "$took" "$step_name")")
        printf '<== %s: %d s\n' "$step_name" "$took"
    fi
}
step() {
    finish_step
    step_name=$*
    step_started=$SECONDS
    printf '\n==> %s\n' "$*"
}
report() {
    local status=$?
    finish_step
    step_name=""
    printf '\nstep timings:\n'
    printf '%s\n' "${timings[@]}"
    printf '%5d s  total (%s)\n' "$((SECONDS - started))" "$([ "$status" -eq 0 ] && echo passed || echo FAILED)"
}
trap report EXIT

# The python-openid vectors beside the checkout. CI (CI=true) must run them: there, absent
# vectors fail the run instead of skipping. A clone without them runs everything else, and
# the tests say VECTORS ABSENT. The path is made absolute: the tests run in each crate's
# directory, where a relative one would name another place.
vectors=${OPENID_VECTORS_DIR:-../shared/vectors/python-openid}
if [ -d "$vectors" ]; then
    OPENID_VECTORS_DIR=$(cd "$vectors" && pwd)
    export OPENID_VECTORS_DIR OPENID_VECTORS_REQUIRED=1
elif [ "${CI:-}" = true ]; then
    echo "the python-openid vectors are not at $vectors (set OPENID_VECTORS_DIR, or put ../shared beside the checkout)" >&2
    exit 1
else
    echo "VECTORS ABSENT: $vectors not found; the python-openid vector tests will not run (set OPENID_VECTORS_DIR)" >&2
fi

step "test servers (PostgreSQL, MariaDB, Redis, memcached)"
bash scripts/install-servers.sh

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps --locked

step "python3-openid 3.2.0 virtualenv (interop tests)"
bash scripts/python-venv.sh

step "cargo test"
mkdir -p target
cargo test --workspace --all-features --locked 2>&1 | tee target/test-output.log

step "browser test: headless Chromium signs in on the demo site"
bash scripts/browser-test.sh

step "openid-stores with default features (a disabled backend names its feature)"
cargo test -p openid-stores --lib --locked

step "store conformance suite: each store's own count of cases passed, failed and skipped"
# The suite prints its line when a store's last case ends; a missing line is a suite that
# did not run (a skipped backend still prints its line, with every case skipped).
grep '^conformance suite ' target/test-output.log
for suite in memory file sqlite sqlite_memory sqlite_pool postgres mysql redis redis_cluster memcache; do
    grep -q "^conformance suite conformance_$suite: " target/test-output.log \
        || { echo "the conformance suite of $suite did not run" >&2; exit 1; }
done

step "reference vectors (python-openid), case counts"
cargo test -p openid-consumer --all-features --locked --test vectors -- --nocapture 2>&1 \
    | grep -E 'cases passed|deviation|VECTORS ABSENT'

step "bench scripts: passwords hidden from BENCHMARKS.md and the terminal"
python3 -m unittest discover -s benches/peers -p 'test_*.py'

step "fuzzing: 20,000 fixed inputs per target (scripts/fuzz.sh --ci 20000)"
if cargo +nightly --version >/dev/null 2>&1; then
    bash scripts/fuzz.sh --ci 20000
else
    echo "FUZZING SKIPPED: no nightly toolchain (rustup toolchain install nightly); the fuzz targets did not run" >&2
fi

step "no throwaway server left running"
bash scripts/check-no-servers.sh
