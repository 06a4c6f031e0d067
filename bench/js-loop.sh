#!/usr/bin/env bash
# Issue 18's prototype: builds `bench/js-loop` (the core's calls driven on the JavaScript thread's
# own event loop, no I/O thread) and measures it beside the package's `request()`, undici and
# fetch, in interleaved rounds. `bench/run.sh` runs it as one step, with its server; run alone,
# it builds what it needs and starts a server of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

cargo build --quiet --release --locked --manifest-path bench/js-loop/Cargo.toml --target-dir "$TARGET_DIR"
export BENCH_JS_LOOP="$TARGET_DIR/js-loop-prototype.node"
cp "$TARGET_DIR/$CARGO_BUILD_TARGET/release/libparagon_js_loop_prototype.so" "$BENCH_JS_LOOP"
if [ -z "${BENCH_URL:-}" ]; then
  # What the builds print goes to stderr: stdout is the results' JSON lines.
  {
    cargo build --quiet --release --locked -p paragon-sandbox --bin paragon-bench-server
    (cd bindings-node && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
    (cd bench && npm install --no-audit --no-fund --loglevel=error)
  } >&2
  source bench/server.sh
fi
BENCH_ONLY=js-loop node bench/node_bench.mjs
