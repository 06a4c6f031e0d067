#!/usr/bin/env bash
# One call's work, counted in instructions rather than timed: the same small POST through the
# core, through a plain reqwest client and through hyper-util's client (core/examples/call_cost.rs),
# each run under callgrind with 200 and with 1,200 sequential calls; the difference of the two
# totals over 1,000 is one call's cost, repeatable whatever else this shared machine is doing.
# Prints one JSON line per client. Uses the bench server at BENCH_URL, or starts one.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
require valgrind "install it (Debian: apt-get install valgrind)"

cargo build --quiet --release --locked -p paragon-sandbox --bin paragon-bench-server
cargo build --quiet --release --locked -p paragon-connect --example call_cost
release="$TARGET_DIR/$CARGO_BUILD_TARGET/release"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "${BENCH_URL:-}" ]; then
  mkfifo "$work/in"
  "$release/paragon-bench-server" < "$work/in" > "$work/ready" &
  server=$!
  exec 8> "$work/in"
  trap 'exec 8>&-; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
  for _ in $(seq 50); do [ -s "$work/ready" ] && break; sleep 0.1; done
  BENCH_URL=$(sed -n 's/^{"url":"\([^"]*\)".*/\1/p' "$work/ready")
fi
export BENCH_URL

instructions() {
  CALL_COST_CLIENT=$1 CALLS=$2 valgrind --tool=callgrind --callgrind-out-file="$work/out" \
    "$release/examples/call_cost" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
for client in core reqwest hyper; do
  few=$(instructions "$client" 200)
  many=$(instructions "$client" 1200)
  case $client in
    core) name="paragon-connect (core)" ;;
    reqwest) name="reqwest" ;;
    hyper) name="hyper-util" ;;
  esac
  printf '{"language": "rust", "client": "%s", "case": "instructions per call", "value": %d, "unit": "instructions"}\n' \
    "$name" $(((many - few) / 1000))
done
