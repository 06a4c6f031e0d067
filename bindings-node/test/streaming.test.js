'use strict'
// Streamed answers as Node Readables and downloads to files, against generated sandbox bodies.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const { execFileSync } = require('node:child_process')
const os = require('node:os')
const path = require('node:path')
const { pipeline } = require('node:stream/promises')
const { Writable } = require('node:stream')
const pc = require('..')
const { Paragon } = pc
const { withSandbox } = require('./sandbox')

/** The sandbox's generated body: 64 KiB chunks of `i % 251`. */
function pattern(length) {
  const bytes = Buffer.alloc(length)
  for (let k = 0; k < length; k++) bytes[k] = (k % 65536) % 251
  return bytes
}

function tempFolder() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'paragon-connect-node-'))
}

test('a stream gives a Readable usable with pipeline', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    const size = 3 * 1024 * 1024 + 5
    await sandbox.pushReply({ generated_bytes: size, content_length: true })
    const response = await paragon.stream('googledrive', '/files/big')
    assert.equal(response.status, 200)
    assert.equal(response.contentLength, size)
    const chunks = []
    await pipeline(response.body, new Writable({ write(chunk, _encoding, done) { chunks.push(chunk); done() } }))
    assert.ok(chunks.length > 1)
    assert.ok(Buffer.concat(chunks).equals(pattern(size)))
  }))

test('a slow consumer does not make the SDK read ahead', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    await sandbox.pushReply({ generated_bytes: 64 * 1024 * 1024 })
    const response = await paragon.stream('googledrive', '/files/big')
    const first = await new Promise((resolve) => response.body.once('data', resolve))
    response.body.pause()
    await new Promise((resolve) => setTimeout(resolve, 300))
    // Paused after one chunk, the stream holds at most its high-water mark, not the 64 MiB.
    assert.ok(response.body.readableLength <= response.body.readableHighWaterMark + first.length)
    response.body.destroy()
  }))

test('stream errors reject before the body', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings({ maxRetries: 0 }))
    await sandbox.pushReply({ status: 404, body: { json: { message: 'File not found.' } } })
    await assert.rejects(paragon.stream('googledrive', '/files/missing'), pc.NotFoundError)
  }))

test('an onProgress that throws rejects the download with its error and leaves no file', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings({ maxRetries: 0 }))
    const folder = tempFolder()
    try {
      await sandbox.pushReply({ generated_bytes: 16 * 1024 * 1024, content_length: true })
      const bug = new Error("the caller's own bug")
      await assert.rejects(
        paragon.download('googledrive', '/files/big', { to: path.join(folder, 'big.bin'), onProgress: () => { throw bug } }),
        (error) => error === bug,
      )
      await new Promise((resolve) => setTimeout(resolve, 50))
      assert.deepStrictEqual(fs.readdirSync(folder), [])
    } finally {
      fs.rmSync(folder, { recursive: true, force: true })
    }
  }))

test('download writes the file atomically and reports progress', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings({ maxRetries: 0 }))
    const folder = tempFolder()
    try {
      const to = path.join(folder, 'report.bin')
      const size = 2 * 1024 * 1024
      await sandbox.pushReply({ generated_bytes: size, content_length: true })
      const seen = []
      const done = await paragon.download('googledrive', '/files/big', { to, onProgress: (sofar, total) => seen.push([sofar, total]) })
      assert.deepStrictEqual([done.status, done.size, done.path], [200, size, to])
      assert.ok(fs.readFileSync(to).equals(pattern(size)))
      await new Promise((resolve) => setImmediate(resolve))
      assert.deepStrictEqual(seen.at(-1), [size, size])

      fs.writeFileSync(to, 'previous')
      await sandbox.pushReply({ body: { text: 'x'.repeat(100000) }, truncate_to: 40000 })
      await assert.rejects(paragon.download('googledrive', '/files/x', { to }), pc.DecodeError)
      await sandbox.pushReply({ status: 404 })
      await assert.rejects(paragon.download('googledrive', '/files/x', { to }), pc.NotFoundError)
      assert.equal(fs.readFileSync(to, 'utf8'), 'previous')
      assert.deepStrictEqual(fs.readdirSync(folder), ['report.bin'])
      await assert.rejects(paragon.download('googledrive', '/files/x', { to: path.join(folder, 'missing', 'x.bin') }), pc.InvalidRequestError)

      // Never replaced: a FIFO, a folder, a symlink (rather than the file it names).
      execFileSync('mkfifo', [path.join(folder, 'pipe')])
      fs.mkdirSync(path.join(folder, 'folder'))
      fs.symlinkSync(to, path.join(folder, 'link'))
      for (const [name, problem] of [['pipe', /not a regular file/], ['folder', /not a regular file/], ['link', /symbolic link/]]) {
        await assert.rejects(paragon.download('googledrive', '/files/x', { to: path.join(folder, name) }), (error) =>
          error instanceof pc.InvalidRequestError && error.argument === 'to' && problem.test(error.message))
      }
      assert.ok(fs.lstatSync(path.join(folder, 'pipe')).isFIFO() && fs.lstatSync(path.join(folder, 'link')).isSymbolicLink())
      assert.deepStrictEqual(fs.readdirSync(folder).sort(), ['folder', 'link', 'pipe', 'report.bin'])
    } finally {
      fs.rmSync(folder, { recursive: true, force: true })
    }
  }))
