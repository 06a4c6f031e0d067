'use strict'
// The Node client against the sandbox: what a user does with it.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { inspect } = require('node:util')
const pc = require('..')
const { Paragon } = pc
const { withSandbox, driveFileBytes } = require('./sandbox')

test('a browser SDK call ports unchanged and returns the unwrapped output', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    const sent = await paragon.request('slack', '/chat.postMessage', {
      method: 'POST',
      body: { channel: 'CXXXXXXX0', text: 'hi', thread_ts: undefined },
      headers: { 'X-Trace': 't-1' },
      selectedCredentialId: 'cred-slack-2',
    })
    assert.equal(sent.ok, true)
    const [request] = await sandbox.requests()
    assert.equal(Buffer.from(request.body_base64, 'base64').toString(), '{"channel":"CXXXXXXX0","text":"hi"}')
    const header = (name) => request.headers.find(([key]) => key === name)?.[1]
    assert.equal(header('x-paragon-credential'), 'cred-slack-2')
    assert.equal(header('x-trace'), 't-1')
  }))

test('a binary file downloads intact as a Buffer', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    const file = await paragon.request('googledrive', `/files/${sandbox.driveFileId}/?alt=media`, { raw: true })
    assert.equal(file.status, 200)
    assert.equal(file.headers.get('content-type'), 'application/pdf')
    assert.ok(file.body.equals(driveFileBytes()))
  }))

test('Buffer, Uint8Array and string bodies are sent as given', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    const bytes = Uint8Array.from([0, 1, 2, 255, 254])
    await paragon.request('echo', '/a', { method: 'PUT', body: Buffer.from(bytes) })
    await paragon.request('echo', '/b', { method: 'PUT', body: bytes.subarray(1, 4) })
    await paragon.request('echo', '/c', { method: 'PUT', body: 'plain text ✓' })
    const sent = (await sandbox.requests()).map((r) => Buffer.from(r.body_base64, 'base64'))
    assert.deepStrictEqual([...sent[0]], [0, 1, 2, 255, 254])
    assert.deepStrictEqual([...sent[1]], [1, 2, 255])
    assert.equal(sent[2].toString(), 'plain text ✓')
  }))

test('a ten megabyte body arrives intact', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    const blob = require('node:crypto').randomBytes(10 * 1024 * 1024)
    const raw = await paragon.request('echo', '/upload', { method: 'PUT', body: blob, raw: true })
    assert.ok(Buffer.from(JSON.parse(raw.body).body_base64, 'base64').equals(blob))
  }))

for (const [name, body, problem] of [
  ['a BigInt', { id: 1n }, /body\.id is a BigInt/],
  ['a function', { f() {} }, /body\.f is a function/],
  ['a Symbol', { s: Symbol('x') }, /body\.s is a symbol/],
  ['NaN', { n: [1, NaN] }, /body\.n\[1\] is NaN/],
  ['a Map', { m: new Map() }, /body\.m is a Map/],
]) {
  test(`${name} in a body is an InvalidRequestError before anything is sent`, () =>
    withSandbox(async (sandbox) => {
      const paragon = new Paragon(await sandbox.settings())
      await assert.rejects(paragon.request('echo', '/x', { method: 'POST', body }), (error) => {
        assert.ok(error instanceof pc.InvalidRequestError)
        assert.equal(error.argument, 'body')
        assert.match(error.message, problem)
        return true
      })
      assert.deepStrictEqual(await sandbox.requests(), [])
    }))
}

test('a string with a lone surrogate is refused, not changed', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    await assert.rejects(paragon.request('echo', '/x', { method: 'POST', body: 'a\uD800b' }), /body: contains a lone surrogate/)
    await assert.rejects(paragon.request('echo', '/x', { method: 'POST', body: { name: 'a\uDC00' } }), /body\.name contains a lone surrogate/)
    await assert.rejects(paragon.request('echo', '/files/\uD800'), /path: contains a lone surrogate/)
    assert.deepStrictEqual(await sandbox.requests(), [])
  }))

test('a circular body is an InvalidRequestError', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    const loop = { name: 'loop' }
    loop.self = loop
    await assert.rejects(paragon.request('echo', '/x', { method: 'POST', body: loop }), /body\.self refers to itself/)
    assert.deepStrictEqual(await sandbox.requests(), [])
  }))

test('large integers round as JSON.parse does, or come back exact as BigInt when asked', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    const reply = { headers: [['content-type', 'application/json']], body: { text: '{"output":{"id":12345678901234567890123,"n":7,"neg":-9007199254740993}}' } }
    await sandbox.pushReply(reply)
    const rounded = await paragon.request('echo', '/x')
    assert.equal(rounded.id, 12345678901234567890123)
    await sandbox.pushReply(reply)
    const exact = await paragon.request('echo', '/x', { exactIntegers: true })
    assert.deepStrictEqual(exact, { id: 12345678901234567890123n, n: 7, neg: -9007199254740993n })
    // Nested past 127 levels, exact integers (a value built in Rust) are a DecodeError, never the
    // answer's text.
    const deep = `{"output":${'['.repeat(300)}1${']'.repeat(300)}}`
    await sandbox.pushReply({ headers: [['content-type', 'application/json']], body: { text: deep } })
    await assert.rejects(paragon.request('echo', '/x', { exactIntegers: true, maxRetries: 0 }), (error) =>
      error instanceof pc.DecodeError && /nested more than 127 levels/.test(error.message))
    // The default decoding (JSON.parse, which would take it) draws the same line.
    await sandbox.pushReply({ headers: [['content-type', 'application/json']], body: { text: deep } })
    await assert.rejects(paragon.request('echo', '/x', { maxRetries: 0 }), (error) =>
      error instanceof pc.DecodeError && /nested more than 127 levels/.test(error.message))
    const deepest = `{"output":${'['.repeat(126)}1${']'.repeat(126)}}`
    await sandbox.pushReply({ headers: [['content-type', 'application/json']], body: { text: deepest } })
    assert.equal((await paragon.request('echo', '/x')).flat(Infinity)[0], 1)
  }))

test('a "__proto__" key in a response stays data', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    await sandbox.pushReply({ headers: [['content-type', 'application/json']], body: { text: '{"__proto__":{"polluted":true},"a":1}' } })
    const answer = await paragon.request('echo', '/x')
    assert.equal(Object.getPrototypeOf(answer), Object.prototype)
    assert.equal(answer.polluted, undefined)
    assert.deepStrictEqual(Object.keys(answer), ['__proto__', 'a'])
  }))

test('aborting a call rejects with AbortError and stops the request in Rust', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    await sandbox.pushReply({ delay_ms: 1500, body: { json: { output: 'late' } } })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 200)
    await assert.rejects(paragon.request('echo', '/slow', { signal: controller.signal }), { name: 'AbortError' })
    await new Promise((resolve) => setTimeout(resolve, 1600))
    assert.equal((await paragon.request('slack', 'conversations.list')).ok, true)
    const [slow, after] = await sandbox.requests()
    // Had the request gone on, the sandbox would have answered it by now.
    assert.equal(slow.answered, false)
    assert.equal(after.answered, true)
    // An already aborted signal sends nothing.
    await assert.rejects(paragon.request('echo', '/x', { signal: AbortSignal.abort() }), { name: 'AbortError' })
    assert.equal((await sandbox.requests()).length, 2)
  }))

test('thousands of concurrent calls share one client', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    const answers = await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        paragon.request('slack', '/chat.postMessage', { method: 'POST', body: { channel: 'C0', text: String(i) } })),
    )
    assert.deepStrictEqual(answers.map((a) => a.message.text), Array.from({ length: 2000 }, (_, i) => String(i)))
  }))

test('the event loop keeps running while calls wait', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    await sandbox.pushReply({ delay_ms: 400, body: { json: { output: 'slow' } } })
    let ticks = 0
    const timer = setInterval(() => ticks++, 10)
    const answer = await paragon.request('echo', '/slow')
    clearInterval(timer)
    assert.equal(answer, 'slow')
    assert.ok(ticks >= 10, `only ${ticks} timer ticks ran while the call waited`)
  }))

test('the environment configures the client', () =>
  withSandbox(async (sandbox) => {
    const saved = { ...process.env }
    try {
      process.env.PARAGON_PROJECT_ID = sandbox.projectId
      process.env.PARAGON_USER_TOKEN = await sandbox.token()
      process.env.PARAGON_PROXY_BASE_URL = sandbox.url
      const paragon = new Paragon()
      assert.equal(paragon.projectId, sandbox.projectId)
      assert.equal((await paragon.request('slack', 'conversations.list')).ok, true)
    } finally {
      for (const name of ['PARAGON_PROJECT_ID', 'PARAGON_USER_TOKEN', 'PARAGON_PROXY_BASE_URL']) {
        if (name in saved) process.env[name] = saved[name]
        else delete process.env[name]
      }
    }
  }))

test('inspect and JSON never show the token', () =>
  withSandbox(async (sandbox) => {
    const settings = await sandbox.settings()
    const paragon = new Paragon(settings)
    assert.ok(!inspect(paragon).includes(settings.userToken))
    assert.ok(inspect(paragon).includes('[redacted]'))
    assert.ok(!JSON.stringify(paragon).includes(settings.userToken))
  }))

test('the user agent names node', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    await paragon.request('echo', '/x')
    const [request] = await sandbox.requests()
    const agent = request.headers.find(([name]) => name === 'user-agent')[1]
    assert.equal(agent, `paragon-connect/${pc.version} (node; node ${process.versions.node})`)
  }))

test('close() drops the pooled connections; the client opens new ones if used again', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    await paragon.request('echo', '/a')
    await paragon.request('echo', '/b')
    await paragon.close()
    await paragon.request('echo', '/c')
    await paragon[Symbol.asyncDispose]()
    await paragon.request('echo', '/d')
    const peers = (await sandbox.requests()).map((request) => request.peer)
    assert.equal(peers[0], peers[1])
    assert.notEqual(peers[1], peers[2])
    assert.notEqual(peers[2], peers[3])
  }))

test('call events reach the logger: each attempt at debug, a retry at warn, no secrets', () =>
  withSandbox(async (sandbox) => {
    const records = []
    const logger = {
      debug: (message, fields) => records.push(['debug', message, fields]),
      warn: (message, fields) => records.push(['warn', message, fields]),
      info() {},
      error() {},
    }
    const settings = await sandbox.settings()
    const paragon = new Paragon({ ...settings, logger, logLevel: 'debug' })
    await sandbox.pushReply({ status: 503, headers: [['retry-after', '0']], body: { json: {} } })
    await paragon.request('echo', '/logged?secret=s3cr3t', { headers: { 'X-Api-Key': 'own-h3ader' } })
    // Events arrive through the event loop, in order.
    for (let i = 0; i < 100 && records.length < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    assert.deepEqual(records.map(([level, , fields]) => [level, fields.event, fields.attempt]), [
      ['debug', 'sending', 1],
      ['debug', 'answered', 1],
      ['warn', 'retrying', 1],
      ['debug', 'sending', 2],
      ['debug', 'answered', 2],
    ])
    assert.equal(records[1][2].status, 503)
    assert.equal(records[0][2].path, '/logged')
    assert.ok(records[2][2].delayMs >= 0)
    const shown = JSON.stringify(records)
    for (const secret of [settings.userToken, 's3cr3t', 'own-h3ader']) assert.ok(!shown.includes(secret), shown)

    // At the default level ('warn') only the retry; a throwing logger does not fail the call.
    const warnings = []
    const quiet = new Paragon({ ...settings, logger: { debug: () => { throw new Error('no') }, warn: (m) => warnings.push(m) } })
    await sandbox.pushReply({ status: 503, headers: [['retry-after', '0']], body: { json: {} } })
    await quiet.request('echo', '/x')
    for (let i = 0; i < 100 && warnings.length < 1; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    assert.equal(warnings.length, 1)
    assert.match(warnings[0], /GET echo \/x: attempt 1 failed .*503.*retrying in \d+ ms/)
    assert.throws(() => new Paragon({ ...settings, logLevel: 'loud' }), (error) => error instanceof pc.ConfigurationError && error.setting === 'logLevel')
    assert.throws(() => new Paragon({ ...settings, logger: {} }), (error) => error instanceof pc.ConfigurationError && error.setting === 'logger')
  }))

test('withResponse resolves to { data, response } and sends the same request', () =>
  withSandbox(async (sandbox) => {
    const settings = await sandbox.settings()
    const paragon = new Paragon(settings)
    await sandbox.pushReply({ status: 503, headers: [['retry-after', '0']], body: { json: {} } })
    await sandbox.pushReply({
      headers: [['x-paragon-request-id', `req-1-${settings.userToken}`], ['x-extra', 'yes']],
      body: { json: { output: { ok: true } } },
    })
    const { data, response } = await paragon.request('echo', '/meta', { withResponse: true })
    assert.deepEqual(data, { ok: true })
    assert.equal(response.status, 200)
    assert.equal(response.attempts, 2)
    assert.equal(response.headers.get('x-extra'), 'yes')
    assert.match(response.requestId, /^req-1-/)
    assert.ok(!response.requestId.includes(settings.userToken))
    assert.ok(response.elapsedMs > 0 && response.elapsedMs < 10_000)
    await paragon.request('echo', '/meta')
    const sent = await sandbox.requests()
    assert.deepEqual(sent[1].headers, sent[2].headers)
    assert.equal(sent[1].target, sent[2].target)
    await assert.rejects(paragon.request('echo', '/meta', { withResponse: 'yes' }), (error) =>
      error instanceof pc.InvalidRequestError && error.argument === 'withResponse')
  }))

test('withOptions changes per-call settings, shares the pool and refuses the rest by name', () =>
  withSandbox(async (sandbox) => {
    const base = new Paragon(await sandbox.settings({ defaultHeaders: { 'X-A': '1' } }))
    const derived = base.withOptions({ maxRetries: 0, defaultHeaders: { 'X-A': '2', 'X-B': '3' } })
    await base.request('echo', '/base')
    await derived.request('echo', '/derived')
    const [first, second] = await sandbox.requests()
    const headers = [first, second].map((r) => Object.fromEntries(r.headers))
    assert.deepEqual([headers[0]['x-a'], headers[0]['x-b']], ['1', undefined])
    assert.deepEqual([headers[1]['x-a'], headers[1]['x-b']], ['2', '3'])
    assert.equal(first.peer, second.peer)
    await sandbox.pushReply({ status: 503, headers: [['retry-after', '0']], body: { json: {} } })
    await assert.rejects(derived.request('echo', '/once'), pc.InternalServerError)
    assert.equal((await sandbox.requests()).length, 3)
    assert.throws(() => base.withOptions({ proxy: false }), (error) => error instanceof pc.ConfigurationError && error.setting === 'proxy')
    assert.throws(() => base.withOptions({ timeout: -1 }), (error) => error instanceof pc.ConfigurationError && error.setting === 'timeout')
  }))
