'use strict'
// Every case of tests/conformance/*.json against the sandbox over real HTTP: the same cases the
// Rust and Python suites run.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const pc = require('..')
const { withSandbox, CONFORMANCE_DIR } = require('./sandbox')

const cases = fs
  .readdirSync(CONFORMANCE_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .flatMap((file) => JSON.parse(fs.readFileSync(path.join(CONFORMANCE_DIR, file), 'utf8')))

const errorClasses = {
  config: pc.ConfigurationError,
  invalid_request: pc.InvalidRequestError,
  connection: pc.ConnectionError,
  timeout: pc.TimeoutError,
  decode: pc.DecodeError,
  status: pc.APIStatusError,
}
const statusClasses = {
  400: pc.BadRequestError,
  401: pc.AuthenticationError,
  403: pc.PermissionDeniedError,
  404: pc.NotFoundError,
  409: pc.ConflictError,
  422: pc.UnprocessableEntityError,
  429: pc.RateLimitError,
}

/** A name the cases spell in snake_case, as Node spells it. */
function camelCase(name) {
  return name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase())
}

function filled(value, sandbox) {
  const text = JSON.stringify(value)
    .replaceAll('{project_id}', sandbox.projectId)
    .replaceAll('{tasklab_id}', sandbox.tasklabId)
  return JSON.parse(text)
}

async function tokenFor(sandbox, kind) {
  switch (kind) {
    case 'valid': return sandbox.token('conformance-user')
    case 'garbage': return 'not-a-jwt'
    case 'expired': return sandbox.token('conformance-user', { ttl: -60 })
    case 'no_sub': return sandbox.token(null)
    case 'wrong_audience': return sandbox.token('conformance-user', { aud: 'useparagon.com/another-project' })
    case 'other_project': return sandbox.token('conformance-user', { signer: 'other-project' })
    default: throw new Error(`unknown token kind ${kind}`)
  }
}

function bodyOf(body) {
  if ('json' in body) return body.json
  if ('text' in body) return body.text
  return Buffer.from(body.base64, 'base64')
}

function options(call) {
  const options = {}
  if ('method' in call) options.method = call.method
  if ('body' in call) options.body = bodyOf(call.body)
  if ('headers' in call) options.headers = call.headers
  if ('query' in call) options.query = call.query
  if ('selected_credential_id' in call) options.selectedCredentialId = call.selected_credential_id
  if (call.raw) options.raw = true
  if ('timeout_ms' in call) options.timeout = call.timeout_ms
  // One exchange per case unless the case is about retries.
  options.maxRetries = call.max_retries ?? 0
  if ('idempotent' in call) options.idempotent = call.idempotent
  return options
}

function contains(want, got, what) {
  if (want !== null && typeof want === 'object' && !Array.isArray(want)) {
    assert.ok(got !== null && typeof got === 'object', `${what}: ${JSON.stringify(got)} is not an object`)
    for (const [key, value] of Object.entries(want)) {
      assert.ok(key in got, `${what}: no key ${key}`)
      contains(value, got[key], `${what}.${key}`)
    }
  } else {
    assert.deepStrictEqual(got, want, what)
  }
}

function checkBytes(want, got, what) {
  if ('empty' in want) assert.equal(got.length, 0, `${what} is not empty`)
  else if ('json' in want) assert.deepStrictEqual(JSON.parse(got.toString()), want.json, what)
  else if ('text' in want) assert.equal(got.toString('utf8'), want.text, what)
  else assert.ok(got.equals(Buffer.from(want.base64, 'base64')), `${what}: bytes differ`)
}

function checkResult(want, outcome, error) {
  if ('error' in want) {
    const expected = want.error
    assert.ok(error, `expected a ${expected.kind} error, got ${JSON.stringify(outcome)}`)
    const cls = errorClasses[expected.kind]
    assert.ok(error instanceof cls, `expected ${cls.name}, got ${error}`)
    // The cases name arguments as the core does; Node spells them in camelCase.
    if ('argument' in expected) assert.equal(error.argument, camelCase(expected.argument), error.message)
    if ('attempts' in expected) assert.equal(error.attempts, expected.attempts, error.message)
    if (error instanceof pc.APIStatusError) {
      const status = expected.status ?? error.status
      assert.equal(error.status, status)
      const cls = statusClasses[status] ?? (status >= 500 ? pc.InternalServerError : pc.APIStatusError)
      assert.equal(error.constructor, cls)
      if ('code' in expected) assert.equal(error.code, expected.code ?? undefined)
      if ('message' in expected) assert.equal(error.message, expected.message)
      if ('request_id' in expected) assert.equal(error.requestId, expected.request_id)
      if ('message_contains' in expected) assert.ok(error.message.includes(expected.message_contains), error.message)
      if ('retry_after_ms' in expected) assert.equal(error.retryAfter, expected.retry_after_ms)
      if ('integration_status' in expected) assert.equal(error.integrationStatus, expected.integration_status ?? undefined)
      if ('integration_response' in expected) assert.deepStrictEqual(error.integrationResponse, expected.integration_response ?? undefined)
      if ('body_json' in expected) assert.deepStrictEqual(error.body, expected.body_json)
    }
    return
  }
  if (error) throw error
  if ('empty' in want) assert.equal(outcome, undefined)
  else if ('json' in want) assert.deepStrictEqual(outcome, want.json)
  else if ('json_contains' in want) contains(want.json_contains, outcome, 'result')
  else if ('text' in want) assert.equal(outcome, want.text)
  else {
    const raw = want.raw
    assert.equal(outcome.status, raw.status)
    assert.ok(outcome.headers instanceof Headers)
    for (const [name, values] of Object.entries(raw.headers)) {
      const got = name === 'set-cookie' ? outcome.headers.getSetCookie() : outcome.headers.get(name)
      assert.deepStrictEqual(got, name === 'set-cookie' ? values : values.join(', '), `raw header ${name}`)
    }
    assert.ok(Buffer.isBuffer(outcome.body))
    checkBytes(raw.body, outcome.body, 'raw body')
  }
}

function checkWire(want, sent, token) {
  if (want === null) {
    assert.equal(sent.length, 0, `nothing may be sent, but ${sent.length} request(s) were`)
    return
  }
  assert.ok(sent.length >= 1, 'expected a request on the wire, got none')
  const [request] = sent // with retries, the first attempt is the one described
  assert.equal(request.method, want.method)
  assert.equal(request.target, want.target)
  const values = (name) => request.headers.filter(([key]) => key === name.toLowerCase()).map(([, value]) => value)
  for (const [name, expected] of Object.entries(want.headers ?? {})) {
    if (typeof expected === 'string') assert.deepStrictEqual(values(name).slice(0, 1), [expected.replace('{token}', token)], `wire header ${name}`)
    else assert.deepStrictEqual(values(name), expected, `wire header ${name}`)
  }
  for (const name of want.absent_headers ?? []) assert.deepStrictEqual(values(name), [], `wire header ${name} must not be sent`)
  if ('body' in want) checkBytes(want.body, Buffer.from(request.body_base64, 'base64'), 'wire body')
}

test('the cases are all there, each named once', () => {
  const names = cases.map((c) => c.name)
  assert.ok(names.length >= 80)
  assert.equal(new Set(names).size, names.length)
})

for (const original of cases) {
  test(original.name, () =>
    withSandbox(async (sandbox) => {
      const testCase = filled(original, sandbox)
      const token = await tokenFor(sandbox, testCase.token ?? 'valid')
      for (const reply of testCase.reply ? [testCase.reply] : testCase.replies ?? []) await sandbox.pushReply(reply)
      const paragon = new pc.Paragon(await sandbox.settings({ userToken: token }))
      let outcome
      let error
      try {
        outcome = await paragon.request(testCase.call.integration, testCase.call.path, options(testCase.call))
      } catch (thrown) {
        if (!(thrown instanceof pc.ParagonError)) throw thrown
        error = thrown
      }
      try {
        checkResult(testCase.result, outcome, error)
        if ('attempts' in testCase) assert.equal((await sandbox.requests()).length, testCase.attempts, 'sent a different number of times')
        if ('wire' in testCase) checkWire(testCase.wire, await sandbox.requests(), token)
      } catch (failure) {
        // A failure report must not print the token.
        failure.message = failure.message.replaceAll(token, '<token>')
        throw failure
      }
    }))
}
