#!/usr/bin/env bash
# Runs each fuzz target for a fixed number of inputs (default 5,000,000; FUZZ_RUNS to change),
# seeded with JSON and path tokens from json.dict.
# cargo fuzz wants a nightly compiler; RUSTC_BOOTSTRAP lets the stable one build it, without
# sanitizers. Not part of CI: results are in the README.
set -euo pipefail
cd "$(dirname "$0")"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
runs=${FUZZ_RUNS:-5000000}
for target in proxy_url redirect decode; do
  echo "==> fuzz $target ($runs runs)"
  RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none "$target" -- -runs="$runs" -max_len=512 -dict="$PWD/json.dict" 2>&1 | tail -n 3
done
