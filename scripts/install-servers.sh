#!/usr/bin/env bash
# Installs the server packages the tests start (they are started by the tests themselves,
# on free 127.0.0.1 ports with temporary data directories; nothing is started here).
# While apt-get runs, a /usr/sbin/policy-rc.d that answers 101 ("action forbidden") keeps
# the packages' own daemons (postgresql, mariadb, redis-server, memcached) from being
# started by their install scripts, which a systemd Debian would otherwise do; it is removed
# afterwards if this script made it (an existing one, as in many containers, is left as it
# is). Their units may still be enabled for the next boot.
# As root it runs apt-get; otherwise it prints the command and fails. Backends named in
# OPENID_TEST_SKIP (comma-separated) are not required.
set -euo pipefail

skipped() { [[ ",${OPENID_TEST_SKIP:-}," == *",$1,"* || ",${OPENID_TEST_SKIP:-}," == *",all,"* ]]; }
have() {
    command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/local/sbin/$1" ] \
        || compgen -G "/usr/lib/postgresql/*/bin/$1" >/dev/null
}

missing=()
skipped postgres || have initdb || missing+=(postgresql)
skipped mysql || { have mariadbd && have mariadb-install-db && have mariadb; } || missing+=(mariadb-server)
{ skipped redis && skipped redis-cluster; } || { have redis-server && have redis-cli; } || missing+=(redis-server)
skipped memcache || have memcached || missing+=(memcached)
# The TLS Redis server's certificates are made with the openssl command.
skipped redis || have openssl || missing+=(openssl)

if [ ${#missing[@]} -eq 0 ]; then
    echo "all test server packages present"
    exit 0
fi
line="apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "missing test servers; run as root: $line" >&2
    echo "(or set OPENID_TEST_SKIP=postgres,mysql,redis,redis-cluster,memcache to skip them)" >&2
    exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The packages' own services are not wanted: the tests start their own instances.
# invoke-rc.d and deb-systemd-invoke ask policy-rc.d before starting a service; 101 refuses.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ] && [ ! -L "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
    trap 'exit 130' INT TERM HUP
fi
# A mirror hiccup should not fail the run: three tries, a pause between them.
for attempt in 1 2 3; do
    if apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; then
        exit 0
    fi
    echo "apt-get failed (attempt $attempt of 3)" >&2
    sleep 10
done
echo "could not install: $line" >&2
exit 1
