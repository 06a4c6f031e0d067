'use strict'
// A fresh paragon-sandbox process per test, and its control endpoints.

const { spawn } = require('node:child_process')
const { createInterface } = require('node:readline')
const path = require('node:path')
const fs = require('node:fs')

const REPO = path.resolve(__dirname, '../..')
const SANDBOX_BIN = process.env.PARAGON_SANDBOX_BIN ?? path.join(REPO, 'target/debug/paragon-sandbox')
const CONFORMANCE_DIR = path.join(REPO, 'tests/conformance')

class Sandbox {
  static async start() {
    if (!fs.existsSync(SANDBOX_BIN)) throw new Error(`${SANDBOX_BIN} is missing: run cargo build -p paragon-sandbox`)
    // It exits when its stdin closes, so a crashed test run cannot leave it behind.
    const child = spawn(SANDBOX_BIN, ['--until-stdin-closes'], { stdio: ['pipe', 'pipe', 'inherit'] })
    const lines = createInterface({ input: child.stdout })
    const ready = await new Promise((resolve, reject) => {
      lines.once('line', (line) => resolve(JSON.parse(line)))
      child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}`)))
    })
    const sandbox = new Sandbox(child, ready.url, ready.project_id)
    // HTTPS (a private CA made by the sandbox), mutual TLS, and two proxies.
    sandbox.httpsUrl = ready.https_url
    sandbox.mtlsUrl = ready.mtls_url
    sandbox.caPem = ready.ca_pem
    sandbox.clientCertPem = ready.client_cert_pem
    sandbox.clientKeyPem = ready.client_key_pem
    sandbox.connectProxyUrl = ready.connect_proxy_url
    sandbox.socks5ProxyUrl = ready.socks5_proxy_url
    const info = await sandbox.#get('/_sandbox/info')
    sandbox.tasklabId = info.tasklab_integration_id
    sandbox.driveFileId = info.drive_file_id
    return sandbox
  }

  constructor(child, url, projectId) {
    this.child = child
    this.url = url
    this.projectId = projectId
  }

  async #get(route) {
    const reply = await fetch(this.url + route)
    return reply.json()
  }

  async token(sub = 'user-1', params = {}) {
    const query = new URLSearchParams(params)
    if (sub !== null) query.set('sub', sub)
    return (await fetch(`${this.url}/_sandbox/token?${query}`)).text()
  }

  requests() {
    return this.#get('/_sandbox/requests')
  }

  /** Tunnels the sandbox's CONNECT and SOCKS5 proxies opened so far. */
  tunnels() {
    return this.#get('/_sandbox/tunnels')
  }

  async pushReply(reply) {
    await fetch(this.url + '/_sandbox/replies', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(reply),
    })
  }

  async settings(overrides = {}) {
    return {
      projectId: this.projectId,
      userToken: await this.token(),
      proxyBaseUrl: this.url,
      zeusBaseUrl: this.url,
      hermesBaseUrl: this.url,
      ...overrides,
    }
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.stdin.end()
    await exited
  }
}

/** The sandbox Drive file: a PDF header, bytes 0..255 64 times, a PDF trailer. */
function driveFileBytes() {
  const middle = Buffer.alloc(256 * 64)
  for (let i = 0; i < middle.length; i++) middle[i] = i % 256
  return Buffer.concat([Buffer.from('%PDF-1.4\n'), middle, Buffer.from('\n%%EOF\n')])
}

/** Runs `body(sandbox)` against a fresh sandbox, stopping it afterwards. */
async function withSandbox(body) {
  const sandbox = await Sandbox.start()
  try {
    return await body(sandbox)
  } finally {
    await sandbox.stop()
  }
}

module.exports = { Sandbox, withSandbox, driveFileBytes, CONFORMANCE_DIR }
