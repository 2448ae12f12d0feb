#!/usr/bin/env bash
# Prints one line per store backend from a `cargo test` log: how many conformance cases
# passed, failed and were skipped (a case that does not apply to a backend passes after a
# loud "SKIPPED conformance case" line; it is counted as skipped here, not as passed).
# Each backend's suite is the test binary `conformance_<backend>`.
# Usage: conformance-summary.sh LOG BACKEND...   (fails if a backend's suite did not run)
set -euo pipefail
log=$1
shift
summary=$(awk '
    /Running .*conformance_[a-z_]+-[0-9a-f]+\)/ {
        match($0, /conformance_[a-z_]+-[0-9a-f]+\)/)
        name = substr($0, RSTART + 12, RLENGTH - 12)
        sub(/-[0-9a-f]+\)$/, "", name)
        backend = name; skipped = 0; next
    }
    backend != "" && /^SKIPPED conformance case/ { skipped++ }
    backend != "" && /^test result:/ {
        match($0, /[0-9]+ passed/); passed = substr($0, RSTART, RLENGTH) + 0
        match($0, /[0-9]+ failed/); failed = substr($0, RSTART, RLENGTH) + 0
        printf "%s: %d passed, %d failed, %d skipped\n", backend, passed - skipped, failed, skipped
        backend = ""
    }
' "$log")
printf '%s\n' "$summary"
status=0
for backend in "$@"; do
    if ! grep -q "^$backend: " <<<"$summary"; then
        echo "conformance suite for $backend did not run" >&2
        status=1
    fi
done
if grep -qv ' 0 failed,' <<<"$summary"; then
    status=1
fi
exit "$status"
