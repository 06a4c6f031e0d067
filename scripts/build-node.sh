#!/usr/bin/env bash
# Builds the Node native module of one Rust target as dist/node/paragon-connect.<platform>.node:
# Linux glibc targets link against glibc 2.17 and musl targets dynamically against musl (both with
# zig, from any Linux host); macOS and Windows modules on their own runners.
#   bash scripts/build-node.sh aarch64-unknown-linux-musl
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
target=${1:?usage: build-node.sh <rust target>}
source scripts/release-tools.sh
rust_target "$target"
platform=$(node -p "require('./bindings-node/platforms.js').platformOfTarget(process.argv[1]).name" "$target")
step "Node: native module for $target ($platform)"
# cargo-zigbuild writes its zig wrappers (the linker and C compiler cargo is given) under a path
# made from the executable named here; naming maturin, which embeds the same cargo-zigbuild, gives
# this build the wheel's wrappers, so cargo reuses the dependencies the wheel compiled (a different
# linker path makes every crate stale).
zigbuild=(env "CARGO_BIN_EXE_cargo-zigbuild=$VENV_BIN/maturin" cargo zigbuild)
case "$target" in
  *-linux-gnu) "${zigbuild[@]}" --release --locked -p paragon-connect-node --target "$target.2.17" ;;
  *-linux-musl)
    # A shared library cannot link the C library statically (Rust's default on musl).
    variable="CARGO_TARGET_$(echo "$target" | tr 'a-z-' 'A-Z_')_RUSTFLAGS"
    env "$variable=-C target-feature=-crt-static" \
      "${zigbuild[@]}" --release --locked -p paragon-connect-node --target "$target" ;;
  *) cargo build --release --locked -p paragon-connect-node --target "$target" ;;
esac
built=$TARGET_DIR/$target/release
mkdir -p dist/node
for library in "$built/libparagon_connect_node.so" "$built/libparagon_connect_node.dylib" "$built/paragon_connect_node.dll"; do
  if [ -f "$library" ]; then
    cp "$library" "dist/node/paragon-connect.$platform.node"
    exit 0
  fi
done
echo "error: no library for $target in $built" >&2
exit 1
