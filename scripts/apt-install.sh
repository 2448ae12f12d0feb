#!/usr/bin/env bash
# Installs Debian packages for the project's scripts (the test servers, chromium, build
# dependencies): scripts/apt-install.sh PACKAGE... As root it runs apt-get; otherwise it
# prints the command and fails.
#
# While apt-get runs, a /usr/sbin/policy-rc.d answering 101 ("action forbidden") for
# postgresql*, mariadb*, mysql*, redis* and memcached* (0 for any other service) keeps the
# test servers' packages from starting their own daemons from their install scripts, which
# a systemd Debian would otherwise do (the tests start their own instances); the packages'
# units may still be enabled for the next boot. That file carries a marker line and is
# removed when the script ends (also on Ctrl-C, SIGTERM or SIGHUP, which are then passed on
# to the caller as the signal they were). Runs as root take turns (a lock in /run/lock), so
# a marked file found by a run holding the lock was left by a run that was killed
# (SIGKILL, a power cut) and is removed; a policy-rc.d without the marker (as in many
# containers) is never touched. With no PACKAGE, only that removal is done.
set -euo pipefail

policy=/usr/sbin/policy-rc.d
marker='# written by openid-rs scripts/apt-install.sh, pid'
# The process id in the marker line of a policy-rc.d this script wrote; fails for any other
# file (someone else's policy-rc.d, a symbolic link, none).
policy_writer() {
    [ -f "$policy" ] && [ ! -L "$policy" ] && [ -r "$policy" ] || return 1
    local line
    while IFS= read -r line; do
        if [[ $line =~ ^"$marker "([0-9]+)(;|$) ]]; then
            echo "${BASH_REMATCH[1]}"
            return 0
        fi
    done <"$policy"
    return 1
}
# Removes a marked policy-rc.d: called while holding the runs' lock, so its run is over
# (killed with SIGKILL, or a power cut).
remove_stale_policy() {
    local pid
    pid=$(policy_writer) || return 0
    if rm -f "$policy" 2>/dev/null && [ ! -e "$policy" ]; then
        echo "removed $policy left behind by an earlier run of this script (pid $pid)"
    else
        echo "warning: $policy left behind by an earlier run of this script (pid $pid) keeps postgresql, mariadb, redis and memcached from starting; remove it as root" >&2
    fi
}

# Root runs take turns: two at once (the tests and a benchmark) would share one policy file,
# and the first to end would remove it under the other's install.
if [ "$(id -u)" -eq 0 ] && [ -d /run/lock ]; then
    exec 9>>/run/lock/openid-rs-apt-install.lock
    flock -w 900 9 || { echo "another run of $0 held its lock for 15 minutes" >&2; exit 1; }
    remove_stale_policy
elif policy_writer >/dev/null; then
    echo "warning: $policy was left behind by a killed run of this script; it keeps postgresql, mariadb, redis and memcached from starting: remove it as root" >&2
fi
missing=("$@")
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
line="apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages; run as root: $line" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# The packages' own services are not wanted: the tests start their own instances.
# invoke-rc.d and deb-systemd-invoke ask policy-rc.d before starting a service; 101 refuses.
# The traps come first, so that no signal can leave the file behind once it is written;
# they remove it only if this run wrote it and it still carries this run's marker.
made_policy=
# shellcheck disable=SC2317 # cleanup and on_signal are called by the traps
cleanup() {
    if [ -n "$made_policy" ] && [ "$(policy_writer)" = "$$" ]; then rm -f "$policy"; fi
}
# shellcheck disable=SC2317
on_signal() { # SIGNAL: cleans up, then dies of that signal, so that the caller sees it
    cleanup
    trap - EXIT INT TERM HUP
    kill -"$1" $$
    exit 1 # not reached: the signal's default action ends the script
}
trap cleanup EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP
if [ ! -e "$policy" ] && [ ! -L "$policy" ]; then
    made_policy=yes
    # noclobber: a policy-rc.d that appeared meanwhile is someone else's, left as it is.
    # invoke-rc.d puts options (--quiet) before the service's name.
    # shellcheck disable=SC2016 # the policy's own $1, not this script's
    if (set -C && printf '%s\n' '#!/bin/sh' "$marker $$; removed when that run ends" \
        '# Keeps the test servers'"'"' packages from starting their services while they install.' \
        'while [ "${1#-}" != "$1" ]; do shift; done' \
        'case "$1" in postgresql*|mariadb*|mysql*|redis*|memcached*) exit 101;; esac' \
        'exit 0' >"$policy") 2>/dev/null; then
        chmod +x "$policy"
    else
        made_policy=
    fi
fi
# `install` waits up to 5 minutes for another dpkg to let go of its lock and has no time
# limit (dpkg must not be killed half-way); it keeps existing configuration files and reads
# no terminal, so a question cannot hang it. `update` has 10 minutes (--foreground: it
# stays in the terminal's process group, so Ctrl-C reaches it at once), and is tried again
# for up to 5 minutes while another apt (apt-daily on a freshly booted machine) holds the
# package lists' lock, which DPkg::Lock::Timeout does not cover.
apt=(apt-get -o DPkg::Lock::Timeout=300)
update() {
    local waited=0 out
    while true; do
        if out=$(timeout --foreground 600 "${apt[@]}" update -qq 2>&1); then return 0; fi
        if [[ $out == *"Could not get lock"* || $out == *"Unable to lock"* ]] && [ "$waited" -lt 300 ]; then
            sleep 5
            waited=$((waited + 5))
            continue
        fi
        printf '%s\n' "$out" >&2
        return 1
    done
}
# A run killed during an install leaves dpkg interrupted, and every later install refuses
# to run until it is finished.
if [ -n "$(dpkg --audit 2>/dev/null)" ]; then
    echo "finishing an interrupted dpkg run first (dpkg --configure -a)"
    dpkg --configure -a </dev/null >/dev/null || true
fi
# A mirror hiccup should not fail the run: three tries, a pause between them.
for attempt in 1 2 3; do
    if update && "${apt[@]}" install -y -qq -o Dpkg::Options::=--force-confdef \
        -o Dpkg::Options::=--force-confold "${missing[@]}" </dev/null >/dev/null; then
        exit 0
    fi
    echo "apt-get failed (attempt $attempt of 3)" >&2
    if [ "$attempt" -lt 3 ]; then sleep 10; fi
done
echo "could not install: $line" >&2
exit 1
