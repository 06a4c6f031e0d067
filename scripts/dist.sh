#!/usr/bin/env bash
# Release artefacts in dist/: the Python abi3 wheel (manylinux2014, glibc 2.17) and sdist, and
# the npm tarball with a prebuilt linux-x64-gnu binary that loads on glibc 2.17. zig (from the
# PyPI package ziglang) links both against the old glibc.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
require python3 "install Python 3.9 or newer"
require npm "install Node.js 18 or newer"

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
npm_version=$(node -p "require('./bindings-node/package.json').version")
if [ "$version" != "$npm_version" ]; then
  echo "error: the workspace is at $version but bindings-node/package.json at $npm_version" >&2
  exit 1
fi

VENV="$PWD/.venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check maturin==1.16.0 ziglang==0.17.1
# cargo-zigbuild finds zig through `python3 -m ziglang`: the venv's python3 first on PATH.
export PATH="$VENV/bin:$PATH"
command -v cargo-zigbuild >/dev/null || cargo install --locked cargo-zigbuild --version 0.21.8

rm -rf dist && mkdir -p dist

step "Python: abi3 wheel for manylinux2014 (maturin --zig) and sdist"
maturin build --release --locked --zig --compatibility manylinux2014 \
  --target x86_64-unknown-linux-gnu --manifest-path bindings-python/Cargo.toml --out dist
maturin sdist --manifest-path bindings-python/Cargo.toml --out dist

step "Node: the native module for glibc 2.17 (cargo zigbuild) and npm pack"
cargo zigbuild --release --locked -p paragon-connect-node --target x86_64-unknown-linux-gnu.2.17
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp bindings-node/{package.json,index.js,index.mjs,index.d.ts,native.js,native.d.ts,README.md} "$stage/"
cp target/x86_64-unknown-linux-gnu/release/libparagon_connect_node.so "$stage/paragon-connect.linux-x64-gnu.node"
(cd "$stage" && npm pack --silent --pack-destination "$OLDPWD/dist" >/dev/null)

step "dist/ (version $version)"
ls -l dist
