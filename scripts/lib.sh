# Shared by the scripts in this folder: sourced, never run.

step() {
  # The time of day: what a slow CI run spent where.
  printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$*"
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

# The Python that runs the build tools: python3, or on Windows python (`python3` there may be the
# Microsoft Store's stub).
case "$(uname -s)" in
  MINGW* | MSYS* | CYGWIN*) PYTHON=${PYTHON:-python} ;;
  *) PYTHON=${PYTHON:-$(command -v python3 || command -v python || echo python3)} ;;
esac

# The PATH without the directories that hold cargo or rustc: for proving that installing and
# running a release artefact needs no Rust.
path_without_rust() {
  local dir kept=
  local IFS=:
  for dir in $PATH; do
    [ -e "$dir/cargo" ] || [ -e "$dir/cargo.exe" ] || [ -e "$dir/rustc" ] || [ -e "$dir/rustc.exe" ] || kept="$kept:$dir"
  done
  echo "${kept#:}"
}

# Where cargo puts what it builds: `target/` unless CARGO_TARGET_DIR or a cargo config says
# otherwise (CI caches often do), as cargo itself reports it.
TARGET_DIR=$(cargo metadata --no-deps --format-version 1 --manifest-path "$(dirname "${BASH_SOURCE[0]}")/../Cargo.toml" |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
TARGET_DIR=${TARGET_DIR:-$PWD/target}

# A CI run builds from a clean clone once: incremental state (about 1.6 GB) would never be reused.
if [ "${CI:-}" = true ]; then
  export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
fi

# Every build names the host's target, as `napi build` always does: cargo keeps an explicitly
# named target's output apart (target/<triple>/), and without this the Node module's build would
# compile every dependency a second time. Release artefacts name their own targets.
export CARGO_BUILD_TARGET=${CARGO_BUILD_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}
SANDBOX_BIN=$TARGET_DIR/$CARGO_BUILD_TARGET/debug/paragon-sandbox

# Builds the sandbox (debug). `--workspace`: cargo picks dependency features per selection, and
# `-p paragon-sandbox` alone would build hyper, axum and the rest a second time with other features.
build_sandbox() {
  cargo build --quiet --locked --workspace --bins
}
