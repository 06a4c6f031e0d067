#!/usr/bin/env bash
# Installs dist/'s wheel and npm package for one platform as users install them (pip into a fresh
# virtualenv; npm into an empty project, choosing the platform package by os, cpu and libc), with
# no cargo or rustc on PATH, then runs the Slack example and each language's conformance suite
# against the installed packages and the sandbox.
#   bash scripts/verify-installed.sh <wheel> <npm platform>              # on this machine
#   ARM64_SYSROOT=<root> bash scripts/verify-installed.sh <wheel> linux-arm64-gnu   # qemu-user
# Release workflow runners (macOS, Windows, Linux arm64) run it natively on their own build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
wheel=$(cd "$(dirname "$1")" && echo "$PWD/$(basename "$1")")
platform=$2
root=$PWD
work=$(mktemp -d)
cleanup() {
  stop_sandbox
  rm -rf "$work"
}
source scripts/sandbox.sh
trap cleanup EXIT

PATH=$(path_without_rust)

# How this platform's interpreters run: directly, or under qemu-user from an arm64 root.
if [ -n "${ARM64_SYSROOT:-}" ]; then
  run=(qemu-aarch64-static -L "$ARM64_SYSROOT")
  python_cmd=("${run[@]}" "$ARM64_SYSROOT/usr/bin/python3.11")
  node_cmd=("${run[@]}" "$ARM64_SYSROOT/usr/bin/node")
else
  run=()
  python_cmd=("$PYTHON")
  node_cmd=(node)
fi
described="$platform ($("${python_cmd[@]}" -c 'import platform; print(platform.machine(), "Python", platform.python_version())'), Node $("${node_cmd[@]}" -p process.version))"

# A copy of the suites' layout (tests/conformance beside each binding's tests), so that the suites
# run against the installed packages instead of the working tree.
suite="$work/suite"
mkdir -p "$suite/tests" "$suite/bindings-python/tests" "$suite/bindings-node/test"
cp -r tests/conformance "$suite/tests/"
cp bindings-python/tests/{conftest.py,test_conformance.py} "$suite/bindings-python/tests/"
cp bindings-node/test/{conformance.test.js,sandbox.js} "$suite/bindings-node/test/"

step "Python on $described: pip install the wheel, Slack, the conformance suite"
# pytest is pure Python: this machine's pip fetches it, the platform's pip installs it offline.
"$PYTHON" -m pip download --quiet --disable-pip-version-check --only-binary=:all: -d "$work/wheels" pytest==9.2.0
if [ ${#run[@]} -gt 0 ]; then
  # qemu-user cannot start an arm64 child process (ensurepip does): pip runs from Debian's wheel.
  "${python_cmd[@]}" -m venv --without-pip "$work/venv"
  venv_python="$work/venv/bin/python"
  pip=("${run[@]}" "$venv_python" "$(ls "$ARM64_SYSROOT"/usr/share/python-wheels/pip-*.whl)/pip")
else
  "${python_cmd[@]}" -m venv "$work/venv"
  venv_python="$work/venv/bin/python"
  [ -e "$venv_python" ] || venv_python="$work/venv/Scripts/python.exe" # Windows
  pip=("$venv_python" -m pip)
fi
"${pip[@]}" install --quiet --disable-pip-version-check --no-index --find-links "$work/wheels" "$wheel" pytest
"${run[@]}" "$venv_python" tests/dist/slack.py
# The command: installed beside the interpreter, and answering (run through it: qemu-user and
# Windows cannot run the script directly).
[ -e "$work/venv/bin/paragon-connect" ] || [ -e "$work/venv/Scripts/paragon-connect.exe" ]
"${run[@]}" "$venv_python" -m paragon_connect request slack /chat.postMessage \
  -d '{"channel": "C0", "text": "from the installed command"}' | grep -q '"ok":true'
cp tests/dist/test_fake.py "$suite/bindings-python/tests/"
# The fake Paragon and its pytest fixture come with the wheel (the plugin's entry point).
(cd "$suite/bindings-python" && "${run[@]}" "$venv_python" -m pytest -q -p no:cacheprovider tests/test_conformance.py tests/test_fake.py)

step "Node on $described: npm installs the $platform package, Slack, the conformance suite"
app="$suite/bindings-node"
IFS=- read -r os cpu abi <<< "$platform"
libc=
case "$abi" in gnu) libc=--libc=glibc ;; musl) libc=--libc=musl ;; esac
bash scripts/npm-app.sh "$app" --os="$os" --cpu="$cpu" $libc
installed=$(cd "$app/node_modules" && ls -d paragon-connect-*)
if [ "$installed" != "paragon-connect-$platform" ]; then
  echo "error: npm installed '$installed' for $platform" >&2
  exit 1
fi
cp tests/dist/slack.cjs tests/dist/slack.mjs tests/dist/fake.cjs "$app/"
echo "module.exports = require('paragon-connect')" > "$app/index.js"
cd "$app"
"${node_cmd[@]}" slack.cjs
"${node_cmd[@]}" slack.mjs
"${node_cmd[@]}" fake.cjs
"${node_cmd[@]}" node_modules/paragon-connect/cli.js request slack /chat.postMessage \
  -d '{"channel": "C0", "text": "from the installed command"}' | grep -q '"ok":true'
[ -e node_modules/.bin/paragon-connect ] || [ -e node_modules/.bin/paragon-connect.cmd ]
# The file runs its tests in this process: `node --test` would start a child Node per file,
# which qemu-user cannot.
"${node_cmd[@]}" test/conformance.test.js > "$work/node-tests.tap" || { cat "$work/node-tests.tap"; exit 1; }
grep -E '^# (pass|fail)' "$work/node-tests.tap"
cd "$root"
