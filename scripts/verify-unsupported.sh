#!/usr/bin/env bash
# npm as it behaves on other platforms, with dist/'s tarballs: `npm install --os/--cpu/--libc`
# installs only the platform package that fits (or none), and `require` in a process that reports
# that platform (tests/dist/fake-platform.cjs) fails with an error naming the platform detected,
# the supported ones and what to do.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# <platform as os-cpu[-libc]> <the platform package npm should install, or -> <text the error must hold>...
expect() {
  local platform=$1 package=$2 app="$work/$1" installed
  shift 2
  IFS=- read -r os cpu libc <<< "$platform"
  bash scripts/npm-app.sh "$app" --os="$os" --cpu="$cpu" ${libc:+--libc=${libc/gnu/glibc}}
  installed=$(cd "$app/node_modules" && ls -d paragon-connect-* 2>/dev/null || echo -)
  if [ "$installed" != "$package" ]; then
    echo "error: npm installed '$installed' for $platform, expected '$package'" >&2
    exit 1
  fi
  if (cd "$app" && FAKE_PLATFORM=$platform node -r "$root/tests/dist/fake-platform.cjs" \
      -e "require('paragon-connect')" > "$work/out" 2>&1); then
    echo "error: paragon-connect loaded on a fake $platform" >&2
    exit 1
  fi
  local message
  message=$(grep -m1 '^Error: ' "$work/out" || { cat "$work/out"; exit 1; })
  echo "$platform: $message"
  for text in "$@"; do
    grep -qF -- "$text" <<< "$message" || { echo "error: the message lacks '$text'" >&2; exit 1; }
  done
}

expect freebsd-x64 - 'no prebuilt native module for this platform: freebsd x64' \
  'linux-x64-gnu, linux-arm64-gnu, linux-x64-musl, linux-arm64-musl, darwin-x64, darwin-arm64, win32-x64-msvc' \
  'needs Rust, https://rustup.rs'
expect linux-riscv64-gnu - 'linux riscv64 (glibc)' 'Prebuilt for: linux-x64-gnu'
# A supported platform whose package was not installed (macOS packages are built elsewhere).
expect darwin-arm64 - 'in the package paragon-connect-darwin-arm64, which is not installed' 'run `npm install` on this platform'
if ls dist/paragon-connect-linux-x64-musl-*.tgz >/dev/null 2>&1; then
  # npm picks the musl package by its libc field; on this glibc machine it cannot load.
  expect linux-x64-musl paragon-connect-linux-x64-musl 'found its native module for linux x64 (musl) but could not load it'
fi
