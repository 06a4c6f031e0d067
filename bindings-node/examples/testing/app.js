'use strict'
// The application code the example tests exercise: posts a summary to a user's Slack, retrying
// through Slack's rate limits (the client does), and reports a channel Slack does not know.

async function postSummary(paragon, channel, lines) {
  const answer = await paragon.request('slack', '/chat.postMessage', {
    method: 'POST',
    body: { channel, text: lines.join('\n') },
  })
  if (!answer.ok) throw new Error(`Slack refused the summary: ${answer.error}`)
  return answer.ts
}

module.exports = { postSummary }
