#!/usr/bin/env bash
# The Node package's suites (node --test) against sandbox processes over real HTTP, including
# tsc --strict on the declarations and an npm pack install.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
source scripts/node-env.sh

if git rev-parse --git-dir >/dev/null 2>&1; then
  step "Node: the generated native.d.ts matches the committed one"
  git diff --exit-code -- bindings-node/native.d.ts
fi

step "Node: building the sandbox"
build_sandbox

step "Node: node --test"
cd bindings-node
PARAGON_SANDBOX_BIN="$SANDBOX_BIN" node --test test/
