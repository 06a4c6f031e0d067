//! The native part of the `paragon-connect` npm package: a client over the Rust core. The JS
//! wrapper (`index.js`) gives it the browser SDK's shape; each method here takes the arguments,
//! calls one core function, and maps the result.

mod json;
mod outcome;
mod settle;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{Buffer, FnArgs, Function, PromiseRaw};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::{Env, Result};
use napi_derive::napi;
use paragon_connect::serde_json::{self, Value};
use paragon_connect::{
    Body, Client, ConfigError, InvalidRequestError, OneShotStream, Part, PartData, RequestOptions,
    Response, ResponseStream, Secret, SigningKey, TokenOptions, TokenProvider, TriggerOptions,
    duration_from_seconds,
};
use tokio_util::sync::CancellationToken;

use crate::outcome::{NativeDownload, NativeError, NativeHead, Outcome};
use crate::settle::settle_later;

/// Client settings (timeouts in milliseconds).
#[napi(object)]
pub struct ClientOptions {
    pub project_id: Option<String>,
    pub user_token: Option<String>,
    pub host: Option<String>,
    pub proxy_base_url: Option<String>,
    pub zeus_base_url: Option<String>,
    pub hermes_base_url: Option<String>,
    /// `[name, value]` pairs.
    pub default_headers: Option<Vec<Vec<String>>>,
    pub timeout: Option<f64>,
    pub connect_timeout: Option<f64>,
    pub allow_insecure_http: Option<bool>,
    /// The Node version, for the User-Agent.
    pub runtime: Option<String>,
    pub signing_key: Option<String>,
    /// Milliseconds.
    pub token_lifetime: Option<f64>,
    pub token_audience: Option<bool>,
    /// JSON object text.
    pub token_claims: Option<String>,
    /// JSON object text.
    pub permissions: Option<String>,
    /// The wrapper calls the user's token function and passes the token with each call.
    pub token_function: Option<bool>,
    pub max_retries: Option<u32>,
    /// Milliseconds.
    pub max_retry_after: Option<f64>,
    /// Milliseconds.
    pub deadline: Option<f64>,
    pub max_response_bytes: Option<f64>,
}

/// Who a call is for: the user of a `paragon.user(id)` client, and the token the wrapper got
/// from the user's token function.
#[napi(object)]
pub struct CallContext {
    pub user: Option<String>,
    pub token: Option<String>,
}

/// Stands in for the token source when the wrapper supplies a token with every call.
struct TokenPerCall;

impl TokenProvider for TokenPerCall {
    fn token<'a>(
        &'a self,
        _user: Option<&'a str>,
    ) -> Pin<Box<dyn Future<Output = std::result::Result<Secret, String>> + Send + 'a>> {
        Box::pin(async { Err("no token was given for this call".to_owned()) })
    }
}

/// One call's options, already split by the JS wrapper into plain values.
#[napi(object)]
pub struct CallOptions {
    pub method: Option<String>,
    /// `JSON.stringify` output of a JSON body.
    pub json: Option<String>,
    pub text: Option<String>,
    pub bytes: Option<Buffer>,
    /// A file to stream as the body.
    pub file: Option<String>,
    /// `[name, value]` pairs of a url-encoded form.
    pub form: Option<Vec<Vec<String>>>,
    pub multipart: Option<Vec<NativePart>>,
    /// `[name, value]` pairs.
    pub headers: Option<Vec<Vec<String>>>,
    /// `[name, value]` pairs.
    pub query: Option<Vec<Vec<String>>>,
    pub selected_credential_id: Option<String>,
    pub raw: Option<bool>,
    /// Milliseconds.
    pub timeout: Option<f64>,
    /// Milliseconds.
    pub deadline: Option<f64>,
    pub max_retries: Option<u32>,
    pub idempotent: Option<bool>,
    pub exact_integers: Option<bool>,
}

/// One multipart part: `text`, `bytes` or `path`, with an optional file name and type.
#[napi(object)]
pub struct NativePart {
    pub name: String,
    pub text: Option<String>,
    pub bytes: Option<Buffer>,
    pub path: Option<String>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
}

/// A request body the wrapper writes chunk by chunk from a Node stream or async iterable. A
/// small channel between the two gives backpressure: `write` resolves when the request has
/// room for the chunk.
#[napi]
pub struct BodyWriter {
    sender: std::sync::Mutex<Option<tokio::sync::mpsc::Sender<std::io::Result<bytes::Bytes>>>>,
    receiver: std::sync::Mutex<Option<tokio::sync::mpsc::Receiver<std::io::Result<bytes::Bytes>>>>,
}

#[napi]
impl BodyWriter {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        let (sender, receiver) = tokio::sync::mpsc::channel(4);
        BodyWriter {
            sender: std::sync::Mutex::new(Some(sender)),
            receiver: std::sync::Mutex::new(Some(receiver)),
        }
    }

    fn sender(&self) -> Option<tokio::sync::mpsc::Sender<std::io::Result<bytes::Bytes>>> {
        self.sender.lock().ok().and_then(|sender| sender.clone())
    }

    /// Resolves to `true` once the chunk is taken, `false` when the request no longer reads.
    #[napi]
    pub fn write<'env>(&self, env: &'env Env, chunk: Buffer) -> Result<PromiseRaw<'env, bool>> {
        let sender = self.sender();
        let chunk = bytes::Bytes::from(chunk.to_vec());
        settle_later(env, async move {
            match sender {
                Some(sender) => sender.send(Ok(chunk)).await.is_ok(),
                None => false,
            }
        })
    }

    /// The body is complete.
    #[napi]
    pub fn end(&self) {
        if let Ok(mut sender) = self.sender.lock() {
            *sender = None;
        }
    }

    /// The source failed: the request fails with `reason`.
    #[napi]
    pub fn fail(&self, reason: String) {
        if let Some(sender) = self.sender() {
            // Queued behind the chunks already written, so the body ends in this error and is
            // never taken for complete.
            napi::bindgen_prelude::spawn(async move {
                let _ = sender.send(Err(std::io::Error::other(reason))).await;
            });
        }
        self.end();
    }

    fn take_body(&self) -> Option<Body> {
        let receiver = self.receiver.lock().ok()?.take()?;
        let chunks = futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|chunk| (chunk, receiver))
        });
        Some(Body::Stream(OneShotStream::new(chunks)))
    }
}

/// Cancels the calls it was passed to (the JS wrapper ties it to an `AbortSignal`).
#[napi]
pub struct CancelToken {
    token: CancellationToken,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        CancelToken {
            token: CancellationToken::new(),
        }
    }

    #[napi]
    pub fn cancel(&self) {
        self.token.cancel();
    }
}

#[napi]
pub struct NativeClient {
    client: std::result::Result<Client, paragon_connect::Error>,
}

fn pairs(
    pairs: Option<Vec<Vec<String>>>,
    argument: &'static str,
) -> std::result::Result<Vec<(String, String)>, String> {
    pairs
        .unwrap_or_default()
        .into_iter()
        .map(|pair| match <[String; 2]>::try_from(pair) {
            Ok([name, value]) => Ok((name, value)),
            Err(_) => Err(format!("{argument} must be [name, value] pairs")),
        })
        .collect()
}

fn multipart_body(parts: Vec<NativePart>) -> std::result::Result<Body, InvalidRequestError> {
    parts
        .into_iter()
        .map(|part| {
            let data = match (part.text, part.bytes, part.path) {
                (Some(text), None, None) => PartData::Text(text),
                (None, Some(bytes), None) => PartData::Bytes(bytes.to_vec().into()),
                (None, None, Some(path)) => PartData::File(path.into()),
                _ => {
                    return Err(InvalidRequestError::new(
                        "multipart",
                        format!("part {:?} needs one of text, bytes and path", part.name),
                    ));
                }
            };
            Ok(Part {
                name: part.name,
                data,
                filename: part.filename,
                content_type: part.content_type,
            })
        })
        .collect::<std::result::Result<Vec<Part>, _>>()
        .map(Body::Multipart)
}

fn milliseconds(value: f64) -> std::result::Result<Duration, String> {
    duration_from_seconds(value / 1000.0)
        .map_err(|_| format!("must be a positive number of milliseconds, not {value}"))
}

#[napi]
impl NativeClient {
    /// Never throws: a configuration error is kept and reported by `configError()`, so the
    /// wrapper can throw it as a `ConfigurationError` with its attributes.
    #[napi(constructor)]
    pub fn new(options: ClientOptions) -> Self {
        NativeClient {
            client: build(options),
        }
    }

    #[napi]
    pub fn config_error(&self) -> Option<NativeError> {
        if let Some(problem) = RUNTIME_PROBLEM.get() {
            return Some(NativeError::from_core(problem.clone().into(), false));
        }
        match &self.client {
            Ok(_) => None,
            Err(paragon_connect::Error::Config(error)) => {
                Some(NativeError::from_core(error.clone().into(), false))
            }
            Err(other) => Some(NativeError::bare("ParagonError", other.to_string())),
        }
    }

    #[napi]
    pub fn project_id(&self) -> Option<String> {
        self.client
            .as_ref()
            .ok()
            .map(|client| client.project_id().to_owned())
    }

    #[napi]
    pub fn describe(&self) -> String {
        match &self.client {
            Ok(client) => format!(
                "Paragon {{ projectId: '{}', proxyBaseUrl: '{}', userToken: '[redacted]' }}",
                client.project_id(),
                client.proxy_base_url()
            ),
            Err(_) => "Paragon { invalid settings }".to_owned(),
        }
    }

    /// The client for a call: bound to the context's user and token when given.
    fn client_for(&self, context: CallContext) -> std::result::Result<Client, Box<NativeError>> {
        let client = match &self.client {
            Ok(client) => client.clone(),
            Err(error) => {
                return Err(Box::new(NativeError::bare(
                    "ParagonError",
                    error.to_string(),
                )));
            }
        };
        let client = match context.user {
            Some(user) => client
                .user(user)
                .map_err(|error| Box::new(NativeError::from_core(error, false)))?,
            None => client,
        };
        Ok(match context.token {
            Some(token) => client.with_token(token),
            None => client,
        })
    }

    /// The client and options of a call, or why it cannot be made.
    fn prepare_call(
        &self,
        context: CallContext,
        options: std::result::Result<RequestOptions, InvalidRequestError>,
    ) -> std::result::Result<(Client, RequestOptions), Box<NativeError>> {
        let client = self.client_for(context)?;
        let options =
            options.map_err(|error| Box::new(NativeError::from_core(error.into(), false)))?;
        Ok((client, options))
    }

    /// Checks that a `user(id)` client can be made (a user-token client cannot).
    #[napi]
    pub fn check_user(&self, user: String) -> Option<NativeError> {
        self.client_for(CallContext {
            user: Some(user),
            token: None,
        })
        .err()
        .map(|error| *error)
    }

    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    #[allow(clippy::too_many_arguments)]
    pub fn request<'env>(
        &self,
        env: &'env Env,
        integration_type: String,
        path: String,
        options: CallOptions,
        context: CallContext,
        cancel: Option<&CancelToken>,
        upload: Option<&BodyWriter>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        let exact_integers = options.exact_integers.unwrap_or(false);
        let streamed = upload.and_then(BodyWriter::take_body);
        let options = call_options(options).map(|mut options| {
            if streamed.is_some() {
                options.body = streamed;
            }
            options
        });
        let prepared = self.prepare_call(context, options);
        let cancelled = cancel
            .map(|cancel| cancel.token.clone())
            .unwrap_or_default();
        settle_later(env, async move {
            let (client, options) = match prepared {
                Ok(prepared) => prepared,
                Err(error) => return Outcome::Error(error),
            };
            let call = async move { client.request(&integration_type, &path, options).await };
            match cancellable(cancelled, call).await {
                Some(result) => Outcome::from_core(result, exact_integers),
                None => Outcome::Aborted,
            }
        })
    }
}

/// Runs `call` until it ends, or until `cancelled` fires (`None`).
async fn cancellable<T>(cancelled: CancellationToken, call: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        result = call => Some(result),
        () = cancelled.cancelled() => None,
    }
}

/// `onProgress(bytesSoFar, total)`.
type ProgressFunction<'a> = Function<'a, FnArgs<(f64, Option<f64>)>, ()>;

/// The body of a streamed answer, filled by `NativeClient.stream` and read chunk by chunk.
#[napi]
pub struct NativeStream {
    body: Arc<tokio::sync::Mutex<Option<ResponseStream>>>,
}

#[napi]
impl NativeStream {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        NativeStream {
            body: Arc::new(tokio::sync::Mutex::new(None)),
        }
    }

    /// The next chunk: `["chunk", Buffer]`, `["empty"]` at the end, or `["error", ...]`.
    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    pub fn next<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Outcome>> {
        let body = self.body.clone();
        settle_later(env, async move {
            let mut body = body.lock().await;
            let read = match body.as_mut() {
                Some(stream) => stream.next_chunk().await,
                None => Ok(None),
            };
            match read {
                Ok(Some(chunk)) => Outcome::Chunk(chunk),
                Ok(None) => Outcome::Empty,
                Err(error) => Outcome::Error(Box::new(NativeError::from_core(error, false))),
            }
        })
    }

    /// Stops reading and drops the connection.
    #[napi]
    pub fn close(&self) {
        if let Ok(mut body) = self.body.try_lock() {
            *body = None;
        } else {
            let body = self.body.clone();
            napi::bindgen_prelude::spawn(async move {
                *body.lock().await = None;
            });
        }
    }
}

/// A call of the user-scoped API, by name, with its arguments as a JSON array.
async fn user_api(client: Client, name: &str, args: Vec<Value>) -> paragon_connect::Result<Value> {
    let text = |index: usize| {
        args.get(index)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match name {
        "getUser" => client.get_user().await,
        "setUserMetadata" => {
            client
                .set_user_metadata(args.first().cloned().unwrap_or(Value::Null))
                .await
        }
        "listIntegrations" => client.list_integrations().await,
        "integrationId" => client.integration_id(&text(0)).await.map(Value::String),
        "getAccount" => {
            let include = args.get(1).and_then(Value::as_bool).unwrap_or(false);
            client.get_account(&text(0), include).await
        }
        "uninstallIntegration" => {
            let credential = args.get(1).and_then(Value::as_str).map(str::to_owned);
            client
                .uninstall_integration(&text(0), credential.as_deref())
                .await
        }
        "triggerWorkflow" => {
            let options = args.get(1).cloned().unwrap_or(Value::Null);
            let pairs_of = |key: &str| -> Vec<(String, String)> {
                options[key]
                    .as_array()
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(|pair| {
                                Some((pair[0].as_str()?.to_owned(), pair[1].as_str()?.to_owned()))
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let trigger = TriggerOptions {
                body: options.get("body").cloned().map(Body::Json),
                query: pairs_of("query"),
                headers: pairs_of("headers"),
                selected_credential_id: options["selectedCredentialId"].as_str().map(str::to_owned),
                selected_configuration_id: options["selectedConfigurationId"]
                    .as_str()
                    .map(str::to_owned),
            };
            client.trigger_workflow(&text(0), trigger).await
        }
        "sendEvent" => {
            client
                .send_event(&text(0), args.get(1).cloned().unwrap_or(Value::Null))
                .await
        }
        other => Err(
            InvalidRequestError::new("method", format!("no user API call named {other}")).into(),
        ),
    }
}

#[napi]
impl NativeClient {
    /// One call of the user-scoped API (`getUser`, `triggerWorkflow`, ...); `args` is the JSON
    /// text of its argument list.
    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    pub fn api<'env>(
        &self,
        env: &'env Env,
        name: String,
        args: String,
        context: CallContext,
        exact_integers: Option<bool>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        let exact_integers = exact_integers.unwrap_or(false);
        let prepared = self.client_for(context).and_then(|client| {
            serde_json::from_str::<Vec<Value>>(&args)
                .map(|args| (client, args))
                .map_err(|error| {
                    Box::new(NativeError::bare(
                        "InvalidRequestError",
                        format!("arguments are not JSON: {error}"),
                    ))
                })
        });
        settle_later(env, async move {
            let (client, args) = match prepared {
                Ok(prepared) => prepared,
                Err(error) => return Outcome::Error(error),
            };
            let result = user_api(client, &name, args).await;
            Outcome::from_core(result.map(Response::Json), exact_integers)
        })
    }
}

#[napi]
impl NativeClient {
    /// Calls `path` and resolves to `["head", {status, headers, contentLength}]` once the answer's
    /// head arrives, its body left in `body` to read.
    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    #[allow(clippy::too_many_arguments)]
    pub fn stream<'env>(
        &self,
        env: &'env Env,
        integration_type: String,
        path: String,
        options: CallOptions,
        context: CallContext,
        body: &NativeStream,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        let prepared = self.prepare_call(context, call_options(options));
        let target = body.body.clone();
        let cancelled = cancel
            .map(|cancel| cancel.token.clone())
            .unwrap_or_default();
        settle_later(env, async move {
            let (client, options) = match prepared {
                Ok(prepared) => prepared,
                Err(error) => return Outcome::Error(error),
            };
            let call = async move { client.stream(&integration_type, &path, options).await };
            match cancellable(cancelled, call).await {
                Some(Ok(stream)) => {
                    let head = NativeHead {
                        status: u32::from(stream.status.as_u16()),
                        headers: outcome::header_pairs(&stream.headers),
                        content_length: stream.content_length().map(|length| length as f64),
                    };
                    *target.lock().await = Some(stream);
                    Outcome::Head(head)
                }
                Some(Err(error)) => Outcome::Error(Box::new(NativeError::from_core(error, false))),
                None => Outcome::Aborted,
            }
        })
    }

    /// Downloads `path` into the file `to` atomically; `on_progress(bytesSoFar, total)` is
    /// called (asynchronously, in order) after each chunk.
    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    #[allow(clippy::too_many_arguments)]
    pub fn download<'env>(
        &self,
        env: &'env Env,
        integration_type: String,
        path: String,
        options: CallOptions,
        context: CallContext,
        to: String,
        on_progress: Option<ProgressFunction<'_>>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        let prepared = self.prepare_call(context, call_options(options));
        let progress = match on_progress {
            Some(function) => Some(
                function
                    .build_threadsafe_function::<FnArgs<(f64, Option<f64>)>>()
                    .callee_handled::<false>()
                    .build()?,
            ),
            None => None,
        };
        let cancelled = cancel
            .map(|cancel| cancel.token.clone())
            .unwrap_or_default();
        settle_later(env, async move {
            let (client, options) = match prepared {
                Ok(prepared) => prepared,
                Err(error) => return Outcome::Error(error),
            };
            let call = async move {
                let report = progress.map(|tsfn| {
                    move |done: u64, total: Option<u64>| {
                        let args = FnArgs {
                            data: (done as f64, total.map(|total| total as f64)),
                        };
                        tsfn.call(args, ThreadsafeFunctionCallMode::NonBlocking);
                    }
                });
                let report = report.as_ref().map(|f| f as paragon_connect::Progress<'_>);
                let to = std::path::Path::new(&to);
                client
                    .download(&integration_type, &path, options, to, report)
                    .await
            };
            match cancellable(cancelled, call).await {
                Some(Ok(done)) => Outcome::Downloaded(NativeDownload {
                    status: u32::from(done.status.as_u16()),
                    headers: outcome::header_pairs(&done.headers),
                    path: done.path.to_string_lossy().into_owned(),
                    size: done.bytes as f64,
                }),
                Some(Err(error)) => Outcome::Error(Box::new(NativeError::from_core(error, false))),
                None => Outcome::Aborted,
            }
        })
    }
}

/// Signs a Paragon User Token; `options` is JSON text of `{lifetime (ms), audience, claims,
/// permissions}`. Resolves like a call: `["value", token]` or `["error", ...]`.
#[napi(ts_return_type = "[string, unknown]")]
pub fn sign_user_token(
    signing_key: String,
    project_id: String,
    user_id: String,
    options: String,
) -> Outcome {
    let signed = (|| {
        let options: Value = serde_json::from_str(&options)
            .map_err(|error| ConfigError::new("options", format!("are not JSON: {error}")))?;
        let key = SigningKey::from_pem(&signing_key)?;
        let object = |name: &str| options.get(name).and_then(Value::as_object).cloned();
        let token_options = TokenOptions {
            lifetime: match options.get("lifetime").and_then(Value::as_f64) {
                Some(ms) => {
                    milliseconds(ms).map_err(|reason| ConfigError::new("lifetime", reason))?
                }
                None => paragon_connect::DEFAULT_TOKEN_LIFETIME,
            },
            audience: options
                .get("audience")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            permissions: object("permissions"),
            extra_claims: object("claims").unwrap_or_default(),
        };
        paragon_connect::sign_user_token(&key, &project_id, &user_id, &token_options)
    })();
    match signed {
        Ok(token) => Outcome::Text(token.expose().to_owned()),
        Err(error) => Outcome::Error(Box::new(NativeError::from_core(error.into(), false))),
    }
}

fn build(options: ClientOptions) -> std::result::Result<Client, paragon_connect::Error> {
    let mut builder = Client::builder()
        .platform("node", options.runtime.unwrap_or_else(|| "node".to_owned()))
        .allow_insecure_http(options.allow_insecure_http.unwrap_or(false));
    if let Some(project_id) = options.project_id {
        builder = builder.project_id(project_id);
    }
    if let Some(user_token) = options.user_token {
        builder = builder.user_token(user_token);
    }
    if options.token_function == Some(true) {
        builder = builder.token_provider(Arc::new(TokenPerCall));
    }
    if let Some(key) = options.signing_key {
        builder = builder.signing_key(key);
    }
    if let Some(lifetime) = options.token_lifetime {
        builder = builder.token_lifetime(
            milliseconds(lifetime).map_err(|reason| ConfigError::new("tokenLifetime", reason))?,
        );
    }
    builder = builder.token_audience(options.token_audience.unwrap_or(true));
    if let Some(retries) = options.max_retries {
        builder = builder.max_retries(retries);
    }
    if let Some(wait) = options.max_retry_after {
        builder = builder.max_retry_after(
            milliseconds(wait).map_err(|reason| ConfigError::new("maxRetryAfter", reason))?,
        );
    }
    if let Some(deadline) = options.deadline {
        builder = builder.deadline(
            milliseconds(deadline).map_err(|reason| ConfigError::new("deadline", reason))?,
        );
    }
    if let Some(bytes) = options.max_response_bytes {
        if !(bytes.is_finite() && bytes >= 1.0) {
            return Err(
                ConfigError::new("maxResponseBytes", "must be a positive number of bytes").into(),
            );
        }
        builder = builder.max_response_bytes(bytes as u64);
    }
    let object = |setting: &'static str, text: String| match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(ConfigError::new(setting, "must be an object")),
    };
    if let Some(text) = options.token_claims {
        builder = builder.token_claims(object("tokenClaims", text)?);
    }
    if let Some(text) = options.permissions {
        builder = builder.token_permissions(object("permissions", text)?);
    }
    if let Some(host) = options.host {
        builder = builder.host(host);
    }
    if let Some(url) = options.proxy_base_url {
        builder = builder.proxy_base_url(url);
    }
    if let Some(url) = options.zeus_base_url {
        builder = builder.zeus_base_url(url);
    }
    if let Some(url) = options.hermes_base_url {
        builder = builder.hermes_base_url(url);
    }
    for (name, value) in pairs(options.default_headers, "defaultHeaders")
        .map_err(|reason| ConfigError::new("defaultHeaders", reason))?
    {
        builder = builder.default_header(name, value);
    }
    if let Some(timeout) = options.timeout {
        builder = builder
            .timeout(milliseconds(timeout).map_err(|reason| ConfigError::new("timeout", reason))?);
    }
    if let Some(timeout) = options.connect_timeout {
        builder = builder.connect_timeout(
            milliseconds(timeout).map_err(|reason| ConfigError::new("connectTimeout", reason))?,
        );
    }
    builder.build()
}

fn call_options(options: CallOptions) -> std::result::Result<RequestOptions, InvalidRequestError> {
    let bodies = [
        options.json.is_some(),
        options.text.is_some(),
        options.bytes.is_some(),
        options.file.is_some(),
        options.form.is_some(),
        options.multipart.is_some(),
    ];
    if bodies.iter().filter(|given| **given).count() > 1 {
        return Err(InvalidRequestError::new(
            "body",
            "give one of body, file, form and multipart",
        ));
    }
    let body = if let Some(json) = options.json {
        Some(Body::Json(serde_json::from_str(&json).map_err(
            |error| InvalidRequestError::new("body", format!("is not JSON: {error}")),
        )?))
    } else if let Some(text) = options.text {
        Some(Body::Text(text))
    } else if let Some(bytes) = options.bytes {
        Some(Body::Bytes(bytes.to_vec().into()))
    } else if let Some(path) = options.file {
        Some(Body::File(path.into()))
    } else if let Some(form) = options.form {
        Some(Body::Form(pairs(Some(form), "form").map_err(|reason| {
            InvalidRequestError::new("form", reason)
        })?))
    } else {
        options.multipart.map(multipart_body).transpose()?
    };
    Ok(RequestOptions {
        method: options.method,
        body,
        headers: pairs(options.headers, "headers")
            .map_err(|reason| InvalidRequestError::new("headers", reason))?,
        query: pairs(options.query, "query")
            .map_err(|reason| InvalidRequestError::new("query", reason))?,
        selected_credential_id: options.selected_credential_id,
        raw: options.raw.unwrap_or(false),
        timeout: options
            .timeout
            .map(milliseconds)
            .transpose()
            .map_err(|reason| InvalidRequestError::new("timeout", reason))?,
        deadline: options
            .deadline
            .map(milliseconds)
            .transpose()
            .map_err(|reason| InvalidRequestError::new("deadline", reason))?,
        max_retries: options.max_retries,
        idempotent: options.idempotent,
        // JSON.parse builds the value; exact integers need the value built here (BigInt).
        json_as_text: !options.exact_integers.unwrap_or(false),
    })
}

/// Why the I/O runtime could not be set up as asked (a bad `PARAGON_IO_THREADS`), reported by
/// every client's constructor.
static RUNTIME_PROBLEM: std::sync::OnceLock<paragon_connect::ConfigError> =
    std::sync::OnceLock::new();

/// Gives napi-rs the process's I/O runtime, sized by the core's rule.
#[napi_derive::module_init]
fn init_runtime() {
    match paragon_connect::io_runtime() {
        Ok(runtime) => napi::bindgen_prelude::create_custom_tokio_runtime(runtime),
        Err(problem) => {
            let _ = RUNTIME_PROBLEM.set(problem);
        }
    }
}

/// The I/O thread frees what the JavaScript thread allocated and the other way round; glibc's
/// allocator serialises those frees on its arena locks (~5% of a busy client's time in
/// `__lll_lock_wait_private`), mimalloc does not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
