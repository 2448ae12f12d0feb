#!/usr/bin/env bash
# Runs every test binary that starts a throwaway server N times in a row (default 20) and
# prints the failures per binary. Each round runs all those binaries at once, each with its
# tests in parallel as libtest runs them, which is harsher than `cargo test` (one binary at
# a time): bootstraps, ports and temporary files of many servers overlap.
#
#   scripts/stress-servers.sh [N]
#
# The output of a failed run is kept in target/stress/ROUND-BINARY.log.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [ROUNDS]" >&2; exit 2; }

bash scripts/install-servers.sh
packages=(openid-test-servers openid-store-postgres openid-store-mysql openid-store-redis
    openid-store-memcache openid-stores openid-examples)
args=()
for p in "${packages[@]}"; do args+=(-p "$p"); done

echo "building the test binaries of: ${packages[*]}"
mapfile -t binaries < <(
    cargo test --all-features --locked --no-run --message-format=json "${args[@]}" \
        | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("profile", {}).get("test") and m.get("executable"):
        package = m["package_id"].split("#")[0].rsplit("/", 1)[-1]
        print(package + ":" + m["target"]["name"] + "=" + m["executable"])
' | sort -u)
[ ${#binaries[@]} -gt 0 ] || { echo "no test binaries found" >&2; exit 1; }
declare -A names
for entry in "${binaries[@]}"; do names[${entry#*=}]=${entry%%=*}; done
mapfile -t binaries < <(for b in "${!names[@]}"; do echo "${names[$b]}=$b"; done | sort | cut -d= -f2-)

out=target/stress
rm -rf "$out"
mkdir -p "$out"
declare -A failures
for b in "${binaries[@]}"; do failures[$b]=0; done
started=$SECONDS
for round in $(seq 1 "$rounds"); do
    pids=()
    for b in "${binaries[@]}"; do
        log="$out/$round-${names[$b]//[:\/]/-}.log"
        "$b" >"$log" 2>&1 &
        pids+=($!)
    done
    line="round $round/$rounds:"
    for i in "${!binaries[@]}"; do
        b=${binaries[$i]}
        log="$out/$round-${names[$b]//[:\/]/-}.log"
        if wait "${pids[$i]}"; then
            rm -f "$log"
        else
            failures[$b]=$((failures[$b] + 1))
            line+=" FAILED ${names[$b]} (see $log)"
        fi
    done
    echo "$line ($((SECONDS - started)) s so far)"
done

total=0
printf '\n%-50s %s\n' "test binary (package:target)" "failed runs"
for b in "${binaries[@]}"; do
    printf '%-50s %d of %d\n' "${names[$b]}" "${failures[$b]}" "$rounds"
    total=$((total + failures[$b]))
done
echo "$total failed runs in $rounds rounds of ${#binaries[@]} binaries, $((SECONDS - started)) s"
bash scripts/check-no-servers.sh
[ "$total" -eq 0 ]
