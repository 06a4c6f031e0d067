/**
 * `paragon-connect/testing`: a fake Paragon for your tests. No network, no extra install, started
 * in milliseconds on a free port of 127.0.0.1. Mocking libraries (nock, undici's `MockAgent`,
 * msw) cannot see this package's calls (they are made in Rust); point the client at a fake:
 *
 * ```js
 * const { FakeParagon } = require('paragon-connect/testing')
 *
 * test('posts the summary', async () => {
 *   const fake = new FakeParagon()
 *   fake.route('slack', 'POST', '/chat.postMessage').reply({ json: { ok: true } })
 *   await postSummary(fake.client({ user: 'user-1' }))   // your code
 *   fake.assertCalled('slack', 'POST', '/chat.postMessage', { jsonIncludes: { channel: 'C0' } })
 *   fake.close()
 * })
 * ```
 *
 * A route answers as the integration would: the fake wraps the reply as Paragon's proxy does
 * (`{"output": ...}` for a success, Paragon's integration error for an error status, untouched
 * for a raw call). Calls no route matches reach built-in fake APIs: `slack` (Slack-like),
 * `googledrive` (Drive-like files), `custom.tasklab`, and `echo` (sends back what it got); any
 * other integration answers 404 naming the call and the routes.
 */

import type { Paragon, ParagonOptions } from './index.js'

/** A path: exact (`'/chat.postMessage'`), a glob (`*` within a segment, `**` across), or a
 * `RegExp` (searched; only its `i` flag is kept; Rust's syntax, without look-arounds). */
export type PathPattern = string | RegExp

/** What a pattern may require besides integration, method and path. Every part given must
 * match. */
export interface PatternOptions {
  /** Parameters that must be in the query with these values (others may be there too). */
  query?: Record<string, string>
  /** Headers that must be sent with these values (names case-insensitive). */
  headers?: Record<string, string>
  /** The JSON body equals this. */
  json?: unknown
  /** The JSON body holds this: objects may have more keys, at any depth. */
  jsonIncludes?: unknown
  /** The token's user (`sub`). */
  user?: string
}

export interface RouteOptions extends PatternOptions {
  /** Answer this many calls at most, then step aside for older routes. */
  times?: number
}

export interface AssertOptions extends PatternOptions {
  /** Exactly this many matching calls (default: at least one). */
  times?: number
}

export interface ReplyOptions {
  /** A JSON body. */
  json?: unknown
  /** A text body. */
  text?: string
  /** A body of bytes. */
  body?: Uint8Array
  /** 200 by default. */
  status?: number
  /** An object, or `[name, value]` pairs (repeated names kept). */
  headers?: Record<string, string> | Array<[string, string]>
  /** Milliseconds to wait before answering. */
  delay?: number
  /** Send the reply exactly as given, instead of as the integration's answer Paragon wraps. */
  raw?: boolean
}

/** Calls a pattern matches and the replies they get, in order (the last one repeating). Each of
 * `reply`, `error` and `dropConnection` adds a reply and returns the route:
 * `route.reply({ status: 503 }).reply({ json })` answers 503 once, then the JSON. */
export declare class Route {
  private constructor()
  /** Adds the integration's answer (wrapped as Paragon does unless `raw`). */
  reply(options?: ReplyOptions): this
  /** Adds an error from Paragon itself: `{message, status, code, meta}` as Paragon sends it. */
  error(status: number, message?: string, options?: { code?: string; meta?: Record<string, unknown> }): this
  /** Adds a reply that closes the connection without answering (a `ConnectionError`). */
  dropConnection(): this
  /** How many calls this route answered. */
  readonly callCount: number
  /** The calls this route's pattern matches (answered by it or not), oldest first. */
  readonly calls: Call[]
}

export interface Part {
  name: string | null
  filename: string | null
  contentType: string | null
  data: Buffer
}

/** One call the fake received, decoded. */
export declare class Call {
  private constructor()
  /** `null` for the user-scoped API (`/sdk/me`, credentials, events, workflows). */
  readonly integration: string | null
  readonly method: string
  /** The integration's path (`/chat.postMessage`), without the query. */
  readonly path: string
  /** Query parameters in order, percent-decoded. */
  readonly query: Array<[string, string]>
  /** The query as an object (the first value of a repeated name). */
  readonly params: Record<string, string>
  /** Headers in order, names lower-case; `authorization` shows the user
   * (`Bearer <user token: user-1>`), never the token. */
  readonly headers: Array<[string, string]>
  readonly user: string | null
  /** The body's bytes. */
  readonly body: Buffer
  /** The body decoded by its content type (one of these is set when it had one). */
  readonly json?: unknown
  readonly form?: Array<[string, string]>
  readonly parts?: Part[]
  readonly text?: string
  /** Whether the fake finished answering (a cancelled call's client went away first). */
  readonly answered: boolean
  /** The first value of a header (case-insensitive name). */
  header(name: string): string | undefined
}

export interface FakeParagonOptions {
  /** A port on 127.0.0.1 (default 0: a free one). */
  port?: number
  /** Accept any Bearer token, not only those signed with `signingKey`. */
  acceptAnyToken?: boolean
}

export interface RecordingOptions extends FakeParagonOptions {
  /** How to reach the real Paragon: a client, or its options. Default: `new Paragon()`, from
   * the `PARAGON_*` environment variables as they are now. */
  upstream?: Paragon | ParagonOptions
  /** More headers whose values the cassette writes as `<scrubbed>` (besides `Authorization`,
   * which is never written, and every header named like a credential). */
  secretHeaders?: string[]
}

/** What a replayed call must share with a recorded one (default: all of them). */
export type MatchField = 'integration' | 'method' | 'path' | 'query' | 'user' | 'body'

export interface ReplayingOptions extends FakeParagonOptions {
  matchOn?: MatchField[]
  /** The `secretHeaders` the recording had. */
  secretHeaders?: string[]
}

export interface UserState {
  meta: Record<string, unknown>
  credentials: Record<string, string[]>
}

/** A fake Paragon on 127.0.0.1. Wrong routes, replies or patterns throw a `TypeError` naming the
 * problem; failed assertions throw `assert.AssertionError` listing the calls received. */
export declare class FakeParagon {
  constructor(options?: FakeParagonOptions)
  /** A fake that sends every call no route answers on to the real Paragon (with the upstream's
   * token for the same user) and, on `close()`, writes the exchanges to the cassette `to` (JSON;
   * directories made, an old file replaced). Tokens, keys, `Authorization` and credential-like
   * headers never reach the file. `close()` throws an `AssertionError` if a call could not be
   * sent on (the cassette is written anyway). */
  static recording(to: string, options?: RecordingOptions): FakeParagon
  /** A fake that answers from a cassette, offline: each call gets the first unplayed exchange
   * with the same integration, method, path, query (any order), user and body (or `matchOn`).
   * A call matching none is answered 404 (not retried), and `close()` throws an
   * `AssertionError` naming it. Routes you add still answer first. */
  static replaying(path: string, options?: ReplayingOptions): FakeParagon
  /** Throws unless every exchange of the replayed cassette was played. */
  assertAllPlayed(): void
  /** `http://127.0.0.1:<port>`: the base URL of every Paragon service it fakes. */
  readonly url: string
  readonly projectId: string
  /** The test signing key (PEM) whose tokens the fake accepts. It signs nothing else. */
  readonly signingKey: string
  /** A valid one-hour token for `user` (default `user-1`). */
  userToken(user?: string): string
  /** The `PARAGON_*` variables pointing a client built from the environment at the fake: the
   * signing key, or `user`'s token when given. */
  env(options?: { user?: string }): Record<string, string>
  /** A `Paragon` pointed at the fake, calling as `user`, or signing per user
   * (`client().user('u1')`) without one. Other options pass through. */
  client(options?: ParagonOptions & { user?: string }): Paragon
  /** A route for the proxy calls matching every part given. The newest matching route
   * answers. */
  route(integration?: string | null, method?: string | null, path?: PathPattern | null, options?: RouteOptions): Route
  /** Adds the routes of a JSON file (as `paragon-connect fake --routes` reads); gives how many. */
  loadRoutes(file: string): number
  /** Every call received so far, oldest first. */
  readonly calls: Call[]
  findCalls(integration?: string | null, method?: string | null, path?: PathPattern | null, options?: PatternOptions): Call[]
  /** Throws unless matching calls were received (`times` of them, or at least one); gives them. */
  assertCalled(integration?: string | null, method?: string | null, path?: PathPattern | null, options?: AssertOptions): Call[]
  assertNotCalled(integration?: string | null, method?: string | null, path?: PathPattern | null, options?: PatternOptions): void
  /** Creates or changes a user: `meta` merged, `credentials` replacing the connected accounts of
   * each integration named (an empty list: not connected). */
  setUser(user: string, options?: { meta?: Record<string, unknown>; credentials?: Record<string, string[]> }): void
  readonly users: Record<string, UserState>
  /** The app events received, oldest first. */
  readonly events: unknown[]
  /** The workflow triggers received, oldest first. */
  readonly triggers: unknown[]
  /** Forgets routes, calls, users and events (the server keeps running). */
  reset(): void
  /** Stops the server (again: nothing). Also `using fake = new FakeParagon()`. A recording
   * writes its cassette first; a replay throws if a call matched no exchange. */
  close(): void
  [Symbol.dispose](): void
  [Symbol.asyncDispose](): Promise<void>
}
