'use strict'
// The package as users get it: `npm pack`, installed into an empty project, works from
// CommonJS and ESM (and its binary loads) with nothing from this repository on the path.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '..')

test('the package version is the workspace version', () => {
  const cargo = fs.readFileSync(path.join(ROOT, '../Cargo.toml'), 'utf8')
  const workspaceVersion = cargo.match(/\[workspace\.package\][^[]*?\nversion = "([^"]+)"/)[1]
  assert.equal(require('../package.json').version, workspaceVersion)
  assert.equal(require('..').version, workspaceVersion)
})

test('npm pack, npm install into an empty project, require and import', () => {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'paragon-connect-pack-'))
  try {
    const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    const tarball = npm(['pack', '--silent', '--pack-destination', project], ROOT).trim().split('\n').pop()
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }))
    npm(['install', '--no-audit', '--no-fund', '--offline', `./${tarball}`], project)
    const run = (args) => execFileSync(process.execPath, args, { cwd: project, encoding: 'utf8' }).trim()
    const script = "new Paragon({ projectId: 'p', userToken: 't-12345678' }).projectId"
    assert.equal(run(['-e', `const { Paragon } = require('paragon-connect'); console.log(${script})`]), 'p')
    assert.equal(run(['--input-type=module', '-e', `import { Paragon } from 'paragon-connect'; console.log(${script})`]), 'p')
    const files = fs.readdirSync(path.join(project, 'node_modules/paragon-connect')).sort()
    assert.deepStrictEqual(files.filter((file) => file.endsWith('.node')), ['paragon-connect.linux-x64-gnu.node'])
    assert.ok(!files.includes('src') && !files.includes('test'), `unexpected files: ${files}`)
    // The licence text ships (licence scanners look for it), the same as the repository's.
    const license = fs.readFileSync(path.join(project, 'node_modules/paragon-connect/LICENSE'), 'utf8')
    assert.equal(license, fs.readFileSync(path.join(ROOT, '../LICENSE'), 'utf8'))
    // The command is installed (`npx paragon-connect`).
    const command = path.join(project, 'node_modules/.bin/paragon-connect')
    assert.match(execFileSync(command, ['--version'], { encoding: 'utf8' }), /^paragon-connect \d+\.\d+\.\d+\n$/)
  } finally {
    fs.rmSync(project, { recursive: true, force: true })
  }
})
