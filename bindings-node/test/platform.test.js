'use strict'
// The native module loader as users meet it: it loads this platform's binary from the folder or
// from the platform package npm installed, and otherwise says which platform it detected, which
// are supported and what to do. Other platforms are faked in a child process
// (tests/dist/fake-platform.cjs); the platform packages are laid out as npm lays them out.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { platformOfTarget, currentPlatform } = require('../platforms.js')

const PACKAGE = path.resolve(__dirname, '..')
const FAKE_PLATFORM = path.resolve(__dirname, '../../tests/dist/fake-platform.cjs')
const { napi, version } = require('../package.json')
const here = currentPlatform()
const hereDescribed = `${here.os} ${here.cpu}${here.libc ? ` (${here.libc})` : ''}`

/** Requires the package at `folder` in a child Node reporting `platform`: the error it throws, or null. */
function requireAs(folder, platform) {
  const script = `try { require(${JSON.stringify(folder)}); console.log('null') } catch (error) {
    console.log(JSON.stringify({ message: error.message, code: error.code, platform: error.platform,
      supportedPlatforms: error.supportedPlatforms, cause: error.cause && error.cause.message })) }`
  const env = { ...process.env, FAKE_PLATFORM: platform }
  delete env.NAPI_RS_NATIVE_LIBRARY_PATH
  const out = execFileSync(process.execPath, ['-r', FAKE_PLATFORM, '-e', script], { env, encoding: 'utf8' })
  return JSON.parse(out)
}

/** A copy of the package's JavaScript with no binary, and `node_modules` beside it. */
function installedCopy(t) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'paragon-connect-platform-'))
  t.after(() => fs.rmSync(root, { recursive: true, force: true }))
  const folder = path.join(root, 'node_modules/paragon-connect')
  fs.mkdirSync(folder, { recursive: true })
  for (const file of ['package.json', 'index.js', 'native.js', 'platforms.js']) {
    fs.copyFileSync(path.join(PACKAGE, file), path.join(folder, file))
  }
  return { root, folder }
}

/** Lays out `paragon-connect-<platform>` as npm installs it, with this machine's binary. */
function installPlatformPackage(root, platform, packageVersion) {
  const folder = path.join(root, `node_modules/paragon-connect-${platform}`)
  fs.mkdirSync(folder, { recursive: true })
  const binary = `${napi.binaryName}.${platform}.node`
  fs.copyFileSync(path.join(PACKAGE, `${napi.binaryName}.${here.name}.node`), path.join(folder, binary))
  fs.writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name: `paragon-connect-${platform}`, version: packageVersion, main: binary }))
}

test('platform names follow napi-rs for every release target', () => {
  assert.deepStrictEqual(
    napi.targets.map((target) => platformOfTarget(target).name),
    ['linux-x64-gnu', 'linux-arm64-gnu', 'linux-x64-musl', 'linux-arm64-musl', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc'],
  )
  assert.deepStrictEqual(platformOfTarget('aarch64-unknown-linux-musl'), { name: 'linux-arm64-musl', os: 'linux', cpu: 'arm64', libc: 'musl' })
  assert.deepStrictEqual(platformOfTarget('x86_64-pc-windows-msvc'), { name: 'win32-x64-msvc', os: 'win32', cpu: 'x64', libc: null })
  if (process.platform === 'linux' && process.arch === 'x64') assert.equal(here.name, 'linux-x64-gnu')
})

test('an unsupported platform is named, with the supported ones and how to build from source', () => {
  const error = requireAs(PACKAGE, 'freebsd-x64')
  assert.equal(error.code, 'PARAGON_CONNECT_NO_NATIVE_MODULE')
  assert.equal(error.platform, 'freebsd-x64')
  assert.deepStrictEqual(error.supportedPlatforms, napi.targets.map((target) => platformOfTarget(target).name))
  assert.match(error.message, /no prebuilt native module for this platform: freebsd x64, "freebsd-x64"/)
  assert.match(error.message, /Prebuilt for: linux-x64-gnu, linux-arm64-gnu, linux-x64-musl, linux-arm64-musl, darwin-x64, darwin-arm64, win32-x64-msvc\./)
  assert.match(error.message, /needs Rust, https:\/\/rustup\.rs.*npm run build/)
  assert.doesNotMatch(error.message, /bug related to optional dependencies/)
  assert.match(requireAs(PACKAGE, 'linux-riscv64-gnu').message, /linux riscv64 \(glibc\), "linux-riscv64-gnu"/)
})

test('a supported platform whose package is missing names the package and the usual causes', (t) => {
  const { folder } = installedCopy(t)
  const error = requireAs(folder, 'linux-arm64-musl')
  assert.equal(error.platform, 'linux-arm64-musl')
  assert.match(error.message, /for linux arm64 \(musl\) is in the package paragon-connect-linux-arm64-musl, which is not installed/)
  assert.match(error.message, /--omit=optional/)
  assert.match(error.message, /installed on another platform and copied/)
  assert.match(error.message, /package-lock\.json written on another platform/)
  assert.equal(requireAs(folder, 'darwin-arm64').platform, 'darwin-arm64')
  assert.equal(requireAs(folder, 'win32-x64').platform, 'win32-x64-msvc')
})

test('the platform package npm installed is loaded, and only at the same version', async (t) => {
  const { root, folder } = installedCopy(t)
  installPlatformPackage(root, here.name, version)
  assert.equal(requireAs(folder, here.name), null)
  const script = `const { Paragon } = require(${JSON.stringify(folder)}); console.log(new Paragon({ projectId: 'p', userToken: 't-12345678' }).projectId)`
  assert.equal(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim(), 'p')

  installPlatformPackage(root, here.name, '0.0.1')
  const mismatch = requireAs(folder, here.name)
  assert.match(mismatch.message, new RegExp(`paragon-connect-${here.name} is at version 0\\.0\\.1 but paragon-connect at ${version.replace(/\./g, '\\.')}`))
})

test('a binary that is present but cannot load is reported with its loader error', (t) => {
  const { root, folder } = installedCopy(t)
  // As when a package meant for another C library or CPU ends up here: a file the dynamic
  // loader refuses.
  installPlatformPackage(root, here.name, version)
  fs.writeFileSync(path.join(root, `node_modules/paragon-connect-${here.name}/${napi.binaryName}.${here.name}.node`), 'not an ELF file')
  const error = requireAs(folder, here.name)
  assert.ok(error.message.startsWith(`paragon-connect found its native module for ${hereDescribed} but could not load it: `), error.message)
  assert.ok(error.cause, 'the dynamic loader error is kept as the cause')
  assert.ok(error.message.endsWith(`: ${error.cause}`), 'and its reason is in the message')
})

test('NAPI_RS_NATIVE_LIBRARY_PATH points the loader at a binary built elsewhere', (t) => {
  const { folder } = installedCopy(t)
  const env = { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: path.join(PACKAGE, `${napi.binaryName}.${here.name}.node`) }
  const script = `try { console.log(typeof require(${JSON.stringify(folder)}).Paragon) } catch (error) { console.log(error.code, error.message) }`
  const run = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' })
  assert.equal(run.stdout.trim(), 'function', run.stderr)

  const missing = path.join(os.tmpdir(), 'no-such-paragon-connect.node')
  const failed = spawnSync(process.execPath, ['-e', script], { env: { ...env, NAPI_RS_NATIVE_LIBRARY_PATH: missing }, encoding: 'utf8' })
  assert.match(failed.stdout, new RegExp(`^PARAGON_CONNECT_NO_NATIVE_MODULE NAPI_RS_NATIVE_LIBRARY_PATH names ${missing.replace(/[.\\/]/g, '\\$&')}, which did not load: Cannot find module`))
})
