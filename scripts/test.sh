#!/usr/bin/env bash
# Runs every test of the project: Rust formatting, lints and suites (the core against the local
# sandbox), then the Python and Node packages' suites. Installs what it needs itself.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

# Everything printed is also kept, to check below that no token or key was ever printed.
output=$(mktemp)
trap 'rm -f "$output"' EXIT
exec > >(tee "$output") 2>&1

step "Rust: cargo fmt --check"
cargo fmt --all -- --check

step "Rust: cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust: cargo doc -D warnings (the core's documentation)"
RUSTDOCFLAGS="-D warnings" cargo doc --quiet --locked --no-deps -p paragon-connect

step "GitHub workflows: actionlint"
bash scripts/lint-workflows.sh

step "Rust: cargo test (unit, conformance and client suites against the sandbox)"
cargo test --workspace --locked

for suite in bindings-python/scripts/test.sh bindings-node/scripts/test.sh; do
  if [ -f "$suite" ]; then
    bash "$suite"
  fi
done

step "No user token or signing key in anything the suites printed"
key_line=$(sed -n 2p tests/sandbox/keys/sandbox-signing-key.pem)
sleep 1 # let tee catch up
if grep -qE 'eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.' "$output" || grep -qF "$key_line" "$output"; then
  echo "error: a token or the signing key appears in the output above" >&2
  exit 1
fi

step "All tests passed."
