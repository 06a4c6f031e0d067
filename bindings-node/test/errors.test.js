'use strict'
// The error classes: each core error kind and status class reaches its own class, with its
// attributes; messages never carry the token.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const net = require('node:net')
const pc = require('..')
const { Paragon } = pc
const { withSandbox } = require('./sandbox')

const classNames = [
  'ParagonError', 'ConfigurationError', 'InvalidRequestError', 'ConnectionError', 'TimeoutError',
  'DecodeError', 'APIStatusError', 'BadRequestError', 'AuthenticationError', 'PermissionDeniedError',
  'NotFoundError', 'ConflictError', 'UnprocessableEntityError', 'RateLimitError', 'InternalServerError',
]

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

    assert.deepStrictEqual([...seen.keys()].sort(), classNames.filter((n) => n !== 'ParagonError').sort())
    assert.equal(seen.get('ConfigurationError').setting, 'project_id')
    assert.equal(seen.get('InvalidRequestError').argument, 'path')
    assert.equal(seen.get('TimeoutError').timeout, 100)
    assert.equal(seen.get('DecodeError').status, 200)
    const limited = seen.get('RateLimitError')
    assert.equal(limited.status, 429)
    assert.equal(limited.retryAfter, 2)
    assert.equal(limited.requestId, 'req-429')
    assert.equal(limited.code, '0704')
    assert.equal(limited.message, 'status 429 for [redacted]')
    assert.equal(limited.headers.get('X-Request-Id'), 'req-429')
    assert.deepStrictEqual(limited.response, limited.body)
    assert.equal(limited.method, 'GET')
    assert.equal(limited.integrationType, 'echo')
    assert.equal(seen.get('APIStatusError').status, 418)
    for (const error of seen.values()) {
      assert.ok(!error.message.includes(token), `${error.name} message shows the token`)
      assert.ok(!String(error.stack).includes(token), `${error.name} stack shows the token`)
      assert.ok(!(error.description ?? '').includes(token))
    }
  }))

test('bad option types are TypeErrors', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    await assert.rejects(paragon.request(1, '/x'), TypeError)
    await assert.rejects(paragon.request('slack', '/x', { headers: { 'X-A': {} } }), /headers\["X-A"\] must be a string/)
    await assert.rejects(paragon.request('slack', '/x', { timeout: '5' }), /timeout must be a number/)
    await assert.rejects(paragon.request('slack', '/x', { timeout: -5 }), pc.InvalidRequestError)
    assert.throws(() => new Paragon({ projectId: 'p', userToken: 't-12345678', timeout: 0 }), pc.ConfigurationError)
    assert.deepStrictEqual(await sandbox.requests(), [])
  }))
