// The README's first call, from the installed npm package (ESM): Slack through the sandbox.
import { Paragon } from 'paragon-connect'
const text = `hi from esm on ${process.arch}`
const answer = await new Paragon().request('slack', '/chat.postMessage', { method: 'POST', body: { channel: 'C0', text } })
if (answer.message.text !== text) throw new Error(JSON.stringify(answer))
console.log(`npm (ESM) on ${process.platform}-${process.arch}, Node ${process.version}: ok`)
