#!/usr/bin/env bash
# Makes an npm project in <folder> that depends on dist/'s paragon-connect tarball and lists every
# platform tarball as an optional dependency, as the registry would offer them, then runs
# `npm install` with the options given (--os, --cpu, --libc to act as another platform).
#   bash scripts/npm-app.sh /tmp/app --os=linux --cpu=arm64 --libc=musl
set -euo pipefail
cd "$(dirname "$0")/.."
app=${1:?usage: npm-app.sh <folder> [npm install options]}
shift
mkdir -p "$app"
node - "$app" "$PWD/dist" <<'JS'
const fs = require('node:fs')
const path = require('node:path')
const [app, dist] = process.argv.slice(2)
const tarballs = fs.readdirSync(dist).filter((file) => file.startsWith('paragon-connect-') && file.endsWith('.tgz'))
const main = tarballs.find((file) => /^paragon-connect-\d/.test(file))
const platforms = tarballs.filter((file) => file !== main)
const spec = (file) => `file:${path.join(dist, file)}`
fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({
  name: 'dist-check',
  private: true,
  dependencies: { 'paragon-connect': spec(main) },
  optionalDependencies: Object.fromEntries(platforms.map((file) => [file.replace(/-\d[^-]*\.tgz$/, ''), spec(file)])),
}, null, 2))
JS
# --offline: the platform packages not in dist/ (macOS, Windows) are skipped, not fetched.
(cd "$app" && npm install --silent --no-audit --no-fund --offline "$@")
