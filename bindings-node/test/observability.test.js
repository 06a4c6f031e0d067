'use strict'
// Hooks, diagnostics_channel and OpenTelemetry: what an application's instrumentation sees.

const test = require('node:test')
const assert = require('node:assert/strict')
const diagnostics = require('node:diagnostics_channel')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { context, propagation, trace, SpanKind, SpanStatusCode } = require('@opentelemetry/api')
const { AlwaysOffSampler, BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base')
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks')
const { W3CTraceContextPropagator } = require('@opentelemetry/core')
const pc = require('..')
const { Paragon } = pc
const { withSandbox } = require('./sandbox.js')

/** Runs `body(exporter)` with a global tracer provider (with `sampler`, if given), context manager and propagator. */
async function withTracing(body, sampler) {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] })
  trace.setGlobalTracerProvider(provider)
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  try {
    return await body(exporter)
  } finally {
    await provider.shutdown()
    trace.disable()
    context.disable()
    propagation.disable()
  }
}

const sent = async (sandbox, index = -1) => Object.fromEntries((await sandbox.requests()).at(index).headers)

test('each call is one client span, a child of the active one, its context sent', () =>
  withSandbox((sandbox) => withTracing(async (exporter) => {
    const paragon = new Paragon(await sandbox.settings())
    const tracer = trace.getTracer('the-application')
    const parent = tracer.startSpan('handle-request')
    await context.with(trace.setSpan(context.active(), parent), () =>
      paragon.request('slack', '/chat.postMessage?token=s3cr3t', { method: 'POST', body: { a: 1 } }))
    parent.end()
    const [span] = exporter.getFinishedSpans()
    assert.equal(span.name, 'POST slack')
    assert.equal(span.kind, SpanKind.CLIENT)
    assert.equal(span.parentSpanContext?.spanId ?? span.parentSpanId, parent.spanContext().spanId)
    assert.equal(span.attributes['http.request.method'], 'POST')
    assert.equal(span.attributes['http.response.status_code'], 200)
    assert.equal(span.attributes['paragon.integration'], 'slack')
    assert.equal(span.attributes['url.full'], `${sandbox.url}/projects/${sandbox.projectId}/sdk/proxy/slack/chat.postMessage?token=REDACTED`)
    assert.ok(!JSON.stringify(span.attributes).includes('s3cr3t'))
    assert.equal(span.status.code, SpanStatusCode.UNSET)
    const { traceId, spanId, traceFlags } = span.spanContext()
    assert.equal((await sent(sandbox)).traceparent, `00-${traceId}-${spanId}-0${traceFlags}`)
  })))

test('a retried call that fails is one span with its error, every attempt with its context', () =>
  withSandbox((sandbox) => withTracing(async (exporter) => {
    const paragon = new Paragon(await sandbox.settings())
    await sandbox.pushReply({ status: 503, headers: [['retry-after', '0']] })
    await sandbox.pushReply({ status: 404, body: { json: { message: 'no such file' } } })
    await assert.rejects(paragon.request('googledrive', '/files/missing'), pc.NotFoundError)
    const spans = exporter.getFinishedSpans()
    assert.equal(spans.length, 1)
    const [span] = spans
    assert.equal(span.attributes['http.response.status_code'], 404)
    assert.equal(span.attributes['error.type'], '404')
    assert.equal(span.attributes['http.request.resend_count'], 1)
    assert.equal(span.status.code, SpanStatusCode.ERROR)
    assert.match(span.status.message, /no such file/)
    assert.equal((await sent(sandbox, 0)).traceparent, (await sent(sandbox, 1)).traceparent)
  })))

test('an aborted call ends its span as cancelled; streams and downloads are spans too', () =>
  withSandbox((sandbox) => withTracing(async (exporter) => {
    const paragon = new Paragon(await sandbox.settings())
    await sandbox.pushReply({ status: 200, delay_ms: 5000 })
    await assert.rejects(paragon.request('echo', '/slow', { signal: AbortSignal.timeout(200) }), { name: 'TimeoutError' })
    const [aborted] = exporter.getFinishedSpans()
    assert.equal(aborted.attributes['error.type'], 'cancelled')
    assert.equal(aborted.status.code, SpanStatusCode.ERROR)

    exporter.reset()
    const file = `/files/${sandbox.driveFileId}?alt=media`
    const { body } = await paragon.stream('googledrive', file)
    for await (const _ of body);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paragon-'))
    try {
      await paragon.download('googledrive', file, { to: path.join(dir, 'file.pdf') })
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
    const spans = exporter.getFinishedSpans()
    assert.deepEqual(spans.map((span) => [span.name, span.attributes['http.response.status_code']]), [['GET googledrive', 200], ['GET googledrive', 200]])
  })))

test('each page of a walk is one client span with its number; a failed page ends with its error', () =>
  withSandbox((sandbox) => withTracing(async (exporter) => {
    const paragon = new Paragon(await sandbox.settings())
    const parent = trace.getTracer('the-application').startSpan('walk')
    let pages = 0
    await context.with(trace.setSpan(context.active(), parent), async () => {
      for await (const _ of paragon.paginate('slack', '/users.list')) pages += 1
    })
    parent.end()
    assert.ok(pages >= 2)
    const spans = exporter.getFinishedSpans().filter((span) => span.name === 'GET slack')
    assert.deepEqual(spans.map((span) => span.attributes['paragon.page']), Array.from({ length: pages }, (_, i) => i + 1))
    const requests = await sandbox.requests()
    spans.forEach((span, index) => {
      assert.equal(span.kind, SpanKind.CLIENT)
      assert.equal(span.parentSpanContext?.spanId ?? span.parentSpanId, parent.spanContext().spanId)
      assert.equal(span.attributes['http.response.status_code'], 200)
      const traceparent = Object.fromEntries(requests[index].headers).traceparent
      assert.equal(traceparent, `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`)
    })
    exporter.reset()
    const failing = new Paragon({ ...(await sandbox.settings()), maxRetries: 0 })
      .paginate('custom.tasklab', '/tasks/failing', { pagination: { type: 'cursor', cursor: 'next', param: 'cursor' } })
    await assert.rejects(async () => { for await (const _ of failing); }, pc.InternalServerError)
    const statuses = exporter.getFinishedSpans().map((span) => [span.attributes['paragon.page'], span.status.code])
    assert.deepEqual(statuses, [[1, SpanStatusCode.UNSET], [2, SpanStatusCode.UNSET], [3, SpanStatusCode.ERROR]])
  })))

test('requestMany is one span, each call a client span under it with the time it took', () =>
  withSandbox((sandbox) => withTracing(async (exporter) => {
    const paragon = new Paragon(await sandbox.settings())
    const slow = { integrationType: 'custom.tasklab', path: '/tasks/slow', query: { cursor: 'c3', delay_ms: '300' } }
    const calls = [{ integrationType: 'echo', path: '/a' }, slow, { integrationType: 'googledrive', path: '/files/nope' }, { integrationType: 'echo', path: '/b' }]
    const parent = trace.getTracer('the-application').startSpan('handle-request')
    const results = await context.with(trace.setSpan(context.active(), parent), () => paragon.requestMany(calls, { concurrency: 2 }))
    parent.end()
    assert.equal(results[2].status, 'rejected')
    const spans = exporter.getFinishedSpans()
    const batch = spans.find((span) => span.name === 'request_many')
    assert.equal(batch.kind, SpanKind.INTERNAL)
    assert.equal(batch.parentSpanContext?.spanId ?? batch.parentSpanId, parent.spanContext().spanId)
    assert.deepEqual(batch.attributes, { 'paragon.calls': 4, 'paragon.concurrency': 2, 'paragon.failed': 1 })
    const seconds = ([s, ns]) => s + ns / 1e9
    const children = spans.filter((span) => (span.parentSpanContext?.spanId ?? span.parentSpanId) === batch.spanContext().spanId)
    assert.deepEqual(children.map((span) => span.name).sort(), ['GET custom.tasklab', 'GET echo', 'GET echo', 'GET googledrive'])
    for (const span of children) {
      assert.equal(span.kind, SpanKind.CLIENT)
      assert.ok(seconds(batch.startTime) <= seconds(span.startTime) && seconds(span.endTime) <= seconds(batch.endTime))
      const took = seconds(span.endTime) - seconds(span.startTime)
      if (span.name === 'GET custom.tasklab') assert.ok(took >= 0.3, `the call's own time: ${took}`)
      else assert.ok(took < 0.3, `${span.name} took ${took}`)
      assert.equal(span.status.code === SpanStatusCode.ERROR, span.name === 'GET googledrive')
    }
    for (const request of await sandbox.requests()) {
      assert.match(Object.fromEntries(request.headers).traceparent, new RegExp(`-${batch.spanContext().spanId}-`))
    }
    exporter.reset()
    await assert.rejects(paragon.requestMany([{ integrationType: 'no such/type', path: '/x' }]), pc.InvalidRequestError)
    const [refused] = exporter.getFinishedSpans()
    assert.equal(refused.name, 'request_many')
    assert.equal(refused.status.code, SpanStatusCode.ERROR)
  })))

test('a caller\'s own traceparent is kept; without a tracer provider nothing is added', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    await paragon.request('echo', '/untraced')
    assert.equal((await sent(sandbox)).traceparent, undefined)
    await withTracing(async (exporter) => {
      const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
      await paragon.request('echo', '/x', { headers: { traceparent: own } })
      assert.equal((await sent(sandbox)).traceparent, own)
      assert.equal(exporter.getFinishedSpans().length, 1)
    })
  }))

test('a propagator without a tracer provider sends the caller\'s context on, unchanged', () =>
  withSandbox(async (sandbox) => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
    propagation.setGlobalPropagator(new W3CTraceContextPropagator())
    try {
      const paragon = new Paragon(await sandbox.settings())
      const remote = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true }
      await context.with(trace.setSpanContext(context.active(), remote), async () => {
        await paragon.request('echo', '/one')
        await paragon.requestMany([{ integrationType: 'echo', path: '/two' }])
      })
      for (const request of await sandbox.requests()) {
        assert.equal(Object.fromEntries(request.headers).traceparent, `00-${remote.traceId}-${remote.spanId}-01`)
      }
      assert.equal((await sandbox.requests()).length, 2)
    } finally {
      context.disable()
      propagation.disable()
    }
  }))

test('sampled out, a call or a batch sends its context and makes no span', () =>
  withSandbox((sandbox) => withTracing(async (exporter) => {
    const paragon = new Paragon(await sandbox.settings())
    await paragon.request('echo', '/one')
    const calls = [{ integrationType: 'echo', path: '/a' }, { integrationType: 'googledrive', path: '/files/nope' }, { integrationType: 'echo', path: '/b' }]
    const results = await paragon.requestMany(calls, { concurrency: 2 })
    assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'rejected', 'fulfilled'])
    assert.ok(results[1].reason instanceof pc.NotFoundError)
    assert.equal(exporter.getFinishedSpans().length, 0)
    const requests = await sandbox.requests()
    assert.equal(requests.length, 4)
    for (const request of requests) {
      // The sampling decision travels on: the flags' sampled bit is off.
      const { traceparent } = Object.fromEntries(request.headers)
      assert.match(traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/)
      assert.equal(Number.parseInt(traceparent.slice(-2), 16) & 1, 0, traceparent)
    }
  }, new AlwaysOffSampler())))

test('diagnostics_channel: start, end and error for each call, with the core\'s attributes', () =>
  withSandbox(async (sandbox) => {
    const messages = []
    const subscribers = Object.fromEntries(['start', 'end', 'error'].map((name) => [name, (message) => messages.push([name, message])]))
    for (const [name, subscriber] of Object.entries(subscribers)) diagnostics.subscribe(`paragon-connect:request:${name}`, subscriber)
    try {
      const paragon = new Paragon(await sandbox.settings())
      await paragon.request('echo', '/seen?secret=s3cr3t')
      await sandbox.pushReply({ status: 404, body: { json: { message: 'gone' } } })
      const failed = await paragon.request('echo', '/missing').catch((error) => error)
      assert.ok(failed instanceof pc.NotFoundError)
      assert.deepEqual(messages.map(([name, message]) => [name, message.request.attributes['http.request.method'], message.request.integrationType]), [
        ['start', 'GET', 'echo'],
        ['end', 'GET', 'echo'],
        ['start', 'GET', 'echo'],
        ['error', 'GET', 'echo'],
      ])
      assert.equal(messages[1][1].attributes['http.response.status_code'], 200)
      assert.equal(messages[3][1].error, failed)
      assert.equal(messages[3][1].attributes['error.type'], '404')
      assert.ok(!JSON.stringify(messages.map(([, m]) => m.request)).includes('s3cr3t'))
    } finally {
      for (const [name, subscriber] of Object.entries(subscribers)) diagnostics.unsubscribe(`paragon-connect:request:${name}`, subscriber)
    }
  }))

test('hooks see each attempt, in order, before the call settles', () =>
  withSandbox(async (sandbox) => {
    const events = []
    const settings = await sandbox.settings()
    const paragon = new Paragon({
      ...settings,
      onRequest: (event) => events.push(['request', event]),
      onResponse: (event) => events.push(['response', event]),
    })
    await sandbox.pushReply({ status: 503, headers: [['retry-after', '0']] })
    await paragon.request('echo', '/hooked?secret=s3cr3t')
    // No waiting: every hook of the call has run when it settles.
    assert.deepEqual(events.map(([kind, event]) => [kind, event.attempt, event.status]), [
      ['request', 1, undefined],
      ['response', 1, 503],
      ['request', 2, undefined],
      ['response', 2, 200],
    ])
    assert.deepEqual(events[0][1], { method: 'GET', integration: 'echo', path: '/hooked', attempt: 1 })
    assert.ok(events[1][1].elapsedMs > 0)
    const shown = JSON.stringify(events)
    for (const secret of [settings.userToken, 's3cr3t']) assert.ok(!shown.includes(secret))

    // Copies and user-API calls keep them.
    events.length = 0
    await paragon.withOptions({ timeout: 5000 }).getUser()
    assert.deepEqual(events.map(([kind]) => kind), ['request', 'response'])
  }))

test('each page of a walk settles after its calls\' hooks ran', () =>
  withSandbox(async (sandbox) => {
    const answered = []
    const paragon = new Paragon({ ...(await sandbox.settings()), onResponse: (event) => answered.push(event.status) })
    const walk = paragon.paginate('slack', '/users.list')
    let pages = 0
    for (;;) {
      const next = walk.next()
      // The JavaScript thread busy while the page arrives: its hooks' events and its answer are
      // then waiting together, and the answer must not be taken first.
      const until = Date.now() + 150
      while (Date.now() < until);
      if ((await next).done) break
      pages += 1
      assert.equal(answered.length, pages)
    }
    assert.ok(pages >= 2)
  }))

test('a hook that throws is a warning, never the call\'s failure; a bad hook is refused', () =>
  withSandbox(async (sandbox) => {
    const settings = await sandbox.settings()
    const warnings = []
    const onWarning = (warning) => warnings.push(warning.message)
    process.on('warning', onWarning)
    try {
      const paragon = new Paragon({ ...settings, onResponse: () => { throw new Error('hook failed') } })
      assert.ok(await paragon.request('echo', '/x'))
      for (let i = 0; i < 100 && warnings.length < 1; i++) await new Promise((resolve) => setTimeout(resolve, 10))
      assert.equal(warnings.length, 1)
      assert.match(warnings[0], /a hook threw: Error: hook failed/)
    } finally {
      process.off('warning', onWarning)
    }
    assert.throws(() => new Paragon({ ...settings, onRequest: 'nope' }), (error) => error instanceof pc.ConfigurationError && error.setting === 'onRequest')
    const client = new Paragon(settings)
    assert.throws(() => client.withOptions({ onResponse() {} }), (error) => error instanceof pc.ConfigurationError && error.setting === 'onResponse')
  }))

test('a tracer that throws is a warning, never the call\'s failure', () =>
  withSandbox((sandbox) => withTracing(async (exporter) => {
    const warnings = []
    const onWarning = (warning) => warnings.push(warning.message)
    process.on('warning', onWarning)
    const broken = { onStart() {}, onEnd() { throw new Error('exporter down') }, forceFlush: async () => {}, shutdown: async () => {} }
    trace.disable()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter), broken] })
    trace.setGlobalTracerProvider(provider)
    try {
      const paragon = new Paragon(await sandbox.settings())
      assert.ok(await paragon.request('echo', '/x'))
      for (let i = 0; i < 100 && warnings.length < 1; i++) await new Promise((resolve) => setTimeout(resolve, 10))
      assert.equal(warnings.length, 1)
      assert.match(warnings[0], /the OpenTelemetry tracer threw: Error: exporter down/)
    } finally {
      process.off('warning', onWarning)
      await provider.shutdown()
    }
  })))
