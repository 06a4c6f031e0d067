#!/usr/bin/env bash
# Proves dist/ installs and runs where users run it, with no cargo or rustc on PATH:
# - every binary: the right machine; glibc builds need nothing newer than glibc 2.17, musl builds
#   link only musl; auditwheel agrees with each wheel's tag (check-binaries.sh);
# - Linux x86_64 here and Linux arm64 under qemu-user (Debian's arm64 Python 3.11 and Node 18):
#   pip and npm install the packages, which run the Slack example and each language's conformance
#   suite (verify-installed.sh); tsc --strict compiles TypeScript against the installed package;
# - npm on a platform with no binary: `require` names the platform, the supported ones and what to
#   do (verify-unsupported.sh); pip there: the sdist says in one line that Rust is missing.
# Checks the targets whose artefacts dist/ holds (scripts/dist.sh builds them).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check auditwheel==6.8.2

step "Binaries: machine, glibc 2.17 floor or musl only, wheel tags"
bash scripts/check-binaries.sh

bash scripts/verify-installed.sh dist/paragon_connect-*manylinux*_x86_64.whl linux-x64-gnu

step "TypeScript: tsc --strict against the installed package"
bash scripts/npm-app.sh "$work/app"
cd "$work/app"
npm install --silent --no-audit --no-fund typescript@5.9.3 @types/node@20.19.43
cp "$root/tests/dist/types.ts" .
node node_modules/typescript/bin/tsc --strict --noEmit --module node16 --moduleResolution node16 --target es2022 --types node types.ts
echo "tsc --strict: ok"
cd "$root"

if ls dist/paragon_connect-*manylinux*_aarch64.whl >/dev/null 2>&1; then
  ARM64_SYSROOT=$(bash scripts/arm64-sysroot.sh) \
    bash scripts/verify-installed.sh dist/paragon_connect-*manylinux*_aarch64.whl linux-arm64-gnu
fi

step "npm on platforms without a binary here: the error says what was detected and what to do"
bash scripts/verify-unsupported.sh

step "pip on a platform without a wheel: the sdist says in one line that Rust is missing"
python3 -m venv "$work/venv"
if PATH=$(path_without_rust) "$work/venv/bin/pip" install --disable-pip-version-check --no-cache-dir dist/paragon_connect-*.tar.gz > "$work/sdist.log" 2>&1; then
  echo "error: the sdist installed without Rust" >&2
  exit 1
fi
grep -F "building from source needs Rust" "$work/sdist.log"
step "dist/ verified."
