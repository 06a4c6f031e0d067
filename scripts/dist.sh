#!/usr/bin/env bash
# Release artefacts in dist/ for the Linux targets (all four unless some are named): per target an
# abi3 wheel (manylinux2014 or musllinux_1_2) and an npm platform package; then the sdist and the
# main npm package, whose optional dependencies name every platform package. zig links the glibc
# binaries against glibc 2.17 and the musl ones against musl, from this x86_64 machine.
#   bash scripts/dist.sh                              # the four Linux targets
#   bash scripts/dist.sh aarch64-unknown-linux-gnu    # only the ones named
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

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
fi

rm -rf dist && mkdir -p dist
for target in "${targets[@]}"; do
  bash scripts/build-wheel.sh "$target"
  bash scripts/build-node.sh "$target"
done

step "Python: sdist"
source scripts/release-tools.sh
maturin sdist --manifest-path bindings-python/Cargo.toml --out dist

step "Node: platform packages and the main package (npm pack)"
node bindings-node/scripts/pack.js dist/node dist

step "dist/ (version $version)"
ls -l dist
