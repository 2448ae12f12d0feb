#!/usr/bin/env bash
# The login flow beside python3-openid 3.2.0, on the same work, in one run:
# - complete: Consumer::complete on a valid 2.0 assertion with a stored association and a
#   memory store, no network (criterion `complete/memory` against benches/python/complete.py);
# - login: a whole login (discovery, the browser's trip, complete) against one test provider
#   process on loopback (criterion `login/testkit` against benches/python/login.py).
# Prints each side's rate and the ratio. Makes the virtualenv under target/ when missing
# (scripts/python-venv.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/python-openid
echo "==> virtualenv with python3-openid 3.2.0 in $venv"
bash scripts/python-venv.sh

echo "==> building (release)"
cargo build --release --locked -p openid-testkit --bin openid-testkit
cargo bench --locked -p openid-benches --bench login --no-run

# One provider process for both sides of the whole-login comparison.
coproc PROVIDER { exec target/release/openid-testkit; }
read -r base <&"${PROVIDER[0]}"
trap 'eval "exec ${PROVIDER[1]}>&-"; wait "$PROVIDER_PID" 2>/dev/null || true' EXIT
echo "==> test provider at $base"

rate_of() { # criterion's mean time per iteration (ns) of BENCH, as a rate per second
    python3 - "$1" <<'PY'
import json, sys
with open("target/criterion/%s/new/estimates.json" % sys.argv[1]) as f:
    print("%.0f" % (1e9 / json.load(f)["mean"]["point_estimate"]))
PY
}

echo "==> ours (criterion)"
OPENID_TESTKIT_URL=$base cargo bench --locked -p openid-benches --bench login -- \
    'complete/memory|login/testkit' 2>&1 | grep -E '^(complete|login)/|time:'
ours_complete=$(rate_of complete/memory)
ours_login=$(rate_of login/testkit)

echo "==> python3-openid 3.2.0"
py_complete=$("$venv/bin/python" benches/python/complete.py | awk '{print $2}')
py_login=$("$venv/bin/python" benches/python/login.py "$base" | awk '{print $2}')

printf '\n%-34s %14s %16s %8s\n' operation "ours (/s)" "python3-openid" ratio
for row in "complete, memory store, no network:$ours_complete:$py_complete" \
           "whole login against the testkit:$ours_login:$py_login"; do
    IFS=: read -r name ours theirs <<<"$row"
    printf '%-34s %14s %16s %7.1fx\n' "$name" "$ours" "$theirs" \
        "$(python3 -c "print($ours / $theirs)")"
done
