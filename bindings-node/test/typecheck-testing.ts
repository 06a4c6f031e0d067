// Typical use of paragon-connect/testing, compiled by `tsc --strict` in types.test.js (never run).
import { FakeParagon, type Call } from '../testing.js'
import type { Paragon } from '../index.js'

async function useFake(): Promise<void> {
  const fake = new FakeParagon({ acceptAnyToken: false })
  fake
    .route('slack', 'POST', '/chat.postMessage', { jsonIncludes: { channel: 'C0' }, times: 2 })
    .reply({ status: 429, headers: { 'retry-after': '0' } })
    .reply({ json: { ok: true }, delay: 10 })
  fake.route('drive', null, /^\/files\//).error(404, 'File not found.', { code: '404' }).dropConnection()
  const answer = await fake.client({ user: 'user-1', maxRetries: 1 }).request('slack', '/chat.postMessage', { method: 'POST' })
  const calls: Call[] = fake.assertCalled('slack', 'POST', '/chat.postMessage', { times: 1 })
  const first: string | undefined = calls[0]?.header('authorization')
  const env: Record<string, string> = fake.env({ user: 'user-1' })
  fake.setUser('user-1', { meta: { plan: 'pro' }, credentials: { slack: [] } })
  const plan: unknown = fake.users['user-1']?.meta.plan
  console.log(answer, first, env, plan, fake.url, fake.events.length)
  fake.close()
}

void useFake

async function useCassettes(upstream: Paragon): Promise<void> {
  const recorder = FakeParagon.recording('tests/cassettes/slack.json', { upstream, secretHeaders: ['x-team'] })
  await recorder.client({ user: 'user-1' }).request('slack', '/conversations.list')
  recorder.close()
  const player = FakeParagon.replaying('tests/cassettes/slack.json', { matchOn: ['integration', 'method', 'path'] })
  player.assertAllPlayed()
  player.close()
  FakeParagon.recording('x.json', { upstream: { projectId: 'p', signingKey: 'pem' } }).close()
}

void useCassettes
