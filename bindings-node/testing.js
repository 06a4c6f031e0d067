'use strict'
// `paragon-connect/testing`: a fake Paragon for your tests, in this package's native module (the
// core's `paragon_connect::fake`, one implementation for Python and Node). Mocking libraries
// (nock, undici's MockAgent, msw) cannot see this package's calls: they are made in Rust.
// Documented in testing.d.ts.

const assert = require('node:assert')
const fs = require('node:fs')
const native = require('./native.js')
const { Paragon } = require('./index.js')

// A native error's code says whose fault it is: the test's spec, or a failed assertion.
function rethrown(error, caller) {
  if (error && error.code === 'InvalidArg') {
    const refused = new TypeError(error.message)
    Error.captureStackTrace(refused, caller)
    return refused
  }
  if (error && error.code === 'GenericFailure') {
    return new assert.AssertionError({ message: error.message, stackStartFn: caller })
  }
  return error
}

function nativeCall(caller, action) {
  try {
    return action()
  } catch (error) {
    throw rethrown(error, caller)
  }
}

class Call {
  constructor(data) {
    const { kind, value } = data.body
    this.integration = data.integration
    this.method = data.method
    this.path = data.path
    this.query = data.query
    this.params = {}
    for (const [name, text] of data.query) {
      if (!(name in this.params)) this.params[name] = text
    }
    this.headers = data.headers
    this.user = data.user
    this.body = Buffer.from(data.body_base64, 'base64')
    this.json = kind === 'json' ? value : undefined
    this.form = kind === 'form' ? value : undefined
    this.parts =
      kind === 'multipart'
        ? value.map((part) => ({
            name: part.name,
            filename: part.filename,
            contentType: part.content_type,
            data: Buffer.from(part.data_base64, 'base64'),
          }))
        : undefined
    this.text = kind === 'text' ? value : undefined
    this.answered = data.answered
  }

  header(name) {
    const wanted = name.toLowerCase()
    const found = this.headers.find(([key]) => key === wanted)
    return found ? found[1] : undefined
  }
}

function calls(text) {
  return JSON.parse(text).map((data) => new Call(data))
}

function patternJson(integration, method, path, options = {}) {
  const known = new Set(['query', 'headers', 'json', 'jsonIncludes', 'user', 'times'])
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new TypeError(`unknown pattern option ${JSON.stringify(key)} (expected ${[...known].join(', ')})`)
  }
  const pattern = {}
  if (integration != null) pattern.integration = integration
  if (method != null) pattern.method = method
  if (path instanceof RegExp) {
    pattern.path_regex = (path.flags.includes('i') ? '(?i)' : '') + path.source
  } else if (path != null) {
    pattern.path = path
  }
  if (options.query != null) pattern.query = options.query
  if (options.headers != null) pattern.headers = options.headers
  if (options.json !== undefined) pattern.json = options.json
  if (options.jsonIncludes !== undefined) pattern.json_includes = options.jsonIncludes
  if (options.user != null) pattern.user = options.user
  return JSON.stringify(pattern)
}

function times(value, name) {
  if (value == null) return undefined
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} is a whole number, not ${value}`)
  return value
}

class Route {
  #native
  #id
  #pattern

  constructor(nativeFake, id, pattern) {
    this.#native = nativeFake
    this.#id = id
    this.#pattern = pattern
  }

  #add(reply, caller) {
    nativeCall(caller, () => this.#native.addReply(this.#id, JSON.stringify(reply)))
    return this
  }

  reply(options = {}) {
    const { json, text, body, status = 200, headers, delay, raw = false, ...unknown } = options
    const extra = Object.keys(unknown)
    if (extra.length) throw new TypeError(`unknown reply option ${JSON.stringify(extra[0])} (expected json, text, body, status, headers, delay, raw)`)
    const reply = { status, raw }
    if (json !== undefined) reply.json = json
    if (text !== undefined) reply.text = text
    if (body !== undefined) {
      if (!(body instanceof Uint8Array)) throw new TypeError('body is a Buffer or Uint8Array (use json or text otherwise)')
      reply.body_base64 = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64')
    }
    if (headers !== undefined) reply.headers = Array.isArray(headers) ? headers : { ...headers }
    if (delay !== undefined) reply.delay_ms = delay
    return this.#add(reply, this.reply)
  }

  error(status, message, options = {}) {
    const error = { status }
    if (message != null) error.message = message
    if (options.code != null) error.code = options.code
    if (options.meta != null) error.meta = options.meta
    return this.#add({ error }, this.error)
  }

  dropConnection() {
    return this.#add({ drop_connection: true }, this.dropConnection)
  }

  get callCount() {
    return nativeCall(undefined, () => this.#native.routeCalls(this.#id))
  }

  get calls() {
    return calls(nativeCall(undefined, () => this.#native.calls(this.#pattern)))
  }
}

const NATIVE_CLIENT = Symbol.for('paragon-connect.nativeClient')
// The constructor's argument when a cassette's static method starts the fake.
const START = Symbol('start')

function knownOptions(options, names, what) {
  const extra = Object.keys(options).filter((name) => !names.includes(name))
  if (extra.length) throw new TypeError(`unknown ${what} option ${JSON.stringify(extra[0])} (expected ${names.join(', ')})`)
}

function textList(value, name) {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new TypeError(`${name} is a list of strings`)
  }
  return value
}

class FakeParagon {
  #native
  #closed = false

  constructor(options = {}) {
    const started = options[START]
    if (started) {
      this.#native = nativeCall(started.caller, () => new native.NativeFake(JSON.stringify(started.options), started.upstream))
      return
    }
    knownOptions(options, ['port', 'acceptAnyToken'], 'FakeParagon')
    const { port = 0, acceptAnyToken = false } = options
    this.#native = nativeCall(FakeParagon, () => new native.NativeFake(JSON.stringify({ port, accept_any_token: acceptAnyToken })))
  }

  static recording(to, options = {}) {
    knownOptions(options, ['upstream', 'secretHeaders', 'port', 'acceptAnyToken'], 'recording')
    const { upstream, secretHeaders = [], port = 0, acceptAnyToken = false } = options
    if (typeof to !== 'string' || to === '') throw new TypeError('recording(to): the cassette is a file path')
    const cassette = { path: to, mode: 'record', secret_headers: textList(secretHeaders, 'secretHeaders') }
    const client = upstream == null ? new Paragon() : upstream instanceof Paragon ? upstream : new Paragon(upstream)
    return new FakeParagon({
      [START]: {
        caller: FakeParagon.recording,
        options: { port, accept_any_token: acceptAnyToken, cassette },
        upstream: Paragon[NATIVE_CLIENT](client),
      },
    })
  }

  static replaying(path, options = {}) {
    knownOptions(options, ['matchOn', 'secretHeaders', 'port', 'acceptAnyToken'], 'replaying')
    const { matchOn, secretHeaders = [], port = 0, acceptAnyToken = false } = options
    if (typeof path !== 'string' || path === '') throw new TypeError('replaying(path): the cassette is a file path')
    const cassette = { path, mode: 'replay', secret_headers: textList(secretHeaders, 'secretHeaders') }
    if (matchOn != null) cassette.match_on = textList(matchOn, 'matchOn')
    return new FakeParagon({
      [START]: { caller: FakeParagon.replaying, options: { port, accept_any_token: acceptAnyToken, cassette } },
    })
  }

  assertAllPlayed() {
    nativeCall(this.assertAllPlayed, () => this.#native.checkAllPlayed())
  }

  get url() {
    return this.#native.url
  }

  get projectId() {
    return this.#native.projectId
  }

  get signingKey() {
    return this.#native.signingKey
  }

  userToken(user = 'user-1') {
    return nativeCall(this.userToken, () => this.#native.userToken(user))
  }

  env(options = {}) {
    const variables = {
      PARAGON_PROJECT_ID: this.projectId,
      PARAGON_PROXY_BASE_URL: this.url,
      PARAGON_ZEUS_BASE_URL: this.url,
      PARAGON_HERMES_BASE_URL: this.url,
    }
    if (options.user == null) variables.PARAGON_SIGNING_KEY = this.signingKey
    else variables.PARAGON_USER_TOKEN = this.userToken(options.user)
    return variables
  }

  client(options = {}) {
    const { user, ...settings } = options
    const given = { projectId: this.projectId, proxyBaseUrl: this.url, zeusBaseUrl: this.url, hermesBaseUrl: this.url }
    if (user != null) given.userToken = this.userToken(user)
    else if (settings.userToken === undefined) given.signingKey = this.signingKey
    return new Paragon({ ...given, ...settings })
  }

  route(integration, method, path, options = {}) {
    const { times: count, ...pattern } = options
    const text = patternJson(integration, method, path, pattern)
    const id = nativeCall(this.route, () => this.#native.addRoute(text, times(count, 'times')))
    return new Route(this.#native, id, text)
  }

  loadRoutes(file) {
    const text = fs.readFileSync(file, 'utf8')
    return nativeCall(this.loadRoutes, () => this.#native.addRoutesFile(text))
  }

  get calls() {
    return calls(this.#native.calls())
  }

  findCalls(integration, method, path, options = {}) {
    const text = patternJson(integration, method, path, options)
    return calls(nativeCall(this.findCalls, () => this.#native.calls(text)))
  }

  assertCalled(integration, method, path, options = {}) {
    const { times: count, ...pattern } = options
    const text = patternJson(integration, method, path, pattern)
    return calls(nativeCall(this.assertCalled, () => this.#native.checkCalled(text, times(count, 'times'))))
  }

  assertNotCalled(integration, method, path, options = {}) {
    const text = patternJson(integration, method, path, options)
    nativeCall(this.assertNotCalled, () => this.#native.checkCalled(text, 0))
  }

  setUser(user, options = {}) {
    const update = {}
    if (options.meta != null) update.meta = options.meta
    if (options.credentials != null) update.credentials = options.credentials
    nativeCall(this.setUser, () => this.#native.updateUser(user, JSON.stringify(update)))
  }

  get users() {
    return JSON.parse(this.#native.state()).users
  }

  get events() {
    return JSON.parse(this.#native.state()).events
  }

  get triggers() {
    return JSON.parse(this.#native.state()).triggers
  }

  reset() {
    nativeCall(this.reset, () => this.#native.reset())
  }

  close() {
    if (this.#closed) return
    this.#closed = true
    try {
      nativeCall(this.close, () => this.#native.finishCassette())
    } finally {
      this.#native.close()
    }
  }
}

if (typeof Symbol.dispose === 'symbol') {
  FakeParagon.prototype[Symbol.dispose] = FakeParagon.prototype.close
}
if (typeof Symbol.asyncDispose === 'symbol') {
  FakeParagon.prototype[Symbol.asyncDispose] = async function () {
    this.close()
  }
}

module.exports = { FakeParagon, Route, Call }
