#!/usr/bin/env bash
# Runs every test of the project: Rust formatting, lints and suites (the core against the local
# sandbox), then the Python and Node packages' suites. Installs what it needs itself.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "Rust: cargo fmt --check"
cargo fmt --all -- --check

step "Rust: cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust: cargo test (unit, conformance and client suites against the sandbox)"
cargo test --workspace --locked

for suite in bindings-python/scripts/test.sh bindings-node/scripts/test.sh; do
  if [ -f "$suite" ]; then
    bash "$suite"
  fi
done

step "All tests passed."
