# Sourced by bench/run.sh and bench/js-loop.sh, never run: starts paragon-bench-server (built
# already), exports its URLs and private CA (made for this run) for every client, and stops it
# when the sourcing script exits.
work=$(mktemp -d)
mkfifo "$work/in"
"$TARGET_DIR/$CARGO_BUILD_TARGET"/release/paragon-bench-server < "$work/in" > "$work/ready" &
server=$!
exec 8> "$work/in"
trap 'exec 8>&-; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$work/ready" ] && break; sleep 0.1; done
ready() { "$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/ready" "$1"; }
export BENCH_URL=$(ready url) BENCH_HTTPS_URL=$(ready https_url) BENCH_HTTPS_H1_URL=$(ready https_h1_url)
ready ca_pem > "$work/ca.pem"
export BENCH_CA_FILE="$work/ca.pem" BENCH_LATENCY_MS=${BENCH_LATENCY_MS:-50}
