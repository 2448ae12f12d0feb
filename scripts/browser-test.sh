#!/usr/bin/env bash
# The browser test: headless Chromium (Debian's) signs in on the demo site with an identity
# of its built-in provider, and must land on the result page showing that identity. A
# screenshot is saved to target/browser/login.png.
#
# Installs what is missing: Debian's chromium (as root; otherwise it prints the apt-get line
# and fails) and playwright-core (pinned in scripts/browser/package-lock.json) under
# target/browser/.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "chromium is missing; run as root: apt-get install -y chromium" >&2
        exit 1
    fi
    echo "installing chromium"
    export DEBIAN_FRONTEND=noninteractive
    for attempt in 1 2 3; do
        if apt-get install -y -qq chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; then
            break
        fi
        echo "apt-get failed (attempt $attempt of 3)" >&2
        [ "$attempt" -lt 3 ] || exit 1
        sleep 10
    done
fi
command -v node >/dev/null 2>&1 || { echo "node is missing: apt-get install -y nodejs npm" >&2; exit 1; }

work=target/browser
mkdir -p "$work"
cp scripts/browser/package.json scripts/browser/package-lock.json scripts/browser/login.mjs "$work/"
if [ ! -d "$work/node_modules/playwright-core" ]; then
    (cd "$work" && npm ci --silent --no-audit --no-fund)
fi

cargo build --locked -q -p openid-examples --bin demo
rm -f "$work/demo.sqlite" "$work/login.png"
coproc DEMO {
    exec target/debug/demo --listen 127.0.0.1:0 --provider-listen 127.0.0.1:0 \
        --store "sqlite:$work/demo.sqlite" 2>"$work/demo.log"
}
trap 'kill "$DEMO_PID" 2>/dev/null || true; wait "$DEMO_PID" 2>/dev/null || true' EXIT
provider="" site=""
while [ -z "$site" ] && read -r -t 60 line <&"${DEMO[0]}"; do
    case "$line" in
        "built-in provider: identities "*) provider=${line#built-in provider: identities }; provider=${provider%/id/NAME} ;;
        "demo site: open "*) site=${line#demo site: open } ;;
    esac
done
if [ -z "$site" ] || [ -z "$provider" ]; then
    echo "the demo did not start; its log:" >&2
    cat "$work/demo.log" >&2
    exit 1
fi
echo "demo at $site, built-in provider at $provider"
if ! node "$work/login.mjs" "$site" "$provider/id/browser-test" "$PWD/$work/login.png"; then
    echo "the demo's log:" >&2
    cat "$work/demo.log" >&2
    exit 1
fi
[ -s "$work/login.png" ] || { echo "no screenshot was saved" >&2; exit 1; }
