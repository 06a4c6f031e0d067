'use strict'
// The error classes: each core error kind and status class reaches its own class, with its
// attributes; messages never carry the token.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const net = require('node:net')
const { inspect } = require('node:util')
const pc = require('..')
const { Paragon } = pc
const { withSandbox } = require('./sandbox')

const fs = require('node:fs')
const path = require('node:path')
const ts = require('typescript')
const native = require('../native.js')

/** The core's table: `[name, parent, attributes]`, attributes in camelCase. */
const coreClasses = native.errorClasses()
const classNames = coreClasses.map(([name]) => name).filter((name) => !name.startsWith('_'))
const coreAttributes = new Map(coreClasses.map(([name, , attributes]) => [name, attributes]))
/** What Node adds to the core's attributes: the browser SDK's `response`, the whole text. */
const NODE_ONLY = ['response', 'description']

async function caught(promise) {
  try {
    await promise
  } catch (error) {
    return error
  }
  assert.fail('expected an error')
}

async function closedPort() {
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

test('every class is exported, an Error and a ParagonError, named after itself', () => {
  for (const name of classNames) {
    const cls = pc[name]
    assert.equal(typeof cls, 'function', name)
    const error = new cls('m')
    assert.ok(error instanceof Error && error instanceof pc.ParagonError)
    assert.equal(error.name, name)
  }
})

/** The properties index.d.ts declares for each class: its own, its merged interfaces', its parents'. */
function declaredProperties() {
  const file = path.join(__dirname, '..', 'index.d.ts')
  const source = ts.createSourceFile('index.d.ts', fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest)
  const own = new Map()
  const parents = new Map()
  const add = (name, members) => {
    const names = own.get(name) ?? new Set()
    for (const member of members) if (member.name && ts.isIdentifier(member.name)) names.add(member.name.text)
    own.set(name, names)
  }
  for (const statement of source.statements) {
    if (!(ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement)) || !statement.name) continue
    add(statement.name.text, statement.members)
    for (const clause of statement.heritageClauses ?? []) {
      for (const type of clause.types) {
        const list = parents.get(statement.name.text) ?? []
        list.push(type.expression.getText(source))
        parents.set(statement.name.text, list)
      }
    }
  }
  const all = (name) => new Set([...(own.get(name) ?? []), ...(parents.get(name) ?? []).flatMap((parent) => [...all(parent)])])
  return all
}

test('the classes, their parents and their attributes are the core table, in index.js, index.mjs and index.d.ts', async () => {
  const esm = await import('../index.mjs')
  const declared = declaredProperties()
  for (const [name, parent, attributes] of coreClasses) {
    if (name.startsWith('_')) {
      assert.equal(pc[name], undefined, `${name} is private`)
      continue
    }
    assert.equal(esm[name], pc[name], `${name} in index.mjs`)
    if (parent !== null) assert.equal(Object.getPrototypeOf(pc[name]).name, parent, name)
    // `message` is every Error's own (for status errors, Paragon's, as the core's table says).
    const properties = [...declared(name)].filter((property) => !NODE_ONLY.includes(property) && property !== 'message')
    assert.deepStrictEqual(properties.sort(), attributes.filter((attribute) => attribute !== 'message').sort(), `${name} in index.d.ts`)
  }
})

test('each kind of failure reaches its own class', () =>
  withSandbox(async (sandbox) => {
    const token = await sandbox.token()
    const seen = new Map()
    const keep = (error) => seen.set(error.constructor.name, error)

    try {
      new Paragon({ userToken: 't-12345678', projectId: '' })
    } catch (error) {
      keep(error)
    }
    const paragon = new Paragon(await sandbox.settings({ userToken: token, maxRetries: 0 }))
    keep(await caught(paragon.request('slack', '/../me')))
    const offline = new Paragon(await sandbox.settings({ userToken: token, proxyBaseUrl: `http://127.0.0.1:${await closedPort()}` }))
    keep(await caught(offline.request('slack', '/x')))
    await sandbox.pushReply({ delay_ms: 2000 })
    keep(await caught(paragon.request('echo', '/x', { timeout: 100 })))
    await sandbox.pushReply({ body: { text: 'truncated answer' }, truncate_to: 3 })
    keep(await caught(paragon.request('echo', '/x')))
    for (const status of [400, 401, 403, 404, 409, 418, 422, 429, 500, 503]) {
      await sandbox.pushReply({
        status,
        headers: [['x-request-id', `req-${status}`], ['retry-after', '2']],
        body: { json: { message: `status ${status} for ${token}`, code: '0704' } },
      })
      keep(await caught(paragon.request('echo', '/x')))
    }
    const looping = paragon.paginate('custom.tasklab', '/tasks/looping', { pagination: { type: 'cursor', cursor: 'next', param: 'cursor' } })
    keep(await caught((async () => { for await (const page of looping) void page })()))

    assert.deepStrictEqual([...seen.keys()].sort(), classNames.filter((n) => n !== 'ParagonError').sort())
    assert.equal(seen.get('ConfigurationError').setting, 'projectId')
    assert.equal(seen.get('InvalidRequestError').argument, 'path')
    assert.equal(seen.get('TimeoutError').timeout, 100)
    assert.equal(seen.get('DecodeError').status, 200)
    const limited = seen.get('RateLimitError')
    assert.equal(limited.status, 429)
    assert.equal(limited.retryAfter, 2000)
    assert.equal(limited.requestId, 'req-429')
    assert.equal(limited.code, '0704')
    assert.equal(limited.message, 'status 429 for [redacted]')
    assert.equal(limited.headers.get('X-Request-Id'), 'req-429')
    assert.deepStrictEqual(limited.response, limited.body)
    assert.equal(limited.method, 'GET')
    assert.equal(limited.integrationType, 'echo')
    assert.equal(seen.get('APIStatusError').status, 418)
    const own = (error) => Object.getOwnPropertyNames(error).filter((key) => !['stack', 'message', 'name'].includes(key))
    for (const [name, error] of seen) {
      const allowed = [...coreAttributes.get(name), ...NODE_ONLY]
      for (const key of own(error)) assert.ok(allowed.includes(key), `${name}.${key} is not in the core's table`)
    }
    // Absent here: the 429 is not an integration error, nor a page of a walk.
    const absent = ['message', 'integrationStatus', 'integrationResponse', 'page']
    const expected = [...coreAttributes.get('RateLimitError'), ...NODE_ONLY].filter((key) => !absent.includes(key))
    assert.deepStrictEqual(own(limited).sort(), expected.sort())
    for (const error of seen.values()) {
      assert.ok(!error.message.includes(token), `${error.name} message shows the token`)
      assert.ok(!String(error.stack).includes(token), `${error.name} stack shows the token`)
      assert.ok(!(error.description ?? '').includes(token))
      // What the server sent (here, the token echoed in the body) stays out of printed forms.
      assert.ok(!inspect(error).includes(token), `${error.name} inspect shows the token`)
      assert.ok(!JSON.stringify(error).includes(token), `${error.name} JSON shows the token`)
    }
    await sandbox.pushReply({ status: 500, headers: [['x-request-id', `id-${token}`]], body: { text: 'no' } })
    const echoed = await caught(paragon.request('echo', '/x'))
    assert.equal(echoed.requestId, 'id-[redacted]')
    assert.ok(!echoed.description.includes(token) && !inspect(echoed).includes(token))
  }))

test('every refused argument is an InvalidRequestError naming it, every refused setting a ConfigurationError', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    const refusals = [
      [() => paragon.request(1, '/x'), 'integrationType', /must be a string, not a number/],
      [() => paragon.request('slack', '/x', { headers: { 'X-A': {} } }), 'headers', /headers\["X-A"\] must be a string, number, boolean/],
      [() => paragon.request('slack', '/x', { query: { a: null } }), 'query', /query\["a"\] is None\/null/],
      [() => { const selfish = [1]; selfish.push(selfish); return paragon.request('slack', '/x', { query: { a: selfish } }) }, 'query', /nests a list/],
      [() => { let deep = 1; for (let i = 0; i < 100000; i++) deep = { deep }; return paragon.request('slack', '/x', { method: 'POST', body: deep }) }, 'body', /nested too deeply/],
      [() => paragon.request('slack', '/x', { timeout: '5' }), 'timeout', /timeout: must be a number/],
      [() => paragon.request('slack', '/x', { timeout: -5 }), 'timeout', /positive number of milliseconds/],
      [() => paragon.request('slack', '/x', { maxRetries: 1.5 }), 'maxRetries', /whole number/],
      [() => paragon.request('slack', '/x', { maxRetries: -1 }), 'maxRetries', /whole number/],
      [() => paragon.request('slack', '/x', { maxRetries: NaN }), 'maxRetries', /whole number/],
      [() => paragon.request('slack', '/x', { timeout: NaN }), 'timeout', /positive number/],
      [() => paragon.request('slack', '/x', { method: 5 }), 'method', /must be a string/],
      [() => paragon.request('slack', '/x', { body: 'a', form: { b: 'c' } }), 'body', /only one body, not body and form/],
      [() => paragon.request('slack', '/x', { selectedCredentialId: 'a\nb' }), 'selectedCredentialId', /./],
      [() => paragon.getAccount('slack', { includeAccountAuth: 'yes' }), 'includeAccountAuth', /must be a boolean/],
    ]
    for (const [call, argument, problem] of refusals) {
      await assert.rejects(call, (error) => {
        assert.ok(error instanceof pc.InvalidRequestError, `${argument}: ${error}`)
        assert.equal(error.argument, argument)
        assert.match(error.message, problem)
        return true
      })
    }
    const badSettings = [
      [{ timeout: 0 }, 'timeout'], [{ maxRetries: -1 }, 'maxRetries'], [{ maxRetries: 2.9 }, 'maxRetries'],
      [{ maxRetries: NaN }, 'maxRetries'], [{ maxResponseBytes: -5 }, 'maxResponseBytes'], [{ userToken: 5 }, 'userToken'],
    ]
    for (const [settings, setting] of badSettings) {
      assert.throws(() => new Paragon({ projectId: sandbox.projectId, userToken: 't-12345678', ...settings }), (error) => {
        assert.ok(error instanceof pc.ConfigurationError)
        assert.equal(error.setting, setting)
        return true
      })
    }
    assert.deepStrictEqual(await sandbox.requests(), [])
  }))

test('an absurd I/O thread count is a ConfigurationError, not an abort', () => {
  const program = `
    const pc = require(${JSON.stringify(require.resolve('..'))})
    try {
      new pc.Paragon({ projectId: '19d0c3a8-5b2e-4f6a-9d1c-7e8f90a1b012', userToken: 't-12345678' })
    } catch (error) {
      if (error instanceof pc.ConfigurationError) console.log(error.setting)
    }`
  const output = require('node:child_process').execFileSync(process.execPath, ['-e', program], {
    env: { ...process.env, PARAGON_IO_THREADS: '100000' },
    encoding: 'utf8',
    timeout: 60000,
  })
  assert.equal(output.trim(), 'PARAGON_IO_THREADS')
})
