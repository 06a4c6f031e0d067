#!/usr/bin/env bash
# Checks every native binary in dist/ (the wheels' extension modules and the npm platform
# packages' .node files) for what its target promises: the right machine; for glibc targets, no
# symbol newer than GLIBC_2.17; for musl targets, only musl's C library and no glibc symbol; and
# auditwheel's view of each wheel: its manylinux tag, or for musllinux wheels no versioned symbol
# and no library but musl's libc.
#
# zig links musl binaries against `libc.so`, the name musl's loader serves itself on every musl
# system; auditwheel's musllinux policy spells that library as Alpine names its file
# (`libc.musl-x86_64.so.1`), so it calls such a wheel plain linux_<arch> while agreeing that it
# needs nothing else. Debian's musl packages give auditwheel that libc to inspect.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
shopt -s nullglob # a dist/ with some targets only
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() {
  echo "error: $*" >&2
  failed=1
}

# <binary> <x86_64|aarch64> <gnu|musl>
check_binary() {
  local binary=$1 arch=$2 libc=$3 name machine needed newest
  name=$(basename "$binary")
  machine=$(readelf -h "$binary" | sed -n 's/^ *Machine: *//p')
  case "$arch:$machine" in
    x86_64:*X86-64*|aarch64:AArch64) ;;
    *) fail "$name is built for '$machine', not $arch" ;;
  esac
  needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
  newest=$(readelf -W --dyn-syms "$binary" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1 || true)
  if [ "$libc" = gnu ]; then
    if [ "$(printf '%s\nGLIBC_2.17\n' "$newest" | sort -V | tail -n 1)" != GLIBC_2.17 ]; then
      fail "$name needs $newest, newer than glibc 2.17"
    fi
    echo "$name: $machine, glibc, newest symbol $newest, needs: $needed"
  else
    [ -z "$newest" ] || fail "$name is for musl but uses $newest"
    for library in $needed; do
      [ "$library" = libc.so ] || fail "$name is for musl but needs $library"
    done
    echo "$name: $machine, musl, needs: $needed"
  fi
}

musl_libs() {
  local libs="$PWD/target/musl-libs"
  if [ ! -d "$libs" ]; then
    bash scripts/arm64-sysroot.sh >/dev/null # makes apt know arm64 packages
    (mkdir -p "$work/debs" && cd "$work/debs" && apt-get download -qq -o APT::Sandbox::User=root musl:amd64 musl:arm64)
    for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$work/musl"; done
    mv "$work/musl/lib" "$libs"
  fi
  echo "$libs/x86_64-linux-musl:$libs/aarch64-linux-musl"
}

for wheel in dist/*.whl; do
  arch=$(basename "$wheel" .whl | sed 's/.*_\(x86_64\|aarch64\)$/\1/')
  case "$wheel" in
    *manylinux*)
      libc=gnu
      .venv/bin/auditwheel show "$wheel" > "$work/show"
      grep -q "manylinux_2_17_$arch" "$work/show" || { cat "$work/show"; fail "auditwheel does not see $wheel as manylinux_2_17_$arch"; }
      echo "auditwheel: $(basename "$wheel"): manylinux_2_17_$arch"
      ;;
    *musllinux*)
      libc=musl
      LD_LIBRARY_PATH=$(musl_libs) .venv/bin/auditwheel show "$wheel" > "$work/show" 2>/dev/null
      tr '\n' ' ' < "$work/show" | grep -q 'references no external versioned symbols' || { cat "$work/show"; fail "$wheel uses versioned symbols"; }
      external=$(sed -n '/shared libraries are required/,/^}/p' "$work/show" | grep -o '"[^"]*": "[^"]*"' | tr '\n' ' ')
      [[ "$external" =~ ^\"libc.so\":\ \"[^\"]*-linux-musl/libc.so\"\ $ ]] || { cat "$work/show"; fail "$wheel needs more than musl's libc: $external"; }
      echo "auditwheel: $(basename "$wheel"): no versioned symbol, no library but musl's libc"
      ;;
    *) fail "$wheel: not a Linux wheel"; continue ;;
  esac
  rm -rf "$work/wheel" && unzip -q "$wheel" -d "$work/wheel"
  for module in "$work"/wheel/paragon_connect/*.so; do check_binary "$module" "$arch" "$libc"; done
  cmp -s LICENSE "$work"/wheel/paragon_connect-*.dist-info/licenses/LICENSE || fail "$wheel: no LICENSE in its .dist-info/licenses"
done

for tarball in dist/paragon-connect-linux-*.tgz; do
  rm -rf "$work/package" && tar -xzf "$tarball" -C "$work"
  platform=$(basename "$tarball" | sed 's/^paragon-connect-linux-\(.*\)-[0-9][^-]*\.tgz$/\1/')
  case "$platform" in
    x64-*) arch=x86_64 ;;
    arm64-*) arch=aarch64 ;;
  esac
  check_binary "$work/package/paragon-connect.linux-$platform.node" "$arch" "${platform#*-}"
  cmp -s LICENSE "$work/package/LICENSE" || fail "$tarball: no LICENSE"
done

[ "$failed" = 0 ] || exit 1
