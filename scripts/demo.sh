#!/usr/bin/env bash
# Runs the product document's examples through the SDK against the local sandbox (or Paragon's
# cloud when PARAGON_PROJECT_ID and PARAGON_USER_TOKEN are set): from Rust, then from each
# language package that is present.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "Rust demo"
cargo run --quiet --locked -p paragon-connect --example demo

for demo in bindings-python/scripts/demo.sh bindings-node/scripts/demo.sh; do
  if [ -f "$demo" ]; then
    bash "$demo"
  fi
done
