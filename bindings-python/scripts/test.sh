#!/usr/bin/env bash
# The Python package's checks and suites: ruff, then pytest (which also runs mypy --strict
# against the stubs) against sandbox processes over real HTTP.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
source scripts/python-env.sh

step "Python: building the sandbox"
build_sandbox

step "Python: ruff"
python_sources=(bindings-python/python bindings-python/tests bindings-python/examples bindings-python/build_backend)
.venv/bin/ruff check "${python_sources[@]}"
.venv/bin/ruff format --check "${python_sources[@]}"

step "Python: pytest"
cd bindings-python
PARAGON_SANDBOX_BIN="$SANDBOX_BIN" ../.venv/bin/python -m pytest -p no:cacheprovider -q
