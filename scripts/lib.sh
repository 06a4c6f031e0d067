# Shared by the scripts in this folder: sourced, never run.

step() {
  printf '\n==> %s\n' "$*"
}

# Fails early, with the fix, when a tool a newcomer needs is missing.
require() {
  local tool=$1 hint=$2
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: '$tool' is not installed: $hint" >&2
    exit 1
  fi
}

require cargo "install Rust from https://rustup.rs"
