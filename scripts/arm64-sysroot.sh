#!/usr/bin/env bash
# Prints the path of an arm64 Debian 12 root (Python 3.11 and Node 18 with their libraries) that
# `qemu-aarch64-static -L <root>` runs on this x86_64 machine, making it first if needed: Debian's
# own arm64 packages, resolved by apt as for an empty arm64 system and unpacked with dpkg -x.
# Needs root (apt-get) the first time; the root is kept in target/ and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD/target/sysroot-aarch64-debian12"
packages=(python3.11 python3.11-venv nodejs ca-certificates)

{
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
  fi
  if ! apt-cache policy nodejs:arm64 | grep -q 'Candidate: [0-9]'; then
    apt-get update -qq
  fi
  if ! command -v qemu-aarch64-static >/dev/null; then
    apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null
  fi
} >&2
if [ -f "$root/.complete" ]; then
  echo "$root"
  exit 0
fi

{
  downloads="$PWD/target/sysroot-aarch64-debs"
  rm -rf "$root" "$downloads"
  mkdir -p "$downloads/partial" "$root"
  : > "$downloads/status"
  # An empty dpkg status and arm64 as the only architecture: apt downloads the whole closure.
  apt-get install -y -qq --download-only --no-install-recommends \
    -o APT::Architecture=arm64 -o APT::Architectures::=arm64 \
    -o Dir::State::status="$downloads/status" -o Dir::Cache::archives="$downloads" \
    "${packages[@]}" >/dev/null
  for deb in "$downloads"/*.deb; do dpkg -x "$deb" "$root"; done
  rm -rf "$downloads"
  qemu-aarch64-static -L "$root" "$root/usr/bin/python3.11" -c 'import platform; assert platform.machine() == "aarch64"'
  qemu-aarch64-static -L "$root" "$root/usr/bin/node" -e 'if (process.arch !== "arm64") process.exit(1)'
  touch "$root/.complete"
} >&2
echo "$root"
