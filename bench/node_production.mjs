// Node clients in production conditions, against paragon-bench-server: HTTPS (HTTP/1.1 only, and
// HTTP/2 offered by ALPN) trusting the run's private CA (NODE_EXTRA_CA_CERTS, as Node's users
// give it), every answer delayed by BENCH_LATENCY_MS, at 32, 256 and 1,000 calls in flight;
// calls/s against the latency-bound limit (concurrency / latency), CPU time per call, each call's
// time beyond the latency (p50, p99) and the connections opened. Then a signing-key client
// calling for 100,000 users round-robin, and the HTTPS cold start (import, client, one call) of a
// fresh process. Clients take turns round by round; one JSON line per client and case, as
// node_bench.mjs prints. `node_production.mjs cold <client>` is one cold-start process.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const here = fileURLToPath(import.meta.url)
const { BENCH_URL: URL, BENCH_HTTPS_URL, BENCH_HTTPS_H1_URL, NODE_EXTRA_CA_CERTS } = process.env
if (!URL || !BENCH_HTTPS_URL || !BENCH_HTTPS_H1_URL || !NODE_EXTRA_CA_CERTS) {
  throw new Error('BENCH_URL, BENCH_HTTPS_URL, BENCH_HTTPS_H1_URL and NODE_EXTRA_CA_CERTS are set by bench/run.sh')
}
const HTTPS = { 'https-h1': BENCH_HTTPS_H1_URL, 'https-h2': BENCH_HTTPS_URL }
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50)
const USERS = Number(process.env.BENCH_USERS ?? 100000)
const QUERY = `?latency_ms=${LATENCY_MS}`
// A round waits this many latencies' worth (calls = concurrency x LATENCIES).
const LATENCIES = 20
const PATH = '/projects/p/sdk/proxy/slack/chat.postMessage'
const BODY = { channel: 'C0', text: 'hi' }
const TOKEN = 'bench-token-not-checked'
const HEADERS = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }
const SIGNING_KEY = readFileSync(new globalThis.URL('../tests/sandbox/keys/sandbox-signing-key.pem', import.meta.url), 'utf8')

function report(client, caseName, value, unit = 'req/s', extra = {}) {
  console.log(JSON.stringify({ language: 'node', client, case: caseName, value, unit, ...extra }))
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const cpuMicroseconds = () => { const { user, system } = process.cpuUsage(); return user + system }
const seconds = (since) => Number(process.hrtime.bigint() - since) / 1e9

/** Connections the bench server has accepted over TLS so far. */
async function connections() {
  const counts = await (await fetch(`${URL}/__bench/connections`)).json()
  return counts.https_h2 + counts.https_http1
}

/** One round: `calls` calls with `concurrency` in flight, each call's time kept. */
async function round(call, calls, concurrency) {
  const perWorker = Math.max(1, Math.floor(calls / concurrency))
  const times = []
  const worker = async () => {
    for (let i = 0; i < perWorker; i++) {
      const started = process.hrtime.bigint()
      await call()
      times.push(seconds(started))
    }
  }
  const cpu = cpuMicroseconds()
  const started = process.hrtime.bigint()
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsed = seconds(started)
  return { calls: perWorker * concurrency, elapsed, cpuUs: cpuMicroseconds() - cpu, times }
}

function measured() {
  return { rates: [], cpuUs: [], beyondMs: [], connections: 0 }
}

function add(into, { calls, elapsed, cpuUs, times }) {
  into.rates.push(calls / elapsed)
  into.cpuUs.push(cpuUs / calls)
  for (const time of times) into.beyondMs.push(time * 1000 - LATENCY_MS)
}

function reportMeasured(client, caseName, into, limit) {
  const beyond = into.beyondMs.sort((a, b) => a - b)
  report(client, caseName, median(into.rates), 'req/s', {
    limit,
    cpu_us: median(into.cpuUs),
    p50_ms: beyond[Math.floor(beyond.length / 2)],
    p99_ms: beyond[Math.floor((beyond.length - 1) * 0.99)],
    connections: into.connections,
  })
}

/** Each client set up as its users would for this protocol, pooled for `concurrency`. */
function clients(protocol, base, concurrency) {
  const { Paragon } = require('../bindings-node')
  const { request, Agent } = require('./node_modules/undici')
  const url = base + PATH + QUERY
  const paragon = new Paragon({ projectId: 'p', userToken: TOKEN, proxyBaseUrl: base })
  const agent = new Agent({ connections: concurrency, allowH2: protocol === 'https-h2' })
  const body = JSON.stringify(BODY)
  const calls = {
    'paragon-connect': () => paragon.request('slack', `/chat.postMessage${QUERY}`, { method: 'POST', body: BODY }),
    'undici.request': async () => {
      const answer = await request(url, { method: 'POST', headers: HEADERS, body, dispatcher: agent })
      return (await answer.body.json()).output
    },
    fetch: async () => (await (await fetch(url, { method: 'POST', headers: HEADERS, body })).json()).output,
  }
  return { calls, close: async () => { await paragon.close(); await agent.close() } }
}

async function httpsCase(protocol, concurrency) {
  const { calls, close } = clients(protocol, HTTPS[protocol], concurrency)
  const results = Object.fromEntries(Object.keys(calls).map((name) => [name, measured()]))
  for (let roundNumber = 0; roundNumber <= ROUNDS; roundNumber++) { // round 0 warms up
    for (const [name, call] of Object.entries(calls)) {
      const opened = await connections()
      const done = await round(call, (concurrency * LATENCIES) / (roundNumber === 0 ? 4 : 1), concurrency)
      results[name].connections += (await connections()) - opened
      if (roundNumber > 0) add(results[name], done)
    }
  }
  await close()
  for (const [name, into] of Object.entries(results)) {
    reportMeasured(name, `${protocol} ${concurrency}`, into, concurrency / (LATENCY_MS / 1000))
  }
}

/** A signing-key client calling for USERS users round-robin against the same calls for one user,
 * over plain HTTP without latency (so the per-call cost shows), 32 in flight. */
async function manyUsers() {
  const { Paragon } = require('../bindings-node')
  const paragon = new Paragon({ projectId: 'p', signingKey: SIGNING_KEY, proxyBaseUrl: URL })
  const rssMb = () => { globalThis.gc?.(); return process.memoryUsage().rss / 2 ** 20 }
  const before = rssMb()
  const ids = Array.from({ length: USERS }, (_, n) => `user-${n}`)
  const cycle = (users) => { let next = 0; return () => users[next++ % users.length] }
  const rate = async (nextUser, calls) => {
    const { elapsed, cpuUs } = await round(() => paragon.user(nextUser()).request('slack', '/chat.postMessage', { method: 'POST', body: BODY }), calls, 32)
    return { rate: calls / elapsed, cpuUs: cpuUs / calls }
  }
  // Every user's token signed once (what a server's first hour pays), then the cache serves.
  const started = process.hrtime.bigint()
  await rate(cycle(ids), USERS)
  const signingS = seconds(started)
  const afterSigning = rssMb()
  const ways = { '1 user': cycle(['user-0']), [`${USERS.toLocaleString('en')} users`]: cycle(ids) }
  const rates = Object.fromEntries(Object.keys(ways).map((name) => [name, []]))
  for (let roundNumber = 0; roundNumber < ROUNDS; roundNumber++) {
    for (const [name, nextUser] of Object.entries(ways)) rates[name].push(await rate(nextUser, 10000))
  }
  for (const [name, values] of Object.entries(rates)) {
    report('paragon-connect (signing key)', `users: ${name}`, median(values.map((v) => v.rate)), 'req/s', { cpu_us: median(values.map((v) => v.cpuUs)) })
  }
  report('paragon-connect', `first calls for ${USERS.toLocaleString('en')} users (signing)`, signingS, 's')
  report('paragon-connect', `RSS growth with ${USERS.toLocaleString('en')} users' tokens`, afterSigning - before, 'MB')
  await paragon.close()
}

const COLD_CLIENTS = ['paragon-connect', 'undici', 'fetch']

/** One fresh process's import, client and first HTTPS call; prints the milliseconds. */
async function cold(client) {
  const base = HTTPS['https-h2']
  const started = process.hrtime.bigint()
  if (client === 'paragon-connect') {
    const { Paragon } = require('../bindings-node')
    const paragon = new Paragon({ projectId: 'p', userToken: TOKEN, proxyBaseUrl: base })
    await paragon.request('slack', '/chat.postMessage', { method: 'POST', body: BODY })
  } else if (client === 'undici') {
    const { request } = require('./node_modules/undici')
    await (await request(base + PATH, { method: 'POST', headers: HEADERS, body: JSON.stringify(BODY) })).body.json()
  } else {
    await (await fetch(base + PATH, { method: 'POST', headers: HEADERS, body: JSON.stringify(BODY) })).json()
  }
  console.log(JSON.stringify(seconds(started) * 1000))
  process.exit(0) // pooled connections would keep the process alive; a cold start ends here
}

function coldStarts(processes = 11) {
  const times = Object.fromEntries(COLD_CLIENTS.map((client) => [client, []]))
  for (let n = 0; n < processes; n++) {
    for (const client of COLD_CLIENTS) {
      times[client].push(JSON.parse(execFileSync(process.execPath, [here, 'cold', client], { env: process.env })))
    }
  }
  for (const [client, values] of Object.entries(times)) report(client, 'HTTPS cold start', median(values), 'ms')
}

async function main() {
  const only = (process.env.BENCH_ONLY ?? 'https,users,cold').split(',')
  if (only.includes('https')) {
    for (const protocol of Object.keys(HTTPS)) {
      for (const concurrency of [32, 256, 1000]) await httpsCase(protocol, concurrency)
    }
  }
  if (only.includes('users')) await manyUsers()
  if (only.includes('cold')) coldStarts()
}

if (process.argv[2] === 'cold') await cold(process.argv[3])
else await main()
