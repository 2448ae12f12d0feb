#!/usr/bin/env bash
# Mutation testing of the consumer's security checks with cargo-mutants: each mutant (a
# comparison flipped, a function made to return a constant, a check deleted) is built and
# the consumer's tests run against it. A mutant the tests do not catch ("missed") is a
# check no test proves.
#
#   scripts/mutants.sh                 the checks of complete, the signature, realm matching
#                                      (about 160 mutants)
#   scripts/mutants.sh --wide          and the parsers they rely on: callback, nonce,
#                                      urinorm, message (about 700 mutants)
#   scripts/mutants.sh FILE...         other files (paths from the workspace root)
#
# Not part of scripts/test.sh: every mutant is a rebuild, so the default scope takes about
# two hours on two cores, --wide most of a day. The report is target/mutants/mutants.out/ (caught.txt,
# missed.txt, unviable.txt, timeout.txt, outcomes.json); the counts are printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

version=27.0.0
if [ "$(cargo mutants --version 2>/dev/null)" != "cargo-mutants $version" ]; then
    echo "installing cargo-mutants $version"
    cargo install cargo-mutants --version "$version" --locked --quiet
fi

files=(
    consumer/src/consumer/complete.rs
    consumer/src/consumer/verify.rs
    consumer/src/crypto/signature.rs
    consumer/src/crypto/coverage.rs
    consumer/src/realm.rs
)
if [ "${1:-}" = "--wide" ]; then
    files+=(
        consumer/src/consumer/callback.rs
        consumer/src/nonce.rs
        consumer/src/urinorm.rs
        consumer/src/message/mod.rs
        consumer/src/message/query.rs
        consumer/src/message/kvform.rs
    )
elif [ "$#" -gt 0 ]; then
    files=("$@")
fi
args=()
for file in "${files[@]}"; do
    [ -f "$file" ] || { echo "no such file: $file" >&2; exit 2; }
    args+=(--file "$file")
done

# The vector tests run when the vectors are beside the checkout.
vectors=${OPENID_VECTORS_DIR:-../shared/vectors/python-openid}
if [ -d "$vectors" ]; then
    OPENID_VECTORS_DIR=$(cd "$vectors" && pwd)
    export OPENID_VECTORS_DIR
fi

mkdir -p target/mutants
# The consumer's own tests: unit tests, end to end against the testkit provider, the
# properties of complete and the vectors. The interop tests (python3-openid) are left out:
# they need the virtualenv and add a minute to every mutant without covering other checks.
cargo mutants --package openid-consumer "${args[@]}" \
    --output target/mutants --timeout 300 --build-timeout 600 --jobs 1 \
    -- --lib --test e2e --test complete_properties --test properties --test vectors \
    || true # missed mutants make the exit status non-zero; the counts below tell

out=target/mutants/mutants.out
for kind in caught missed timeout unviable; do
    printf '%-9s %5d\n' "$kind" "$( (cat "$out/$kind.txt" 2>/dev/null || true) | grep -c . || true)"
done
if [ -s "$out/missed.txt" ]; then
    echo
    echo "missed (no test fails with this change):"
    cat "$out/missed.txt"
fi
