'use strict'
// index.d.ts matches the module: tsc --strict accepts it and typical use, and every exported name
// and Paragon method declared there exists at runtime (and the reverse).

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const path = require('node:path')
const fs = require('node:fs')
const ts = require('typescript')
const pc = require('..')

const ROOT = path.resolve(__dirname, '..')

test('tsc --strict accepts the declarations and their use', () => {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.json')], {
    stdio: 'pipe',
  })
})

function declared() {
  const source = ts.createSourceFile('index.d.ts', fs.readFileSync(path.join(ROOT, 'index.d.ts'), 'utf8'), ts.ScriptTarget.Latest)
  const values = new Set()
  const paragonMembers = new Set()
  for (const statement of source.statements) {
    if (ts.isClassDeclaration(statement) && statement.name) {
      values.add(statement.name.text)
      if (statement.name.text === 'Paragon') {
        for (const member of statement.members) {
          if (member.name && ts.isIdentifier(member.name)) paragonMembers.add(member.name.text)
        }
      }
    }
    if (ts.isFunctionDeclaration(statement) && statement.name) values.add(statement.name.text)
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) values.add(declaration.name.text)
    }
  }
  return { values, paragonMembers }
}

test('every declared export exists at runtime, and every runtime export is declared', () => {
  const { values } = declared()
  assert.deepStrictEqual([...values].sort(), Object.keys(pc).sort())
})

test('the Paragon class has exactly the declared members', () => {
  const { paragonMembers } = declared()
  const runtime = Object.getOwnPropertyNames(pc.Paragon.prototype).filter((name) => name !== 'constructor')
  assert.deepStrictEqual([...paragonMembers].sort(), runtime.sort())
})

test('a call\'s options are written, typed and read in one order (they go by place)', () => {
  const camel = (name) => name.replace(/_(\w)/g, (_, letter) => letter.toUpperCase())
  const between = (text, from, to) => text.slice(text.indexOf(from), text.indexOf(to, text.indexOf(from)))
  const written = between(fs.readFileSync(path.join(ROOT, 'index.js'), 'utf8'), 'function nativeOptions', 'let length')
  const typed = between(fs.readFileSync(path.join(ROOT, 'native-header.d.ts'), 'utf8'), 'export type CallOptions', ']\n')
  const read = between(fs.readFileSync(path.join(ROOT, 'src', 'call.rs'), 'utf8'), 'Ok(CallOptions {', '})')
  const order = {
    written: [...written.matchAll(/call\.(\w+)/g)].map((match) => match[1]),
    typed: [...typed.matchAll(/^ {2}(\w+)\?:/gm)].map((match) => match[1]),
    read: [...read.matchAll(/(\w+): element\(&array, (\d+)\)/g)].map((match, index) => {
      assert.equal(Number(match[2]), index, `${match[1]} is read out of turn`)
      return camel(match[1])
    }),
  }
  assert.equal(order.written.length, 19)
  assert.deepEqual(order.typed, order.written)
  assert.deepEqual(order.read, order.written)
})
