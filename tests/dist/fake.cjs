'use strict'
// The fake Paragon from an installed npm package, through both entry points.
const assert = require('node:assert')
const { FakeParagon } = require('paragon-connect/testing')

async function main() {
  const { FakeParagon: FromEsm } = await import('paragon-connect/testing')
  assert.strictEqual(FromEsm, FakeParagon)
  const fake = new FakeParagon()
  try {
    fake.route('slack', 'POST', '/chat.postMessage').reply({ json: { ok: true } })
    const answer = await fake.client({ user: 'user-1' }).request('slack', '/chat.postMessage', { method: 'POST', body: { channel: 'C0' } })
    assert.deepStrictEqual(answer, { ok: true })
    fake.assertCalled('slack', 'POST', '/chat.postMessage', { json: { channel: 'C0' } })
    console.log(`npm package on ${process.arch}: the fake Paragon answers`)
  } finally {
    fake.close()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
