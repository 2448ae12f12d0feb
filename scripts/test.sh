#!/usr/bin/env bash
# The one test command (README, .ci/run). Runs formatting, lints, docs and every test of the
# workspace. Later stages add the servers the store tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps --locked

step "cargo test"
cargo test --workspace --all-features --locked

step "reference vectors (python-openid), case counts"
cargo test -p openid-consumer --all-features --locked --test vectors -- --nocapture 2>&1 \
    | grep -E 'cases passed|deviation|VECTORS ABSENT'
