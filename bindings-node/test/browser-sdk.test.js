'use strict'
// The official browser SDK (@useparagon/connect 2.4.0, under jsdom) against the sandbox, beside
// this package: it must authenticate and call through the sandbox as it would through Paragon
// (the sandbox answers in Paragon's shapes), and the same call must give the same result and
// send the same request through both.

const test = require('node:test')
const assert = require('node:assert/strict')
const pc = require('..')
const { withSandbox } = require('./sandbox.js')
const { browserSdk } = require('./browser.js')

/**
 * A recorded request without what differs by client (its name, version and connection), the
 * token shown as `<token>` (a failure must not print it).
 */
function comparable(request, token) {
  const skip = new Set(['user-agent', 'x-paragon-sdk-version', 'host', 'connection', 'content-length', 'accept-encoding', 'accept-language', 'sec-fetch-mode', 'origin', 'referer'])
  const shown = ([name, value]) => {
    if (value === `Bearer ${token}`) return [[name, 'Bearer <token>']]
    // PROTOCOL.md: the browser SDK sends `auto`, with or without a body; this package sends
    // what Paragon's REST docs require for a JSON body, and nothing without one.
    if (name === 'content-type' && value === 'auto') return request.body_base64 ? [[name, 'application/json']] : []
    return [[name, value]]
  }
  return {
    method: request.method,
    target: request.target,
    headers: request.headers.filter(([name]) => !skip.has(name)).flatMap(shown).sort(),
    body: request.body_base64,
  }
}

test('the official browser SDK authenticates against the sandbox and calls through it like this package', () =>
  withSandbox(async (sandbox) => {
    const { paragon: browser, restore } = browserSdk(sandbox)
    try {
      const settings = await sandbox.settings()
      await browser.authenticate(sandbox.projectId, settings.userToken)
      const user = browser.getUser()
      assert.equal(user.authenticated, true)
      assert.equal(user.userId, 'user-1')
      // Custom integrations go by the name /sdk/me uses.
      assert.deepEqual(Object.keys(user.integrations).sort(), ['custom.tasklab', 'googledrive', 'slack'])
      assert.equal(user.integrations.slack.credentialId, 'cred-slack-1')

      const server = new pc.Paragon(settings)
      const calls = [
        ['slack', '/chat.postMessage', { method: 'POST', body: { channel: 'C0', text: 'hi' } }],
        ['echo', '/items?page=2&tag=a%20b', { method: 'GET' }],
        ['echo', '/items', { method: 'PUT', body: { nested: { list: [1, 2.5, null, 'x'] } }, headers: { 'X-Custom': 'yes' } }],
        ['slack', '/chat.postMessage', { method: 'POST', body: { channel: 'C0', text: 'again' }, selectedCredentialId: 'cred-slack-2' }],
        [`custom.tasklab`, '/tasks', { method: 'GET' }],
      ]
      for (const [integration, path, options] of calls) {
        const before = (await sandbox.requests()).length
        const fromBrowser = await browser.request(integration, path, options)
        const fromServer = await server.request(integration, path, options)
        // The echo answers with the headers it received, which differ by client (compared below).
        const answer = (value) => integration === 'echo' ? { ...value, headers: undefined } : value
        assert.deepEqual(answer(fromServer), answer(fromBrowser), `${integration} ${path}`)
        const [sentByBrowser, sentByServer] = (await sandbox.requests()).slice(before).map((request) => comparable(request, settings.userToken))
        assert.deepEqual(sentByServer, sentByBrowser, `${integration} ${path}: the same request`)
      }

      // A failed call: the same message, the same parsed body.
      const browserError = await browser.request('googledrive', '/files/missing', { method: 'GET' }).catch((error) => error)
      const serverError = await server.request('googledrive', '/files/missing').catch((error) => error)
      assert.ok(serverError instanceof pc.NotFoundError)
      assert.equal(serverError.message, browserError.message)
      assert.deepEqual(serverError.response, browserError.response)
    } finally {
      restore()
    }
  }))
