'use strict'
// Testing code around paragon-connect with Jest and the fake Paragon the package ships.
// Run: npx jest examples/testing/jest.test.js (this repository runs it with Vitest's
// Jest-compatible globals, `vitest run --globals`, to keep Jest out of its dependencies).

const { FakeParagon } = require('paragon-connect/testing')
const { ConnectionError } = require('paragon-connect')
const { postSummary } = require('./app.js')

let fake
beforeEach(() => {
  fake = new FakeParagon()
})
afterEach(() => fake.close())

test('the summary is posted to the channel', async () => {
  fake.route('slack', 'POST', '/chat.postMessage').reply({ json: { ok: true, ts: '1.2' } })
  await expect(postSummary(fake.client({ user: 'user-1' }), 'C0', ['a'])).resolves.toBe('1.2')
  expect(fake.assertCalled('slack', 'POST', '/chat.postMessage')).toHaveLength(1)
})

test('a dropped connection is a ConnectionError', async () => {
  fake.route('slack', 'POST', '/chat.postMessage').dropConnection()
  const paragon = fake.client({ user: 'user-1', maxRetries: 0 })
  await expect(postSummary(paragon, 'C0', ['a'])).rejects.toBeInstanceOf(ConnectionError)
})
