'use strict'
// paragon-connect/testing: the fake Paragon users test their own code with (twin of
// bindings-python/tests/test_testing.py), its declarations, and the example tests for node:test,
// Vitest and Jest that the README points to.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const ts = require('typescript')
const pc = require('..')
const testing = require('paragon-connect/testing')

const { FakeParagon } = testing
const ROOT = path.resolve(__dirname, '..')

function withFake(body, options) {
  return async () => {
    const fake = new FakeParagon(options)
    try {
      await body(fake)
    } finally {
      fake.close()
    }
  }
}

test(
  'a route answers as the integration, wrapped as Paragon does',
  withFake(async (fake) => {
    fake.route('hubspot', 'POST', '/crm/v3/objects/*').reply({ json: { id: '51' }, status: 201, headers: { 'x-hubspot-request': 'r1' } })
    const paragon = fake.client({ user: 'user-1' })
    assert.deepEqual(await paragon.request('hubspot', '/crm/v3/objects/contacts', { method: 'POST' }), { id: '51' })
    const raw = await paragon.request('hubspot', '/crm/v3/objects/deals', { method: 'POST', raw: true })
    assert.deepEqual([raw.status, JSON.parse(raw.body), raw.headers.get('x-hubspot-request')], [201, { id: '51' }, 'r1'])
    const missing = await paragon.request('hubspot', '/crm/v3/objects/contacts/51').catch((error) => error)
    assert.ok(missing instanceof pc.NotFoundError)
    assert.match(JSON.stringify(missing.body), /no route matches GET hubspot \/crm\/v3\/objects\/contacts\/51/)
  }),
)

test(
  'patterns match method, path, query, headers, body and user',
  withFake(async (fake) => {
    fake.route(null, null, /^\/FILES\/[0-9]+$/i).reply({ text: 'by regex' })
    fake.route('slack', 'get', '/users.list', { query: { limit: '2' } }).reply({ json: ['q'] })
    fake.route('slack', null, null, { headers: { 'X-Team': 'billing' } }).reply({ json: 'by header' })
    fake.route('slack', 'POST', null, { jsonIncludes: { channel: 'C9' } }).reply({ json: 'by body' })
    fake.route('slack', null, null, { user: 'user-2' }).reply({ json: 'by user' })
    const paragon = fake.client({ user: 'user-1' })
    assert.equal(await paragon.request('drive', '/files/12'), 'by regex')
    assert.deepEqual(await paragon.request('slack', '/users.list', { query: { limit: 2 } }), ['q'])
    assert.equal(await paragon.request('slack', '/any', { headers: { 'x-team': 'billing' } }), 'by header')
    const body = { channel: 'C9', text: 'hi' }
    assert.equal(await paragon.request('slack', '/chat.postMessage', { method: 'POST', body }), 'by body')
    assert.equal(await fake.client({ user: 'user-2' }).request('slack', '/x'), 'by user')
    // None of those: the built-in Slack-like API answers.
    assert.equal((await paragon.request('slack', '/conversations.list')).ok, true)
  }),
)

test(
  'a sequence plays in order and the client retries through it',
  withFake(async (fake) => {
    const route = fake.route('slack', 'GET', '/conversations.list')
    route.reply({ status: 503, headers: { 'retry-after': '0' } }).reply({ json: { channels: [] } })
    const paragon = fake.client({ user: 'user-1' })
    assert.deepEqual(await paragon.request('slack', '/conversations.list'), { channels: [] })
    assert.equal(route.callCount, 2)
    assert.deepEqual(await paragon.request('slack', '/conversations.list'), { channels: [] })
    fake.route('slack', 'GET', '/conversations.list', { times: 1 }).reply({ json: 'once' })
    assert.equal(await paragon.request('slack', '/conversations.list'), 'once')
    assert.deepEqual(await paragon.request('slack', '/conversations.list'), { channels: [] })
    assert.equal(route.calls.length, 5)
  }),
)

test(
  "errors from the integration and from Paragon reject with the SDK's errors",
  withFake(async (fake) => {
    fake.route('slack', null, '/denied').reply({ status: 403, json: { ok: false, error: 'missing_scope' } })
    fake.route('slack', null, '/expired').error(401, 'Token expired.', { code: '4011' })
    fake.route('slack', null, '/gone').dropConnection()
    fake.route('slack', null, '/slow').reply({ json: 'late', delay: 2000 })
    fake.route('slack', null, '/bytes').reply({ body: Buffer.from([0, 255]), raw: true, headers: [['content-type', 'application/octet-stream']] })
    const paragon = fake.client({ user: 'user-1', maxRetries: 0 })
    const denied = await paragon.request('slack', '/denied').catch((error) => error)
    assert.ok(denied instanceof pc.PermissionDeniedError)
    assert.deepEqual([denied.isIntegrationError, denied.integrationStatus, denied.integrationResponse], [true, 403, { ok: false, error: 'missing_scope' }])
    const expired = await paragon.request('slack', '/expired').catch((error) => error)
    assert.ok(expired instanceof pc.AuthenticationError)
    assert.deepEqual([expired.message, expired.code], ['Token expired.', '4011'])
    await assert.rejects(paragon.request('slack', '/gone', { method: 'POST' }), pc.ConnectionError)
    await assert.rejects(paragon.request('slack', '/slow', { timeout: 200 }), pc.TimeoutError)
    const bytes = await paragon.request('slack', '/bytes', { raw: true })
    assert.deepEqual(bytes.body, Buffer.from([0, 255]))
  }),
)

test(
  'calls are recorded decoded and never show the token',
  withFake(async (fake) => {
    const token = fake.userToken('user-7')
    const paragon = fake.client({ userToken: token })
    await paragon.request('echo', '/json?as_user=true', { method: 'POST', body: { a: [1, 2] } })
    await paragon.request('echo', '/form', { method: 'POST', form: { name: 'a b', n: 2 } })
    await paragon.request('echo', '/upload', { method: 'POST', multipart: { file: { data: Buffer.from([0, 255]), filename: 'a.txt', contentType: 'text/plain' } } })
    await paragon.getUser()
    const [json, form, upload, me] = fake.calls
    assert.deepEqual([json.integration, json.method, json.path], ['echo', 'POST', '/json'])
    assert.deepEqual([json.query, json.params], [[['as_user', 'true']], { as_user: 'true' }])
    assert.deepEqual([json.json, json.body.toString(), json.user], [{ a: [1, 2] }, '{"a":[1,2]}', 'user-7'])
    assert.equal(json.header('Authorization'), 'Bearer <user token: user-7>')
    assert.deepEqual(form.form, [['name', 'a b'], ['n', '2']])
    assert.deepEqual(upload.parts, [{ name: 'file', filename: 'a.txt', contentType: 'text/plain', data: Buffer.from([0, 255]) }])
    assert.deepEqual([me.integration, me.path], [null, '/sdk/me'])
    assert.ok(!JSON.stringify(fake.calls).includes(token))
  }),
)

test(
  'assertions name the pattern and list the calls',
  withFake(async (fake) => {
    const paragon = fake.client({ user: 'user-1' })
    await paragon.request('slack', '/chat.postMessage', { method: 'POST', body: { channel: 'C0' } })
    const found = fake.assertCalled('slack', 'POST', '/chat.postMessage', { json: { channel: 'C0' } })
    assert.ok(found[0] instanceof testing.Call)
    fake.assertCalled('slack', null, null, { times: 1 })
    fake.assertNotCalled('slack', 'DELETE')
    assert.throws(
      () => fake.assertCalled('slack', 'POST', '/chat.postMessage', { json: { channel: 'C1' } }),
      (error) => {
        assert.ok(error instanceof assert.AssertionError)
        assert.equal(
          error.message,
          'expected a call matching POST slack /chat.postMessage json={"channel":"C1"}, got 0\n' +
            'calls received (1):\n' +
            '  POST slack /chat.postMessage {"channel":"C0"}',
        )
        return true
      },
    )
    assert.throws(() => fake.assertCalled('slack', null, null, { times: 2 }), /expected 2 calls matching/)
    assert.throws(() => fake.assertNotCalled('slack', 'POST'), /expected 0 calls matching POST slack/)
    assert.equal(fake.findCalls(null, null, '/chat.*').length, 1)
  }),
)

test(
  'the user API has state a test sets and reads',
  withFake(async (fake) => {
    fake.setUser('user-1', { meta: { plan: 'pro' }, credentials: { slack: [] } })
    const paragon = fake.client({ user: 'user-1' })
    assert.deepEqual((await paragon.getUser()).meta, { plan: 'pro' })
    await assert.rejects(paragon.request('slack', '/chat.postMessage', { method: 'POST', body: {} }), (error) => error instanceof pc.BadRequestError && /not connected/.test(error.message))
    await paragon.setUserMetadata({ seats: 3 })
    await paragon.sendEvent('Contact Created', { id: 1 })
    assert.deepEqual(fake.users['user-1'].meta, { plan: 'pro', seats: 3 })
    assert.equal(fake.events[0].name, 'Contact Created')
    fake.reset()
    assert.deepEqual([fake.calls, fake.users], [[], {}])
  }),
)

test(
  'env() points code that reads the environment at the fake',
  withFake(async (fake) => {
    const names = ['PARAGON_PROJECT_ID', 'PARAGON_PROXY_BASE_URL', 'PARAGON_ZEUS_BASE_URL', 'PARAGON_HERMES_BASE_URL', 'PARAGON_USER_TOKEN', 'PARAGON_SIGNING_KEY', 'PARAGON_HOST']
    const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]))
    try {
      for (const name of names) delete process.env[name]
      Object.assign(process.env, fake.env())
      await new pc.Paragon().user('user-3').request('echo', '/x')
      assert.equal(fake.calls.at(-1).user, 'user-3')
      delete process.env.PARAGON_SIGNING_KEY
      Object.assign(process.env, fake.env({ user: 'user-4' }))
      await new pc.Paragon().request('echo', '/y')
      assert.equal(fake.calls.at(-1).user, 'user-4')
    } finally {
      for (const name of names) {
        if (saved[name] === undefined) delete process.env[name]
        else process.env[name] = saved[name]
      }
    }
  }),
)

test('tokens are verified unless any token is accepted', async () => {
  const strict = new FakeParagon()
  const lenient = new FakeParagon({ acceptAnyToken: true })
  try {
    await assert.rejects(strict.client({ userToken: 'opaque-token-of-my-own' }).request('echo', '/x'), pc.AuthenticationError)
    await lenient.client({ userToken: 'opaque-token-of-my-own' }).request('echo', '/x')
  } finally {
    strict.close()
    lenient.close()
  }
})

test(
  'routes load from the file the CLI reads',
  withFake(async (fake) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'paragon-routes-')), 'routes.json')
    fs.writeFileSync(file, JSON.stringify([{ match: { integration: 'notion', path: '/v1/search' }, replies: [{ json: { results: [] } }] }]))
    assert.equal(fake.loadRoutes(file), 1)
    assert.deepEqual(await fake.client({ user: 'u' }).request('notion', '/v1/search'), { results: [] })
  }),
)

test(
  'wrong routes and replies are refused with the reason',
  withFake(async (fake) => {
    assert.throws(() => fake.route('slack', 'GET', 'chat.postMessage'), { name: 'TypeError', message: /a path pattern starts with '\/'/ })
    assert.throws(() => fake.route(null, null, /^\/a(?=b)/), { name: 'TypeError', message: /is not valid/ })
    assert.throws(() => fake.route('slack', null, null, { jsn: {} }), { name: 'TypeError', message: /unknown pattern option "jsn"/ })
    const route = fake.route('slack')
    assert.throws(() => route.reply({ json: {}, text: 'x' }), { name: 'TypeError', message: /one body/ })
    assert.throws(() => route.reply({ status: 42 }), { name: 'TypeError', message: /42 is not an HTTP status/ })
    assert.throws(() => route.reply({ headers: { 'bad name': 'x' } }), { name: 'TypeError', message: /not a header name/ })
    assert.throws(() => route.reply({ delay: -1 }), { name: 'TypeError', message: /delay_ms: -1 is not a number of milliseconds/ })
    assert.throws(() => route.reply({ jsonn: 1 }), { name: 'TypeError', message: /unknown reply option "jsonn"/ })
    assert.throws(() => new FakeParagon({ prot: 1 }), { name: 'TypeError', message: /unknown FakeParagon option "prot"/ })
    const closed = new FakeParagon()
    closed.close()
    closed.close()
    assert.throws(() => closed.route('slack'), { name: 'TypeError', message: /closed/ })
  }),
)

test('Symbol.dispose and Symbol.asyncDispose (`using`) close a fake', async () => {
  const fake = new FakeParagon()
  assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  fake[Symbol.dispose]()
  assert.throws(() => fake.route('slack'), { name: 'TypeError', message: /closed/ })
  await assert.rejects(fetch(`${fake.url}/_sandbox/info`))
  const other = new FakeParagon()
  await other[Symbol.asyncDispose]()
  assert.throws(() => other.userToken(), { name: 'TypeError', message: /closed/ })
})

test('testing.d.ts declares exactly what testing.js exports, and tsc --strict accepts its use', () => {
  const source = ts.createSourceFile('testing.d.ts', fs.readFileSync(path.join(ROOT, 'testing.d.ts'), 'utf8'), ts.ScriptTarget.Latest)
  const declared = {}
  for (const statement of source.statements) {
    if (ts.isClassDeclaration(statement) && statement.name) {
      declared[statement.name.text] = statement.members
        .filter((member) => member.name && ts.isIdentifier(member.name) && !ts.isConstructorDeclaration(member))
        .map((member) => member.name.text)
        .sort()
    }
  }
  assert.deepEqual(Object.keys(declared).sort(), Object.keys(testing).sort())
  const fake = new FakeParagon()
  try {
    const route = fake.route('slack')
    const call = new testing.Call({ integration: null, method: 'GET', path: '/', query: [], headers: [], user: null, body: { kind: 'empty' }, body_base64: '', answered: true })
    for (const [name, instance] of [['FakeParagon', fake], ['Route', route], ['Call', call]]) {
      const prototype = Object.getOwnPropertyNames(Object.getPrototypeOf(instance)).filter((member) => member !== 'constructor')
      const statics = Object.getOwnPropertyNames(instance.constructor).filter((member) => !['length', 'name', 'prototype'].includes(member))
      const runtime = [...new Set([...prototype, ...Object.keys(instance), ...statics])].sort()
      assert.deepEqual(runtime, declared[name], name)
    }
  } finally {
    fake.close()
  }
})

test('the example tests for node:test, Vitest and Jest pass', () => {
  const examples = path.join(ROOT, 'examples/testing')
  // Run as a user would, not as a subtest of this run (node --test tells its children so).
  const env = { ...process.env }
  delete env.NODE_TEST_CONTEXT
  const run = (args) => execFileSync(process.execPath, args, { cwd: ROOT, env, stdio: 'pipe', encoding: 'utf8' })
  assert.match(run(['--test', path.join(examples, 'node-test.test.js')]), /# pass 3/)
  const vitest = require.resolve('vitest/vitest.mjs')
  assert.match(run([vitest, 'run', path.join(examples, 'vitest.test.mjs')]), /2 passed/)
  // Jest's globals, from Vitest (keeps Jest out of the development dependencies).
  assert.match(run([vitest, 'run', '--globals', path.join(examples, 'jest.test.js')]), /2 passed/)
})
