'use strict'
// Testing code around paragon-connect with node:test and the fake Paragon the package ships.
// Run: node --test examples/testing/node-test.test.js

const assert = require('node:assert')
const { test, beforeEach, afterEach } = require('node:test')
const { FakeParagon } = require('paragon-connect/testing')
const { postSummary } = require('./app.js')

let fake
beforeEach(() => {
  fake = new FakeParagon()
})
afterEach(() => fake.close())

test('the summary is posted to the channel', async () => {
  fake.route('slack', 'POST', '/chat.postMessage').reply({ json: { ok: true, ts: '1.2' } })
  const ts = await postSummary(fake.client({ user: 'user-1' }), 'C0', ['a', 'b'])
  assert.strictEqual(ts, '1.2')
  fake.assertCalled('slack', 'POST', '/chat.postMessage', { json: { channel: 'C0', text: 'a\nb' }, user: 'user-1' })
})

test('a rate limit is waited out', async () => {
  fake
    .route('slack', 'POST', '/chat.postMessage')
    .reply({ status: 429, headers: { 'retry-after': '0' } })
    .reply({ json: { ok: true, ts: '1.3' } })
  assert.strictEqual(await postSummary(fake.client({ user: 'user-1' }), 'C0', ['a']), '1.3')
  fake.assertCalled('slack', 'POST', '/chat.postMessage', { times: 2 })
})

test("Slack's refusal is reported", async () => {
  fake.route('slack', 'POST', '/chat.postMessage').reply({ json: { ok: false, error: 'channel_not_found' } })
  await assert.rejects(postSummary(fake.client({ user: 'user-1' }), 'C9', ['a']), /channel_not_found/)
})
