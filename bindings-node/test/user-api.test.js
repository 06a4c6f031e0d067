'use strict'
// Server-side auth (tokens signed per user, token functions) and the user-scoped API against the
// sandbox, which verifies every token cryptographically; tokens also verify with `jose`.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { inspect } = require('node:util')
const jose = require('jose')
const pc = require('..')
const { Paragon } = pc
const { withSandbox } = require('./sandbox')

const KEYS = path.resolve(__dirname, '../../tests/sandbox/keys')
const SIGNING_KEY = fs.readFileSync(path.join(KEYS, 'sandbox-signing-key.pem'), 'utf8')
const PUBLIC_KEY = fs.readFileSync(path.join(KEYS, 'sandbox-signing-key.pub.pem'), 'utf8')
const WORKFLOW_ID = '7f3b2a10-0000-4000-8000-00000000b001'

async function projectSettings(sandbox, overrides = {}) {
  const { userToken, ...settings } = await sandbox.settings({ signingKey: SIGNING_KEY, ...overrides })
  void userToken
  return settings
}

async function verified(token, sandbox) {
  const key = await jose.importSPKI(PUBLIC_KEY, 'RS256')
  const { payload } = await jose.jwtVerify(token, key, { audience: `useparagon.com/${sandbox.projectId}` })
  return payload
}

async function sentToken(sandbox, index) {
  const request = (await sandbox.requests())[index]
  return request.headers.find(([name]) => name === 'authorization')[1].replace('Bearer ', '')
}

async function state(sandbox) {
  return (await fetch(`${sandbox.url}/_sandbox/state`)).json()
}

test('tokens signed per user verify with jose and are reused', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await projectSettings(sandbox, { tokenLifetime: 600_000 }))
    const alice = paragon.user('alice')
    assert.equal(alice.userId, 'alice')
    assert.ok(!inspect(alice).includes('BEGIN'))
    await alice.request('slack', 'conversations.list')
    await alice.request('slack', 'conversations.list')
    await paragon.user('bob').request('slack', 'conversations.list')
    assert.equal(await sentToken(sandbox, 0), await sentToken(sandbox, 1))
    const claims = await verified(await sentToken(sandbox, 0), sandbox)
    assert.equal(claims.sub, 'alice')
    assert.equal(claims.exp - claims.iat, 600)
    assert.equal((await verified(await sentToken(sandbox, 2), sandbox)).sub, 'bob')
  }))

test('signUserToken for a front end', () =>
  withSandbox(async (sandbox) => {
    const token = pc.signUserToken(SIGNING_KEY.replaceAll('\n', '\\n'), sandbox.projectId, 'user-9', {
      permissions: { 'integration:slack': true },
      claims: { team: 'blue' },
    })
    const claims = await verified(token, sandbox)
    assert.equal(claims.sub, 'user-9')
    assert.equal(claims.team, 'blue')
    assert.deepStrictEqual(claims['urn:useparagon:connect:permissions'], { 'integration:slack': true })
    assert.throws(() => pc.signUserToken(PUBLIC_KEY, 'p', 'u'), (error) => error instanceof pc.ConfigurationError && /public key/.test(error.message))
  }))

test('bad keys fail when the client is built, without showing the key', () => {
  for (const [key, problem] of [['not a key', /not a PEM key/], [PUBLIC_KEY, /public key/]]) {
    assert.throws(() => new Paragon({ projectId: 'p', signingKey: key }), (error) => {
      assert.ok(error instanceof pc.ConfigurationError)
      assert.equal(error.setting, 'signingKey')
      assert.match(error.message, problem)
      assert.ok(!error.message.includes('MII'))
      return true
    })
  }
})

test('a project client needs a user; a user-token client cannot take another', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await projectSettings(sandbox))
    await assert.rejects(paragon.request('slack', '/x'), (error) => error instanceof pc.InvalidRequestError && error.argument === 'user')
    assert.deepStrictEqual(await sandbox.requests(), [])
    const single = new Paragon(await sandbox.settings())
    assert.throws(() => single.user('someone'), pc.ConfigurationError)
    // User ids are bounded (each is kept in the token cache and every token).
    assert.equal(paragon.user('u'.repeat(512)).userId, 'u'.repeat(512))
    for (const tooLong of ['u'.repeat(513), 'é'.repeat(257)]) {
      assert.throws(() => paragon.user(tooLong), (error) => error instanceof pc.InvalidRequestError && error.argument === 'user' && /at most 512/.test(error.message))
    }
  }))

test('permissions narrow a user', () =>
  withSandbox(async (sandbox) => {
    const carol = new Paragon(await projectSettings(sandbox, { permissions: { 'integration:slack': true } })).user('carol')
    assert.equal((await carol.request('slack', 'conversations.list')).ok, true)
    await assert.rejects(carol.request('googledrive', '/files'), (error) => error instanceof pc.PermissionDeniedError && error.code === '7210')
  }))

test('a token function (sync or async) is called before every call', () =>
  withSandbox(async (sandbox) => {
    const calls = []
    const paragon = new Paragon(await sandbox.settings({
      userToken: async (userId) => {
        calls.push(userId)
        return sandbox.token(userId ?? 'default-user')
      },
    }))
    await paragon.request('slack', 'conversations.list')
    await paragon.user('dave').request('slack', 'conversations.list')
    assert.deepStrictEqual(calls, [undefined, 'dave'])
    assert.equal((await verified(await sentToken(sandbox, 1), sandbox)).sub, 'dave')
    const token = await sandbox.token('erin')
    const sync = new Paragon(await sandbox.settings({ userToken: () => token }))
    assert.equal((await sync.getUser()).id, 'erin')
    const broken = new Paragon(await sandbox.settings({ userToken: () => 42 }))
    await assert.rejects(broken.request('slack', '/x'), /returned a number, not a string/)
  }))

test('the token function is asked again for each attempt, within the attempt\'s timeout', () =>
  withSandbox(async (sandbox) => {
    let asked = 0
    const paragon = new Paragon(await sandbox.settings({
      maxRetries: 1,
      userToken: async () => {
        asked += 1
        return sandbox.token(`attempt-${asked}`)
      },
    }))
    await sandbox.pushReply({ status: 503, body: { json: { message: 'busy' } } })
    await paragon.request('echo', '/x')
    assert.equal(asked, 2)
    assert.equal((await verified(await sentToken(sandbox, 1), sandbox)).sub, 'attempt-2')
    const slow = new Paragon(await sandbox.settings({ maxRetries: 0, userToken: () => new Promise(() => {}) }))
    await assert.rejects(slow.request('echo', '/x', { timeout: 100 }), (error) => {
      assert.ok(error instanceof pc.TimeoutError)
      assert.equal(error.timeout, 100)
      assert.match(error.message, /waiting for the user_token function/)
      return true
    })
    const failing = new Paragon(await sandbox.settings({ userToken: async () => { throw new Error('vault is down') } }))
    await assert.rejects(failing.request('echo', '/x'), (error) => {
      assert.ok(error instanceof pc.InvalidRequestError)
      assert.equal(error.argument, 'userToken')
      assert.match(error.message, /vault is down/)
      return true
    })
  }))

test('expired and foreign tokens are authentication errors', () =>
  withSandbox(async (sandbox) => {
    for (const token of [await sandbox.token('x', { ttl: -5 }), await sandbox.token('x', { signer: 'other-project' })]) {
      const paragon = new Paragon(await sandbox.settings({ userToken: token }))
      await assert.rejects(paragon.request('slack', '/x'), pc.AuthenticationError)
    }
  }))

test('the user-scoped API', () =>
  withSandbox(async (sandbox) => {
    const frank = new Paragon(await projectSettings(sandbox)).user('frank')
    assert.equal((await frank.getUser()).integrations.slack.credentialId, 'cred-slack-1')
    assert.deepStrictEqual((await frank.setUserMetadata({ Name: 'Frank' })).meta, { Name: 'Frank' })
    assert.equal((await frank.listIntegrations()).length, 3)
    const tasklabId = await frank.integrationId('custom.tasklab')
    assert.equal(tasklabId, sandbox.tasklabId)
    assert.deepStrictEqual(await frank.request(`custom/${tasklabId}`, '/tasks'), await frank.request('custom.tasklab', '/tasks'))
    const account = await frank.getAccount('slack', { includeAccountAuth: true })
    assert.equal(account.accountAuth.accessToken, 'sandbox-access-token-cred-slack-1')
    await assert.rejects(frank.uninstallIntegration('slack', { selectedCredentialId: 'cred-nope' }), pc.NotFoundError)
    await frank.uninstallIntegration('slack', { selectedCredentialId: 'cred-slack-2' })
    await frank.uninstallIntegration('custom.tasklab')
    const after = await state(sandbox)
    assert.deepStrictEqual(after.users.frank.credentials.slack, ['cred-slack-1'])
    assert.deepStrictEqual(after.users.frank.credentials['custom.tasklab'], [])
    const run = await frank.triggerWorkflow(WORKFLOW_ID, {
      body: { order: 42 },
      query: { dry: true },
      selectedCredentialId: 'cred-slack-1',
      selectedConfigurationId: 'config-9',
    })
    assert.deepStrictEqual(run, { executionId: 'exec-1' })
    const [trigger] = (await state(sandbox)).triggers
    assert.deepStrictEqual([trigger.body, trigger.query, trigger.configuration], [{ order: 42 }, 'dry=true', 'config-9'])
    await assert.rejects(frank.triggerWorkflow('no-such-workflow'), pc.NotFoundError)
    await frank.sendEvent('Contact Created', { email: 'a@example.com' })
    assert.deepStrictEqual((await state(sandbox)).events, [{ user: 'frank', name: 'Contact Created', payload: { email: 'a@example.com' } }])
    await assert.rejects(frank.sendEvent('', {}), pc.InvalidRequestError)
    await assert.rejects(frank.setUserMetadata({ n: 1n }), (error) => error instanceof pc.InvalidRequestError && error.argument === 'meta')
  }))
