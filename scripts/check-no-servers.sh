#!/usr/bin/env bash
# Fails if a throwaway test server outlives the tests. Each server's watchdog stops it and
# removes its data directory once the test process has gone; give them a moment.
set -euo pipefail
for _ in $(seq 1 60); do
    if ! pgrep -f openid-test-watchdog >/dev/null; then
        echo "no throwaway server left running"
        exit 0
    fi
    sleep 0.5
done
echo "throwaway servers still running after the tests:" >&2
pgrep -af 'openid-test' >&2 || true
exit 1
