/**
 * paragon-connect: the server-side SDK for Paragon's Connect API.
 *
 * ```ts
 * import { Paragon, NotFoundError } from 'paragon-connect'
 * const paragon = new Paragon({ projectId, userToken }) // or PARAGON_* environment variables
 * await paragon.request('slack', '/chat.postMessage', {
 *   method: 'POST', body: { channel: 'C0', text: 'hi' } }) // -> { ok: true, ... }
 * ```
 */

/** Headers: a plain object, a `Headers`, a `Map`, or `[name, value]` pairs (to repeat a name). */
export type HeadersInit =
  | Record<string, string | number | boolean | undefined | ReadonlyArray<string>>
  | Headers
  | Map<string, string>
  | ReadonlyArray<readonly [string, string]>

export type QueryValue = string | number | boolean | bigint
/** Query parameters: an object (an array value repeats the name), `URLSearchParams`, or pairs. */
export type QueryInit =
  | Record<string, QueryValue | ReadonlyArray<QueryValue> | undefined>
  | URLSearchParams
  | ReadonlyArray<readonly [string, QueryValue]>

/**
 * A request body: JSON values are sent as JSON; a string, `Buffer`, typed array or `ArrayBuffer`
 * as is; a `Readable`, web `ReadableStream` or async iterable of bytes as it comes (such a call
 * is sent once and never retried).
 */
export type Body =
  | object
  | string
  | number
  | boolean
  | null
  | Buffer
  | Uint8Array
  | ArrayBuffer
  | AsyncIterable<Buffer | Uint8Array | string>

export interface ParagonOptions {
  /** Or `PARAGON_PROJECT_ID`. */
  projectId?: string
  /**
   * A Paragon User Token (a JWT signed with your project's signing key), or `PARAGON_USER_TOKEN`;
   * or a function (sync or async) returning one, called before every call with the user id of a
   * `user(id)` client.
   */
  userToken?: string | ((userId?: string) => string | Promise<string>)
  /**
   * The project's signing key (PEM; literal `\n` escapes accepted), or `PARAGON_SIGNING_KEY`:
   * the client then signs a token per user for `paragon.user(id)` clients.
   */
  signingKey?: string
  /** Milliseconds from `iat` to `exp` of signed tokens; default one hour. */
  tokenLifetime?: number
  /** Whether signed tokens carry `aud: useparagon.com/<projectId>`; default true. */
  tokenAudience?: boolean
  /** Further claims of signed tokens. */
  tokenClaims?: Record<string, unknown>
  /** The permissions claim of signed tokens, e.g. `{ 'integration:slack': true }`. */
  permissions?: Record<string, boolean>
  /** The domain of an on-premise installation, or `PARAGON_HOST`. */
  host?: string
  /** Or `PARAGON_PROXY_BASE_URL`; default `https://proxy.useparagon.com` (`https://worker-proxy.<host>`). */
  proxyBaseUrl?: string
  /** Or `PARAGON_ZEUS_BASE_URL`; default `https://zeus.useparagon.com` (`https://zeus.<host>`). */
  zeusBaseUrl?: string
  /** Or `PARAGON_HERMES_BASE_URL`; default `https://hermes.useparagon.com` (`https://hermes.<host>`). */
  hermesBaseUrl?: string
  /** Headers sent with every call (a call's own headers of the same name replace them). */
  defaultHeaders?: HeadersInit
  /** Milliseconds allowed for each attempt of a call; default 60 000. */
  timeout?: number
  /** Milliseconds allowed for a call with all its retries; none by default. */
  deadline?: number
  /** Retries after a failed attempt when repeating cannot duplicate a side effect; default 2. */
  maxRetries?: number
  /** The longest `Retry-After` (ms) waited for; a longer one fails at once. Default 60 000. */
  maxRetryAfter?: number
  /** The largest response body read into memory; default 256 MiB. */
  maxResponseBytes?: number
  /** Milliseconds allowed to open a connection; default 10 000. */
  connectTimeout?: number
  /** Allow `http://` base URLs on hosts other than loopback (the token then travels in clear). */
  allowInsecureHttp?: boolean
  /**
   * Certificate authorities to trust, added to the system's: PEM text, a PEM file's path, a
   * Buffer, or an array of them. `NODE_EXTRA_CA_CERTS` is added too, as Node does.
   */
  caCerts?: string | Buffer | Array<string | Buffer>
  /** `false` trusts only `caCerts`, not the system's roots. Default true. */
  useSystemRoots?: boolean
  /** A client certificate chain (PEM text, path or Buffer) for servers requiring one (mutual TLS). */
  clientCert?: string | Buffer
  /** The private key of `clientCert` (PEM text, path or Buffer). */
  clientKey?: string | Buffer
  /**
   * A proxy URL (`http://`, `https://`, `socks5://`, `socks5h://`; credentials in the URL), or
   * `false` for none. Not given: the environment's (`HTTPS_PROXY`, `NO_PROXY`), never for
   * services on loopback.
   */
  proxy?: string | false
  /** The most idle connections kept per host; no limit by default, 0 keeps none. */
  poolMaxIdlePerHost?: number
  /** Milliseconds an idle connection is kept; default 90 000. */
  poolIdleTimeout?: number
  /** Milliseconds between TCP keep-alive probes; default 15 000. */
  tcpKeepalive?: number
  /** `'auto'` (HTTP/2 when the server offers it over TLS; default), `'always'` or `'never'`. */
  http2?: 'auto' | 'always' | 'never'
  /**
   * Where call events go: any object with `debug()` and `warn()` (console, winston; for pino,
   * `{ debug: (m, f) => log.debug(f, m), warn: (m, f) => log.warn(f, m) }`), called with a
   * one-line message and {@link LogFields}. Each attempt is `debug`, a retry or giving up `warn`.
   */
  logger?: Logger
  /** `'debug'`, `'info'`, `'warn'` (default), `'error'` or `'off'`; alone, it logs to `console`. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'off'
  /**
   * Called as each attempt of a call is sent, on the main thread, in order. A call settles only
   * after its hooks ran; what a hook throws is emitted as a process warning, never the call's
   * failure.
   */
  onRequest?: (event: RequestEvent) => void
  /** Called as each attempt of a call is answered (any status); as {@link onRequest}. */
  onResponse?: (event: ResponseEvent) => void
  /** Return integers beyond `Number.MAX_SAFE_INTEGER` as `BigInt` instead of rounding them. */
  exactIntegers?: boolean
}

/** The settings {@link Paragon.withOptions} may change. */
export type PerCallSettings = Pick<
  ParagonOptions,
  'timeout' | 'deadline' | 'maxRetries' | 'maxRetryAfter' | 'maxResponseBytes' | 'defaultHeaders' | 'exactIntegers'
>

/** What a successful call's answer carried besides its body (`withResponse: true`). */
export interface ResponseInfo {
  status: number
  headers: Headers
  /** Paragon's request id (`X-Paragon-Request-Id`, else `X-Request-Id`), to quote to Paragon's support. */
  requestId?: string
  /** How many times the call was sent (1 when it was not retried). */
  attempts: number
  /** Milliseconds from the call's start to its decoded answer, retries included. */
  elapsedMs: number
}

/** `const { data, response } = await paragon.request(..., { withResponse: true })`. */
export interface WithResponse<T> {
  data: T
  response: ResponseInfo
}

/** What {@link ParagonOptions.onRequest} receives; never a token or a query string. */
export interface RequestEvent {
  /** Upper-case. */
  method: string
  /** `slack`, ...; empty for Paragon's own endpoints. */
  integration: string
  /** The call's path, without its query string. */
  path: string
  /** Which attempt (1 for the first). */
  attempt: number
}

/** What {@link ParagonOptions.onResponse} receives. */
export interface ResponseEvent extends RequestEvent {
  status: number
  /** Milliseconds from sending this attempt to its answer's head. */
  elapsedMs: number
  requestId?: string
}

/**
 * What `diagnostics_channel` subscribers receive for each proxy call (`request`, `stream`,
 * `download`): `paragon-connect:request:start` with `{ request }`, then
 * `paragon-connect:request:end` with `{ request, attributes }` or
 * `paragon-connect:request:error` with `{ request, error, attributes }`. The attributes are
 * the OpenTelemetry HTTP client conventions' (`http.response.status_code`, `error.type`, ...).
 */
export interface RequestChannelMessage {
  request: {
    /** The span name: `POST slack`. */
    name: string
    integrationType: string
    /** The span's start attributes: `http.request.method`, `url.full` (query values `REDACTED`), ... */
    attributes: Record<string, string | number>
  }
  attributes?: Record<string, string | number>
  error?: unknown
}

/** What {@link ParagonOptions.logger} needs. */
export interface Logger {
  debug(message: string, fields: LogFields): void
  warn(message: string, fields: LogFields): void
}

/** The fields of a call event (times in milliseconds); never a token or a query string. */
export interface LogFields {
  event: 'sending' | 'answered' | 'retrying' | 'gaveUp'
  method: string
  integration: string
  /** The call's path, without its query string. */
  path: string
  attempt: number
  status?: number | null
  elapsedMs?: number | null
  delayMs?: number | null
  reason?: string | null
  requestId?: string | null
}

/** A multipart part: text, bytes, a file streamed from disk, or data with a file name and type. */
export type MultipartValue =
  | string
  | Buffer
  | Uint8Array
  | { path: string; filename?: string; contentType?: string }
  | { data: string | Buffer | Uint8Array; filename?: string; contentType?: string }

/** The browser SDK's `request()` options, plus `query`, `raw`, `timeout`, `signal`, `exactIntegers`. */
export interface RequestOptions {
  /** Any HTTP verb, case-insensitive; default `GET`. */
  method?: string
  body?: Body
  headers?: HeadersInit
  /** Which of the user's connected accounts to use (`X-Paragon-Credential`). */
  selectedCredentialId?: string
  /** Appended to the path's own query string, each parameter percent-encoded once. */
  query?: QueryInit
  /** Resolve to status, headers and the body's bytes, untouched. */
  raw?: boolean
  /** Milliseconds allowed for each attempt of this call, replacing the client's `timeout`. */
  timeout?: number
  /** Milliseconds allowed for this call with its retries, replacing the client's `deadline`. */
  deadline?: number
  /** Retries for this call, replacing the client's `maxRetries`. */
  maxRetries?: number
  /**
   * Whether this call may be sent twice. By default: GET, HEAD, OPTIONS, PUT and DELETE, or a
   * call with an `Idempotency-Key` header. Any call is retried after a failure to connect or a
   * 429; only one that may be sent twice after a timeout, a cut-short answer, 408, 502, 503, 504.
   */
  idempotent?: boolean
  /** Aborting rejects the call with an `AbortError` and stops the request. */
  signal?: AbortSignal
  /** Return integers beyond `Number.MAX_SAFE_INTEGER` as `BigInt` (default: the client's setting). */
  exactIntegers?: boolean
  /**
   * Resolve to `{ data, response }`: the decoded answer and its {@link ResponseInfo} (status,
   * headers, request id, attempts, elapsed time). What is sent is the same.
   */
  withResponse?: boolean
  /** A file to send as the body, streamed from disk (and read again for a retry). */
  file?: string
  /** A url-encoded form (`application/x-www-form-urlencoded`). */
  form?: Record<string, QueryValue> | URLSearchParams | ReadonlyArray<readonly [string, QueryValue]>
  /** A `multipart/form-data` body (Slack `files.upload`, Drive multipart uploads). */
  multipart?: Record<string, MultipartValue> | ReadonlyArray<readonly [string, MultipartValue]>
}

/** A response exactly as it arrived. */
export interface RawResponse {
  status: number
  /** Every header; repeated values are kept (`getSetCookie()`, `get()` joins them). */
  headers: Headers
  body: Buffer
}

/** Options of `stream()`: those of `request()` but `raw` and `exactIntegers`. */
export type StreamOptions = Omit<RequestOptions, 'raw' | 'exactIntegers' | 'file' | 'form' | 'multipart'>

/** Options of `download()`. */
export interface DownloadOptions extends StreamOptions {
  /** The file to write (created or replaced once the download is complete). */
  to: string
  /** Called after each chunk with the bytes so far and the total when announced. */
  onProgress?: (bytesSoFar: number, total: number | undefined) => void
}

/** A streamed answer: the head now, the body as it arrives. */
export interface StreamedResponse {
  status: number
  headers: Headers
  /** The body's length, when the server announced it. */
  contentLength?: number
  body: import('node:stream').Readable
}

/** A finished download. */
export interface Download {
  status: number
  headers: Headers
  path: string
  /** Bytes written. */
  size: number
}

/** A Paragon Connect client for one user. Safe to share; calls never block the event loop. */
/**
 * Where a walk's next page is: a preset's name, a description, or a function given each page
 * that returns `null`/`undefined` (no more pages) or the next page (`path`, `query`, `body`).
 */
export type Pagination =
  | 'slack' | 'google' | 'hubspot' | 'notion' | 'github' | 'shopify' | 'salesforce' | 'graph'
  /** The next cursor is at `cursor` in the answer; it goes back as the query parameter `param` or the body field `field`; `more: 'has_more'` false ends the walk. */
  | { type: 'cursor'; cursor: string; param?: string; field?: string; more?: string }
  /** The next page's URL: the `Link: <...>; rel="next"` header, or the body's `field`; full URLs must stay on the first call's origin or one of `origins` (`https://*.myshopify.com`). */
  | { type: 'link'; field?: string; origins?: string[] }
  /** `param` (`offset`) counts items from `start` (or pages, with `unit: 'pages'`), `limit` (`limit`; `null` for none) asks for `size`; ends on a short page or once `total` items are read. */
  | { type: 'offset'; size: number; param?: string; limit?: string | null; start?: number; total?: string; unit?: 'items' | 'pages' }
  | ((page: any) => NextPage | null | undefined | Promise<NextPage | null | undefined>)

/** What a pagination function says the next page is. */
export interface NextPage {
  /** A path or full URL (checked as a link is: it must stay on the integration). */
  path?: string
  /** Query parameters replacing those of the same name. */
  query?: Record<string, string | number | boolean | Array<string | number | boolean>>
  /** A new JSON body. */
  body?: unknown
}

/** The options of `paginate()`: a call's, and the walk's own. */
export interface PaginateOptions extends Omit<RequestOptions, 'raw' | 'withResponse' | 'file' | 'form' | 'multipart'> {
  /** Where the next page is; the integration's preset when not given. */
  pagination?: Pagination
  /** Where each page holds its items (`members`, `data.items`, `.` for a page that is a list): the iterator then gives items. */
  items?: string
  maxPages?: number
  maxItems?: number
}

/** One call of `requestMany()`: an object, or `[integrationType, path, options?]`. */
export type ManyCall =
  | (RequestOptions & { integrationType: string; path: string; user?: string })
  | [integrationType: string, path: string, options?: RequestOptions & { user?: string }]

export interface RequestManyOptions {
  /** Calls in flight at once (16). */
  concurrency?: number
  /** Reject with the first error instead of settling every call (the rest are not sent). */
  stopOnError?: boolean
  /** Aborting stops every call. */
  signal?: AbortSignal
  exactIntegers?: boolean
}

export declare class Paragon {
  constructor(options?: ParagonOptions)
  /** The project this client calls. */
  readonly projectId: string
  /**
   * Calls `path` of the integration's API through Paragon's proxy, as the user. Resolves to the
   * upstream answer as the browser SDK decodes it: parsed JSON without Paragon's `output`
   * wrapper, text, or `undefined` for an empty body.
   */
  request(integrationType: string, path: string, options: RequestOptions & { raw: true; withResponse: true }): Promise<WithResponse<RawResponse>>
  request(integrationType: string, path: string, options: RequestOptions & { raw: true }): Promise<RawResponse>
  request<T = unknown>(integrationType: string, path: string, options: RequestOptions & { withResponse: true }): Promise<WithResponse<T>>
  request<T = unknown>(integrationType: string, path: string, options?: RequestOptions): Promise<T>
  /** Calls `path` and resolves once the answer's head arrives; the body is a `Readable`. */
  stream(integrationType: string, path: string, options?: StreamOptions): Promise<StreamedResponse>
  /** Downloads `path` into the file `options.to` atomically, reporting `onProgress`. */
  download(integrationType: string, path: string, options: DownloadOptions): Promise<Download>

  /**
   * Walks the pages of `path`: each page as `request()` gives it, or with `items` each item.
   * Arguments are checked at once (throwing `InvalidRequestError`); each page is one call,
   * retried as any call. A repeated cursor, an ignored offset or a link outside the integration
   * throws `PaginationError`; a page's own failure is its usual error with `page` set.
   */
  paginate<T = any>(integrationType: string, path: string, options?: PaginateOptions): AsyncIterableIterator<T>

  /**
   * Makes many calls with at most `concurrency` in flight inside the core; resolves to each
   * call's result in order, as `Promise.allSettled` gives them.
   */
  requestMany<T = any>(calls: Iterable<ManyCall>, options?: RequestManyOptions): Promise<Array<PromiseSettledResult<T>>>
  /** A client acting for `userId`, sharing this one's settings and connections. */
  user(userId: string): Paragon
  /**
   * A copy of this client with some per-call settings changed (`defaultHeaders` replace the
   * client's of the same name), sharing its connections, credentials and user.
   */
  withOptions(options: PerCallSettings): Paragon
  /**
   * Releases the pooled connections (shared with the `user(id)` clients made from this one); the
   * client opens new ones if used again.
   */
  close(): Promise<void>
  /** `await using paragon = new Paragon(...)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void>
  /** The user this client acts for, when it came from `user(id)`. */
  readonly userId: string | undefined
  /** The user and their connected integrations. */
  getUser<T = unknown>(): Promise<T>
  /** Sets the user's metadata (`Name`, `Email`, ...); resolves to the user. */
  setUserMetadata<T = unknown>(meta: Record<string, unknown>): Promise<T>
  /** The project's integrations (ids, types, custom names). */
  listIntegrations<T = unknown>(): Promise<T>
  /** The id of an integration type (`custom.tasklab` -> its UUID), from the cached list. */
  integrationId(integrationType: string): Promise<string>
  /** The user's connected account for an integration. */
  getAccount<T = unknown>(integrationType: string, options?: { includeAccountAuth?: boolean }): Promise<T>
  /** Disconnects the user from an integration (or one of its accounts). */
  uninstallIntegration<T = unknown>(integrationType: string, options?: { selectedCredentialId?: string }): Promise<T>
  /** Triggers a workflow that has a request trigger. */
  triggerWorkflow<T = unknown>(workflowId: string, options?: TriggerOptions): Promise<T>
  /** Sends an App Event. */
  sendEvent<T = unknown>(name: string, payload?: Record<string, unknown>): Promise<T>
  toJSON(): { projectId: string; userId: string | undefined }
}

export interface TriggerOptions {
  body?: object
  query?: QueryInit
  headers?: HeadersInit
  /** Which of the user's connected accounts the workflow uses (`X-Paragon-Credential`). */
  selectedCredentialId?: string
  /** Which workflow configuration to run (`X-Paragon-Configuration-Id`). */
  selectedConfigurationId?: string
}

export interface SignOptions {
  /** Milliseconds from `iat` to `exp`; default one hour. */
  lifetime?: number
  /** Whether to set `aud: useparagon.com/<projectId>`; default true. */
  audience?: boolean
  /** Further claims. */
  claims?: Record<string, unknown>
  /** The permissions claim, e.g. `{ 'integration:slack': true }`. */
  permissions?: Record<string, boolean>
}

/** Signs a Paragon User Token (RS256) for `userId`, for a front end that needs one. */
export declare function signUserToken(signingKey: string, projectId: string, userId: string, options?: SignOptions): string

/** Base class of every error the SDK throws. */
export declare class ParagonError extends Error {}

/** The client's settings are missing, malformed or of the wrong type. */
export declare class ConfigurationError extends ParagonError {
  /** The setting at fault, as the options name it: `projectId`, `timeout`, ... */
  setting: string
}

/**
 * A call's arguments cannot be sent as given (a bad value, or a value of the wrong type); nothing
 * was sent.
 */
export declare class InvalidRequestError extends ParagonError {
  /** The argument at fault, as the call names it: `path`, `integrationType`, `headers`, `body`, ... */
  argument: string
}

/** Properties of errors that happened during a call. */
export interface CallDetails {
  method: string
  integrationType: string
  path: string
  /** How many times the call was sent (more than 1 when it was retried). */
  attempts: number
  /** Which page of a `paginate()` walk the call fetched (1 for the first). */
  page?: number
}

/** Paragon could not be reached, or the connection broke before an answer arrived. */
export declare class ConnectionError extends ParagonError {}
export interface ConnectionError extends CallDetails {}

/** The connect or total timeout ran out. */
export declare class TimeoutError extends ParagonError {
  /** The limit that ran out, in milliseconds. */
  timeout: number
}
export interface TimeoutError extends CallDetails {}

/**
 * A `paginate()` walk cannot go on: page `page` repeated a cursor (the walk would loop), linked
 * outside the integration, or lacked the items asked for. The pages before it were given.
 */
export declare class PaginationError extends ParagonError {}
export interface PaginationError extends CallDetails {}

/** An answer arrived but its body could not be read (cut short, bad gzip, ...). */
export declare class DecodeError extends ParagonError {
  status: number
}
export interface DecodeError extends CallDetails {}

/**
 * Paragon or the upstream API answered with a status outside 2xx. As in the browser SDK,
 * `message` is Paragon's message and `response` the parsed body.
 */
export declare class APIStatusError extends ParagonError {
  status: number
  /** Paragon's error code (`"7210"`, ...), when the body carried one. */
  code?: string
  /** Paragon's message, as the browser SDK shows it (`description` says more). */
  message: string
  /** The body: parsed JSON, else text, else undefined when empty. */
  body?: unknown
  /** The same as `body`, under the browser SDK's name. */
  response?: unknown
  /** The body's bytes, exactly as received. */
  content: Buffer
  headers: Headers
  requestId?: string
  /** Milliseconds the server asked to wait (`Retry-After`, `retry-after-ms`), when it said. */
  retryAfter?: number
  /** True when Paragon says the upstream API failed (`meta.isIntegrationError`). */
  isIntegrationError: boolean
  /** The upstream API's own status when it failed (`meta.status`). */
  integrationStatus?: number
  /** The upstream API's own answer when it failed (`meta.response`). */
  integrationResponse?: unknown
  /** The call and the status in one line, e.g. `GET slack /x: Paragon answered 404 Not Found: ...`. */
  description: string
}
export interface APIStatusError extends CallDetails {}

/** 400 */
export declare class BadRequestError extends APIStatusError {}
/** 401: the user token is missing, invalid, expired or for another project. */
export declare class AuthenticationError extends APIStatusError {}
/** 403 */
export declare class PermissionDeniedError extends APIStatusError {}
/** 404 */
export declare class NotFoundError extends APIStatusError {}
/** 409 */
export declare class ConflictError extends APIStatusError {}
/** 422 */
export declare class UnprocessableEntityError extends APIStatusError {}
/** 429; `retryAfter` says how long to wait when the server said. */
export declare class RateLimitError extends APIStatusError {}
/** 5xx */
export declare class InternalServerError extends APIStatusError {}

/** This package's version. */
export declare const version: string
