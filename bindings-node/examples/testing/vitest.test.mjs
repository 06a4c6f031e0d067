// Testing code around paragon-connect with Vitest and the fake Paragon the package ships.
// Run: npx vitest run examples/testing/vitest.test.mjs
import { afterEach, beforeEach, expect, test } from 'vitest'
import { FakeParagon } from 'paragon-connect/testing'
import app from './app.js'

let fake
beforeEach(() => {
  fake = new FakeParagon()
})
afterEach(() => fake.close())

test('the summary is posted to the channel', async () => {
  fake.route('slack', 'POST', '/chat.postMessage').reply({ json: { ok: true, ts: '1.2' } })
  await expect(app.postSummary(fake.client({ user: 'user-1' }), 'C0', ['a', 'b'])).resolves.toBe('1.2')
  const [call] = fake.assertCalled('slack', 'POST', '/chat.postMessage')
  expect(call.json).toEqual({ channel: 'C0', text: 'a\nb' })
})

test('code that reads PARAGON_* from the environment is tested unchanged', async () => {
  const saved = { ...process.env }
  Object.assign(process.env, fake.env({ user: 'user-2' }))
  delete process.env.PARAGON_SIGNING_KEY
  try {
    const { Paragon } = await import('paragon-connect')
    fake.route('slack', 'POST', '/chat.postMessage').reply({ json: { ok: true, ts: '2.0' } })
    await expect(app.postSummary(new Paragon(), 'C0', ['a'])).resolves.toBe('2.0')
    expect(fake.calls[0].user).toBe('user-2')
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
    Object.assign(process.env, saved)
  }
})
