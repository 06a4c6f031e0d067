// Node clients side by side against paragon-bench-server (BENCH_URL): the same POST with a small
// JSON body and a Bearer token, the answer parsed and `output` unwrapped. Prints one JSON line per
// (client, case) with the median requests per second of three rounds.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Paragon, InvalidRequestError } = require('../bindings-node')
const { request: undiciRequest, Agent } = require('./node_modules/undici')
const axios = require('./node_modules/axios')

const URL = process.env.BENCH_URL
const N = Number(process.env.BENCH_REQUESTS ?? 3000)
const PATH = '/projects/p/sdk/proxy/slack/chat.postMessage'
const BODY = { channel: 'C0', text: 'hi' }
const HEADERS = { authorization: 'Bearer bench-token-not-checked', 'content-type': 'application/json' }

const paragon = new Paragon({ projectId: 'p', userToken: 'bench-token-not-checked', proxyBaseUrl: URL })
const agent = new Agent({ connections: 256 })
const http = require('node:http')
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 256 })

const calls = {
  'paragon-connect': () => paragon.request('slack', '/chat.postMessage', { method: 'POST', body: BODY }),
  'undici.request': async () => {
    const { body } = await undiciRequest(URL + PATH, { method: 'POST', headers: HEADERS, body: JSON.stringify(BODY), dispatcher: agent })
    return (await body.json()).output
  },
  fetch: async () => (await (await fetch(URL + PATH, { method: 'POST', headers: HEADERS, body: JSON.stringify(BODY) })).json()).output,
  axios: async () => (await axios.post(URL + PATH, BODY, { headers: HEADERS, httpAgent: keepAlive })).data.output,
}

async function rounds(call, concurrency) {
  const worker = async (count) => { for (let i = 0; i < count; i++) await call() }
  await Promise.all(Array.from({ length: concurrency }, () => worker(Math.ceil(200 / concurrency))))
  const results = []
  for (let round = 0; round < 3; round++) {
    const perWorker = Math.floor(N / concurrency)
    const started = process.hrtime.bigint()
    await Promise.all(Array.from({ length: concurrency }, () => worker(perWorker)))
    results.push((perWorker * concurrency) / (Number(process.hrtime.bigint() - started) / 1e9))
  }
  return results.sort((a, b) => a - b)[1]
}

{
  const count = 20000
  const started = process.hrtime.bigint()
  for (let i = 0; i < count; i++) {
    try { await paragon.request('slack', '/../x') } catch (error) { if (!(error instanceof InvalidRequestError)) throw error }
  }
  console.log(JSON.stringify({ language: 'node', client: 'paragon-connect', case: 'crossing-us', rps: Number(process.hrtime.bigint() - started) / 1e3 / count }))
}
for (const [name, call] of Object.entries(calls)) {
  for (const [caseName, concurrency] of [['sequential', 1], ['concurrent-32', 32], ['concurrent-256', 256]]) {
    console.log(JSON.stringify({ language: 'node', client: name, case: caseName, rps: await rounds(call, concurrency) }))
  }
}
await agent.close()
keepAlive.destroy()
