// The ESM entry gives the same classes as the CommonJS one.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import * as esm from 'paragon-connect'
import paragon, { Paragon, NotFoundError } from 'paragon-connect'

const cjs = createRequire(import.meta.url)('paragon-connect')

test('ESM and CommonJS export the same objects', () => {
  assert.equal(Paragon, cjs.Paragon)
  assert.equal(NotFoundError, cjs.NotFoundError)
  assert.equal(paragon, cjs)
  assert.deepStrictEqual(Object.keys(esm).filter((k) => k !== 'default').sort(), Object.keys(cjs).sort())
})
