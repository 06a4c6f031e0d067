// Typical use of the package, compiled by `tsc --strict` in types.test.js (never run).
import {
  Paragon, NotFoundError, RateLimitError, InvalidRequestError, PaginationError, signUserToken, type RawResponse, type RequestOptions,
  type RequestChannelMessage, type ResponseEvent,
} from '../index.js'
import diagnostics from 'node:diagnostics_channel'

async function use(): Promise<void> {
  const paragon = new Paragon({ projectId: 'p', userToken: 't', timeout: 30_000 })
  const durations: number[] = []
  const hooked = new Paragon({
    projectId: 'p',
    userToken: 't',
    onRequest: (event) => console.log(event.method, event.integration, event.path, event.attempt),
    onResponse: (event: ResponseEvent) => durations.push(event.elapsedMs + event.status),
  })
  await hooked.request('slack', '/x')
  diagnostics.subscribe('paragon-connect:request:end', (message) => {
    const { request, attributes } = message as RequestChannelMessage
    console.log(request.name, attributes?.['http.response.status_code'])
  })
  const sent = await paragon.request<{ ok: boolean }>('slack', '/chat.postMessage', {
    method: 'POST',
    body: { channel: 'C0', text: 'hi' },
    selectedCredentialId: 'cred-1',
  })
  const ok: boolean = sent.ok
  const file: RawResponse = await paragon.request('googledrive', '/files/x', { raw: true })
  const bytes: Buffer = file.body
  const type: string | null = file.headers.get('content-type')
  const options: RequestOptions = { query: { pageSize: 10 }, headers: [['X-A', '1']], signal: AbortSignal.timeout(5000) }
  try {
    await paragon.request('googledrive', '/files', options)
  } catch (error) {
    if (error instanceof NotFoundError) {
      const status: number = error.status
      const path: string = error.path
      console.log(status, path, error.body, error.code, error.requestId)
    } else if (error instanceof RateLimitError) {
      const wait: number | undefined = error.retryAfter
      console.log(wait)
    } else if (error instanceof InvalidRequestError) {
      console.log(error.argument)
    }
  }
  console.log(ok, bytes, type, paragon.projectId)
}

async function server(): Promise<void> {
  const paragon = new Paragon({ projectId: 'p', signingKey: '-----BEGIN PRIVATE KEY-----...', permissions: { 'integration:slack': true } })
  const alice = paragon.user('alice')
  const who: string | undefined = alice.userId
  const me = await alice.getUser<{ id: string }>()
  await alice.setUserMetadata({ Email: 'a@example.com' })
  await alice.getAccount('slack', { includeAccountAuth: true })
  await alice.uninstallIntegration('slack', { selectedCredentialId: 'cred-1' })
  await alice.triggerWorkflow('wf', { body: { a: 1 }, selectedConfigurationId: 'c' })
  await alice.sendEvent('Contact Created', { email: 'a@example.com' })
  const token: string = signUserToken('pem', 'p', 'alice', { lifetime: 60_000 })
  const viaFunction = new Paragon({ projectId: 'p', userToken: async (userId?: string) => `token-for-${userId}` })
  console.log(who, me.id, token, viaFunction.projectId)
}

async function files(): Promise<void> {
  const paragon = new Paragon({ projectId: 'p', userToken: 't' })
  const response = await paragon.stream('googledrive', '/files/x', { timeout: 5000 })
  const status: number = response.status
  response.body.on('data', (chunk: Buffer) => console.log(chunk.length))
  const done = await paragon.download('googledrive', '/files/x', { to: '/tmp/x', onProgress: (sofar, total) => console.log(sofar, total) })
  const size: number = done.size
  console.log(status, size)
}

async function uploads(): Promise<void> {
  const paragon = new Paragon({ projectId: 'p', userToken: 't' })
  await paragon.request('googledrive', '/upload/files', { method: 'POST', file: '/tmp/report.pdf' })
  await paragon.request('slack', '/files.upload', {
    method: 'POST',
    multipart: { channels: 'C0', file: { path: '/tmp/report.pdf', contentType: 'application/pdf' }, raw: Buffer.from('x') },
  })
  await paragon.request('slack', '/chat.postMessage', { method: 'POST', form: { channel: 'C0', text: 'hi' } })
}

void server
void files
void uploads

void use

async function pagesAndMany(): Promise<void> {
  const paragon = new Paragon({ projectId: 'p', userToken: 't' })
  for await (const member of paragon.paginate<{ id: string }>('slack', '/users.list', { items: 'members', maxItems: 500 })) {
    const id: string = member.id
    void id
  }
  const offsets = paragon.paginate('custom.tasklab', '/projects', { pagination: { type: 'offset', size: 100 }, items: 'projects' })
  const first = await offsets.next()
  void first
  const custom = paragon.paginate('custom.tasklab', '/tasks', {
    pagination: (page: { next?: string }) => (page.next ? { query: { cursor: page.next } } : null),
  })
  void custom
  const results = await paragon.requestMany([['slack', '/users.list'], { integrationType: 'echo', path: '/x', user: 'u1' }], { concurrency: 8 })
  for (const result of results) {
    if (result.status === 'rejected' && result.reason instanceof PaginationError) console.log(result.reason.page)
  }
}

void pagesAndMany
