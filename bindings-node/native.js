'use strict'

// Loads this platform's native module: one built in this folder (development, or a build from
// source), else the platform package npm installed beside this one (`paragon-connect-<platform>`,
// an optional dependency with `os`, `cpu` and `libc` fields, so npm installs only the one that
// fits). When neither loads, the error names the platform detected, the supported ones and the
// way out, instead of napi-rs's generated loader's advice to blame npm.

const fs = require('node:fs')
const path = require('node:path')
const { name: packageName, version, napi } = require('./package.json')
const { platformOfTarget, currentPlatform } = require('./platforms.js')

const SUPPORTED = napi.targets.map((target) => platformOfTarget(target).name)

function noNativeModule(message, platform, causes) {
  const error = new Error(message, causes.length ? { cause: causes.length === 1 ? causes[0] : new AggregateError(causes) } : undefined)
  error.code = 'PARAGON_CONNECT_NO_NATIVE_MODULE'
  error.platform = platform
  error.supportedPlatforms = SUPPORTED
  return error
}

const FROM_SOURCE =
  'To build it from source (needs Rust, https://rustup.rs): clone https://github.com/paragon-connect/paragon-connect, ' +
  'run `npm install && npm run build` in bindings-node/, then `npm install <that folder>` in your project ' +
  '(or set NAPI_RS_NATIVE_LIBRARY_PATH to the .node file it built).'

function load() {
  const platform = currentPlatform()
  const override = process.env.NAPI_RS_NATIVE_LIBRARY_PATH
  if (override) {
    try {
      return require(path.resolve(override))
    } catch (error) {
      throw noNativeModule(`NAPI_RS_NATIVE_LIBRARY_PATH names ${override}, which did not load: ${error.message}`, platform.name, [error])
    }
  }
  const described = `${platform.os} ${platform.cpu}${platform.libc ? ` (${platform.libc})` : ''}`
  const causes = []
  const localFile = path.join(__dirname, `${napi.binaryName}.${platform.name}.node`)
  if (fs.existsSync(localFile)) {
    try {
      return require(localFile)
    } catch (error) {
      causes.push(error)
    }
  }
  const platformPackage = `${packageName}-${platform.name}`
  let manifest = null
  try {
    manifest = require(`${platformPackage}/package.json`)
  } catch (error) {
    if (error.code !== 'MODULE_NOT_FOUND') causes.push(error)
  }
  if (manifest && manifest.version !== version) {
    throw noNativeModule(
      `${platformPackage} is at version ${manifest.version} but ${packageName} at ${version}: ` +
        'they are released together; reinstall so that both are the same version.',
      platform.name,
      causes,
    )
  }
  if (manifest) {
    try {
      return require(platformPackage)
    } catch (error) {
      causes.push(error)
    }
  }
  if (causes.length) {
    throw noNativeModule(
      `${packageName} found its native module for ${described} but could not load it: ${causes[causes.length - 1].message}`,
      platform.name,
      causes,
    )
  }
  if (!SUPPORTED.includes(platform.name)) {
    throw noNativeModule(
      `${packageName} has no prebuilt native module for this platform: ${described}, "${platform.name}". ` +
        `Prebuilt for: ${SUPPORTED.join(', ')}. ${FROM_SOURCE}`,
      platform.name,
      causes,
    )
  }
  throw noNativeModule(
    `${packageName}'s native module for ${described} is in the package ${platformPackage}, which is not installed. ` +
      'npm installs it with paragon-connect unless optional dependencies are omitted (--omit=optional, --no-optional), ' +
      'node_modules was installed on another platform and copied here (from a Mac into a Linux container, say), ' +
      'or a package-lock.json written on another platform made npm skip it (npm/cli#4828): run `npm install` ' +
      'on this platform (after deleting node_modules and package-lock.json in the last case), or add the package yourself.',
    platform.name,
    causes,
  )
}

module.exports = load()
