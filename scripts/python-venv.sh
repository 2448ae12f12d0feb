#!/usr/bin/env bash
# The Python side of the interop tests and benchmarks: a virtualenv in target/python-openid
# with exactly python3-openid 3.2.0 from PyPI (and nothing else beyond its dependency,
# defusedxml). Idempotent: a virtualenv that already has that version is left alone.
#
#     scripts/python-venv.sh          # then: target/python-openid/bin/python
#
# PYTHON chooses the interpreter the virtualenv is made from (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/python-openid
version=3.2.0
python=${PYTHON:-python3}

installed() {
    [ -x "$venv/bin/python" ] &&
        [ "$("$venv/bin/python" -c 'from importlib.metadata import version; print(version("python3-openid"))' 2>/dev/null)" = "$version" ]
}

if installed; then
    echo "python3-openid $version is in $venv"
    exit 0
fi

if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
    echo "$python cannot make a virtualenv with pip (on Debian: apt-get install -y python3-venv)" >&2
    exit 1
fi
echo "making $venv with python3-openid $version"
# A half-made or outdated virtualenv is made again from scratch.
rm -rf "$venv"
mkdir -p target
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "python3-openid==$version"
if ! installed; then
    echo "$venv does not have python3-openid $version after installing it" >&2
    exit 1
fi
echo "python3-openid $version is in $venv"
