'use strict'
// How calls live in Node's event loop: a pending call keeps the process alive, an idle client
// does not, and worker threads each get their own answers.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { withSandbox } = require('./sandbox')

const PACKAGE = path.join(__dirname, '..')

test('a pending call keeps the process alive, and an idle client lets it exit', () =>
  withSandbox(async (sandbox) => {
    await sandbox.pushReply({ delay_ms: 700, body: { json: { output: 'late' } } })
    // Nothing but the call keeps this script's process running: no timer, no await at top level.
    const script = `
      const { Paragon } = require(${JSON.stringify(PACKAGE)})
      const paragon = new Paragon(JSON.parse(process.env.SETTINGS))
      paragon.request('echo', '/slow').then((answer) => console.log(JSON.stringify(answer)))
    `
    const env = { ...process.env, SETTINGS: JSON.stringify(await sandbox.settings()) }
    const started = Date.now()
    const output = await new Promise((resolve, reject) => {
      execFile(process.execPath, ['-e', script], { env, timeout: 20000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)))
    })
    assert.equal(output.trim(), '"late"')
    // It waited for the answer, then exited on its own (the timeout above would kill a hang).
    assert.ok(Date.now() - started >= 700)
  }))

test('calls from worker threads are answered in each thread, and the workers exit', () =>
  withSandbox(async (sandbox) => {
    const settings = await sandbox.settings()
    const code = `
      const { parentPort, workerData } = require('node:worker_threads')
      const { Paragon } = require(${JSON.stringify(PACKAGE)})
      const paragon = new Paragon(workerData.settings)
      Promise.all(Array.from({ length: 20 }, (_, i) =>
        paragon.request('slack', '/chat.postMessage', { method: 'POST', body: { channel: 'C0', text: workerData.name + '-' + i } })))
        .then((answers) => parentPort.postMessage(answers.map((answer) => answer.message.text)))
    `
    const run = (name) => new Promise((resolve, reject) => {
      const worker = new Worker(code, { eval: true, workerData: { settings, name } })
      let texts
      worker.on('message', (message) => { texts = message })
      worker.on('error', reject)
      // Exiting by itself shows the finished calls no longer hold the worker's loop.
      worker.on('exit', (code) => (code === 0 ? resolve(texts) : reject(new Error(`worker exited with ${code}`))))
    })
    const [first, second] = await Promise.all([run('a'), run('b')])
    assert.deepEqual(first, Array.from({ length: 20 }, (_, i) => `a-${i}`))
    assert.deepEqual(second, Array.from({ length: 20 }, (_, i) => `b-${i}`))
  }))
