'use strict'
// Cassettes (twin of bindings-python/tests/test_cassettes.py): FakeParagon.recording sends calls
// on to a real Paragon (here a second sandbox standing in for it) and writes the exchanges;
// FakeParagon.replaying answers from the file with that Paragon gone.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const pc = require('..')
const { FakeParagon } = require('paragon-connect/testing')
const { withSandbox, driveFileBytes } = require('./sandbox.js')

function tempCassette() {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cassette-')), 'nested', 'calls.json')
}

async function makeCalls(paragon) {
  const missing = await paragon.request('googledrive', '/files/nope').catch((error) => error)
  assert.ok(missing instanceof pc.NotFoundError)
  const file = await paragon.request('googledrive', '/files/1aBcDeFile?alt=media', { raw: true })
  return [
    await paragon.request('slack', '/chat.postMessage', { method: 'POST', body: { channel: 'C0', text: 'hi' } }),
    await paragon.request('echo', '/search?b=2&a=1', { headers: { 'X-Api-Key': 'k-secret-123', Cookie: 'sid=s3cr3t' } }),
    file.body,
    await paragon.getUser(),
    [missing.status, missing.integrationStatus],
  ]
}

test('a recording replays offline with the same results, and holds no secret', () =>
  withSandbox(async (sandbox) => {
    const cassette = tempCassette()
    const upstream = await sandbox.settings()
    const recorder = FakeParagon.recording(cassette, { upstream })
    const recorded = await makeCalls(recorder.client({ user: 'user-1' }))
    const fakeToken = recorder.userToken('user-1')
    recorder.close()
    assert.deepEqual(recorded[2], driveFileBytes())

    const sent = (await sandbox.requests()).filter((request) => request.target.includes('/sdk/'))
    assert.equal(sent.length, 5)
    for (const request of sent) {
      assert.equal(new Map(request.headers).get('authorization'), `Bearer ${upstream.userToken}`)
    }
    const text = fs.readFileSync(cassette, 'utf8')
    for (const secret of [upstream.userToken, fakeToken, 'k-secret-123', 's3cr3t']) assert.ok(!text.includes(secret))
    assert.equal(JSON.parse(text).exchanges.length, 5)

    await sandbox.stop()
    const player = FakeParagon.replaying(cassette)
    assert.deepEqual(await makeCalls(player.client({ user: 'user-1' })), recorded)
    player.assertAllPlayed()
    player.close()
  }))

test('each exchange plays once in order; an unmatched call fails close() and names the call', () =>
  withSandbox(async (sandbox) => {
    const cassette = tempCassette()
    for (const n of [1, 2]) await sandbox.pushReply({ upstream: true, body: { json: { n } } })
    const recorder = FakeParagon.recording(cassette, { upstream: new pc.Paragon(await sandbox.settings()) })
    try {
      const paragon = recorder.client({ user: 'user-1' })
      assert.deepEqual([(await paragon.request('hubspot', '/deals')).n, (await paragon.request('hubspot', '/deals')).n], [1, 2])
    } finally {
      recorder[Symbol.dispose]()
    }
    await sandbox.stop()

    const player = FakeParagon.replaying(cassette)
    const paragon = player.client({ user: 'user-1' })
    assert.equal((await paragon.request('hubspot', '/deals')).n, 1)
    await assert.rejects(paragon.request('hubspot', '/deals', { query: { page: '2' } }), pc.NotFoundError)
    assert.throws(() => player.assertAllPlayed(), { name: 'AssertionError', message: /1 exchange\(s\) .* not played:\n {2}GET hubspot \/deals/ })
    assert.throws(() => player.close(), { name: 'AssertionError', message: /1 call\(s\) matched no exchange[^]*GET hubspot \/deals\?page=2/ })
    player.close() // once is enough

    const relaxed = FakeParagon.replaying(cassette, { matchOn: ['integration', 'path'] })
    assert.equal((await relaxed.client({ user: 'another' }).request('hubspot', '/deals', { method: 'DELETE' })).n, 1)
    relaxed.close()
  }))

test('bad cassettes and options are named before anything runs', () => {
  const missing = path.join(os.tmpdir(), 'no-such-dir-cassette', 'x.json')
  assert.throws(() => FakeParagon.replaying(missing), { name: 'TypeError', message: /cannot read the cassette .*x\.json.*record it first/ })
  assert.throws(() => FakeParagon.replaying(missing, { matchOn: ['headers'] }), { name: 'TypeError', message: /match_on: "headers" is not one of/ })
  assert.throws(() => FakeParagon.replaying(missing, { macthOn: [] }), { name: 'TypeError', message: /unknown replaying option "macthOn"/ })
  assert.throws(() => FakeParagon.recording(''), { name: 'TypeError', message: /the cassette is a file path/ })
  const upstream = new pc.Paragon({ projectId: 'p', userToken: 'token-1' })
  assert.throws(() => FakeParagon.recording(missing, { upstream, secretHeaders: 'x-key' }), { name: 'TypeError', message: /secretHeaders is a list of strings/ })
  assert.throws(() => FakeParagon.recording(missing, { upstream, secretHeaders: ['bad name'] }), { name: 'TypeError', message: /secret_headers: "bad name" is not a header name/ })
})
