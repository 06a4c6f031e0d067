// Node clients side by side against paragon-bench-server (BENCH_URL): the same POST with a small
// JSON body and a Bearer token, the answer parsed and `output` unwrapped; a 1 MB JSON and a 10 MB
// binary answer. Clients take turns round by round (so a slow spell of the machine hits them
// all), and each prints the median of its rounds as one JSON line:
// `{language, client, case, value, unit}`. `node_bench.mjs child <what>` runs the measurements
// that need a fresh process (import time, memory).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const here = fileURLToPath(import.meta.url)
const URL = process.env.BENCH_URL
if (!URL) throw new Error('BENCH_URL is not set: run bench/run.sh')
const N = Number(process.env.BENCH_REQUESTS ?? 5000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const PATH = '/projects/p/sdk/proxy/slack/chat.postMessage'
const BODY = { channel: 'C0', text: 'hi' }
const TOKEN = 'bench-token-not-checked'
const HEADERS = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }
const SIGNING_KEY = readFileSync(new globalThis.URL('../tests/sandbox/keys/sandbox-signing-key.pem', import.meta.url), 'utf8')

function report(client, caseName, value, unit = 'req/s') {
  console.log(JSON.stringify({ language: 'node', client, case: caseName, value, unit }))
}

const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** Calls/s of `call` at `concurrency`; `cpu` collects the process's CPU µs per call. */
async function rate(call, count, concurrency, cpu = []) {
  const perWorker = Math.max(1, Math.floor(count / concurrency))
  const worker = async () => { for (let i = 0; i < perWorker; i++) await call() }
  const used = process.cpuUsage()
  const started = process.hrtime.bigint()
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const { user, system } = process.cpuUsage(used)
  cpu.push((user + system) / (perWorker * concurrency))
  return (perWorker * concurrency) / seconds
}

/** Each client's median calls/s over the rounds (and its CPU per call when `withCpu`). */
async function interleaved(caseName, calls, count, concurrency, withCpu = false) {
  for (const call of Object.values(calls)) await rate(call, Math.max(concurrency, count / 10), concurrency)
  const rates = Object.fromEntries(Object.keys(calls).map((name) => [name, []]))
  const cpu = Object.fromEntries(Object.keys(calls).map((name) => [name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, call] of Object.entries(calls)) rates[name].push(await rate(call, count, concurrency, cpu[name]))
  }
  for (const [name, values] of Object.entries(rates)) report(name, caseName, median(values))
  if (withCpu) for (const [name, values] of Object.entries(cpu)) report(name, `${caseName} CPU per call`, median(values), 'µs')
}

function microseconds(fn, count = 20000) {
  for (let i = 0; i < count / 10; i++) fn()
  const started = process.hrtime.bigint()
  for (let i = 0; i < count; i++) fn()
  return Number(process.hrtime.bigint() - started) / 1e3 / count
}

async function asyncMicroseconds(fn, count = 20000) {
  for (let i = 0; i < count / 10; i++) await fn()
  const started = process.hrtime.bigint()
  for (let i = 0; i < count; i++) await fn()
  return Number(process.hrtime.bigint() - started) / 1e3 / count
}

/** `Promise.all` with a limiter (as p-limit does it): each call queued, at most `concurrency` running. */
function limiter(concurrency) {
  const queue = []
  let head = 0
  let active = 0
  const next = () => {
    if (active >= concurrency || head === queue.length) return
    active++
    const { run, resolve, reject } = queue[head++]
    run().then(resolve, reject).finally(() => { active--; next() })
  }
  return (run) => new Promise((resolve, reject) => { queue.push({ run, resolve, reject }); next() })
}

/** 10,000 small calls at concurrency 64: one requestMany against Promise.all over request(). */
async function fanOut(paragon) {
  const count = Number(process.env.BENCH_FANOUT_CALLS ?? 10000)
  const options = { method: 'POST', body: BODY }
  const calls = Array.from({ length: count }, () => ['slack', '/chat.postMessage', options])
  const ways = {
    'paragon-connect': () => paragon.requestMany(calls, { concurrency: 64 }),
    'Promise.all + limiter (request())': () => {
      const limit = limiter(64)
      return Promise.all(calls.map(([integration, path, callOptions]) => limit(() => paragon.request(integration, path, callOptions))))
    },
  }
  const timed = async (run) => {
    const started = process.hrtime.bigint()
    const results = await run()
    if (results.length !== count) throw new Error('a fan-out lost results')
    return count / (Number(process.hrtime.bigint() - started) / 1e9)
  }
  for (const run of Object.values(ways)) await timed(run)
  const rates = Object.fromEntries(Object.keys(ways).map((name) => [name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(ways)) rates[name].push(await timed(run))
  }
  for (const [name, values] of Object.entries(rates)) report(name, 'fan-out 10k at 64', median(values))
}

/**
 * The prototype of issue 18 (`bench/js-loop`, built by `bench/js-loop.sh`): the core's calls run
 * on the JavaScript thread's own event loop, against the package's `request()` (an I/O thread
 * per process) and the peers, on the same calls.
 */
async function jsLoop(paragon, undiciRequest, agent) {
  const { Paragon } = require('../bindings-node')
  const prototype = require(process.env.BENCH_JS_LOOP)
  const body = () => JSON.stringify(BODY)
  const clients = (base, ours, onLoopClient, method, path, withBody) => {
    const url = base + PATH.replace('/chat.postMessage', path)
    const options = withBody ? { method, body: BODY } : { method }
    const sent = withBody ? { method, headers: HEADERS, body: body() } : { method, headers: HEADERS }
    const onLoop = async () => JSON.parse(await prototype.request(onLoopClient, method, path, withBody ? body() : undefined))
    // The policy a binding with both would need: a call alone goes on the JavaScript thread,
    // a call beside others to the I/O thread (each keeps its own connections here).
    let inFlight = 0
    const either = async () => {
      inFlight++
      try {
        return await (inFlight === 1 ? onLoop() : ours.request('slack', path, options))
      } finally {
        inFlight--
      }
    }
    return {
      'paragon-connect': () => ours.request('slack', path, options),
      'prototype: I/O on the JavaScript thread': onLoop,
      'prototype: the JavaScript thread for a call alone, else the I/O thread': either,
      ...(base === URL && {
        'undici.request': async () => (await (await undiciRequest(url, { ...sent, dispatcher: agent })).body.json()).output,
        fetch: async () => (await (await fetch(url, sent)).json()).output,
      }),
    }
  }
  const plain = prototype.connect(URL, TOKEN)
  const small = clients(URL, paragon, plain, 'POST', '/chat.postMessage', true)
  for (const [caseName, concurrency] of [['sequential', 1], ['concurrent-32', 32], ['concurrent-256', 256]]) {
    await interleaved(`js-loop ${caseName}`, small, N, concurrency, true)
  }
  await interleaved('js-loop 1mb-json', clients(URL, paragon, plain, 'GET', '/big-json', false), Math.max(20, N / 50), 1, true)
  await agent.close()
  // Issue 18's CPU goal, on this design: HTTPS (HTTP/2), 256 in flight, the server's latency.
  const { BENCH_HTTPS_URL: secureUrl, BENCH_CA_FILE: caCerts, BENCH_LATENCY_MS: latency = '50' } = process.env
  if (secureUrl && caCerts) {
    const secure = new Paragon({ projectId: 'p', userToken: TOKEN, proxyBaseUrl: secureUrl, caCerts })
    const onLoop = prototype.connect(secureUrl, TOKEN, caCerts)
    const calls = clients(secureUrl, secure, onLoop, 'POST', `/chat.postMessage?latency_ms=${latency}`, true)
    await interleaved('js-loop https-h2 256', calls, Math.max(2560, N), 256, true)
    await secure.close()
  }
}

async function main() {
  const { Paragon, InvalidRequestError, signUserToken } = require('../bindings-node')
  const { request: undiciRequest, Agent } = require('./node_modules/undici')
  const axios = require('./node_modules/axios')
  const http = require('node:http')
  const paragon = new Paragon({ projectId: 'p', userToken: TOKEN, proxyBaseUrl: URL })
  if (process.env.BENCH_ONLY === 'fanout') return fanOut(paragon)
  const signing = new Paragon({ projectId: 'p', signingKey: SIGNING_KEY, proxyBaseUrl: URL })
  const signed = signing.user('user-1')
  const agent = new Agent({ connections: 256 })
  if (process.env.BENCH_ONLY === 'js-loop') return jsLoop(paragon, undiciRequest, agent)
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 256 })

  // A native method that reaches the core and returns a new client: no I/O, no error.
  report('paragon-connect', 'no-op crossing', microseconds(() => signing.user('u')), 'µs')
  const refused = async () => {
    try { await paragon.request('slack', '/../x') } catch (error) { if (!(error instanceof InvalidRequestError)) throw error }
  }
  report('paragon-connect', 'refused call (throws)', await asyncMicroseconds(refused), 'µs')
  report('paragon-connect', 'sign a user token (uncached)', microseconds(() => signUserToken(SIGNING_KEY, 'p', 'u'), 500), 'µs')

  const small = {
    'paragon-connect': () => paragon.request('slack', '/chat.postMessage', { method: 'POST', body: BODY }),
    'paragon-connect (signing key)': () => signed.request('slack', '/chat.postMessage', { method: 'POST', body: BODY }),
    'undici.request': async () => {
      const { body } = await undiciRequest(URL + PATH, { method: 'POST', headers: HEADERS, body: JSON.stringify(BODY), dispatcher: agent })
      return (await body.json()).output
    },
    fetch: async () => (await (await fetch(URL + PATH, { method: 'POST', headers: HEADERS, body: JSON.stringify(BODY) })).json()).output,
    axios: async () => (await axios.post(URL + PATH, BODY, { headers: HEADERS, httpAgent: keepAlive })).data.output,
  }
  for (const [caseName, concurrency] of [['sequential', 1], ['concurrent-32', 32], ['concurrent-256', 256]]) {
    await interleaved(caseName, small, N, concurrency)
  }

  await fanOut(paragon)

  const big = (path, raw) => {
    const url = URL + PATH.replace('/chat.postMessage', path)
    return raw
      ? {
          'paragon-connect': async () => (await paragon.request('slack', path, { raw: true })).body,
          'undici.request': async () => Buffer.from(await (await undiciRequest(url, { headers: HEADERS, dispatcher: agent })).body.arrayBuffer()),
          fetch: async () => Buffer.from(await (await fetch(url, { headers: HEADERS })).arrayBuffer()),
          axios: async () => (await axios.get(url, { headers: HEADERS, httpAgent: keepAlive, responseType: 'arraybuffer' })).data,
        }
      : {
          'paragon-connect': () => paragon.request('slack', path),
          'undici.request': async () => (await (await undiciRequest(url, { headers: HEADERS, dispatcher: agent })).body.json()).output,
          fetch: async () => (await (await fetch(url, { headers: HEADERS })).json()).output,
          axios: async () => (await axios.get(url, { headers: HEADERS, httpAgent: keepAlive })).data.output,
        }
  }
  await interleaved('1mb-json', big('/big-json', false), Math.max(20, N / 50), 1)
  await interleaved('10mb-binary', big('/binary', true), Math.max(10, N / 200), 1)
  await agent.close()
  keepAlive.destroy()

  const runs = Array.from({ length: 7 }, () => JSON.parse(execFileSync(process.execPath, [here, 'child', 'startup'], { env: process.env })))
  report('paragon-connect', 'import', median(runs.map((run) => run.importMs)), 'ms')
  report('paragon-connect', 'first call', median(runs.map((run) => run.firstCallMs)), 'ms')
  const memory = JSON.parse(execFileSync(process.execPath, ['--expose-gc', here, 'child', 'memory'], { env: process.env }))
  report('paragon-connect', 'RSS after 1,000 calls', memory.after1kMb, 'MB')
  report('paragon-connect', 'RSS growth 1,000 -> 100,000 calls', memory.growthMb, 'MB')
  report('paragon-connect', 'RSS growth 100,000 -> 200,000 calls', memory.laterGrowthMb, 'MB')
}

async function child(what) {
  if (what === 'startup') {
    const started = process.hrtime.bigint()
    const { Paragon } = require('../bindings-node')
    const imported = process.hrtime.bigint()
    const paragon = new Paragon({ projectId: 'p', userToken: TOKEN, proxyBaseUrl: URL })
    await paragon.request('slack', '/chat.postMessage', { method: 'POST', body: BODY })
    const called = process.hrtime.bigint()
    console.log(JSON.stringify({ importMs: Number(imported - started) / 1e6, firstCallMs: Number(called - imported) / 1e6 }))
    return
  }
  const { Paragon } = require('../bindings-node')
  const paragon = new Paragon({ projectId: 'p', userToken: TOKEN, proxyBaseUrl: URL })
  const calls = (count) => rate(() => paragon.request('slack', '/chat.postMessage', { method: 'POST', body: BODY }), count, 32)
  // RSS counts garbage V8 has not collected yet: collect before each reading.
  const rssMb = () => { globalThis.gc(); return process.memoryUsage().rss / 2 ** 20 }
  await calls(1024)
  const after1kMb = rssMb()
  await calls(99_008)
  const after100kMb = rssMb()
  await calls(100_000)
  console.log(JSON.stringify({ after1kMb, growthMb: after100kMb - after1kMb, laterGrowthMb: rssMb() - after100kMb }))
}

if (process.argv[2] === 'child') await child(process.argv[3])
else await main()
