'use strict'

// Platform names as napi-rs packages use them (`linux-arm64-musl`, `darwin-x64`, `win32-x64-msvc`):
// of the Rust targets in package.json's `napi.targets`, and of the process running. The native
// module loader and the release packing both name packages and files with them.

const CPUS = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' }
const SYSTEMS = { linux: 'linux', darwin: 'darwin', windows: 'win32' }

/** A Rust target as npm sees it: `aarch64-unknown-linux-musl` -> linux, arm64, musl. */
function platformOfTarget(target) {
  const [arch, , system, abi] = target.split('-')
  const os = SYSTEMS[system]
  const cpu = CPUS[arch]
  const libc = os === 'linux' ? (abi === 'musl' ? 'musl' : 'glibc') : null
  return { name: platformName(os, cpu, libc), os, cpu, libc }
}

/** The platform this process runs on. */
function currentPlatform() {
  const { platform: os, arch: cpu } = process
  const libc = os === 'linux' ? linuxLibc() : null
  return { name: platformName(os, cpu, libc), os, cpu, libc }
}

function platformName(os, cpu, libc) {
  const abi = os === 'linux' ? (libc === 'musl' ? 'musl' : 'gnu') : os === 'win32' ? 'msvc' : null
  return [os, cpu, abi].filter(Boolean).join('-')
}

/** The C library a Linux Node runs on: glibc reports its version in the process report. */
function linuxLibc() {
  const report = process.report
  const excludeNetwork = report.excludeNetwork
  report.excludeNetwork = true // the report otherwise resolves host names: slow, and not needed
  try {
    return report.getReport().header.glibcVersionRuntime ? 'glibc' : 'musl'
  } finally {
    report.excludeNetwork = excludeNetwork
  }
}

module.exports = { platformOfTarget, currentPlatform }
