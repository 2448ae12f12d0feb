#!/usr/bin/env bash
# The browser test: headless Chromium (Debian's) signs in on the demo site with an identity
# of its built-in provider, and must land on the result page showing that identity: once
# with the site at 127.0.0.1 (the provider's own site) and once at localhost (another site,
# as a real provider is). Screenshots are saved to target/browser/login-HOST.png.
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
    bash scripts/apt-install.sh chromium
fi
command -v node >/dev/null 2>&1 || { echo "node is missing: install Node.js 20 or newer (playwright-core needs it; Debian 12's nodejs is 18)" >&2; exit 1; }

work=target/browser
mkdir -p "$work"
cp scripts/browser/package.json scripts/browser/package-lock.json scripts/browser/login.mjs "$work/"
if [ ! -d "$work/node_modules/playwright-core" ]; then
    (cd "$work" && npm ci --silent --no-audit --no-fund)
fi

cargo build --locked -q -p openid-examples --bin demo
demo=${CARGO_TARGET_DIR:-target}/debug/demo
rm -f "$work"/demo-*.sqlite* "$work"/login-*.png "$work"/demo-*.log

# One login through the demo, whose pages are at http://HOST:PORT: 127.0.0.1, the same
# site as the built-in provider, and localhost, another site, as a real provider is (a
# browser sends the site's cookies with the provider's form-posted answer only if they
# allow it cross-site).
login() {
    local host=$1 listen="127.0.0.1:0" public=()
    if [ "$host" != 127.0.0.1 ]; then
        local port
        port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        listen="127.0.0.1:$port" public=(--public-url "http://$host:$port")
    fi
    local log="$work/demo-$host.log" out="$work/demo-$host.out"
    # stdout to a file, not a pipe: a demo that exits at once (a bad store, a port in use)
    # must still leave its reason for the message below.
    : >"$out"
    "$demo" --listen "$listen" "${public[@]}" --provider-listen 127.0.0.1:0 \
        --store "sqlite:$work/demo-$host.sqlite" >"$out" 2>"$log" &
    local pid=$!
    trap "kill $pid 2>/dev/null || true" EXIT
    # At most 60 s for the two lines that give the URLs. Both are waited for: the demo
    # writes them a moment apart, and a read between the two finds only one.
    local provider="" site="" tries=0
    while { [ -z "$site" ] || [ -z "$provider" ]; } && [ "$tries" -lt 600 ] && kill -0 "$pid" 2>/dev/null; do
        provider=$(sed -n 's|^built-in provider: identities \(.*\)/id/NAME$|\1|p' "$out")
        site=$(sed -n 's|^demo site: open ||p' "$out")
        [ -n "$site" ] && [ -n "$provider" ] || { sleep 0.1; tries=$((tries + 1)); }
    done
    local status=0
    if [ -z "$site" ] || [ -z "$provider" ]; then
        echo "the demo did not start; its log:" >&2
        status=1
    else
        echo "demo at $site, built-in provider at $provider"
        timeout 300 node "$work/login.mjs" "$site" "$provider/id/browser-test" "$PWD/$work/login-$host.png" \
            || { echo "the demo's log:" >&2; status=1; }
        [ "$status" -ne 0 ] || [ -s "$work/login-$host.png" ] || { echo "no screenshot was saved" >&2; status=1; }
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    trap - EXIT
    [ "$status" -eq 0 ] || { cat "$log" >&2; return 1; }
}
login 127.0.0.1
login localhost
