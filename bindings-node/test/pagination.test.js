'use strict'
// paginate() and requestMany() against the sandbox over real HTTP: every case of
// tests/conformance/pages/cases.json (the Rust and Python suites run the same), then pagination
// functions, cancellation, retries and requestMany's promises.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const pc = require('..')
const { withSandbox, CONFORMANCE_DIR } = require('./sandbox')

const cases = JSON.parse(fs.readFileSync(path.join(CONFORMANCE_DIR, 'pages/cases.json'), 'utf8'))

const errorClasses = {
  invalid_request: pc.InvalidRequestError,
  timeout: pc.TimeoutError,
  status: pc.APIStatusError,
  pagination: pc.PaginationError,
}

function camelCase(name) {
  return name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase())
}

function walkArguments(testCase) {
  const { call } = testCase
  const options = {}
  if (call.method) options.method = call.method
  if (call.body) options.body = call.body.json
  if (call.query) options.query = call.query
  if (testCase.pagination != null) options.pagination = testCase.pagination
  if (testCase.items != null) options.items = testCase.items
  if (testCase.max_pages != null) options.maxPages = testCase.max_pages
  if (testCase.max_items != null) options.maxItems = testCase.max_items
  return [call.integration, call.path, options]
}

function contains(whole, part) {
  if (part !== null && typeof part === 'object') {
    return whole !== null && typeof whole === 'object' && Object.entries(part).every(([key, value]) => contains(whole[key], value))
  }
  return whole === part
}

/** The values a walk gave, and the error that ended it. */
async function collect(client, args) {
  const got = []
  try {
    for await (const value of client.paginate(...args)) got.push(value)
  } catch (error) {
    if (!(error instanceof pc.ParagonError)) throw error
    return { got, error }
  }
  return { got, error: undefined }
}

for (const testCase of cases) {
  test(`page case ${testCase.name}`, () =>
    withSandbox(async (sandbox) => {
      const client = new pc.Paragon(await sandbox.settings())
      const { got, error } = await collect(client, walkArguments(testCase))
      const { result } = testCase
      if (testCase.items != null) assert.deepEqual(got.map((item) => item.id), result.items)
      if (result.pages !== undefined) assert.equal(got.length, result.pages)
      if (result.first_page_contains) assert.ok(contains(got[0], result.first_page_contains), JSON.stringify(got[0]))
      const expected = result.error
      if (!expected) {
        assert.equal(error, undefined)
      } else {
        assert.ok(error instanceof errorClasses[expected.kind], String(error))
        if (expected.page !== undefined) assert.equal(error.page, expected.page)
        if (expected.status !== undefined) assert.equal(error.status, expected.status)
        if (expected.argument !== undefined) assert.equal(error.argument, camelCase(expected.argument))
        // A status error's message is Paragon's, as in the browser SDK; its whole text is `description`.
        const text = error.description ?? error.message
        assert.ok(text.includes(expected.message_contains ?? ''), text)
        if (expected.message_excludes) assert.ok(!text.includes(expected.message_excludes), text)
      }
      const sent = await sandbox.requests()
      const targets = testCase.targets.map((target) => target.replace('{project_id}', sandbox.projectId))
      assert.deepEqual(sent.map((request) => request.target), targets)
      for (const [index, body] of (testCase.bodies ?? []).entries()) {
        assert.deepEqual(JSON.parse(Buffer.from(sent[index].body_base64, 'base64').toString()), body)
      }
    }))
}

const cursor = { type: 'cursor', cursor: 'next', param: 'cursor' }

test('a function (sync or async) says where the next page is', () =>
  withSandbox(async (sandbox) => {
    const client = new pc.Paragon(await sandbox.settings())
    const seen = []
    const items = []
    const walk = client.paginate('custom.tasklab', '/tasks/relative', {
      items: 'items',
      pagination: async (page) => {
        seen.push(page)
        return page.next ? { query: { cursor: page.next } } : null
      },
    })
    for await (const item of walk) items.push(item.n)
    assert.deepEqual(items, [1, 2, 3, 4, 5, 6, 7])
    assert.deepEqual(seen.map((page) => page.items.length), [3, 3, 1], 'the function gets each page whole')
    const targets = (await sandbox.requests()).map((request) => request.target.split('/').pop())
    assert.deepEqual(targets, ['relative', 'relative?cursor=c3', 'relative?cursor=c6'])

    const wrong = client.paginate('custom.tasklab', '/tasks/relative', { pagination: () => 42 })
    await assert.rejects(wrong.next(), (error) => error instanceof pc.InvalidRequestError && /must return None\/null/.test(error.message))
  }))

test('refusals name the argument and nothing is sent', () =>
  withSandbox(async (sandbox) => {
    const client = new pc.Paragon(await sandbox.settings())
    const refusals = [
      [{ pagination: 'slak' }, 'pagination', /not a preset/],
      [{ pagination: 3 }, 'pagination', /not a number/],
      [{ pagination: { type: 'cursor' } }, 'pagination', /needs one of/],
      [{ items: 3 }, 'items', /string/],
      [{ maxPages: 0 }, 'maxPages', /from 1/],
      [{ maxItems: 2 }, 'maxItems', /counts items/],
    ]
    for (const [options, argument, words] of refusals) {
      assert.throws(() => client.paginate('slack', '/users.list', options), (error) => {
        assert.ok(error instanceof pc.InvalidRequestError, String(error))
        assert.equal(error.argument, argument)
        assert.match(error.message, words)
        return true
      })
    }
    assert.deepEqual(await sandbox.requests(), [])
  }))

test('leaving the loop sends nothing more', () =>
  withSandbox(async (sandbox) => {
    const client = new pc.Paragon(await sandbox.settings())
    for await (const member of client.paginate('slack', '/users.list', { items: 'members' })) {
      assert.equal(member.id, 'item-1')
      break
    }
    assert.equal((await sandbox.requests()).length, 1)
  }))

test('aborting mid-walk stops the page in flight', () =>
  withSandbox(async (sandbox) => {
    const client = new pc.Paragon(await sandbox.settings())
    const controller = new AbortController()
    const walk = client.paginate('custom.tasklab', '/tasks/slow', {
      query: { delay_ms: 5000 }, pagination: cursor, items: 'items', signal: controller.signal,
    })
    const got = []
    await assert.rejects(async () => {
      for await (const item of walk) {
        got.push(item.n)
        if (got.length === 3) setTimeout(() => controller.abort(), 300)
      }
    }, { name: 'AbortError' })
    assert.deepEqual(got, [1, 2, 3])
    await new Promise((resolve) => setTimeout(resolve, 200))
    const sent = await sandbox.requests()
    assert.equal(sent.length, 2)
    assert.equal(sent[1].answered, false, "page 2's call went away unanswered")
  }))

test('each page is retried as any call, and has its own timeout', () =>
  withSandbox(async (sandbox) => {
    const client = new pc.Paragon(await sandbox.settings({ maxRetryAfter: 10 }))
    const { got, error } = await collect(client, ['custom.tasklab', '/tasks/flaky-once', { query: { run: 'node' }, pagination: cursor, items: 'items' }])
    assert.equal(error, undefined)
    assert.equal(got.length, 7)
    assert.equal((await sandbox.requests()).length, 4, 'page 2 was sent twice')

    const slow = await collect(client, ['custom.tasklab', '/tasks/slow', { query: { delay_ms: 2000 }, timeout: 300, maxRetries: 0, pagination: cursor, items: 'items' }])
    assert.equal(slow.got.length, 3)
    assert.ok(slow.error instanceof pc.TimeoutError, String(slow.error))
    assert.equal(slow.error.page, 2)
  }))

test('requestMany settles every call in order', () =>
  withSandbox(async (sandbox) => {
    const client = new pc.Paragon(await sandbox.settings())
    const calls = Array.from({ length: 30 }, (_, index) => ({ integrationType: 'echo', path: '/many', query: { i: index } }))
    calls[5] = ['googledrive', '/files/nope']
    calls[6] = ['echo', '/x', { method: 'POST', body: { n: 6 } }]
    const results = await client.requestMany(calls, { concurrency: 8 })
    assert.equal(results.length, 30)
    assert.equal(results[5].status, 'rejected')
    assert.ok(results[5].reason instanceof pc.NotFoundError)
    assert.equal(results[5].reason.path, '/files/nope')
    assert.deepEqual(JSON.parse(results[6].value.body), { n: 6 })
    for (const [index, result] of results.entries()) {
      if (index === 5 || index === 6) continue
      assert.equal(result.status, 'fulfilled')
      assert.equal(result.value.query, `i=${index}`)
    }
  }))

test('requestMany can reject with the first error, sending no more', () =>
  withSandbox(async (sandbox) => {
    const client = new pc.Paragon(await sandbox.settings())
    const calls = [['googledrive', '/files/nope'], ...Array(9).fill(['echo', '/x'])]
    await assert.rejects(client.requestMany(calls, { concurrency: 1, stopOnError: true }), pc.NotFoundError)
    assert.equal((await sandbox.requests()).length, 1)
  }))

test('requestMany refuses a bad call naming it, before sending', () =>
  withSandbox(async (sandbox) => {
    const client = new pc.Paragon(await sandbox.settings())
    const refusals = [
      [[['echo', '/a'], ['echo', '/b', { headers: { x: null } }]], 'calls[1].headers'],
      [[['echo', '/a'], { path: '/b' }], 'calls[1].integrationType'],
      [[{ integrationType: 'echo', path: '/b', metod: 'POST' }], 'calls[0].calls'],
      [[['echo']], 'calls[0].calls'],
      // The array gives the path: its options may not give another.
      [[['echo', '/a', { path: '/b' }]], 'calls[0].calls'],
      ['echo', 'calls'],
    ]
    for (const [calls, argument] of refusals) {
      await assert.rejects(client.requestMany(calls), (error) => {
        assert.ok(error instanceof pc.InvalidRequestError, String(error))
        assert.equal(error.argument, argument)
        return true
      })
    }
    await assert.rejects(client.requestMany([['echo', '/a']], { concurrency: 0 }), /from 1 to 10000/)
    assert.deepEqual(await sandbox.requests(), [])
  }))

test('requestMany holds at most concurrency in flight, and aborting stops the rest', () =>
  withSandbox(async (sandbox) => {
    const client = new pc.Paragon(await sandbox.settings())
    const slow = ['custom.tasklab', '/tasks/slow', { query: { cursor: 'c3', delay_ms: 300 } }]
    const started = performance.now()
    const results = await client.requestMany(Array(6).fill(slow), { concurrency: 2 })
    assert.ok(results.every((result) => result.status === 'fulfilled'))
    // Three rounds of two calls cannot end sooner with at most two at once.
    assert.ok(performance.now() - started >= 900)

    await assert.rejects(client.requestMany(Array(10).fill(slow), { concurrency: 2, signal: AbortSignal.timeout(150) }), { name: 'TimeoutError' })
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.equal((await sandbox.requests()).length, 6 + 2)
  }))

test('requestMany calls for each user', () =>
  withSandbox(async (sandbox) => {
    const key = await (await fetch(sandbox.url + '/_sandbox/signing-key')).text()
    const client = new pc.Paragon(await sandbox.settings({ userToken: undefined, signingKey: key }))
    const results = await client.requestMany(['ana', 'bo'].map((user) => ({ integrationType: 'echo', path: '/who', user })))
    assert.ok(results.every((result) => result.status === 'fulfilled'))
    const users = (await sandbox.requests()).map((request) => request.call.user).sort()
    assert.deepEqual(users, ['ana', 'bo'])
  }))
