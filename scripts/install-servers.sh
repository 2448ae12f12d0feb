#!/usr/bin/env bash
# Installs the server packages the tests start (they are started by the tests themselves,
# on free 127.0.0.1 ports with temporary data directories; nothing is started here), through
# scripts/apt-install.sh, which keeps the packages' own daemons from starting. As root it
# runs apt-get; otherwise it prints the command and fails. Backends named in
# OPENID_TEST_SKIP (comma-separated, spaces around names ignored) are not required.
set -euo pipefail
cd "$(dirname "$0")"

# OPENID_TEST_SKIP without spaces around its names, as the Rust side reads it.
skip_list=$(sed -E 's/[[:space:]]*,[[:space:]]*/,/g; s/^[[:space:]]+|[[:space:]]+$//g' <<<"${OPENID_TEST_SKIP:-}")
skipped() { [[ ",$skip_list," == *",$1,"* || ",$skip_list," == *",all,"* ]]; }
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
    bash apt-install.sh # only removes a policy-rc.d a killed run left behind
    echo "all test server packages present"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "missing test servers; run as root: apt-get install -y ${missing[*]}" >&2
    echo "(or set OPENID_TEST_SKIP=postgres,mysql,redis,redis-cluster,memcache to skip them)" >&2
    exit 1
fi
echo "installing: ${missing[*]}"
exec bash apt-install.sh "${missing[@]}"
