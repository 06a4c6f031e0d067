# Sourced: the tools that build release binaries, installed where missing: maturin and zig (the
# PyPI package ziglang) in .venv, cargo-zigbuild, and the Rust standard library of a target.
# On Linux zig links against old glibc (2.17) or musl; macOS and Windows use their own linkers.
VENV="$PWD/.venv"
[ -d "$VENV" ] || "$PYTHON" -m venv "$VENV"
VENV_BIN="$VENV/bin"
[ -d "$VENV_BIN" ] || VENV_BIN="$VENV/Scripts" # Windows
"$VENV_BIN/python" -m pip install --quiet --disable-pip-version-check maturin==1.16.0 ziglang==0.17.1
# cargo-zigbuild finds zig through `python3 -m ziglang`: the venv's python3 first on PATH.
export PATH="$VENV_BIN:$PATH"
if [ "$(uname -s)" = Linux ] && ! command -v cargo-zigbuild >/dev/null; then
  # 0.24.0 is the version maturin 1.16.0 embeds: build-node.sh shares its zig wrappers.
  cargo install --locked cargo-zigbuild --version 0.24.0
fi

# Adds a target's standard library through rustup (a no-op when it is there already).
rust_target() {
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$1"; then
    rustup target add "$1"
  fi
}
