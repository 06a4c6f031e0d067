'use strict'

/**
 * paragon-connect: the server-side SDK for Paragon's Connect API.
 *
 * `new Paragon({ projectId, userToken }).request(integrationType, path, options)` is the browser
 * SDK's `paragon.request()` on the server. This file only shapes JavaScript arguments and results;
 * URLs, headers, decoding and errors are decided in the Rust core (see index.d.ts for the API).
 */

const { Readable } = require('node:stream')
const diagnostics = require('node:diagnostics_channel')
const native = require('./native.js')
const { NativeClient, NativeStream, BodyWriter, CancelToken } = native
const { version } = require('./package.json')

/**
 * What a server sent, kept on status errors but not enumerable: `util.inspect`, `JSON.stringify`
 * and loggers that walk an error's properties do not print it (it may echo secrets back).
 */
const SERVER_DATA = new Set(['body', 'content', 'response', 'headers', 'integrationResponse'])

class ParagonError extends Error {
  constructor(message, details = {}) {
    super(message)
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true })
    for (const [key, value] of Object.entries(details)) {
      if (value === null || value === undefined) continue
      if (SERVER_DATA.has(key)) Object.defineProperty(this, key, { value, enumerable: false, writable: true, configurable: true })
      else this[key] = value
    }
  }
}

/**
 * Every error class, made from the core's table (name, parent): the same tree in Python and Node.
 * `_CallError`, the parent of the errors of a call that was made, is not exported.
 */
const allErrorClasses = { ParagonError }
for (const [name, parent] of native.errorClasses()) {
  if (parent === null) continue
  const cls = class extends allErrorClasses[parent] {}
  Object.defineProperty(cls, 'name', { value: name })
  allErrorClasses[name] = cls
}
const { APIStatusError, _CallError, ...exported } = allErrorClasses
const errorClasses = { ...exported, APIStatusError }

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
  const { className, description, ...attributes } = native
  const cls = allErrorClasses[className]
  if (cls === undefined) {
    // The core named a class this package does not know: a native module from another version.
    throw new Error(`paragon-connect: the native module raised an unknown error class ${className} (is the installed native package of another version?): ${description}`)
  }
  if (cls.prototype instanceof APIStatusError) {
    // As the browser SDK: `message` is Paragon's message and `response` the parsed body.
    return new cls(attributes.message, {
      ...attributes,
      response: attributes.body,
      headers: headersFromPairs(attributes.headers ?? []),
      description,
    })
  }
  return new cls(description, attributes)
}

/** Refuses a call's argument: an `InvalidRequestError` naming it, made by the core. */
function refuse(argument, reason) {
  return toError(native.refusal('argument', argument, reason))
}

/** Refuses a client setting: a `ConfigurationError` naming it, made by the core. */
function refuseSetting(setting, reason) {
  return toError(native.refusal('setting', setting, reason))
}

/** Runs a native call that `signal` can cancel (through a `CancelToken`). */
async function cancellableBy(signal, run) {
  if (signal?.aborted) throw abortError(signal)
  const cancel = new CancelToken()
  const onAbort = () => cancel.cancel()
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    return await run(cancel)
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

/** The keys a call of `requestMany()` may have. */
const MANY_CALL_KEYS = new Set([
  'integrationType', 'path', 'user', 'method', 'body', 'headers', 'query', 'selectedCredentialId',
  'raw', 'timeout', 'deadline', 'maxRetries', 'idempotent', 'file', 'form', 'multipart',
])

/** `pagination` (a preset's name or a description) as JSON text for the core to check. */
function paginationText(pagination) {
  if (pagination === undefined || pagination === null) return undefined
  if (typeof pagination === 'string') return JSON.stringify(pagination)
  if (typeof pagination === 'object' && isPlainObject(pagination)) return JSON.stringify(pagination)
  throw refuse('pagination', `must be a preset's name, an object describing the pagination, or a function, not ${describe(pagination)}`)
}

/**
 * The pages (or items) of a native walk, one page fetched each time the loop needs one. Leaving
 * the loop sends nothing more; aborting `signal` stops the page in flight.
 */
async function* walkPages(walk, integrationType, nextPage, signal) {
  for (;;) {
    // Each page is one call: one span, one start and end on the diagnostics channels.
    const call = {}
    const observation = Observation.of(() => walk.spanStart(), integrationType, call)
    const fetch = () => cancellableBy(signal, (cancel) => walk.next(cancel, call.trace, call.traceHeaders))
    const [kind, payload] = await Observation.around(observation, fetch, (kind, payload) => {
      if (kind !== 'page' && kind !== 'done') settle(kind, payload, signal)
      return [kind, payload]
    })
    if (kind === 'done') return
    const [data, items] = payload
    const page = data === null ? undefined : settle(data[0], data[1], signal)
    if (nextPage) {
      const next = await nextPage(page)
      const problem = walk.setNext(JSON.stringify(next ?? null))
      if (problem) throw toError(problem)
    }
    if (items === null) yield page
    else yield* settle(items[0], items[1], signal)
  }
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
 * Throws the refusal `refusing(argument, reason)` naming the first value in `value` that JSON
 * cannot carry faithfully (JSON.stringify would throw on it, or silently drop or change it).
 */
function checkJson(value, argument, refusing = refuse) {
  try {
    walkJson(value, argument, [])
  } catch (error) {
    if (error instanceof JsonProblem) throw refusing(argument, error.message)
    // Nested deeper than the JavaScript stack goes (JSON.stringify would throw the same).
    if (error instanceof RangeError) throw refusing(argument, 'is nested too deeply to send as JSON')
    throw error
  }
}

class JsonProblem extends Error {}

/**
 * `trail` is where `value` sits: the argument's name, or `{ parent, key }`. It is spelled out
 * (`body.items[2].name`) only for an error, so a valid body costs no string building.
 */
function walkJson(value, trail, ancestors) {
  switch (typeof value) {
    case 'string':
      if (!isWellFormed(value)) throw new JsonProblem(`${pathOf(trail)} contains a lone surrogate, which UTF-8 cannot represent`)
      return
    case 'boolean':
    case 'undefined': // dropped from objects by JSON.stringify, as the browser SDK sends them
      return
    case 'number':
      if (!Number.isFinite(value)) throw new JsonProblem(`${pathOf(trail)} is ${value}, which JSON cannot represent`)
      return
    case 'bigint':
      throw new JsonProblem(`${pathOf(trail)} is a BigInt, which JSON cannot represent: convert it to a string or a number`)
    case 'function':
    case 'symbol':
      throw new JsonProblem(`${pathOf(trail)} is a ${typeof value}, which is not JSON`)
  }
  if (value === null) return
  if (typeof value.toJSON === 'function') {
    walkJson(value.toJSON(), trail, ancestors)
    return
  }
  if (value instanceof Map || value instanceof Set || value instanceof WeakMap || value instanceof WeakSet) {
    throw new JsonProblem(`${pathOf(trail)} is ${describe(value)}, which JSON.stringify would send as {}`)
  }
  if (ancestors.includes(value)) throw new JsonProblem(`${pathOf(trail)} refers to itself (a circular structure)`)
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
  if (!isWellFormed(text)) throw refuse(argument, 'contains a lone surrogate, which UTF-8 cannot represent')
  return text
}

/** A string argument (`undefined` when not given, unless `required`). */
function string(value, argument, { required = false, refusing = refuse } = {}) {
  if (value === undefined && !required) return undefined
  if (typeof value !== 'string') throw refusing(argument, `must be a string, not ${describe(value)}`)
  return value
}

/** A number argument, in the unit the option documents (the core checks its range). */
function number(value, argument, refusing = refuse) {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number') throw refusing(argument, `must be a number, not ${describe(value)}`)
  return value
}

/** A boolean argument. */
function boolean(value, argument, refusing = refuse) {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') throw refusing(argument, `must be a boolean, not ${describe(value)}`)
  return value
}

/** PEM text or a file path: a string, a Buffer of PEM, or an array of those (as Node's `ca`). */
function pem(value, setting) {
  if (value === undefined || value === null) return undefined
  const one = (part) => {
    if (typeof part === 'string') return part
    if (Buffer.isBuffer(part)) return part.toString('utf8')
    throw refuseSetting(setting, `must be PEM text, a file path, a Buffer or an array of them, not ${describe(part)}`)
  }
  return Array.isArray(value) ? value.map(one).join('\n') : one(value)
}

/** A hook option: a function, or nothing. */
function hook(value, setting) {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'function') throw refuseSetting(setting, `must be a function taking one event, not ${describe(value)}`)
  return value
}

/**
 * The `logger`, `onRequest` and `onResponse` options as one function for the native side, which
 * calls it on this thread, in order (`console` is the logger when only `logLevel` is given):
 * `logger.debug` or `logger.warn` with the message first and the fields second, as console and
 * winston take them, when `level` is not null; the hooks with the attempt's event. A logger or
 * hook that throws does not fail the call.
 */
function eventSettings(options) {
  let { logger, logLevel } = options
  const onRequest = hook(options.onRequest, 'onRequest')
  const onResponse = hook(options.onResponse, 'onResponse')
  const logs = (logger !== undefined && logger !== null) || (logLevel !== undefined && logLevel !== null)
  if (!logs && !onRequest && !onResponse) return {}
  if (logs && (logger === undefined || logger === null)) logger = console
  if (logs && ((typeof logger !== 'object' && typeof logger !== 'function') || typeof logger.debug !== 'function' || typeof logger.warn !== 'function')) {
    throw refuseSetting('logger', `must be an object with debug() and warn() methods (console, pino, winston), not ${describe(logger)}`)
  }
  const eventFunction = (level, message, fields) => {
    if (fields === null) return // the native side waiting for the events before it
    if (level !== null) {
      try {
        logger[level](message, fields)
      } catch {
        // The application's logger failing is not the call's failure.
      }
    }
    const { event, method, integration, path, attempt } = fields
    try {
      if (event === 'sending' && onRequest) onRequest({ method, integration, path, attempt })
      else if (event === 'answered' && onResponse) {
        onResponse({ method, integration, path, attempt, status: fields.status, elapsedMs: fields.elapsedMs, requestId: fields.requestId ?? undefined })
      }
    } catch (error) {
      // Nobody can catch it here: reported as Node reports an error in an event listener.
      process.nextTick(() => process.emitWarning(`paragon-connect: a hook threw: ${error?.stack ?? error}`))
    }
  }
  return {
    eventFunction,
    logLevel: logs ? string(logLevel, 'logLevel', { refusing: refuseSetting }) ?? 'warn' : undefined,
    hooks: Boolean(onRequest || onResponse),
  }
}

/**
 * The span around a `requestMany()` (a child of the active context, whose propagation headers
 * every call sends) and, once the results are in, each call's client span under it, with the
 * times the core recorded: starting a span as each call is sent would cost the JavaScript thread
 * a turn per call.
 */
class BatchObservation {
  #span
  #context
  #tracer
  /** `[name, value]` pairs every call sends. */
  headers
  /** Whether the batch's span records: a sampled-out one (or a tracer without an SDK) gets no calls' spans. */
  recording

  /** Starts the batch's span, or returns undefined without a tracer. */
  static start(nativeClient, calls, concurrency) {
    const api = tracing()
    if (!api || idle(api)) return undefined
    const start = nativeClient.manySpanStart(calls, concurrency)
    if (start === null) return undefined
    try {
      const observation = new BatchObservation()
      observation.#tracer = api.trace.getTracer('paragon-connect', version)
      const active = api.context.active()
      const attributes = JSON.parse(start.attributes)
      observation.#span = observation.#tracer.startSpan(start.name, { kind: api.SpanKind.INTERNAL, attributes }, active)
      observation.#context = api.trace.setSpan(active, observation.#span)
      const carrier = {}
      api.propagation.inject(observation.#context, carrier)
      observation.headers = Object.entries(carrier).map(([name, value]) => [name, String(value)])
      observation.recording = observation.#span.isRecording()
      return observation
    } catch (error) {
      tracerFailed(error) // the calls go on, untraced
      return undefined
    }
  }

  /**
   * Makes the calls' spans and ends the batch's from the native outcome, and gives the inner
   * outcome: `["batch", [outcome, end, records]]`, or an error of a batch refused before
   * anything was sent; `failure` is what the native call threw instead, if it did.
   */
  end(outcome, failure) {
    const api = tracing()
    const [inner, end, records] = outcome?.[0] === 'batch' ? outcome[1] : [outcome, null, []]
    try {
      // A sampled-out batch has no calls' spans made under it.
      for (const record of this.#span.isRecording() ? records : []) {
        const attributes = JSON.parse(record.attributes)
        const options = { kind: api.SpanKind.CLIENT, attributes, startTime: record.startTime }
        const span = this.#tracer.startSpan(record.name, options, this.#context)
        span.setAttributes(JSON.parse(record.endAttributes))
        if (record.error != null) span.setStatus({ code: api.SpanStatusCode.ERROR, message: record.error })
        span.end(record.endTime)
      }
      if (end !== null) this.#span.setAttributes(JSON.parse(end.attributes))
      let error = end?.error ?? null
      if (failure !== undefined) error = String(failure?.message ?? failure)
      else if (end === null && inner[0] === 'error') error = toError(inner[1]).message
      if (error !== null) this.#span.setStatus({ code: api.SpanStatusCode.ERROR, message: error })
      this.#span.end()
    } catch (error) {
      tracerFailed(error)
    }
    return inner
  }
}

/** The diagnostics channels every proxy call publishes to, for APM tools. */
const channels = {
  start: diagnostics.channel('paragon-connect:request:start'),
  end: diagnostics.channel('paragon-connect:request:end'),
  error: diagnostics.channel('paragon-connect:request:error'),
}

/**
 * `@opentelemetry/api`, or null when it is not installed (it is an optional peer dependency) or
 * `paragon-connect` is in `OTEL_NODE_DISABLED_INSTRUMENTATIONS`.
 */
let openTelemetry
function tracing() {
  if (openTelemetry === undefined) {
    openTelemetry = null
    const disabled = (process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ?? '').split(',').map((name) => name.trim())
    if (!disabled.includes('paragon-connect')) {
      try {
        openTelemetry = require('@opentelemetry/api')
      } catch {
        // Not installed: calls are not traced.
      }
    }
  }
  return openTelemetry
}

/** The API's own no-op tracer provider (what an unset global one delegates to), once known. */
let noopTracerProvider

/**
 * Whether OpenTelemetry would neither record a span nor send a header: the API installed (often
 * as another package's dependency) without an SDK, so no tracer provider and no propagator set.
 * Then a call skips its span's making, which costs about a fifth of a call's JavaScript time.
 */
function idle(api) {
  try {
    noopTracerProvider ??= new api.ProxyTracerProvider().getDelegate()
    return api.trace.getTracerProvider().getDelegate?.() === noopTracerProvider && api.propagation.fields().length === 0
  } catch {
    return false // an API unlike the one documented: spans are made as usual
  }
}

/**
 * What watches one proxy call: its OpenTelemetry span (a child of the active context, whose
 * propagation headers the call sends) and the diagnostics channels' messages. The span's name
 * and attributes come from the core, at the start and at the end.
 */
class Observation {
  #span
  #request

  /** Starts watching the call `call` describes, or returns undefined when nobody watches. */
  static start(nativeClient, integrationType, path, call) {
    return Observation.of(() => nativeClient.spanStart(integrationType, path, call.method), integrationType, call)
  }

  /**
   * Starts watching a call whose span `spanStart()` describes (`null`: no call is made), putting
   * `trace` and `traceHeaders` on `call` for the native side.
   */
  static of(spanStart, integrationType, call) {
    let api = tracing()
    if (api && idle(api)) api = null
    const published = channels.start.hasSubscribers || channels.end.hasSubscribers || channels.error.hasSubscribers
    if (!api && !published) return undefined
    const start = spanStart()
    if (start === null) return undefined
    const observation = new Observation()
    const attributes = JSON.parse(start.attributes)
    if (api) {
      try {
        // Asked each time: the application may set (or replace) its tracer provider at any point.
        const tracer = api.trace.getTracer('paragon-connect', version)
        const active = api.context.active()
        const span = tracer.startSpan(start.name, { kind: api.SpanKind.CLIENT, attributes }, active)
        const carrier = {}
        api.propagation.inject(api.trace.setSpan(active, span), carrier)
        call.traceHeaders = Object.entries(carrier).map(([name, value]) => [name, String(value)])
        if (!published && !span.isRecording()) {
          // Sampled out, or the API without an SDK: the call sends the context and nothing
          // watches it (ending a span that records nothing does nothing).
          span.end()
          return undefined
        }
        observation.#span = span
      } catch (error) {
        tracerFailed(error) // the call goes on, untraced
      }
    }
    call.trace = true
    if (published) {
      observation.#request = { name: start.name, integrationType, attributes }
      channels.start.publish({ request: observation.#request })
    }
    return observation
  }

  /**
   * Awaits the native call `call` and gives its value by `finish(kind, payload)` (which may
   * throw), once the span is ended and the end published with what the core said of the
   * outcome (`["traced", [outcome, end]]`).
   */
  static async around(observation, call, finish) {
    if (observation === undefined) return finish(...(await call()))
    let outcome
    try {
      outcome = await call()
    } catch (error) {
      outcome = [null, error]
    }
    // A call refused before it was made, or a wrapper's error, has no end from the core.
    const [kind, payload] = outcome
    const [[innerKind, innerPayload], end] = kind === 'traced' ? payload : [[kind, payload], null]
    const attributes = end === null ? {} : JSON.parse(end.attributes)
    let value
    try {
      if (innerKind === null) throw innerPayload
      value = finish(innerKind, innerPayload)
    } catch (error) {
      observation.#end(attributes, end?.error ?? String(error?.message ?? error))
      if (observation.#request) channels.error.publish({ request: observation.#request, error, attributes })
      throw error
    }
    observation.#end(attributes, end?.error ?? null)
    if (observation.#request) channels.end.publish({ request: observation.#request, attributes })
    return value
  }

  #end(attributes, error) {
    const span = this.#span
    if (span === undefined) return
    try {
      span.setAttributes(attributes)
      if (error !== null) span.setStatus({ code: tracing().SpanStatusCode.ERROR, message: error })
      span.end()
    } catch (failure) {
      tracerFailed(failure)
    }
  }
}

/** A tracer (the application's OpenTelemetry SDK or exporter) that throws never fails the call. */
function tracerFailed(error) {
  process.nextTick(() => process.emitWarning(`paragon-connect: the OpenTelemetry tracer threw: ${error?.stack ?? error}`))
}

/** A proxy URL, or `false` for none. */
function proxy(value) {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' && typeof value !== 'boolean') {
    throw refuseSetting('proxy', `must be a proxy URL (a string) or false for none, not ${describe(value)}`)
  }
  return value
}

/** An options object (or nothing). */
function optionsObject(options, argument = 'options') {
  if (options === undefined) return {}
  if (typeof options !== 'object' || options === null) throw refuse(argument, `must be an object, not ${describe(options)}`)
  return options
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

/**
 * A call's options as the native side reads them: by place, in the order of `CallOptions` in
 * native-header.d.ts (and bindings-node/src/call.rs), the options most calls give first and the
 * trailing unset ones left off. Reading 19 fields by name cost each call more than the core's
 * own preparation of it; each element read still costs, so a short array is read fastest.
 */
function nativeOptions(call) {
  const options = [
    call.method, call.json, call.exactIntegers, call.raw, call.withResponse, call.trace,
    call.traceHeaders, call.headers, call.query, call.selectedCredentialId, call.text, call.bytes,
    call.timeout, call.deadline, call.maxRetries, call.idempotent, call.file, call.form,
    call.multipart,
  ]
  let length = options.length
  while (length > 0 && options[length - 1] === undefined) length--
  options.length = length
  return options
}

/** The body, typed: `text`, `bytes` or `json` (text `JSON.stringify` made, checked first). */
function bodyOptions(body) {
  if (body === undefined || body === null || isStreamed(body)) return {}
  if (typeof body === 'string') return { text: wellFormed(body, 'body') }
  if (Buffer.isBuffer(body)) return { bytes: body }
  if (ArrayBuffer.isView(body)) return { bytes: Buffer.from(body.buffer, body.byteOffset, body.byteLength) }
  if (body instanceof ArrayBuffer) return { bytes: Buffer.from(body) }
  checkJson(body, 'body')
  return { json: JSON.stringify(body) }
}

function toBuffer(bytes) {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** The multipart parts: text, bytes, `{ path }` (a file streamed from disk) or `{ data }`. */
function multipartParts(multipart) {
  if (typeof multipart !== 'object' || multipart === null) throw refuse('multipart', 'must be an object or [name, value] pairs')
  const entries = Array.isArray(multipart) ? multipart : Object.entries(multipart)
  return entries.map(([name, value]) => {
    const path = `multipart[${JSON.stringify(name)}]`
    if (typeof value === 'string') return { name, text: wellFormed(value, path) }
    if (ArrayBuffer.isView(value)) return { name, bytes: toBuffer(value) }
    if (typeof value === 'object' && value !== null) {
      const { path: file, data, filename, contentType } = value
      if (typeof file === 'string') return { name, path: file, filename, contentType }
      if (typeof data === 'string') return { name, text: wellFormed(data, path), filename, contentType }
      if (ArrayBuffer.isView(data)) return { name, bytes: toBuffer(data), filename, contentType }
    }
    throw refuse('multipart', `${path} must be a string, a Buffer, { path, filename?, contentType? } or { data, filename?, contentType? }`)
  })
}

/**
 * Headers, query parameters or form fields as `[name, value]` pairs, from an object, a `Headers`,
 * a `Map`, `URLSearchParams` or pairs. Values go to the core as they are: which it sends, and how,
 * is its rule (strings, numbers, booleans, BigInts, arrays of them; `undefined` left out).
 */
function fields(value, argument, refusing = refuse) {
  if (value === undefined || value === null) return undefined
  const entries =
    Array.isArray(value) ? value
    : typeof value.entries === 'function' && !isPlainObject(value) ? [...value.entries()]
    : typeof value === 'object' ? Object.entries(value)
    : null
  if (entries === null) throw refusing(argument, `must be an object, a Headers, a Map or [name, value] pairs, not ${describe(value)}`)
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') {
      throw refusing(argument, 'must hold [name, value] pairs with string names')
    }
  }
  return entries
}

function isPlainObject(value) {
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/** An object setting as JSON text for the native side, checked first. */
function jsonObject(value, setting, refusing = refuseSetting) {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) throw refusing(setting, `must be an object, not ${describe(value)}`)
  checkJson(value, setting, refusing)
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
    case 'meta': {
      const [[innerKind, innerPayload], meta] = payload
      const response = {
        status: meta.status,
        headers: headersFromPairs(meta.headers),
        requestId: meta.requestId ?? undefined,
        attempts: meta.attempts,
        elapsedMs: meta.elapsedMs,
      }
      return { data: settle(innerKind, innerPayload, signal), response }
    }
    case 'aborted':
      throw abortError(signal)
    default:
      throw toError(payload)
  }
}

/** The user's token function, as the core calls it before each attempt: always a promise. */
function tokenFunction(userToken) {
  return async (userId) => {
    const token = await (userId == null ? userToken() : userToken(userId))
    if (typeof token !== 'string') throw new TypeError(`the userToken function returned ${describe(token)}, not a string`)
    return token
  }
}

/** The constructor's options as the native side takes them, each checked for its type. */
function nativeSettings(options) {
  const { userToken } = options
  const setting = { refusing: refuseSetting }
  return {
    projectId: string(options.projectId, 'projectId', setting),
    userToken: typeof userToken === 'string' ? userToken : undefined,
    tokenFunction: typeof userToken === 'function' ? tokenFunction(userToken) : undefined,
    signingKey: string(options.signingKey, 'signingKey', setting),
    tokenLifetime: number(options.tokenLifetime, 'tokenLifetime', refuseSetting),
    tokenAudience: boolean(options.tokenAudience, 'tokenAudience', refuseSetting),
    tokenClaims: jsonObject(options.tokenClaims, 'tokenClaims'),
    permissions: jsonObject(options.permissions, 'permissions'),
    host: string(options.host, 'host', setting),
    proxyBaseUrl: string(options.proxyBaseUrl, 'proxyBaseUrl', setting),
    zeusBaseUrl: string(options.zeusBaseUrl, 'zeusBaseUrl', setting),
    hermesBaseUrl: string(options.hermesBaseUrl, 'hermesBaseUrl', setting),
    defaultHeaders: fields(options.defaultHeaders, 'defaultHeaders', refuseSetting),
    timeout: number(options.timeout, 'timeout', refuseSetting),
    connectTimeout: number(options.connectTimeout, 'connectTimeout', refuseSetting),
    deadline: number(options.deadline, 'deadline', refuseSetting),
    maxRetries: number(options.maxRetries, 'maxRetries', refuseSetting),
    maxRetryAfter: number(options.maxRetryAfter, 'maxRetryAfter', refuseSetting),
    maxResponseBytes: number(options.maxResponseBytes, 'maxResponseBytes', refuseSetting),
    allowInsecureHttp: boolean(options.allowInsecureHttp, 'allowInsecureHttp', refuseSetting),
    caCerts: pem(options.caCerts, 'caCerts'),
    useSystemRoots: boolean(options.useSystemRoots, 'useSystemRoots', refuseSetting),
    clientCert: pem(options.clientCert, 'clientCert'),
    clientKey: pem(options.clientKey, 'clientKey'),
    proxy: proxy(options.proxy),
    poolMaxIdlePerHost: number(options.poolMaxIdlePerHost, 'poolMaxIdlePerHost', refuseSetting),
    poolIdleTimeout: number(options.poolIdleTimeout, 'poolIdleTimeout', refuseSetting),
    tcpKeepalive: number(options.tcpKeepalive, 'tcpKeepalive', refuseSetting),
    http2: string(options.http2, 'http2', setting),
    ...eventSettings(options),
    runtime: `node ${process.versions.node}`,
  }
}

/** Lets `user()` make a bound client without going through the public constructor. */
const BIND = Symbol('bind')

// How paragon-connect/testing's recording fake reaches a client's native half (not public API).
const NATIVE_CLIENT = Symbol.for('paragon-connect.nativeClient')

class Paragon {
  #native
  #exactIntegers
  #user

  static [NATIVE_CLIENT](client) {
    return client !== null && typeof client === 'object' && #native in client ? client.#native : undefined
  }

  /**
   * @param {import('./index').ParagonOptions} [options]
   */
  constructor(options = {}, bound = undefined) {
    if (options === BIND) {
      ;({ native: this.#native, exactIntegers: this.#exactIntegers, user: this.#user } = bound)
      return
    }
    if (typeof options !== 'object' || options === null) throw refuseSetting('options', `must be an object, not ${describe(options)}`)
    const { userToken } = options
    if (userToken !== undefined && typeof userToken !== 'string' && typeof userToken !== 'function') {
      throw refuseSetting('userToken', 'must be a string, or a function (sync or async) returning one')
    }
    // Settings not given are read from PARAGON_* variables by the core.
    this.#native = new NativeClient(nativeSettings(options))
    const problem = this.#native.configError()
    if (problem) throw toError(problem)
    this.#exactIntegers = Boolean(boolean(options.exactIntegers, 'exactIntegers', refuseSetting))
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
    string(userId, 'userId', { required: true })
    const problem = this.#native.checkUser(userId)
    if (problem) throw toError(problem)
    return new Paragon(BIND, { native: this.#native, exactIntegers: this.#exactIntegers, user: userId })
  }

  /**
   * A copy of this client with some per-call settings changed (`timeout`, `deadline`,
   * `maxRetries`, `maxRetryAfter`, `maxResponseBytes`, `defaultHeaders`, which replace the
   * client's of the same name, and `exactIntegers`), sharing its connections, credentials and
   * user. Any other setting is refused with a `ConfigurationError` naming it.
   *
   * @param {object} options
   */
  withOptions(options) {
    options = optionsObject(options)
    const { exactIntegers, ...settings } = options
    for (const hook of ['onRequest', 'onResponse']) {
      // Hooks are this package's, not the core's: a copy keeps the client's.
      if (settings[hook] !== undefined) throw refuseSetting(hook, 'cannot be changed by withOptions (copies share the client\'s connections, credentials and events): build a new client')
    }
    const native = this.#native.withOptions(nativeSettings(settings))
    const problem = native.configError()
    if (problem) throw toError(problem)
    const exact = boolean(exactIntegers, 'exactIntegers', refuseSetting) ?? this.#exactIntegers
    return new Paragon(BIND, { native, exactIntegers: exact, user: this.#user })
  }

  /**
   * Releases the pooled connections (shared with the `user(id)` clients made from this one);
   * the client opens new ones if used again. `await using paragon = new Paragon(...)` calls it.
   *
   * @returns {Promise<void>}
   */
  async close() {
    const problem = this.#native.close()
    if (problem) throw toError(problem)
  }

  async [Symbol.asyncDispose]() {
    await this.close()
  }

  /**
   * The options every proxy call takes, typed for the native side; with `uploads`, also `file`,
   * `form` and `multipart`. Every call's object has the same fields (those not given left
   * undefined): spreading or adding fields later made each one a slow dictionary object, which
   * cost `requestMany()` more time than its calls took to send.
   */
  #callOptions(options, uploads = false) {
    const { method, body, headers, query, selectedCredentialId, timeout, deadline, maxRetries, idempotent } = options
    const call = {
      method: string(method, 'method'),
      json: undefined,
      text: undefined,
      bytes: undefined,
      file: undefined,
      form: undefined,
      multipart: undefined,
      headers: undefined,
      query: undefined,
      selectedCredentialId: undefined,
      raw: undefined,
      timeout: undefined,
      deadline: undefined,
      maxRetries: undefined,
      idempotent: undefined,
      exactIntegers: undefined,
      withResponse: undefined,
      traceHeaders: undefined,
      trace: undefined,
    }
    const typed = bodyOptions(body)
    call.json = typed.json
    call.text = typed.text
    call.bytes = typed.bytes
    call.headers = fields(headers, 'headers')
    call.query = fields(query, 'query')
    call.selectedCredentialId = string(selectedCredentialId, 'selectedCredentialId')
    call.timeout = number(timeout, 'timeout')
    call.deadline = number(deadline, 'deadline')
    call.maxRetries = number(maxRetries, 'maxRetries')
    call.idempotent = boolean(idempotent, 'idempotent')
    if (uploads) {
      const { file, form, multipart } = options
      if (file !== undefined) call.file = wellFormed(string(file, 'file', { required: true }), 'file')
      if (form !== undefined) call.form = fields(form, 'form')
      if (multipart !== undefined) call.multipart = multipartParts(multipart)
    }
    return call
  }

  /**
   * Calls `path` of the integration's API through Paragon's proxy, as the user.
   *
   * @param {string} integrationType
   * @param {string} path
   * @param {import('./index').RequestOptions} [options]
   */
  async request(integrationType, path, options = {}) {
    string(integrationType, 'integrationType', { required: true })
    wellFormed(string(path, 'path', { required: true }), 'path')
    options = optionsObject(options)
    const { body, raw, signal, exactIntegers, withResponse } = options
    if (signal?.aborted) throw abortError(signal)
    const call = this.#callOptions(options, true)
    call.raw = boolean(raw, 'raw')
    call.exactIntegers = boolean(exactIntegers, 'exactIntegers') ?? this.#exactIntegers
    call.withResponse = boolean(withResponse, 'withResponse')
    const writer = isStreamed(body) ? new BodyWriter() : undefined
    const observation = Observation.start(this.#native, integrationType, path, call)
    const answer = () => this.#cancellable(signal, (cancel) => {
      const answer = this.#native.request(integrationType, path, nativeOptions(call), this.#user, cancel, writer)
      if (writer) pump(body, writer)
      return answer
    })
    return Observation.around(observation, answer, (kind, payload) => settle(kind, payload, signal))
  }

  /** Runs a native call that honours `signal` (and can be cancelled from JavaScript if `always`). */
  #cancellable(signal, run, always = false) {
    if (!signal && !always) return run(undefined)
    return cancellableBy(signal, run)
  }

  /**
   * Walks the pages of `path`: an async iterable of each page as `request()` gives it, or with
   * `items` of each item. Arguments are checked now; pages are fetched as the loop asks.
   *
   * @param {string} integrationType
   * @param {string} path
   * @param {import('./index').PaginateOptions} [options]
   */
  paginate(integrationType, path, options = {}) {
    string(integrationType, 'integrationType', { required: true })
    wellFormed(string(path, 'path', { required: true }), 'path')
    options = optionsObject(options)
    const { body, signal, exactIntegers, pagination, items, maxPages, maxItems } = options
    if (isStreamed(body)) throw refuse('body', 'a stream can be sent once; each page sends the body again')
    const call = this.#callOptions(options)
    call.exactIntegers = boolean(exactIntegers, 'exactIntegers') ?? this.#exactIntegers
    const custom = typeof pagination === 'function'
    const page = {
      pagination: custom ? undefined : paginationText(pagination),
      custom,
      items: string(items, 'items'),
      maxPages: number(maxPages, 'maxPages'),
      maxItems: number(maxItems, 'maxItems'),
    }
    const walk = this.#native.paginate(integrationType, path, nativeOptions(call), page, this.#user)
    const problem = walk.problem()
    if (problem) throw toError(problem)
    return walkPages(walk, integrationType, custom ? pagination : undefined, signal)
  }

  /**
   * Makes many calls with at most `concurrency` (16) in flight inside the core, and resolves to
   * their results in the order given, shaped as `Promise.allSettled`'s: `{ status: 'fulfilled',
   * value }` or `{ status: 'rejected', reason }`. With `stopOnError`, rejects with the first
   * error instead (the rest are not sent). Aborting `signal` stops every call.
   *
   * @param {Iterable<import('./index').ManyCall>} calls
   * @param {import('./index').RequestManyOptions} [options]
   */
  async requestMany(calls, options = {}) {
    if (calls === null || typeof calls !== 'object' || typeof calls[Symbol.iterator] !== 'function') {
      throw refuse('calls', `must be an array (or any iterable) of calls, not ${describe(calls)}`)
    }
    options = optionsObject(options)
    const { concurrency, stopOnError, signal, exactIntegers } = options
    const exact = boolean(exactIntegers, 'exactIntegers') ?? this.#exactIntegers
    const native = [...calls].map((call, index) => {
      try {
        return this.#manyCall(call, exact)
      } catch (error) {
        if (!(error instanceof errorClasses.InvalidRequestError)) throw error
        const reason = error.message.replace(/^invalid request \S+: /, '')
        throw refuse(`calls[${index}].${error.argument}`, reason)
      }
    })
    const stop = boolean(stopOnError, 'stopOnError') ?? false
    const most = number(concurrency, 'concurrency')
    const batch = BatchObservation.start(this.#native, native.length, most)
    let outcome
    try {
      outcome = await this.#cancellable(signal, (cancel) =>
        this.#native.requestMany(native, most, stop, exact, cancel, batch?.headers, batch?.recording))
    } catch (error) {
      batch?.end(undefined, error)
      throw error
    }
    const [kind, payload] = batch ? batch.end(outcome) : outcome
    if (kind !== 'many') return settle(kind, payload, signal)
    return payload.map(([kind, payload]) => {
      try {
        return { status: 'fulfilled', value: settle(kind, payload, signal) }
      } catch (reason) {
        return { status: 'rejected', reason }
      }
    })
  }

  /** One call of `requestMany()` as the native side takes it. */
  #manyCall(call, exactIntegers) {
    let integrationType, path, options
    if (Array.isArray(call)) {
      if (call.length < 2 || call.length > 3) throw refuse('calls', `an array call must be [integrationType, path] or [integrationType, path, options], not ${call.length} items`)
      ;[integrationType, path] = call
      options = optionsObject(call[2] ?? {})
      for (const key of ['integrationType', 'path']) {
        if (Object.hasOwn(options, key)) throw refuse('calls', `an array call gives ${key} first; its options must not give it again`)
      }
    } else if (call === null || typeof call !== 'object') {
      throw refuse('calls', `each call must be an object or [integrationType, path, options?], not ${describe(call)}`)
    } else {
      ;({ integrationType, path } = call)
      options = call
    }
    for (const key in options) {
      if (Object.hasOwn(options, key) && !MANY_CALL_KEYS.has(key)) throw refuse('calls', `${JSON.stringify(key)} is not an option of a call (its options: ${[...MANY_CALL_KEYS].join(', ')})`)
    }
    if (isStreamed(options.body)) throw refuse('body', 'requestMany takes no streamed bodies')
    integrationType = string(integrationType, 'integrationType', { required: true })
    path = wellFormed(string(path, 'path', { required: true }), 'path')
    const user = string(options.user, 'user')
    const typed = this.#callOptions(options, true)
    typed.raw = boolean(options.raw, 'raw')
    typed.exactIntegers = exactIntegers
    // By place, as `NativeManyCall` in native-header.d.ts.
    return [integrationType, path, nativeOptions(typed), user]
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
    string(integrationType, 'integrationType', { required: true })
    string(path, 'path', { required: true })
    options = optionsObject(options)
    const call = this.#callOptions(options)
    const native = new NativeStream()
    const observation = Observation.start(this.#native, integrationType, path, call)
    const head = () => this.#cancellable(options.signal, (cancel) =>
      this.#native.stream(integrationType, path, nativeOptions(call), this.#user, native, cancel))
    const payload = await Observation.around(observation, head, (kind, payload) => {
      if (kind !== 'head') settle(kind, payload, options.signal)
      return payload
    })
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
    string(integrationType, 'integrationType', { required: true })
    string(path, 'path', { required: true })
    options = optionsObject(options)
    const to = string(options.to, 'to', { required: true })
    const { onProgress } = options
    if (onProgress !== undefined && typeof onProgress !== 'function') throw refuse('onProgress', `must be a function, not ${describe(onProgress)}`)
    const call = this.#callOptions(options)
    // What onProgress throws stops the download (no file is left) and rejects the call with it.
    const failed = { thrown: false, error: undefined, cancel: undefined }
    const progress = onProgress && ((done, total) => {
      if (failed.thrown) return
      try {
        onProgress(done, total ?? undefined)
      } catch (error) {
        Object.assign(failed, { thrown: true, error })
        failed.cancel?.()
      }
    })
    const observation = Observation.start(this.#native, integrationType, path, call)
    const done = () => this.#cancellable(options.signal, (cancel) => {
      failed.cancel = () => cancel.cancel()
      return this.#native.download(integrationType, path, nativeOptions(call), this.#user, to, progress, cancel)
    }, Boolean(onProgress))
    return Observation.around(observation, done, (kind, payload) => {
      if (failed.thrown) throw failed.error
      if (kind !== 'downloaded') return settle(kind, payload, options.signal)
      return { status: payload.status, headers: headersFromPairs(payload.headers), path: payload.path, size: payload.size }
    })
  }

  /** The user and their connected integrations. */
  async getUser() {
    return settle(...(await this.#native.getUser(this.#user, this.#exactIntegers)))
  }

  /** Sets the user's metadata (`Name`, `Email`, ...); resolves to the user. */
  async setUserMetadata(meta) {
    if (meta === undefined || meta === null) throw refuse('meta', `must be an object, not ${describe(meta)}`)
    const text = jsonObject(meta, 'meta', refuse)
    return settle(...(await this.#native.setUserMetadata(this.#user, this.#exactIntegers, text)))
  }

  /** The project's integrations (ids, types, custom names). */
  async listIntegrations() {
    return settle(...(await this.#native.listIntegrations(this.#user, this.#exactIntegers)))
  }

  /** The id of an integration type (`custom.tasklab` -> its UUID), from the cached list. */
  async integrationId(integrationType) {
    string(integrationType, 'integrationType', { required: true })
    return settle(...(await this.#native.integrationId(this.#user, integrationType)))
  }

  /** The user's connected account for an integration. */
  async getAccount(integrationType, options) {
    string(integrationType, 'integrationType', { required: true })
    const include = boolean(optionsObject(options).includeAccountAuth, 'includeAccountAuth') ?? false
    return settle(...(await this.#native.getAccount(this.#user, this.#exactIntegers, integrationType, include)))
  }

  /** Disconnects the user from an integration (or one of its accounts). */
  async uninstallIntegration(integrationType, options) {
    string(integrationType, 'integrationType', { required: true })
    const credential = string(optionsObject(options).selectedCredentialId, 'selectedCredentialId')
    return settle(...(await this.#native.uninstallIntegration(this.#user, integrationType, credential)))
  }

  /** Triggers a workflow that has a request trigger. */
  async triggerWorkflow(workflowId, options) {
    string(workflowId, 'workflowId', { required: true })
    const { body, query, headers, selectedCredentialId, selectedConfigurationId } = optionsObject(options)
    if (body !== undefined) checkJson(body, 'body')
    const trigger = {
      json: body === undefined ? undefined : JSON.stringify(body),
      query: fields(query, 'query'),
      headers: fields(headers, 'headers'),
      selectedCredentialId: string(selectedCredentialId, 'selectedCredentialId'),
      selectedConfigurationId: string(selectedConfigurationId, 'selectedConfigurationId'),
    }
    return settle(...(await this.#native.triggerWorkflow(this.#user, this.#exactIntegers, workflowId, trigger)))
  }

  /** Sends an App Event. */
  async sendEvent(name, payload = {}) {
    string(name, 'name', { required: true })
    checkJson(payload, 'payload')
    return settle(...(await this.#native.sendEvent(this.#user, name, JSON.stringify(payload))))
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
    string(value, name, { required: true, refusing: refuseSetting })
  }
  const { lifetime, audience, claims, permissions } = optionsObject(options)
  jsonObject(claims, 'claims')
  jsonObject(permissions, 'permissions')
  const text = JSON.stringify({
    lifetime: number(lifetime, 'lifetime', refuseSetting),
    audience: boolean(audience, 'audience', refuseSetting),
    claims,
    permissions,
  })
  const [kind, payload] = native.signUserToken(signingKey, projectId, userId, text)
  return settle(kind, payload)
}

module.exports = {
  Paragon,
  signUserToken,
  ...errorClasses,
  version,
}
