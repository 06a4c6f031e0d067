'use strict'
// docs/migrating.md's JavaScript snippets: each runs against the sandbox (the browser SDK's under
// jsdom), and the snippets of one name (the code before and after moving to this package) give
// the same result.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { withSandbox } = require('./sandbox.js')
const { browserSdk } = require('./browser.js')

const REPO = path.resolve(__dirname, '../..')
const DOC = fs.readFileSync(path.join(REPO, 'docs/migrating.md'), 'utf8')
const SNIPPET = /<!-- snippet: ([\w-]+) -->\n```(\w+)\n([\s\S]*?)\n```/g

const groups = new Map()
for (const [, name, language, code] of DOC.matchAll(SNIPPET)) {
  if (language !== 'js') continue
  if (!groups.has(name)) groups.set(name, [])
  groups.get(name).push(code)
}

const AsyncFunction = (async () => {}).constructor

/** A snippet as a function of the values it uses; `import` lines become `require`s. */
function runnable(code, url) {
  const body = code
    .replace(/^import \{ (.+) \} from '(.+)'$/gm, "const { $1 } = require('$2')")
    .replaceAll('https://proxy.useparagon.com', url)
  return new AsyncFunction('require', 'projectId', 'userToken', 'fileId', `${body}\nreturn result`)
}

test('the guide has JavaScript snippets before and after', () => {
  for (const name of ['post-a-message', 'many-users', 'list-files', 'download-a-file']) assert.ok(groups.has(name), name)
  for (const name of ['post-a-message', 'list-files', 'download-a-file']) assert.ok(groups.get(name).length >= 2, name)
})

for (const [name, codes] of groups) {
  test(`docs/migrating.md ${name}: each snippet runs, before and after agree`, () =>
    withSandbox(async (sandbox) => {
      // Set in the real environment (the core reads it), and taken out again after.
      const variables = {
        PARAGON_PROXY_BASE_URL: sandbox.url,
        PARAGON_ZEUS_BASE_URL: sandbox.url,
        PARAGON_HERMES_BASE_URL: sandbox.url,
        PARAGON_SIGNING_KEY: fs.readFileSync(path.join(REPO, 'tests/sandbox/keys/sandbox-signing-key.pem'), 'utf8'),
      }
      Object.assign(process.env, variables)
      const browser = codes.some((code) => code.includes('@useparagon/connect')) ? browserSdk(sandbox) : undefined
      try {
        const { userToken } = await sandbox.settings()
        const results = []
        for (const code of codes) results.push(await runnable(code, sandbox.url)(require, sandbox.projectId, userToken, sandbox.driveFileId))
        assert.ok(results[0], 'a snippet\'s result is empty')
        for (const result of results.slice(1)) assert.deepStrictEqual(result, results[0])
      } finally {
        browser?.restore()
        for (const variable of Object.keys(variables)) delete process.env[variable]
      }
    }))
}
