'use strict'
// The product document's examples from Node. With PARAGON_PROJECT_ID and PARAGON_USER_TOKEN set
// it calls Paragon's cloud; otherwise it starts the local sandbox (PARAGON_SANDBOX_BIN).

const { spawn } = require('node:child_process')
const { createInterface } = require('node:readline')
const { Paragon, NotFoundError } = require('..')

async function settings() {
  if (process.env.PARAGON_PROJECT_ID && process.env.PARAGON_USER_TOKEN) {
    console.log('Using Paragon at the PARAGON_* settings in the environment.')
    return { options: {}, stop: async () => {} }
  }
  const sandbox = spawn(process.env.PARAGON_SANDBOX_BIN, ['--until-stdin-closes'], { stdio: ['pipe', 'pipe', 'inherit'] })
  const ready = JSON.parse(await new Promise((resolve) => createInterface({ input: sandbox.stdout }).once('line', resolve)))
  const userToken = await (await fetch(`${ready.url}/_sandbox/token?sub=demo-user`)).text()
  console.log(`Started the local Paragon sandbox at ${ready.url}.`)
  return {
    options: { projectId: ready.project_id, userToken, proxyBaseUrl: ready.url },
    stop: () => new Promise((resolve) => { sandbox.once('exit', resolve); sandbox.stdin.end() }),
  }
}

async function main() {
  const { options, stop } = await settings()
  try {
    const paragon = new Paragon(options)
    const sent = await paragon.request('slack', '/chat.postMessage', {
      method: 'POST',
      body: { channel: 'CXXXXXXX0', text: 'This message was sent with Paragon Connect :exploding_head:' },
    })
    console.log('slack chat.postMessage ->', sent)
    const created = await paragon.request('custom.tasklab', '/notifications', {
      method: 'POST',
      body: { title: 'This notification was created from your app' },
    })
    console.log('custom.tasklab /notifications ->', created)
    const file = await paragon.request('googledrive', '/files/1aBcDeFile/?alt=media', { raw: true })
    console.log(`googledrive file -> ${file.status}, ${file.headers.get('content-type')}, ${file.body.length} bytes, starts ${JSON.stringify(file.body.subarray(0, 8).toString('latin1'))}`)
    const controller = new AbortController()
    const files = await paragon.request('googledrive', '/files', { query: { pageSize: 10 }, signal: controller.signal })
    console.log('googledrive /files ->', files.files.map((f) => f.name))
    try {
      await paragon.request('googledrive', '/files/does-not-exist')
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error
      console.log(`missing file -> NotFoundError ${error.status}: ${error.message.slice(0, 80)}`)
    }
  } finally {
    await stop()
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
