#!/usr/bin/env bash
# The product document's examples from Node against the sandbox (or Paragon's cloud when
# PARAGON_PROJECT_ID and PARAGON_USER_TOKEN are set).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
source scripts/node-env.sh
build_sandbox

step "Node demo"
PARAGON_SANDBOX_BIN="$SANDBOX_BIN" node bindings-node/examples/demo.js
