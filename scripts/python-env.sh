# Sourced: makes the project's virtualenv (.venv at the top) with the Python tools, and builds
# the paragon_connect package into it from the working tree.
require python3 "install Python 3.9 or newer"
VENV="$PWD/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  step "Python: creating the virtualenv .venv"
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r bindings-python/requirements-dev.txt
step "Python: building paragon_connect into .venv (maturin develop)"
VIRTUAL_ENV="$VENV" "$VENV/bin/maturin" develop --quiet --locked --manifest-path bindings-python/Cargo.toml
