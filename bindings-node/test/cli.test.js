'use strict'
// The `paragon-connect` command, run as a user runs it, against the sandbox.

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Paragon } = require('..')
const { withSandbox, driveFileBytes } = require('./sandbox.js')

const CLI = path.join(__dirname, '../cli.js')

function cli(sandbox, settings, args, extra = {}) {
  const env = {
    ...process.env,
    PARAGON_PROJECT_ID: sandbox.projectId,
    PARAGON_USER_TOKEN: settings.userToken,
    PARAGON_PROXY_BASE_URL: sandbox.url,
    PARAGON_ZEUS_BASE_URL: sandbox.url,
    PARAGON_HERMES_BASE_URL: sandbox.url,
    ...extra,
  }
  const run = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

test('request prints what request() returns, JSON compact when piped; exit 0', () =>
  withSandbox(async (sandbox) => {
    const settings = await sandbox.settings()
    const body = '{"channel":"C0","text":"from the command line"}'
    const run = cli(sandbox, settings, ['request', 'slack', '/chat.postMessage', '-d', body])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout, `${JSON.stringify(JSON.parse(run.stdout))}\n`)
    const viaPackage = await new Paragon(settings).request('slack', '/chat.postMessage', { method: 'POST', body: JSON.parse(body) })
    assert.deepEqual(JSON.parse(run.stdout), viaPackage)
    const [sent] = await sandbox.requests()
    assert.equal(sent.method, 'POST')
    assert.equal(Buffer.from(sent.body_base64, 'base64').toString(), body)
  }))

test('a failed call exits 1 with the status and Paragon\'s message; a usage error exits 2', () =>
  withSandbox(async (sandbox) => {
    const settings = await sandbox.settings()
    await sandbox.pushReply({ status: 404, body: { json: { message: `nothing here for ${settings.userToken}` } } })
    const failed = cli(sandbox, settings, ['request', 'echo', '/missing'])
    assert.equal(failed.code, 1)
    assert.equal(failed.stdout, '')
    assert.equal(failed.stderr, 'paragon-connect: 404 Not Found nothing here for [redacted]\n')
    const wrong = cli(sandbox, settings, ['request', 'echo'])
    assert.equal(wrong.code, 2)
    assert.match(wrong.stderr, /request takes <integration> <path>, not 1 arguments\nusage: paragon-connect request/)
  }))

test('--raw -o writes the bytes to a file; token signs one that the sandbox accepts', () =>
  withSandbox(async (sandbox) => {
    const settings = await sandbox.settings()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paragon-cli-'))
    try {
      const file = path.join(dir, 'file.pdf')
      const run = cli(sandbox, settings, ['request', 'googledrive', `/files/${sandbox.driveFileId}/?alt=media`, '--raw', '-o', file])
      assert.equal(run.code, 0, run.stderr)
      assert.ok(fs.readFileSync(file).equals(driveFileBytes()))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
    const key = { PARAGON_SIGNING_KEY: fs.readFileSync(path.join(__dirname, '../../tests/sandbox/keys/sandbox-signing-key.pem'), 'utf8'), PARAGON_USER_TOKEN: '' }
    const signed = cli(sandbox, settings, ['token', '--user', 'cli-user'], key)
    assert.equal(signed.code, 0, signed.stderr)
    const token = signed.stdout.trim()
    assert.equal(JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).sub, 'cli-user')
    const used = cli(sandbox, { userToken: token }, ['request', 'echo', '/who'])
    assert.equal(used.code, 0, 'the signed token is refused')
    const asUser = cli(sandbox, settings, ['request', 'echo', '/as-user', '--user', 'user-7'], key)
    assert.equal(asUser.code, 0, asUser.stderr)
  }))

test('fake serves a routes file until Ctrl-C', async () => {
  const { spawn } = require('node:child_process')
  const { once } = require('node:events')
  const { createInterface } = require('node:readline')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paragon-fake-'))
  const routes = path.join(dir, 'routes.json')
  fs.writeFileSync(routes, JSON.stringify([{ match: { integration: 'hubspot', path: '/crm/v3/*' }, replies: [{ json: { results: [] } }] }]))
  const fake = spawn(process.execPath, [CLI, 'fake', '--routes', routes], { stdio: ['ignore', 'pipe', 'pipe'] })
  let guide = ''
  fake.stderr.on('data', (chunk) => (guide += chunk))
  const [line] = await once(createInterface({ input: fake.stdout }), 'line')
  const ready = JSON.parse(line)
  try {
    const key = fs.readFileSync(path.join(__dirname, '../../tests/sandbox/keys/sandbox-signing-key.pem'), 'utf8')
    const paragon = new Paragon({ projectId: ready.project_id, signingKey: key, proxyBaseUrl: ready.url, zeusBaseUrl: ready.url, hermesBaseUrl: ready.url })
    assert.deepEqual(await paragon.user('user-1').request('hubspot', '/crm/v3/objects'), { results: [] })
  } finally {
    fake.kill('SIGINT')
  }
  const [code] = await once(fake, 'exit')
  assert.equal(code, 0)
  assert.ok(guide.includes(`export PARAGON_PROXY_BASE_URL=${ready.url}`), guide)
})

test('fake refuses a wrong routes file, naming the route; exit 2', () => {
  const routes = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'paragon-fake-')), 'routes.json')
  fs.writeFileSync(routes, JSON.stringify([{ match: { path: '/a' }, replies: [{ jsonn: 1 }] }]))
  const run = spawnSync(process.execPath, [CLI, 'fake', '--routes', routes], { encoding: 'utf8', timeout: 10_000 })
  assert.equal(run.status, 2)
  assert.ok(run.stderr.includes(`--routes ${routes}: route 0: a reply: unknown field \`jsonn\``), run.stderr)
})
