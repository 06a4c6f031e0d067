#!/usr/bin/env bash
# The product document's examples from Python, sync and asyncio, against the sandbox (or
# Paragon's cloud when PARAGON_PROJECT_ID and PARAGON_USER_TOKEN are set).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
source scripts/python-env.sh
build_sandbox

step "Python demo"
PARAGON_SANDBOX_BIN="$SANDBOX_BIN" .venv/bin/python bindings-python/examples/demo.py
