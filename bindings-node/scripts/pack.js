'use strict'

// Packs the npm release as napi-rs projects ship it: the main package `paragon-connect` (JavaScript
// and types, no binary) with one optional dependency per platform package, and a platform package
// `paragon-connect-<platform>` for every native module built, each with `os`, `cpu` and (Linux)
// `libc` fields so that npm installs only the one that fits.
//
//   node bindings-node/scripts/pack.js <folder of paragon-connect.<platform>.node files> <out folder>

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { platformOfTarget } = require('../platforms.js')

const PACKAGE = path.resolve(__dirname, '..')

function npmPack(folder, out) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const printed = execFileSync(npm, ['pack', '--silent', '--pack-destination', out], {
    cwd: folder,
    encoding: 'utf8',
    shell: process.platform === 'win32',
  })
  return printed.trim().split('\n').pop()
}

function main([binaries, out]) {
  if (!binaries || !out) throw new Error('usage: node scripts/pack.js <binaries folder> <out folder>')
  out = path.resolve(out)
  fs.mkdirSync(out, { recursive: true })
  const manifest = JSON.parse(fs.readFileSync(path.join(PACKAGE, 'package.json'), 'utf8'))
  const { name, version, napi } = manifest
  // The main package ships what package.json's `files` lists, but the binaries (the platform
  // packages carry them).
  const shipped = manifest.files.filter((file) => !file.includes('*'))
  const MAIN_FILES = ['package.json', 'README.md', ...shipped]
  const platforms = napi.targets.map(platformOfTarget)
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'paragon-connect-pack-'))
  const packed = []
  try {
    for (const platform of platforms) {
      const binary = `${napi.binaryName}.${platform.name}.node`
      const source = path.join(binaries, binary)
      if (!fs.existsSync(source)) continue
      const folder = path.join(stage, platform.name)
      fs.mkdirSync(folder)
      fs.copyFileSync(source, path.join(folder, binary))
      const platformManifest = {
        name: `${name}-${platform.name}`,
        version,
        description: `The ${platform.name} native module of ${name}. Install ${name}: npm picks this package for you.`,
        license: manifest.license,
        homepage: manifest.homepage,
        repository: manifest.repository,
        os: [platform.os],
        cpu: [platform.cpu],
        ...(platform.libc ? { libc: [platform.libc] } : {}),
        main: binary,
        files: [binary, 'LICENSE'],
        engines: manifest.engines,
      }
      fs.writeFileSync(path.join(folder, 'package.json'), `${JSON.stringify(platformManifest, null, 2)}\n`)
      fs.copyFileSync(path.join(PACKAGE, 'LICENSE'), path.join(folder, 'LICENSE'))
      fs.writeFileSync(
        path.join(folder, 'README.md'),
        `# ${platformManifest.name}\n\n${platformManifest.description}\nSee ${manifest.homepage}.\n`,
      )
      packed.push(npmPack(folder, out))
    }

    const folder = path.join(stage, 'main')
    fs.mkdirSync(folder)
    for (const file of MAIN_FILES) fs.copyFileSync(path.join(PACKAGE, file), path.join(folder, file))
    const released = {
      ...manifest,
      files: shipped,
      optionalDependencies: Object.fromEntries(platforms.map((platform) => [`${name}-${platform.name}`, version])),
    }
    delete released.devDependencies
    delete released.overrides
    delete released.scripts
    fs.writeFileSync(path.join(folder, 'package.json'), `${JSON.stringify(released, null, 2)}\n`)
    packed.push(npmPack(folder, out))
  } finally {
    fs.rmSync(stage, { recursive: true, force: true })
  }
  for (const tarball of packed) console.log(path.join(out, tarball))
}

main(process.argv.slice(2))
