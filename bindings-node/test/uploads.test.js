'use strict'
// Bodies from files, forms and multipart parts; multipart bodies are read back by busboy (and by
// the sandbox's own parser).

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const busboy = require('busboy')
const pc = require('..')
const { Paragon } = pc
const { withSandbox } = require('./sandbox')

function sent(request) {
  const headers = Object.fromEntries(request.headers)
  return { headers, body: Buffer.from(request.body_base64, 'base64') }
}

/** Parts as busboy reads them. */
function parseMultipart(contentType, body) {
  return new Promise((resolve, reject) => {
    const parts = []
    const parser = busboy({ headers: { 'content-type': contentType } })
    parser.on('field', (name, value, info) => parts.push({ name, filename: null, type: info.mimeType, data: Buffer.from(value) }))
    parser.on('file', (name, stream, info) => {
      const chunks = []
      stream.on('data', (chunk) => chunks.push(chunk))
      stream.on('end', () => parts.push({ name, filename: info.filename, type: info.mimeType, data: Buffer.concat(chunks) }))
    })
    parser.on('close', () => resolve(parts))
    parser.on('error', reject)
    parser.end(body)
  })
}

test('a file body is streamed from disk and resent whole on retry', () =>
  withSandbox(async (sandbox) => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'paragon-upload-'))
    try {
      const data = Buffer.alloc(2_000_000, 7)
      fs.writeFileSync(path.join(folder, 'report.pdf'), data)
      const paragon = new Paragon(await sandbox.settings())
      await sandbox.pushReply({ status: 503 })
      const answer = await paragon.request('googledrive', '/upload/files', {
        method: 'PUT', file: path.join(folder, 'report.pdf'), headers: { 'Content-Type': 'application/pdf' },
      })
      assert.deepStrictEqual([answer.size, answer.content_type], [2_000_000, 'application/pdf'])
      const requests = await sandbox.requests()
      assert.equal(requests.length, 2)
      for (const request of requests) {
        const { headers, body } = sent(request)
        assert.ok(body.equals(data))
        assert.equal(headers['content-length'], '2000000')
      }
    } finally {
      fs.rmSync(folder, { recursive: true, force: true })
    }
  }))

test('a form is url-encoded', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    await paragon.request('echo', '/form', { method: 'POST', form: { text: 'a b&c', n: 3, ok: true } })
    const { headers, body } = sent((await sandbox.requests())[0])
    assert.equal(headers['content-type'], 'application/x-www-form-urlencoded')
    assert.equal(body.toString(), 'text=a+b%26c&n=3&ok=true')
  }))

test('multipart parts read back identically with busboy', () =>
  withSandbox(async (sandbox) => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'paragon-upload-'))
    try {
      const image = Buffer.from(Array.from({ length: 256000 }, (_, i) => i % 256))
      fs.writeFileSync(path.join(folder, 'photo.png'), image)
      const paragon = new Paragon(await sandbox.settings())
      const answer = await paragon.request('googledrive', '/upload/multipart', {
        method: 'POST',
        multipart: {
          channels: 'C0,C1',
          notes: { data: Buffer.from('plain notes'), filename: 'notes.txt', contentType: 'text/plain' },
          raw: Buffer.from([0, 1]),
          file: { path: path.join(folder, 'photo.png'), contentType: 'image/png' },
        },
      })
      const { headers, body } = sent((await sandbox.requests())[0])
      const parts = await parseMultipart(headers['content-type'], body)
      assert.deepStrictEqual(parts.map((p) => [p.name, p.filename, p.type]), [
        ['channels', null, 'text/plain'],
        ['notes', 'notes.txt', 'text/plain'],
        ['raw', 'raw', 'application/octet-stream'],
        ['file', 'photo.png', 'image/png'],
      ])
      assert.equal(parts[0].data.toString(), 'C0,C1')
      assert.equal(parts[1].data.toString(), 'plain notes')
      assert.deepStrictEqual([...parts[2].data], [0, 1])
      assert.ok(parts[3].data.equals(image))
      assert.deepStrictEqual(answer.parts.map((p) => p.name), ['channels', 'notes', 'raw', 'file'])
    } finally {
      fs.rmSync(folder, { recursive: true, force: true })
    }
  }))

test('upload arguments are checked before sending', () =>
  withSandbox(async (sandbox) => {
    const paragon = new Paragon(await sandbox.settings())
    await assert.rejects(paragon.request('googledrive', '/upload/files', { method: 'POST', file: '/no/such/file.bin' }), pc.InvalidRequestError)
    await assert.rejects(paragon.request('echo', '/x', { method: 'POST', body: 'a', form: { b: 'c' } }), pc.InvalidRequestError)
    await assert.rejects(paragon.request('echo', '/x', { method: 'POST', multipart: { x: 3 } }), /multipart\["x"\] must be/)
    await assert.rejects(
      paragon.request('echo', '/x', { method: 'POST', multipart: { f: { data: Buffer.from('x'), filename: 'a\r\nX-Evil: 1.txt' } } }),
      (error) => error instanceof pc.InvalidRequestError && error.argument === 'body' && /control character/.test(error.message),
    )
    assert.deepStrictEqual(await sandbox.requests(), [])
  }))

test('a Readable body is streamed once with backpressure and never retried', () =>
  withSandbox(async (sandbox) => {
    const { Readable } = require('node:stream')
    const paragon = new Paragon(await sandbox.settings())
    let produced = 0
    const source = Readable.from((async function* () {
      for (let i = 0; i < 40; i++) {
        produced++
        yield Buffer.alloc(10_000, i)
      }
      yield 'tail'
    })())
    const answer = await paragon.request('googledrive', '/upload/files', { method: 'PUT', body: source })
    assert.equal(answer.size, 400_004)
    assert.equal(produced, 40)

    await sandbox.pushReply({ status: 503 })
    await assert.rejects(
      paragon.request('googledrive', '/upload/files', { method: 'PUT', body: Readable.from([Buffer.from('once')]) }),
      (error) => error instanceof pc.InternalServerError && error.attempts === 1,
    )
    // A failing source fails the call; it is never sent as if complete.
    const failing = (async function* () { yield Buffer.from('part'); throw new Error('disk gone') })()
    await assert.rejects(paragon.request('googledrive', '/upload/files', { method: 'PUT', body: failing }), /disk gone/)
  }))
