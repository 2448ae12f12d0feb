#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/fuzz_targets) for SECONDS each (default 60), seeded
# from the python-openid vectors and the project's own samples, and prints each target's
# executions per second and total. A crash fails the run; its input is kept under
# fuzz/artifacts/TARGET/ (turn it into a regression test in the crate it broke).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]    explore: random, corpus kept in fuzz/corpus
#   scripts/fuzz.sh --ci RUNS                  what scripts/test.sh runs: RUNS inputs per
#                                              target from the seeds alone, seed 1, so the
#                                              same inputs every time (CI must not be random)
#
# Needs the nightly toolchain and cargo-fuzz (installed here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ci_runs=""
if [ "${1:-}" = "--ci" ]; then
    ci_runs=${2:-}
    [[ "$ci_runs" =~ ^[0-9]+$ ]] || { echo "usage: $0 --ci RUNS" >&2; exit 2; }
    shift 2
    seconds=0
else
    seconds=${1:-60}
    shift || true
fi
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2; }

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "the nightly toolchain is missing: rustup toolchain install nightly" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked --quiet
fi

vectors=${OPENID_VECTORS_DIR:-../shared/vectors/python-openid}
if [ -n "$ci_runs" ]; then
    # Seeds only, every time.
    corpus=$PWD/target/fuzz-ci/corpus
    rm -rf "$corpus"
else
    corpus=$PWD/fuzz/corpus
fi
seed() { # TARGET NAME CONTENT: one seed file
    mkdir -p "$corpus/$1"
    printf '%s' "$3" >"$corpus/$1/seed-$2"
}
seed_files() { # TARGET FILE...
    mkdir -p "$corpus/$1"
    local target=$1
    shift
    for file in "$@"; do [ -f "$file" ] && cp "$file" "$corpus/$target/seed-$(basename "$file")"; done
    return 0
}
seed_lines() { # TARGET FILE: one seed per non-empty line
    [ -f "$2" ] || return 0
    mkdir -p "$corpus/$1"
    local n=0
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        n=$((n + 1))
        printf '%s' "$line" >"$corpus/$1/seed-line-$n"
    done <"$2"
}

seed_files xrds "$vectors"/test_etxrd/* "$vectors"/test_discover/*.xml "$vectors/example-xrds.xml"
seed_files html "$vectors"/test_discover/*.html
seed_lines urinorm "$vectors/urinorm.txt"
seed_lines realm "$vectors/trustroot.txt"
seed kvform answer $'assoc_handle:{HMAC-SHA256}{1}{x}\nassoc_type:HMAC-SHA256\nexpires_in:1209600\nmac_key:AAAA\nsession_type:no-encryption\n'
seed kvform error $'error:unsupported type\nerror_code:unsupported-type\nsession_type:DH-SHA1\nassoc_type:HMAC-SHA1\n'
assertion='openid.ns=http%3A%2F%2Fspecs.openid.net%2Fauth%2F2.0&openid.mode=id_res&openid.op_endpoint=https%3A%2F%2Fop.example%2Fserver&openid.claimed_id=https%3A%2F%2Falice.example%2F&openid.identity=https%3A%2F%2Falice.example%2F&openid.return_to=https%3A%2F%2Frp.example%2Fback%3Fopenid_rs_nonce%3D2026-12-02T01%3A00%3A00Zabc&openid.response_nonce=2026-12-02T01%3A00%3A00Zabc&openid.assoc_handle=h&openid.signed=op_endpoint%2Cclaimed_id%2Cidentity%2Creturn_to%2Cresponse_nonce%2Cassoc_handle&openid.sig=AAAA&openid.ns.sreg=http%3A%2F%2Fopenid.net%2Fextensions%2Fsreg%2F1.1&openid.sreg.email=a%40example.com'
seed message_query assertion "$assertion"
seed complete assertion "$assertion"
seed nonce plain '2026-12-02T01:00:00ZUNIQUE'
seed nonce edge '9999-12-31T23:59:59Z'
seed association v2 $'version: 2\nhandle: {HMAC-SHA256}{1}{x}\nsecret: QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\nissued: 1700000000\nlifetime: 3600\nassoc_type: HMAC-SHA256\n'

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
fi
echo "building ${#targets[@]} fuzz targets (release, nightly)"
(cd fuzz && cargo +nightly fuzz build >/dev/null)

summary=()
status=0
for target in "${targets[@]}"; do
    # The CI runs log apart: a CI run beside a long exploration must not overwrite its stats.
    if [ -n "$ci_runs" ]; then log="target/fuzz-ci/$target.log"; else log="fuzz/artifacts/$target.log"; fi
    mkdir -p fuzz/artifacts target/fuzz-ci "$corpus/$target"
    if [ -n "$ci_runs" ]; then
        echo "==> $target: $ci_runs inputs, seed 1"
        limits=(-runs="$ci_runs" -seed=1)
    else
        echo "==> $target for ${seconds} s"
        limits=(-max_total_time="$seconds")
    fi
    if (cd fuzz && cargo +nightly fuzz run "$target" "$corpus/$target" -- \
            "${limits[@]}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1) \
            >"$log" 2>&1; then
        result=ok
    else
        result="CRASH (see $log and fuzz/artifacts/$target/)"
        status=1
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    per_second=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    summary+=("$(printf '%-15s %12s runs %10s /s  %s' "$target" "$runs" "$per_second" "$result")")
done
printf '\n%s\n' "${summary[@]}"
exit "$status"
