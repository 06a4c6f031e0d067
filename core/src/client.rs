//! The client: turns a call into one checked HTTP request, sends it, and turns the answer into a
//! [`Response`] or an [`Error`].

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use http::Method;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use url::Url;

use crate::answer::{Finish, Head, Streamed, Whole};
use crate::auth::{Auth, check_user};
use crate::config::{ClientBuilder, Settings, authorization_header, nonzero};
use crate::error::{
    CallSite, ConfigError, ConnectionError, Error, InvalidRequestError, Result, TimeoutError,
    TimeoutPhase,
};
use crate::headers::{add_defaults, add_trace_headers, caller_headers};
use crate::http_client::{HttpClient, RequestBody, SendError};
use crate::lanes::Lanes;
use crate::proxy_url::proxy_url;
use crate::request::{AttemptBody, Body, PreparedBody, RequestOptions};
use crate::response::Response;
use crate::retry::{RetryPolicy, delay_before_retry, is_idempotent};
use crate::secret::Secret;
use crate::stream::ResponseStream;

/// The most headers an HTTP/1 answer may carry.
const MAX_RESPONSE_HEADERS: usize = 1000;

/// The longest URL a call sends.
pub const MAX_URL_BYTES: usize = 16 * 1024;

const X_PARAGON_CREDENTIAL: HeaderName = HeaderName::from_static("x-paragon-credential");
const X_PARAGON_USE_RAW_RESPONSE: HeaderName =
    HeaderName::from_static("x-paragon-use-raw-response");

/// A Paragon Connect client for one user. Cheap to clone: clones share one connection pool and
/// can be used from any number of tasks at once.
///
/// ```no_run
/// # async fn demo() -> paragon_connect::Result<()> {
/// use paragon_connect::{Client, RequestOptions};
/// use serde_json::json;
///
/// let paragon = Client::builder()
///     .project_id("19d...012")
///     .user_token("eyJ...")
///     .build()?;
/// let sent = paragon
///     .request(
///         "slack",
///         "/chat.postMessage",
///         RequestOptions::new()
///             .method("POST")
///             .body(json!({"channel": "C0", "text": "hi"})),
///     )
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    /// The user this client acts for, when its tokens are signed or provided per user.
    user: Option<Arc<str>>,
    /// A token fetched by the caller for this client's calls, replacing the configured source.
    token: Option<Secret>,
}

struct Inner {
    settings: Settings,
    http: Arc<Lanes<HttpClient>>,
    /// The same without transparent decompression, for raw calls, streams and downloads: their
    /// bytes are the server's, `Content-Encoding` and all.
    http_raw: Arc<Lanes<HttpClient>>,
    /// The project's integration list and when it was fetched (names to ids).
    integrations: Mutex<Option<(Instant, Value)>>,
}

/// What a successful call's answer carried besides its body
/// ([`Client::request_with_meta`]).
#[derive(Debug, Clone)]
pub struct ResponseMeta {
    pub status: http::StatusCode,
    pub headers: HeaderMap,
    /// Paragon's request id (`X-Paragon-Request-Id`, else `X-Request-Id`), scrubbed of the token.
    pub request_id: Option<String>,
    /// How many times the call was sent (1 when it was not retried).
    pub attempts: u32,
    /// From the call's start to its decoded answer, retries and their waits included.
    pub elapsed: Duration,
}

/// How the body of a 2xx answer becomes a [`Response`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decoding {
    /// The browser SDK's rules for proxy calls.
    Proxy,
    /// The same, JSON left as text ([`Response::JsonText`]).
    ProxyText,
    /// Status, headers and bytes untouched.
    Raw,
    /// Paragon's own endpoints: JSON or text, nothing unwrapped.
    Api,
}

/// A call checked and ready to send: nothing about it can be refused any more (but the user
/// token, which is fetched or signed when it is sent).
#[derive(Debug)]
pub struct PreparedRequest {
    pub(crate) call: CallSite,
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<PreparedBody>,
    pub(crate) decoding: Decoding,
    /// Time for each attempt.
    pub(crate) timeout: Duration,
    /// Time for all attempts together.
    pub(crate) deadline: Option<Duration>,
    pub(crate) max_retries: u32,
    /// Whether the call may be sent twice (see [`RequestOptions::idempotent`]).
    pub(crate) may_repeat: bool,
}

impl PreparedRequest {
    pub fn method(&self) -> &Method {
        &self.method
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The headers to be sent (`Authorization` is added when sending).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl Client {
    /// Settings for a new client; anything not given comes from `PARAGON_*` variables.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured entirely from `PARAGON_*` environment variables.
    pub fn from_env() -> Result<Client> {
        Client::builder().build()
    }

    pub(crate) fn from_settings(settings: Settings) -> Result<Client> {
        let tls = Arc::new(settings.transport.tls_config()?);
        let lanes = |decompress: bool| -> Arc<Lanes<HttpClient>> {
            let transport = settings.transport.clone();
            let connect_timeout = settings.connect_timeout;
            let tls = tls.clone();
            let build = move || {
                // hyper stops at 100 response headers, which some APIs pass (cookies, tracing).
                transport.http_client(&tls, connect_timeout, decompress, MAX_RESPONSE_HEADERS)
            };
            Arc::new(Lanes::new(build(), build))
        };
        let http = lanes(true);
        let http_raw = lanes(false);
        Ok(Client {
            inner: Arc::new(Inner {
                settings,
                http,
                http_raw,
                integrations: Mutex::new(None),
            }),
            user: None,
            token: None,
        })
    }

    /// A client with the same settings and a new, empty connection pool. A process that forked
    /// needs one: the parent's connections and I/O threads do not exist in the child.
    pub fn with_fresh_pool(&self) -> Result<Client> {
        let mut fresh = Client::from_settings(self.inner.settings.clone())?;
        fresh.user = self.user.clone();
        fresh.token = self.token.clone();
        Ok(fresh)
    }

    /// A copy of this client with some per-call settings changed (`timeout`, `deadline`,
    /// `max_retries`, `max_retry_after`, `max_response_bytes`, and `default_headers`, which replace
    /// the ones of the same name), sharing its connection pool, credentials and user. Any other
    /// setting in `overrides` is refused, naming it.
    pub fn with_options(&self, overrides: ClientBuilder) -> Result<Client> {
        let settings = overrides.overlay(&self.inner.settings)?;
        Ok(Client {
            inner: Arc::new(Inner {
                settings,
                http: self.inner.http.clone(),
                http_raw: self.inner.http_raw.clone(),
                integrations: Mutex::new(None),
            }),
            user: self.user.clone(),
            token: self.token.clone(),
        })
    }

    /// A client acting for `user_id`, sharing this one's settings and connection pool (it costs
    /// an `Arc` clone). Its tokens are signed with the signing key for that user (or asked of the
    /// token provider with that user). A client built from a fixed user token is already bound
    /// to that token's user and refuses.
    pub fn user(&self, user_id: impl Into<String>) -> Result<Client> {
        let user_id = user_id.into();
        if let Auth::Token(_) = self.inner.settings.auth {
            return Err(ConfigError::new(
                "user",
                "this client holds one user's token; build it with signing_key to act for other users",
            )
            .into());
        }
        check_user(&user_id).map_err(|reason| InvalidRequestError::new("user", reason))?;
        Ok(Client {
            inner: self.inner.clone(),
            user: Some(Arc::from(user_id)),
            token: self.token.clone(),
        })
    }

    /// A client whose calls use `token`, sharing this one's settings and pool: for a binding
    /// whose token function runs in its own language before the call.
    pub fn with_token(&self, token: impl Into<Secret>) -> Client {
        Client {
            inner: self.inner.clone(),
            user: self.user.clone(),
            token: Some(token.into()),
        }
    }

    /// The settings and the undecompressing HTTP client, for the fake's recorder: it sends
    /// calls on exactly as they came.
    #[cfg(feature = "fake")]
    pub(crate) fn raw_parts(&self) -> (&crate::config::Settings, &HttpClient) {
        (&self.inner.settings, self.inner.http_raw.first())
    }

    pub(crate) fn integrations_cache(&self) -> MutexGuard<'_, Option<(Instant, Value)>> {
        self.inner
            .integrations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The user this client is bound to with [`Client::user`].
    pub fn user_id(&self) -> Option<&str> {
        self.user.as_deref()
    }

    pub fn project_id(&self) -> &str {
        &self.inner.settings.project_id
    }

    pub fn proxy_base_url(&self) -> &Url {
        &self.inner.settings.proxy_base_url
    }

    pub fn zeus_base_url(&self) -> &Url {
        &self.inner.settings.zeus_base_url
    }

    pub fn hermes_base_url(&self) -> &Url {
        &self.inner.settings.hermes_base_url
    }

    /// Calls `path` of the integration's API through Paragon's proxy, as the user.
    ///
    /// `integration_type` is `slack`, `googledrive`, `custom.<name>` or `custom/<integration id>`;
    /// `path` is the upstream API's path (a leading `/` is added), with or without a query string,
    /// or a full upstream URL. A 2xx answer is decoded as the browser SDK decodes it (see
    /// [`Response`]); anything else is an [`Error`].
    pub async fn request(
        &self,
        integration_type: &str,
        path: &str,
        options: RequestOptions,
    ) -> Result<Response> {
        let prepared = self.prepare(integration_type, path, options)?;
        self.send(prepared).await
    }

    /// Checks a call and builds its request without sending it: every argument error is found
    /// here.
    pub fn prepare(
        &self,
        integration_type: &str,
        path: &str,
        options: RequestOptions,
    ) -> Result<PreparedRequest> {
        let settings = &self.inner.settings;
        let method = parse_method(options.method.as_deref())?;
        let url = proxy_url(
            &settings.proxy_base_url,
            &settings.project_id,
            integration_type,
            path,
            &options.query,
        )?;
        if url.as_str().len() > MAX_URL_BYTES {
            // Servers refuse far shorter URLs (nginx 8 KiB, Node 16 KiB of headers) by dropping
            // the connection, which would look like Paragon being unreachable.
            let argument = if options.query.is_empty() {
                "path"
            } else {
                "query"
            };
            return Err(InvalidRequestError::new(
                argument,
                format!(
                    "makes a URL of {} bytes; at most {MAX_URL_BYTES} are sent",
                    url.as_str().len()
                ),
            )
            .into());
        }
        for (argument, duration) in [("timeout", options.timeout), ("deadline", options.deadline)] {
            if let Some(duration) = duration {
                nonzero(duration).map_err(|reason| InvalidRequestError::new(argument, reason))?;
            }
        }

        let mut headers = caller_headers(&options.headers)?;
        add_credential(&mut headers, options.selected_credential_id.as_deref())?;
        add_trace_headers(&mut headers, &options.trace_headers)?;
        let accept = if options.raw {
            "*/*"
        } else {
            "application/json"
        };
        add_defaults(settings, &mut headers, accept);
        if options.raw {
            headers
                .entry(X_PARAGON_USE_RAW_RESPONSE)
                .or_insert(HeaderValue::from_static("1"));
        }
        let body = options
            .body
            .map(|body| prepared_body(body, &mut headers))
            .transpose()?;

        let may_repeat = options
            .idempotent
            .unwrap_or_else(|| may_repeat(&method, &headers));
        Ok(PreparedRequest {
            call: CallSite::new(method.clone(), integration_type, path),
            method,
            url,
            headers,
            body,
            decoding: if options.raw {
                Decoding::Raw
            } else if options.json_as_text {
                Decoding::ProxyText
            } else {
                Decoding::Proxy
            },
            timeout: options.timeout.unwrap_or(settings.timeout),
            deadline: options.deadline.or(settings.deadline),
            max_retries: options.max_retries.unwrap_or(settings.retry.max_retries),
            may_repeat,
        })
    }

    /// Sends a prepared call, retrying as [`RequestOptions::idempotent`] describes, and decodes
    /// its answer.
    pub async fn send(&self, prepared: PreparedRequest) -> Result<Response> {
        let whole = Whole(prepared.decoding);
        Ok(self.send_answer(prepared, &whole).await?.0.response)
    }

    /// [`Client::request`], with what the answer carried besides its body: status, headers,
    /// Paragon's request id, the attempts made and the time taken. What is sent is the same.
    pub async fn request_with_meta(
        &self,
        integration_type: &str,
        path: &str,
        options: RequestOptions,
    ) -> Result<(Response, ResponseMeta)> {
        let prepared = self.prepare(integration_type, path, options)?;
        self.send_with_meta(prepared).await
    }

    /// [`Client::send`], with what the answer carried besides its body (see
    /// [`Client::request_with_meta`]).
    pub async fn send_with_meta(
        &self,
        prepared: PreparedRequest,
    ) -> Result<(Response, ResponseMeta)> {
        let started = Instant::now();
        let whole = Whole(prepared.decoding);
        let (answered, attempts) = self.send_answer(prepared, &whole).await?;
        let meta = ResponseMeta {
            status: answered.status,
            headers: answered.headers,
            request_id: answered.request_id,
            attempts,
            elapsed: started.elapsed(),
        };
        Ok((answered.response, meta))
    }

    /// Calls `path` like [`Client::request`] with `raw`, but returns as soon as the status and
    /// headers arrive; the body is read chunk by chunk from the [`ResponseStream`], so memory
    /// stays flat whatever its size. The call's `timeout` bounds the wait for the answer's head
    /// and then each wait for a chunk. Retries happen before the body starts, never after.
    pub async fn stream(
        &self,
        integration_type: &str,
        path: &str,
        options: RequestOptions,
    ) -> Result<ResponseStream> {
        let prepared = self.prepare(integration_type, path, options.raw(true))?;
        Ok(self.send_answer(prepared, &Streamed).await?.0)
    }

    /// Sends `prepared`, retrying as its policy allows, and finishes the call with `finish`;
    /// gives how many attempts it took.
    async fn send_answer<F: Finish>(
        &self,
        prepared: PreparedRequest,
        finish: &F,
    ) -> Result<(F::Output, u32)> {
        let started = Instant::now();
        // A body read from a one-shot stream cannot be sent a second time.
        let replayable = prepared.body.as_ref().is_none_or(PreparedBody::replayable);
        let policy = RetryPolicy {
            max_retries: if replayable { prepared.max_retries } else { 0 },
            ..self.inner.settings.retry
        };
        let mut earlier_attempts = Vec::new();
        loop {
            let remaining = prepared
                .deadline
                .map(|deadline| deadline.saturating_sub(started.elapsed()));
            let timeout = match remaining {
                Some(remaining) => prepared.timeout.min(remaining),
                None => prepared.timeout,
            };
            let mut error = match self
                .attempt(&prepared, timeout, earlier_attempts.len(), finish)
                .await
            {
                Ok(answer) => return Ok((answer, earlier_attempts.len() as u32 + 1)),
                Err(error) => error,
            };
            let retries_done = earlier_attempts.len() as u32;
            let time_left = prepared
                .deadline
                .map(|deadline| deadline.saturating_sub(started.elapsed()));
            let delay = delay_before_retry(&error, retries_done, &policy, prepared.may_repeat)
                .filter(|delay| time_left.is_none_or(|left| *delay < left));
            if let Some(call) = error.call_mut() {
                call.earlier_attempts = earlier_attempts.clone();
            }
            let attempt = retries_done + 1;
            let events = &self.inner.settings.events;
            let Some(delay) = delay else {
                if retries_done > 0 {
                    events.gave_up(&prepared.call, attempt, &error, started.elapsed());
                }
                return Err(error);
            };
            earlier_attempts.push(error.short());
            events.retrying(&prepared.call, attempt, &error, delay);
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt: a fresh token, the request, the whole answer (up to the size limit) or, for a
    /// streamed call, its head.
    async fn attempt<F: Finish>(
        &self,
        prepared: &PreparedRequest,
        timeout: Duration,
        retries_done: usize,
        finish: &F,
    ) -> Result<F::Output> {
        let call = prepared.call.clone();
        let attempt = retries_done as u32 + 1;
        self.inner.settings.events.sending(&call, attempt);
        let token = self.token(&call, timeout).await?;
        let authorization = if prepared.headers.contains_key(AUTHORIZATION) {
            None
        } else {
            Some(
                authorization_header(&token)
                    .map_err(|reason| InvalidRequestError::new("user_token", reason))?,
            )
        };
        let lane = match prepared.decoding {
            Decoding::Raw => self.inner.http_raw.take(),
            _ => self.inner.http.take(),
        };
        let body = match &prepared.body {
            None => AttemptBody {
                body: RequestBody::Empty,
                content_type: None,
                length: None,
            },
            Some(body) => body.for_attempt().await.map_err(|error| {
                InvalidRequestError::new("body", format!("the body could not be read: {error}"))
            })?,
        };
        // Made again for each redirect followed.
        let headers = || {
            let mut headers = prepared.headers.clone();
            if let Some(authorization) = &authorization {
                headers.insert(AUTHORIZATION, authorization.clone());
            }
            if let Some(content_type) = &body.content_type {
                headers.insert(CONTENT_TYPE, content_type.clone());
            }
            if let Some(length) = body.length {
                headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(length));
            }
            headers
        };
        let send = lane
            .http()
            .send(&prepared.method, &prepared.url, headers, body.body);
        let timed_out = || {
            Error::Timeout(Box::new(TimeoutError {
                call: prepared.call.clone(),
                phase: TimeoutPhase::Response,
                after: timeout,
            }))
        };
        let exchange = async {
            let started = Instant::now();
            let sent = if F::TIMES_WHOLE_ANSWER {
                send.await
            } else {
                // A stream's chunks are timed one by one; only its head is timed here.
                match tokio::time::timeout(timeout, send).await {
                    Ok(sent) => sent,
                    Err(_) => return Err(timed_out()),
                }
            };
            let answer = match sent {
                Ok(answer) => answer,
                Err(error) => return Err(self.transport_error(call, &prepared.url, error)),
            };
            lane.answered(answer.version);
            let status = answer.status;
            self.inner.settings.events.answered(
                &call,
                attempt,
                &prepared.url,
                &prepared.headers,
                status,
                &answer.headers,
                started.elapsed(),
                &token,
            );
            finish
                .finish(Head {
                    call,
                    status,
                    headers: answer.headers,
                    body: answer.body,
                    timeout,
                    token,
                    max_response_bytes: self.inner.settings.max_response_bytes,
                })
                .await
        };
        if !F::TIMES_WHOLE_ANSWER {
            return exchange.await;
        }
        // One timer for the whole answer, head and body.
        tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(timed_out()))
    }

    /// The token for this attempt: fixed, signed for the bound user, or asked of the provider
    /// (which has the attempt's `timeout` to answer).
    pub(crate) async fn token(&self, call: &CallSite, timeout: Duration) -> Result<Secret> {
        if let Some(token) = &self.token {
            return Ok(token.clone());
        }
        match &self.inner.settings.auth {
            Auth::Token(token) => Ok(token.clone()),
            Auth::Signed(minter) => {
                let Some(user) = self.user.as_deref() else {
                    return Err(InvalidRequestError::new(
                        "user",
                        format!("{call}: this client signs tokens per user: call it through user(<user id>)"),
                    )
                    .into());
                };
                minter
                    .token_for(user)
                    .map_err(|reason| ConfigError::new("signing_key", reason).into())
            }
            Auth::Provider(provider) => {
                let asked = tokio::time::timeout(timeout, provider.token(self.user.as_deref()));
                match asked.await {
                    Ok(token) => token.map_err(|reason| {
                        InvalidRequestError::new(
                            "user_token",
                            format!("the token provider failed: {reason}"),
                        )
                        .into()
                    }),
                    Err(_) => Err(Error::Timeout(Box::new(TimeoutError {
                        call: call.clone(),
                        phase: TimeoutPhase::Token,
                        after: timeout,
                    }))),
                }
            }
        }
    }

    /// Sends a request to one of Paragon's own endpoints (`{service}/projects/{project}/...`).
    pub(crate) async fn call_api(&self, call: ApiCall<'_>) -> Result<Response> {
        let settings = &self.inner.settings;
        let mut url = call.service.clone();
        {
            let mut segments = url
                .path_segments_mut()
                .map_err(|_| ConfigError::new("base_url", "cannot take a path"))?;
            segments.pop_if_empty();
            segments.extend(call.prefix);
            segments.push("projects").push(&settings.project_id);
            for segment in call.segments {
                segments.push(segment);
            }
        }
        if !call.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(call.query.iter().map(|(k, v)| (k, v)));
        }
        let mut headers = caller_headers(&call.headers)?;
        add_credential(&mut headers, call.selected_credential_id)?;
        add_defaults(settings, &mut headers, "application/json");
        let body = call
            .body
            .map(|body| prepared_body(body, &mut headers))
            .transpose()?;
        let path = format!("/{}", call.segments.join("/"));
        let method = call.method;
        let may_repeat = may_repeat(&method, &headers);
        self.send(PreparedRequest {
            call: CallSite::new(method.clone(), "", &path),
            method: method.clone(),
            url,
            headers,
            body,
            decoding: Decoding::Api,
            timeout: settings.timeout,
            deadline: settings.deadline,
            max_retries: settings.retry.max_retries,
            may_repeat,
        })
        .await
    }

    fn transport_error(&self, call: CallSite, url: &Url, error: SendError) -> Error {
        if error.connect_timed_out {
            return Error::Timeout(Box::new(TimeoutError {
                call,
                phase: TimeoutPhase::Connect,
                after: self.inner.settings.connect_timeout,
            }));
        }
        Error::Connection(Box::new(ConnectionError {
            call,
            // The URL's query string may carry the caller's data; the origin is named instead.
            origin: url.origin().ascii_serialization(),
            while_connecting: error.connecting,
            source: error.source,
        }))
    }
}

impl ClientBuilder {
    /// Checks the settings and starts a client (its connection pool opens lazily).
    pub fn build(self) -> Result<Client> {
        Client::from_settings(self.resolve()?)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.settings.fmt(f)
    }
}

/// A call's body checked and ready, with its default `Content-Type` when the caller set none.
fn prepared_body(body: Body, headers: &mut HeaderMap) -> Result<PreparedBody, InvalidRequestError> {
    match body.default_content_type() {
        Some(content_type) => {
            headers
                .entry(CONTENT_TYPE)
                .or_insert(HeaderValue::from_static(content_type));
        }
        None if headers.contains_key(CONTENT_TYPE) => {
            return Err(InvalidRequestError::new(
                "headers",
                "a multipart body sets its own Content-Type (with its boundary); leave it out",
            ));
        }
        None => {}
    }
    body.prepare()
}

/// Whether a call may be sent twice: an idempotent method, or an `Idempotency-Key`.
fn may_repeat(method: &Method, headers: &HeaderMap) -> bool {
    is_idempotent(method) || headers.contains_key("idempotency-key")
}

/// A request to one of Paragon's own endpoints.
pub(crate) struct ApiCall<'a> {
    pub service: &'a Url,
    pub method: Method,
    /// Segments before `projects/{id}` (`v2` for events).
    pub prefix: &'a [&'a str],
    /// Segments after `projects/{id}`, each percent-encoded as one segment.
    pub segments: &'a [&'a str],
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    /// Checked and sent as `request()` sends it.
    pub selected_credential_id: Option<&'a str>,
    pub body: Option<Body>,
}

fn parse_method(method: Option<&str>) -> Result<Method, InvalidRequestError> {
    let method = method.unwrap_or("GET");
    if method.is_empty() {
        return Err(InvalidRequestError::new("method", "must not be empty"));
    }
    let parsed = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).map_err(|_| {
        InvalidRequestError::new("method", format!("{method:?} is not an HTTP method"))
    })?;
    if parsed == Method::CONNECT {
        // CONNECT's target is `host:port`, not a path: it would leave the proxy path.
        return Err(InvalidRequestError::new(
            "method",
            "CONNECT opens a tunnel and cannot be proxied",
        ));
    }
    Ok(parsed)
}

/// `X-Paragon-Credential` for `selected_credential_id`, when given.
fn add_credential(headers: &mut HeaderMap, id: Option<&str>) -> Result<(), InvalidRequestError> {
    if let Some(id) = id {
        let value = credential_header(id, headers.get(&X_PARAGON_CREDENTIAL))?;
        headers.insert(X_PARAGON_CREDENTIAL, value);
    }
    Ok(())
}

fn credential_header(
    id: &str,
    from_headers: Option<&HeaderValue>,
) -> Result<HeaderValue, InvalidRequestError> {
    let invalid = |reason: String| InvalidRequestError::new("selected_credential_id", reason);
    if id.is_empty() {
        return Err(invalid("must not be empty".to_owned()));
    }
    let value = HeaderValue::from_str(id).map_err(|_| {
        invalid(format!(
            "{id:?} contains a character HTTP headers do not allow"
        ))
    })?;
    if from_headers.is_some_and(|existing| existing != value) {
        return Err(invalid(format!(
            "{id:?} differs from the X-Paragon-Credential header also given; pass one of them"
        )));
    }
    Ok(value)
}
