'use strict'
// TLS trust, client certificates and proxies, over real TLS to the sandbox's HTTPS listeners (a
// private CA the sandbox makes when it starts) and through its CONNECT and SOCKS5 proxies.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const pc = require('..')
const { Paragon } = pc
const { withSandbox } = require('./sandbox')

async function at(sandbox, base, overrides = {}) {
  return sandbox.settings({ proxyBaseUrl: base, zeusBaseUrl: base, hermesBaseUrl: base, maxRetries: 0, ...overrides })
}

function tempFile(name, contents) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paragon-'))
  const file = path.join(dir, name)
  fs.writeFileSync(file, contents)
  return file
}

test('a private CA is refused until trusted, as text, Buffer or file', () =>
  withSandbox(async (sandbox) => {
    const untrusted = new Paragon(await at(sandbox, sandbox.httpsUrl))
    await assert.rejects(untrusted.request('echo', '/tls'), (error) =>
      error instanceof pc.ConnectionError && /UnknownIssuer/.test(error.message))
    assert.deepEqual(await sandbox.requests(), [])

    await new Paragon(await at(sandbox, sandbox.httpsUrl, { caCerts: sandbox.caPem })).request('echo', '/tls')
    assert.equal((await sandbox.requests())[0].version, 'HTTP/2.0')
    await new Paragon(await at(sandbox, sandbox.httpsUrl, { caCerts: [Buffer.from(sandbox.caPem)] })).request('echo', '/tls')
    const only = await at(sandbox, sandbox.httpsUrl, { caCerts: tempFile('ca.pem', sandbox.caPem), useSystemRoots: false })
    await new Paragon(only).request('echo', '/tls')
    assert.equal((await sandbox.requests()).length, 3)
  }))

test('NODE_EXTRA_CA_CERTS is added to the roots, as Node does', () =>
  withSandbox(async (sandbox) => {
    const settings = await at(sandbox, sandbox.httpsUrl)
    const script = `const { Paragon } = require(${JSON.stringify(path.resolve(__dirname, '..'))})
      try {
        new Paragon(${JSON.stringify(settings)}).request('echo', '/tls').then(() => console.log('ok'), (error) => console.log(error.name))
      } catch (error) { console.log(error.name) }`
    const run = (extra) => spawnSync(process.execPath, ['-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: extra }, encoding: 'utf8' })
    assert.equal(run(tempFile('extra.pem', sandbox.caPem)).stdout.trim(), 'ok')
    assert.equal(run(path.join(os.tmpdir(), 'paragon-missing', 'ca.pem')).stdout.trim(), 'ConfigurationError')
  }))

test('mutual TLS with a client certificate', () =>
  withSandbox(async (sandbox) => {
    const anonymous = new Paragon(await at(sandbox, sandbox.mtlsUrl, { caCerts: sandbox.caPem }))
    await assert.rejects(anonymous.request('echo', '/tls'), pc.ConnectionError)
    const identified = new Paragon(await at(sandbox, sandbox.mtlsUrl, {
      caCerts: sandbox.caPem,
      clientCert: Buffer.from(sandbox.clientCertPem),
      clientKey: tempFile('client.key', sandbox.clientKeyPem),
    }))
    await identified.request('echo', '/tls')
    assert.equal((await sandbox.requests()).length, 1)
  }))

test('calls go through the proxy given, or none with proxy: false', () =>
  withSandbox(async (sandbox) => {
    const trusted = await at(sandbox, sandbox.httpsUrl, { caCerts: sandbox.caPem })
    await new Paragon({ ...trusted, proxy: sandbox.connectProxyUrl }).request('echo', '/tls')
    assert.deepEqual(await sandbox.tunnels(), { connect: 1, socks5: 0 })
    await new Paragon({ ...trusted, proxy: sandbox.socks5ProxyUrl }).request('echo', '/tls')
    assert.deepEqual(await sandbox.tunnels(), { connect: 1, socks5: 1 })
    await new Paragon({ ...trusted, proxy: false }).request('echo', '/tls')
    assert.deepEqual(await sandbox.tunnels(), { connect: 1, socks5: 1 })
    assert.equal((await sandbox.requests()).length, 3)
  }))

test('bad TLS and proxy settings are named, without secrets', () =>
  withSandbox(async (sandbox) => {
    const cases = [
      [{ caCerts: '/nonexistent/paragon/ca.pem' }, 'caCerts', /cannot read/],
      [{ caCerts: 42 }, 'caCerts', /must be PEM text/],
      [{ useSystemRoots: false }, 'useSystemRoots', /no ca_certs|no caCerts/],
      [{ clientKey: 'KEY' }, 'clientCert', /required/],
      [{ proxy: true }, 'proxy', /false for none/],
      [{ proxy: 'ftp://user:hunter2@proxy.example' }, 'proxy', /socks5:\/\//],
    ]
    for (const [overrides, setting, says] of cases) {
      const settings = await sandbox.settings(overrides)
      assert.throws(() => new Paragon(settings), (error) => {
        assert.ok(error instanceof pc.ConfigurationError, String(error))
        assert.equal(error.setting, setting)
        assert.match(error.message, says)
        assert.doesNotMatch(error.message + JSON.stringify(error) + require('node:util').inspect(error), /hunter2/)
        return true
      })
    }
  }))

test('connection settings: HTTP version, pool size and idle time', () =>
  withSandbox(async (sandbox) => {
    const trusted = await at(sandbox, sandbox.httpsUrl, { caCerts: sandbox.caPem })
    await new Paragon({ ...trusted, http2: 'never' }).request('echo', '/tls')
    await new Paragon({ ...trusted, http2: 'auto', tcpKeepalive: 30_000 }).request('echo', '/tls')
    const fresh = new Paragon(await sandbox.settings({ poolMaxIdlePerHost: 0, poolIdleTimeout: 5_000 }))
    await fresh.request('echo', '/a')
    await fresh.request('echo', '/b')
    const recorded = await sandbox.requests()
    assert.deepEqual(recorded.slice(0, 2).map((r) => r.version), ['HTTP/1.1', 'HTTP/2.0'])
    assert.notEqual(recorded[2].peer, recorded[3].peer)
    for (const [overrides, setting] of [[{ http2: 'sometimes' }, 'http2'], [{ poolMaxIdlePerHost: -1 }, 'poolMaxIdlePerHost'], [{ poolIdleTimeout: 0 }, 'poolIdleTimeout']]) {
      const settings = await sandbox.settings(overrides)
      assert.throws(() => new Paragon(settings), (error) => error instanceof pc.ConfigurationError && error.setting === setting)
    }
  }))
