#!/usr/bin/env bash
# The benchmark: builds everything in release mode, installs the peers (bench/.venv, npm), starts
# paragon-bench-server (plain HTTP, and HTTPS with a private CA made for the run), runs the Rust
# ceiling, the Python and the Node clients against it in one run, then the same in production
# conditions (HTTPS, latency, many users, cold start) and the Node prototype of issue 18
# (bench/js-loop.sh), prints the tables and draws bench/results.png. Stops every process it
# started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
root=$PWD

step "bench: release builds"
cargo build --quiet --release --locked -p paragon-sandbox --bin paragon-bench-server
cargo build --quiet --release --locked -p paragon-connect --example bench_ceiling
[ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
bench/.venv/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
VIRTUAL_ENV="$root/bench/.venv" bench/.venv/bin/maturin develop --quiet --release --locked --manifest-path bindings-python/Cargo.toml
(cd bindings-node && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
(cd bench && npm install --no-audit --no-fund --loglevel=error)

source bench/server.sh

results=bench/results.jsonl
: > "$results"
step "bench: Rust ceiling"
"$TARGET_DIR/$CARGO_BUILD_TARGET"/release/examples/bench_ceiling | tee -a "$results"
step "bench: Python"
bench/.venv/bin/python bench/python_bench.py | tee -a "$results"
step "bench: Node"
node bench/node_bench.mjs | tee -a "$results"
step "bench: Python in production conditions (HTTPS, latency, many users, cold start)"
bench/.venv/bin/python bench/python_production.py | tee -a "$results"
step "bench: Node in production conditions (HTTPS, latency, many users, cold start)"
NODE_EXTRA_CA_CERTS="$BENCH_CA_FILE" node --expose-gc bench/node_production.mjs | tee -a "$results"
step "bench: Node prototype of issue 18 (the calls' I/O on the JavaScript thread's own loop)"
bash bench/js-loop.sh | tee -a "$results"
step "bench: instructions per call (callgrind: counted, not timed)"
if command -v valgrind > /dev/null; then
  bash bench/call_cost.sh | tee -a "$results"
else
  echo "valgrind is not installed: skipped"
fi
step "bench: report"
bench/.venv/bin/python bench/report.py "$results" bench/results.png | tee bench/results.md
