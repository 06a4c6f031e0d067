'use strict'

/**
 * paragon-connect: the server-side SDK for Paragon's Connect API.
 *
 * `new Paragon({ projectId, userToken }).request(integrationType, path, options)` is the browser
 * SDK's `paragon.request()` on the server. This file only shapes JavaScript arguments and results;
 * URLs, headers, decoding and errors are decided in the Rust core (see index.d.ts for the API).
 */

const { Readable } = require('node:stream')
const { NativeClient, NativeStream, BodyWriter, CancelToken, signUserToken: nativeSignUserToken } = require('./native.js')
const { version } = require('./package.json')

class ParagonError extends Error {
  constructor(message, details = {}) {
    super(message)
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true })
    for (const [key, value] of Object.entries(details)) {
      if (value !== null && value !== undefined) this[key] = value
    }
  }
}
class ConfigurationError extends ParagonError {}
class InvalidRequestError extends ParagonError {}
class ConnectionError extends ParagonError {}
class TimeoutError extends ParagonError {}
class DecodeError extends ParagonError {}
class APIStatusError extends ParagonError {}
class BadRequestError extends APIStatusError {}
class AuthenticationError extends APIStatusError {}
class PermissionDeniedError extends APIStatusError {}
class NotFoundError extends APIStatusError {}
class ConflictError extends APIStatusError {}
class UnprocessableEntityError extends APIStatusError {}
class RateLimitError extends APIStatusError {}
class InternalServerError extends APIStatusError {}

const errorClasses = {
  ParagonError,
  ConfigurationError,
  InvalidRequestError,
  ConnectionError,
  TimeoutError,
  DecodeError,
  APIStatusError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  UnprocessableEntityError,
  RateLimitError,
  InternalServerError,
}

function headersFromPairs(pairs) {
  const headers = new Headers()
  for (const [name, value] of pairs) headers.append(name, value)
  // Some Node 18 builds (Debian 12's, on undici 5.15) lack Headers#getSetCookie, and Set-Cookie
  // values cannot be split again once joined: give every Node the standard method.
  if (typeof headers.getSetCookie !== 'function') {
    const cookies = pairs.filter(([name]) => name.toLowerCase() === 'set-cookie').map(([, value]) => value)
    Object.defineProperty(headers, 'getSetCookie', { value: () => [...cookies] })
  }
  return headers
}

/** The native error description as an instance of its class. */
function toError(native) {
  const { className, message, errorMessage, headers, body, ...details } = native
  const cls = errorClasses[className] ?? ParagonError
  if (cls.prototype instanceof APIStatusError) {
    // As the browser SDK: `message` is Paragon's message and `response` the parsed body.
    return new cls(errorMessage, {
      ...details,
      body,
      response: body,
      headers: headersFromPairs(headers ?? []),
      description: message,
    })
  }
  return new cls(message, details)
}

function abortError(signal) {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError')
}

function describe(value) {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`
  return `a ${typeof value}`
}

/**
 * Throws a TypeError naming the first value in `value` that JSON cannot carry faithfully
 * (JSON.stringify would throw on it, or silently drop or change it).
 */
function checkJson(value, path, ancestors) {
  walkJson(value, path, ancestors)
}

/**
 * `trail` is where `value` sits: the argument's name, or `{ parent, key }`. It is spelled out
 * (`body.items[2].name`) only for an error, so a valid body costs no string building.
 */
function walkJson(value, trail, ancestors) {
  switch (typeof value) {
    case 'string':
      if (!isWellFormed(value)) throw new TypeError(`${pathOf(trail)} contains a lone surrogate, which UTF-8 cannot represent`)
      return
    case 'boolean':
    case 'undefined': // dropped from objects by JSON.stringify, as the browser SDK sends them
      return
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${pathOf(trail)} is ${value}, which JSON cannot represent`)
      return
    case 'bigint':
      throw new TypeError(`${pathOf(trail)} is a BigInt, which JSON cannot represent: convert it to a string or a number`)
    case 'function':
    case 'symbol':
      throw new TypeError(`${pathOf(trail)} is a ${typeof value}, which is not JSON`)
  }
  if (value === null) return
  if (typeof value.toJSON === 'function') {
    walkJson(value.toJSON(), trail, ancestors)
    return
  }
  if (value instanceof Map || value instanceof Set || value instanceof WeakMap || value instanceof WeakSet) {
    throw new TypeError(`${pathOf(trail)} is ${describe(value)}, which JSON.stringify would send as {}`)
  }
  if (ancestors.includes(value)) throw new TypeError(`${pathOf(trail)} refers to itself (a circular structure)`)
  ancestors.push(value)
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) walkJson(value[index], { parent: trail, key: index }, ancestors)
  } else {
    for (const key of Object.keys(value)) walkJson(value[key], { parent: trail, key }, ancestors)
  }
  ancestors.pop()
}

function pathOf(trail) {
  if (typeof trail === 'string') return trail
  const { parent, key } = trail
  if (typeof key === 'number') return `${pathOf(parent)}[${key}]`
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${pathOf(parent)}.${key}` : `${pathOf(parent)}[${JSON.stringify(key)}]`
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Whether UTF-8 can carry `text`: no lone surrogate (it would become U+FFFD). */
function isWellFormed(text) {
  // String.prototype.isWellFormed is Node 20+; the package supports Node 18.
  return typeof text.isWellFormed === 'function' ? text.isWellFormed() : !LONE_SURROGATE.test(text)
}

/** Refuses a string with a lone surrogate, which UTF-8 cannot carry. */
function wellFormed(text, argument) {
  if (!isWellFormed(text)) throw new TypeError(`${argument} contains a lone surrogate, which UTF-8 cannot represent`)
  return text
}

/** A body read as it comes: a Node `Readable`, a web `ReadableStream` or any async iterable. */
function isStreamed(body) {
  return typeof body === 'object' && body !== null && typeof body[Symbol.asyncIterator] === 'function' && !ArrayBuffer.isView(body)
}

/** Feeds a streamed body to the native writer, chunk by chunk, as the request takes them. */
async function pump(source, writer) {
  try {
    for await (const chunk of source) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : ArrayBuffer.isView(chunk) ? toBuffer(chunk) : null
      if (bytes === null) throw new TypeError(`the body stream gave ${describe(chunk)}, not bytes or a string`)
      if (!(await writer.write(bytes))) return // the request stopped reading
    }
    writer.end()
  } catch (error) {
    writer.fail(`the body stream failed: ${error?.message ?? error}`)
  }
}

function bodyOptions(body) {
  if (body === undefined || body === null || isStreamed(body)) return {}
  if (typeof body === 'string') return { text: wellFormed(body, 'body') }
  if (Buffer.isBuffer(body)) return { bytes: body }
  if (ArrayBuffer.isView(body)) return { bytes: Buffer.from(body.buffer, body.byteOffset, body.byteLength) }
  if (body instanceof ArrayBuffer) return { bytes: Buffer.from(body) }
  checkJson(body, 'body', [])
  return { json: JSON.stringify(body) }
}

function toBuffer(bytes) {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** The multipart parts: text, bytes, `{ path }` (a file streamed from disk) or `{ data }`. */
function multipartParts(multipart) {
  if (typeof multipart !== 'object' || multipart === null) throw new TypeError('multipart must be an object or [name, value] pairs')
  const entries = Array.isArray(multipart) ? multipart : Object.entries(multipart)
  return entries.map(([name, value]) => {
    const path = `multipart[${JSON.stringify(name)}]`
    if (typeof value === 'string') return { name, text: wellFormed(value, path) }
    if (ArrayBuffer.isView(value)) return { name, bytes: toBuffer(value), filename: name }
    if (typeof value === 'object' && value !== null) {
      const { path: file, data, filename, contentType } = value
      if (typeof file === 'string') return { name, path: file, filename, contentType }
      if (typeof data === 'string') return { name, text: wellFormed(data, path), filename, contentType }
      if (ArrayBuffer.isView(data)) return { name, bytes: toBuffer(data), filename: filename ?? name, contentType }
    }
    throw new TypeError(`${path} must be a string, a Buffer, { path, filename?, contentType? } or { data, filename?, contentType? }`)
  })
}

/** `file`, `form` and `multipart` request options. */
function uploadOptions({ file, form, multipart }) {
  const upload = {}
  if (file !== undefined) {
    if (typeof file !== 'string') throw new TypeError('file must be the path of the file to send')
    upload.file = wellFormed(file, 'file')
  }
  if (form !== undefined) upload.form = form instanceof URLSearchParams ? [...form.entries()] : headerPairs(form, 'form')
  if (multipart !== undefined) upload.multipart = multipartParts(multipart)
  return upload
}

/** Headers as `[name, value]` pairs: from an object, a `Headers`, a `Map` or pairs. */
function headerPairs(headers, argument) {
  if (headers === undefined || headers === null) return undefined
  const entries =
    Array.isArray(headers) ? headers
    : typeof headers.entries === 'function' && !isPlainObject(headers) ? [...headers.entries()]
    : typeof headers === 'object' ? Object.entries(headers)
    : null
  if (entries === null) throw new TypeError(`${argument} must be an object, a Headers, a Map or [name, value] pairs`)
  const pairs = []
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') {
      throw new TypeError(`${argument} must hold [name, value] pairs with string names`)
    }
    const [name, value] = entry
    if (value === undefined) continue // as fetch does for an object's undefined property
    if (Array.isArray(value)) {
      for (const item of value) pairs.push([name, text(item, `${argument}[${JSON.stringify(name)}]`)])
    } else {
      pairs.push([name, text(value, `${argument}[${JSON.stringify(name)}]`)])
    }
  }
  return pairs
}

function isPlainObject(value) {
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/** A header or query value as text: strings, finite numbers, booleans, BigInts. */
function text(value, path) {
  switch (typeof value) {
    case 'string':
      return value
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path} is ${value}, not a number`)
      return String(value)
    case 'boolean':
    case 'bigint':
      return String(value)
    default:
      throw new TypeError(`${path} must be a string, number, boolean or bigint, not ${describe(value)}`)
  }
}

function milliseconds(value, argument) {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number') throw new TypeError(`${argument} must be a number of milliseconds`)
  return value
}

/** An object argument as JSON text for the native side, checked first. */
function jsonObject(value, argument) {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${argument} must be an object`)
  checkJson(value, argument, [])
  return JSON.stringify(value)
}

/** What a native call resolved to, as a value or a thrown error. */
function settle(kind, payload, signal) {
  switch (kind) {
    case 'value':
      return payload
    case 'json':
      return JSON.parse(payload)
    case 'empty':
      return undefined
    case 'raw':
      return { status: payload.status, headers: headersFromPairs(payload.headers), body: payload.body }
    case 'aborted':
      throw abortError(signal)
    default:
      throw toError(payload)
  }
}

/** Lets `user()` make a bound client without going through the public constructor. */
const BIND = Symbol('bind')

class Paragon {
  #native
  #exactIntegers
  #tokenFunction
  #user

  /**
   * @param {import('./index').ParagonOptions} [options]
   */
  constructor(options = {}, bound = undefined) {
    if (options === BIND) {
      ;({ native: this.#native, exactIntegers: this.#exactIntegers, tokenFunction: this.#tokenFunction, user: this.#user } = bound)
      return
    }
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object')
    const { userToken } = options
    if (userToken !== undefined && typeof userToken !== 'string' && typeof userToken !== 'function') {
      throw new TypeError('userToken must be a string, or a function (sync or async) returning one')
    }
    this.#tokenFunction = typeof userToken === 'function' ? userToken : undefined
    // Settings not given are read from PARAGON_* variables by the core.
    this.#native = new NativeClient({
      projectId: options.projectId,
      userToken: this.#tokenFunction ? undefined : userToken,
      tokenFunction: this.#tokenFunction !== undefined,
      signingKey: options.signingKey,
      tokenLifetime: milliseconds(options.tokenLifetime, 'tokenLifetime'),
      tokenAudience: options.tokenAudience,
      tokenClaims: jsonObject(options.tokenClaims, 'tokenClaims'),
      permissions: jsonObject(options.permissions, 'permissions'),
      host: options.host,
      proxyBaseUrl: options.proxyBaseUrl,
      zeusBaseUrl: options.zeusBaseUrl,
      hermesBaseUrl: options.hermesBaseUrl,
      defaultHeaders: headerPairs(options.defaultHeaders, 'defaultHeaders'),
      timeout: milliseconds(options.timeout, 'timeout'),
      connectTimeout: milliseconds(options.connectTimeout, 'connectTimeout'),
      allowInsecureHttp: options.allowInsecureHttp,
      maxRetries: options.maxRetries,
      maxRetryAfter: milliseconds(options.maxRetryAfter, 'maxRetryAfter'),
      deadline: milliseconds(options.deadline, 'deadline'),
      maxResponseBytes: options.maxResponseBytes,
      runtime: `node ${process.versions.node}`,
    })
    const problem = this.#native.configError()
    if (problem) throw toError(problem)
    this.#exactIntegers = Boolean(options.exactIntegers)
  }

  /** The project this client calls. */
  get projectId() {
    return this.#native.projectId()
  }

  /** The user this client acts for, when it came from `user(id)`. */
  get userId() {
    return this.#user
  }

  /**
   * A client acting for `userId` (tokens signed with the signing key, or asked of the token
   * function), sharing this one's settings and connections.
   *
   * @param {string} userId
   */
  user(userId) {
    if (typeof userId !== 'string') throw new TypeError('userId must be a string')
    const problem = this.#native.checkUser(userId)
    if (problem) throw toError(problem)
    return new Paragon(BIND, {
      native: this.#native,
      exactIntegers: this.#exactIntegers,
      tokenFunction: this.#tokenFunction,
      user: userId,
    })
  }

  /**
   * The user and token of a call: the token from the user's token function, if any. Without one
   * it is not a promise, so a call does not wait a turn of the event loop for it.
   */
  #context() {
    if (!this.#tokenFunction) return { user: this.#user }
    return this.#contextFromFunction()
  }

  async #contextFromFunction() {
    const token = await (this.#user === undefined ? this.#tokenFunction() : this.#tokenFunction(this.#user))
    if (typeof token !== 'string') throw new TypeError(`the userToken function returned ${describe(token)}, not a string`)
    return { user: this.#user, token }
  }

  /**
   * Calls `path` of the integration's API through Paragon's proxy, as the user.
   *
   * @param {string} integrationType
   * @param {string} path
   * @param {import('./index').RequestOptions} [options]
   */
  async request(integrationType, path, options = {}) {
    if (typeof integrationType !== 'string') throw new TypeError('integrationType must be a string')
    if (typeof path !== 'string') throw new TypeError('path must be a string')
    wellFormed(path, 'path')
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object')
    const { method, body, headers, query, selectedCredentialId, raw, timeout, deadline, maxRetries, idempotent, signal, exactIntegers } = options
    if (signal?.aborted) throw abortError(signal)
    const call = {
      method,
      ...bodyOptions(body),
      ...uploadOptions(options),
      headers: headerPairs(headers, 'headers'),
      query: query instanceof URLSearchParams ? [...query.entries()] : headerPairs(query, 'query'),
      selectedCredentialId,
      raw: Boolean(raw),
      timeout: milliseconds(timeout, 'timeout'),
      deadline: milliseconds(deadline, 'deadline'),
      maxRetries,
      idempotent,
      exactIntegers: exactIntegers ?? this.#exactIntegers,
    }
    let context = this.#context()
    if (context instanceof Promise) context = await context
    if (signal?.aborted) throw abortError(signal)
    const writer = isStreamed(body) ? new BodyWriter() : undefined
    const [kind, payload] = await this.#cancellable(signal, (cancel) => {
      const answer = this.#native.request(integrationType, path, call, context, cancel, writer)
      if (writer) pump(body, writer)
      return answer
    })
    return settle(kind, payload, signal)
  }

  /** The call settings of `stream()` and `download()` (raw, no body decoding). */
  #streamCall(options) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object')
    const { method, body, headers, query, selectedCredentialId, timeout, deadline, maxRetries, idempotent } = options
    return {
      method,
      ...bodyOptions(body),
      headers: headerPairs(headers, 'headers'),
      query: query instanceof URLSearchParams ? [...query.entries()] : headerPairs(query, 'query'),
      selectedCredentialId,
      raw: true,
      timeout: milliseconds(timeout, 'timeout'),
      deadline: milliseconds(deadline, 'deadline'),
      maxRetries,
      idempotent,
    }
  }

  /** Runs a native call that honours `signal`. */
  #cancellable(signal, run) {
    if (!signal) return run(undefined)
    return this.#cancellableBy(signal, run)
  }

  async #cancellableBy(signal, run) {
    if (signal.aborted) throw abortError(signal)
    const cancel = new CancelToken()
    const onAbort = () => cancel.cancel()
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      return await run(cancel)
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  /**
   * Calls `path` and resolves once the answer's head arrives, to `{ status, headers, body }` with
   * `body` a `Readable` of the bytes as they arrive (backpressure: nothing is read ahead of the
   * consumer but one chunk).
   *
   * @param {string} integrationType
   * @param {string} path
   * @param {import('./index').StreamOptions} [options]
   */
  async stream(integrationType, path, options = {}) {
    if (typeof integrationType !== 'string') throw new TypeError('integrationType must be a string')
    if (typeof path !== 'string') throw new TypeError('path must be a string')
    const call = this.#streamCall(options)
    const context = await this.#context()
    const native = new NativeStream()
    const [kind, payload] = await this.#cancellable(options.signal, (cancel) =>
      this.#native.stream(integrationType, path, call, context, native, cancel))
    if (kind !== 'head') return settle(kind, payload, options.signal)
    const body = new Readable({
      read() {
        native.next().then(([next, chunk]) => {
          if (next === 'chunk') this.push(chunk)
          else if (next === 'empty') this.push(null)
          else this.destroy(toError(chunk))
        }, (error) => this.destroy(error))
      },
      destroy(error, done) {
        native.close()
        done(error)
      },
    })
    return {
      status: payload.status,
      headers: headersFromPairs(payload.headers),
      contentLength: payload.contentLength ?? undefined,
      body,
    }
  }

  /**
   * Downloads `path` into the file `to`, atomically: written beside it and renamed into place
   * once complete, so nothing half-written is left on failure. `onProgress(bytesSoFar, total)`
   * is called after each chunk (`total` when the server announced it).
   *
   * @param {string} integrationType
   * @param {string} path
   * @param {import('./index').DownloadOptions} options
   */
  async download(integrationType, path, options) {
    if (typeof integrationType !== 'string') throw new TypeError('integrationType must be a string')
    if (typeof path !== 'string') throw new TypeError('path must be a string')
    if (typeof options?.to !== 'string') throw new TypeError('options.to must be the file path to write')
    const { to, onProgress } = options
    if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError('onProgress must be a function')
    const call = this.#streamCall(options)
    const context = await this.#context()
    const progress = onProgress && ((done, total) => onProgress(done, total ?? undefined))
    const [kind, payload] = await this.#cancellable(options.signal, (cancel) =>
      this.#native.download(integrationType, path, call, context, to, progress, cancel))
    if (kind !== 'downloaded') return settle(kind, payload, options.signal)
    return { status: payload.status, headers: headersFromPairs(payload.headers), path: payload.path, size: payload.size }
  }

  async #api(name, args) {
    checkJson(args, 'arguments', [])
    const [kind, payload] = await this.#native.api(name, JSON.stringify(args), await this.#context(), this.#exactIntegers)
    return settle(kind, payload)
  }

  /** The user and their connected integrations. */
  getUser() {
    return this.#api('getUser', [])
  }

  /** Sets the user's metadata (`Name`, `Email`, ...); resolves to the user. */
  async setUserMetadata(meta) {
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new TypeError('meta must be an object')
    return this.#api('setUserMetadata', [meta])
  }

  /** The project's integrations (ids, types, custom names). */
  listIntegrations() {
    return this.#api('listIntegrations', [])
  }

  /** The id of an integration type (`custom.tasklab` -> its UUID), from the cached list. */
  async integrationId(integrationType) {
    if (typeof integrationType !== 'string') throw new TypeError('integrationType must be a string')
    return this.#api('integrationId', [integrationType])
  }

  /** The user's connected account for an integration. */
  async getAccount(integrationType, { includeAccountAuth = false } = {}) {
    if (typeof integrationType !== 'string') throw new TypeError('integrationType must be a string')
    return this.#api('getAccount', [integrationType, Boolean(includeAccountAuth)])
  }

  /** Disconnects the user from an integration (or one of its accounts). */
  async uninstallIntegration(integrationType, { selectedCredentialId } = {}) {
    if (typeof integrationType !== 'string') throw new TypeError('integrationType must be a string')
    return this.#api('uninstallIntegration', [integrationType, selectedCredentialId ?? null])
  }

  /** Triggers a workflow that has a request trigger. */
  async triggerWorkflow(workflowId, options = {}) {
    if (typeof workflowId !== 'string') throw new TypeError('workflowId must be a string')
    const { body, query, headers, selectedCredentialId, selectedConfigurationId } = options
    return this.#api('triggerWorkflow', [
      workflowId,
      {
        body,
        query: query instanceof URLSearchParams ? [...query.entries()] : headerPairs(query, 'query'),
        headers: headerPairs(headers, 'headers'),
        selectedCredentialId,
        selectedConfigurationId,
      },
    ])
  }

  /** Sends an App Event. */
  async sendEvent(name, payload = {}) {
    if (typeof name !== 'string') throw new TypeError('name must be a string')
    return this.#api('sendEvent', [name, payload])
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    const description = this.#native.describe()
    return this.#user === undefined ? description : description.replace('Paragon {', `Paragon { userId: '${this.#user}',`)
  }

  toJSON() {
    return { projectId: this.projectId, userId: this.#user }
  }
}

/**
 * Signs a Paragon User Token (RS256) for `userId`, for a front end that needs one.
 *
 * @param {string} signingKey
 * @param {string} projectId
 * @param {string} userId
 * @param {import('./index').SignOptions} [options]
 */
function signUserToken(signingKey, projectId, userId, options = {}) {
  for (const [name, value] of Object.entries({ signingKey, projectId, userId })) {
    if (typeof value !== 'string') throw new TypeError(`${name} must be a string`)
  }
  const { lifetime, audience, claims, permissions } = options
  milliseconds(lifetime, 'lifetime')
  const [kind, payload] = nativeSignUserToken(signingKey, projectId, userId, JSON.stringify({ lifetime, audience, claims, permissions }))
  return settle(kind, payload)
}

module.exports = {
  Paragon,
  signUserToken,
  ...errorClasses,
  version,
}
