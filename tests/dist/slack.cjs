// The README's first call, from the installed npm package (CommonJS): Slack through the sandbox.
const { Paragon } = require('paragon-connect')
const text = `hi from cjs on ${process.arch}`
new Paragon()
  .request('slack', '/chat.postMessage', { method: 'POST', body: { channel: 'C0', text } })
  .then((answer) => {
    if (answer.message.text !== text) throw new Error(JSON.stringify(answer))
    console.log(`npm (CommonJS) on ${process.platform}-${process.arch}, Node ${process.version}: ok`)
  })
  .catch((error) => {
    console.error(error)
    process.exit(1)
  })
