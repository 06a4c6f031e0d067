# Sourced: starts the sandbox (built if needed) for a script's lifetime and exports the PARAGON_*
# variables of a user-token client pointed at it. The caller's EXIT trap must call stop_sandbox.
build_sandbox
sandbox_bin=$SANDBOX_BIN
[ -x "$sandbox_bin" ] || sandbox_bin="$sandbox_bin.exe"
sandbox_dir=$(mktemp -d)
if mkfifo "$sandbox_dir/in" 2>/dev/null; then
  # The sandbox exits when its stdin closes: descriptor 9 holds it open until this shell ends,
  # so not even a killed script leaves it behind.
  "$sandbox_bin" --until-stdin-closes < "$sandbox_dir/in" > "$sandbox_dir/out" &
  sandbox_pid=$!
  exec 9> "$sandbox_dir/in"
else # Windows: no FIFOs; stop_sandbox ends it
  "$sandbox_bin" > "$sandbox_dir/out" &
  sandbox_pid=$!
fi
for _ in $(seq 100); do [ -s "$sandbox_dir/out" ] && break; sleep 0.1; done
sandbox_field() { node -p "JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8').split('\\n')[0])[process.argv[2]]" "$sandbox_dir/out" "$1"; }
PARAGON_PROXY_BASE_URL=$(sandbox_field url)
PARAGON_PROJECT_ID=$(sandbox_field project_id)
PARAGON_USER_TOKEN=$(curl -fsS "$PARAGON_PROXY_BASE_URL/_sandbox/token?sub=dist-check")
# The suites start sandboxes of their own from this path; Windows programs need it in their form.
PARAGON_SANDBOX_BIN=$sandbox_bin
command -v cygpath >/dev/null && PARAGON_SANDBOX_BIN=$(cygpath -w "$sandbox_bin")
export PARAGON_PROJECT_ID PARAGON_USER_TOKEN PARAGON_PROXY_BASE_URL PARAGON_SANDBOX_BIN

stop_sandbox() {
  kill "$sandbox_pid" 2>/dev/null || true
  rm -rf "$sandbox_dir"
}
