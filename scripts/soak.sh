#!/usr/bin/env bash
# The bounded soak (core/examples/soak.rs) in release mode: 100,000 calls, concurrency 64, 5%
# injected failures. Not part of `make test`: its figures are in the README.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cargo build --quiet --release --locked -p paragon-sandbox
PARAGON_SANDBOX_BIN="$TARGET_DIR/$CARGO_BUILD_TARGET/release/paragon-sandbox" cargo run --quiet --release --locked -p paragon-connect --example soak
