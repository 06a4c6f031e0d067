#!/usr/bin/env bash
# Builds the abi3 Python wheel of one Rust target into dist/: manylinux2014 (glibc 2.17) and
# musllinux_1_2 wheels with zig from any Linux host; macOS and Windows wheels on their own runners.
#   bash scripts/build-wheel.sh aarch64-unknown-linux-gnu
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
target=${1:?usage: build-wheel.sh <rust target>}
source scripts/release-tools.sh
rust_target "$target"
case "$target" in
  *-linux-gnu) portable=(--zig --compatibility manylinux2014) ;;
  *-linux-musl) portable=(--zig --compatibility musllinux_1_2) ;;
  *) portable=() ;;
esac
step "Python: abi3 wheel for $target"
maturin build --release --locked "${portable[@]}" --target "$target" \
  --manifest-path bindings-python/Cargo.toml --out dist
