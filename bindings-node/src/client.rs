//! `NativeClient`: the core client behind a `Paragon` object. Each method takes the arguments
//! (typed by the wrapper), calls one core function, and maps the result to an `Outcome`.

use std::future::Future;
use std::sync::Arc;

use napi::bindgen_prelude::{FnArgs, Function, PromiseRaw};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::{Env, Result};
use napi_derive::napi;
use paragon_connect::{Client, Error, RequestOptions, SpanEnd};
use tokio_util::sync::CancellationToken;

use crate::body::{BodyWriter, CancelToken};
use crate::call::CallOptions;
use crate::errors::ErrorDescription;
use crate::events::NodeEvents;
use crate::outcome::{NativeDownload, NativeHead, NativeSpan, Outcome, header_pairs};
use crate::settings::ClientOptions;
use crate::stream::NativeStream;

#[napi]
pub struct NativeClient {
    /// Replaced by a client with a fresh pool on `close()`.
    client: std::result::Result<std::sync::Mutex<Client>, Error>,
    /// The events of a client with hooks, which its calls wait for before settling.
    hooked: Option<Arc<NodeEvents>>,
}

/// Why the I/O runtime could not be set up as asked (a bad `PARAGON_IO_THREADS`), reported by
/// every client's constructor.
pub static RUNTIME_PROBLEM: std::sync::OnceLock<paragon_connect::ConfigError> =
    std::sync::OnceLock::new();

/// `onProgress(bytesSoFar, total)`.
type ProgressFunction<'a> = Function<'a, FnArgs<(f64, Option<f64>)>, ()>;

/// Runs `call` until it ends, or until `cancelled` fires (`None`).
async fn cancellable<T>(cancelled: CancellationToken, call: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        result = call => Some(result),
        () = cancelled.cancelled() => None,
    }
}

/// A proxy call's promise: `call` runs with the prepared client and options (unless preparing
/// them failed) until it ends or `cancel` fires, and `finish` turns its result into the outcome.
/// With `hooked`, the promise settles after the call's events reached the hooks; a `trace`d
/// call that is cancelled says so to its span.
fn settle_call<'env, T: Send, F>(
    env: &'env Env,
    prepared: std::result::Result<(Client, RequestOptions), Box<ErrorDescription>>,
    hooked: Option<Arc<NodeEvents>>,
    trace: bool,
    cancel: Option<&CancelToken>,
    call: impl FnOnce(Client, RequestOptions) -> F + Send + 'static,
    finish: impl FnOnce(T) -> Outcome + Send + 'static,
) -> Result<PromiseRaw<'env, Outcome>>
where
    F: Future<Output = T> + Send,
{
    let cancelled = cancel
        .map(|cancel| cancel.token.clone())
        .unwrap_or_default();
    crate::settle::settle_later(env, async move {
        let (client, options) = match prepared {
            Ok(prepared) => prepared,
            Err(error) => return Outcome::Error(error),
        };
        // Boxed where it is made: `cancellable` holds the future it awaits twice
        // (rust-lang/rust#62958), and a call's future is kilobytes, copied at each move.
        let outcome = cancellable(cancelled, Box::pin(call(client, options))).await;
        if let Some(events) = hooked {
            events.flush().await;
        }
        match outcome {
            Some(result) => finish(result),
            None if trace => Outcome::Aborted.traced(Some(NativeSpan::end(SpanEnd::cancelled()))),
            None => Outcome::Aborted,
        }
    })
}

/// What the span of a `traced` call gets as it ends: `end_of` its value, or its error's.
fn span_end<T>(
    traced: bool,
    result: &paragon_connect::Result<T>,
    end_of: fn(&T) -> SpanEnd,
) -> Option<NativeSpan> {
    traced.then(|| {
        NativeSpan::end(match result {
            Ok(value) => end_of(value),
            Err(error) => SpanEnd::failed(error),
        })
    })
}

fn lock(client: &std::sync::Mutex<Client>) -> std::sync::MutexGuard<'_, Client> {
    client
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[napi]
impl NativeClient {
    /// Never throws for a bad setting: the error is kept and reported by `configError()`, so the
    /// wrapper throws it as a `ConfigurationError` with its attributes.
    #[napi(constructor)]
    pub fn new(options: ClientOptions<'_>) -> Result<Self> {
        let built = options
            .settings()?
            .map_err(Error::from)
            .and_then(|(settings, hooked)| Ok((settings.build()?, hooked)));
        Ok(match built {
            Ok((client, hooked)) => NativeClient {
                client: Ok(std::sync::Mutex::new(client)),
                hooked,
            },
            Err(error) => NativeClient {
                client: Err(error),
                hooked: None,
            },
        })
    }

    #[napi(ts_return_type = "Record<string, unknown> | null")]
    pub fn config_error(&self) -> Option<ErrorDescription> {
        if let Some(problem) = RUNTIME_PROBLEM.get() {
            return Some(Error::from(problem.clone()).into());
        }
        match &self.client {
            Ok(_) => None,
            Err(Error::Config(error)) => Some(Error::from(error.clone()).into()),
            Err(other) => Some(ErrorDescription::Internal(other.to_string())),
        }
    }

    #[napi]
    pub fn project_id(&self) -> Option<String> {
        self.current().map(|client| client.project_id().to_owned())
    }

    /// A copy with some per-call settings changed, sharing the pool (see the core's
    /// `Client::with_options`); a refused setting is kept for `configError()`.
    #[napi]
    pub fn with_options(&self, options: ClientOptions<'_>) -> Result<NativeClient> {
        let client = match (options.settings()?, &self.client) {
            (Err(error), _) => Err(Error::from(error)),
            (Ok(_), Err(error)) => Err(Error::from(paragon_connect::ConfigError::new(
                "options",
                format!("the client's own settings were refused: {error}"),
            ))),
            (Ok((overrides, _)), Ok(client)) => overrides.apply_to(&lock(client)),
        };
        Ok(NativeClient {
            client: client.map(std::sync::Mutex::new),
            hooked: self.hooked.clone(),
        })
    }

    /// Drops the pooled connections; the client opens new ones if used again.
    #[napi(ts_return_type = "Record<string, unknown> | null")]
    pub fn close(&self) -> Option<ErrorDescription> {
        let Ok(client) = &self.client else {
            return None;
        };
        let mut client = lock(client);
        match client.with_fresh_pool() {
            Ok(fresh) => {
                *client = fresh;
                None
            }
            Err(error) => Some(error.into()),
        }
    }

    /// The events its calls wait for, when the client has hooks.
    pub(crate) fn hooked(&self) -> Option<Arc<NodeEvents>> {
        self.hooked.clone()
    }

    /// The client now, unless its settings were refused.
    pub(crate) fn current(&self) -> Option<Client> {
        self.client.as_ref().ok().map(|client| lock(client).clone())
    }

    #[napi]
    pub fn describe(&self) -> String {
        match self.current() {
            Some(client) => format!(
                "Paragon {{ projectId: '{}', proxyBaseUrl: '{}', userToken: '[redacted]' }}",
                client.project_id(),
                client.proxy_base_url()
            ),
            None => "Paragon { invalid settings }".to_owned(),
        }
    }

    /// The client for a call, acting for `user` when given.
    pub(crate) fn client_for(
        &self,
        user: Option<String>,
    ) -> std::result::Result<Client, Box<ErrorDescription>> {
        let client = match &self.client {
            Ok(client) => lock(client).clone(),
            Err(error) => return Err(Box::new(ErrorDescription::Internal(error.to_string()))),
        };
        match user {
            Some(user) => client.user(user).map_err(|error| Box::new(error.into())),
            None => Ok(client),
        }
    }

    /// The client and options of a call, or why it cannot be made.
    fn prepare_call(
        &self,
        user: Option<String>,
        options: std::result::Result<RequestOptions, paragon_connect::InvalidRequestError>,
    ) -> std::result::Result<(Client, RequestOptions), Box<ErrorDescription>> {
        let client = self.client_for(user)?;
        let options = options.map_err(|error| Box::new(Error::from(error).into()))?;
        Ok((client, options))
    }

    /// Checks that a `user(id)` client can be made (a user-token client cannot).
    #[napi(ts_return_type = "Record<string, unknown> | null")]
    pub fn check_user(&self, user: String) -> Option<ErrorDescription> {
        self.client_for(Some(user)).err().map(|error| *error)
    }

    /// The client span of a proxy call (see the core's `Client::span_start`).
    #[napi]
    pub fn span_start(
        &self,
        integration_type: String,
        path: String,
        method: Option<String>,
    ) -> Option<NativeSpan> {
        let client = self.current()?;
        let options = RequestOptions {
            method,
            ..RequestOptions::default()
        };
        Some(NativeSpan::start(client.span_start(
            &integration_type,
            &path,
            &options,
        )))
    }

    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    #[allow(clippy::too_many_arguments)]
    pub fn request<'env>(
        &self,
        env: &'env Env,
        integration_type: String,
        path: String,
        options: CallOptions,
        user: Option<String>,
        cancel: Option<&CancelToken>,
        upload: Option<&BodyWriter>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        let exact_integers = options.exact_integers();
        let with_response = options.with_response == Some(true);
        let trace = options.traced();
        let streamed = upload.and_then(BodyWriter::take_body);
        let prepared = self.prepare_call(user, options.options(streamed));
        if with_response || trace {
            return settle_call(
                env,
                prepared,
                self.hooked.clone(),
                trace,
                cancel,
                |client, options| async move {
                    client
                        .request_with_meta(&integration_type, &path, options)
                        .await
                },
                move |result| {
                    let end = span_end(trace, &result, |(_, meta)| SpanEnd::of_meta(meta));
                    let outcome = match with_response {
                        true => Outcome::with_meta(result, exact_integers),
                        false => Outcome::from_core(result.map(|(data, _)| data), exact_integers),
                    };
                    outcome.traced(end)
                },
            );
        }
        settle_call(
            env,
            prepared,
            self.hooked.clone(),
            trace,
            cancel,
            |client, options| async move { client.request(&integration_type, &path, options).await },
            move |result| Outcome::from_core(result, exact_integers),
        )
    }

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
        user: Option<String>,
        body: &NativeStream,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        let trace = options.traced();
        let prepared = self.prepare_call(user, options.options(None));
        let target = body.body.clone();
        settle_call(
            env,
            prepared,
            self.hooked.clone(),
            trace,
            cancel,
            |client, options| async move {
                let stream = client.stream(&integration_type, &path, options).await?;
                let head = NativeHead {
                    status: u32::from(stream.status.as_u16()),
                    headers: header_pairs(&stream.headers),
                    content_length: stream.content_length().map(|length| length as f64),
                };
                let end = SpanEnd::of_stream(&stream);
                *target.lock().await = Some(stream);
                Ok((head, end))
            },
            move |result| {
                let end = span_end(trace, &result, |(_, end)| end.clone());
                let outcome = match result {
                    Ok((head, _)) => Outcome::Head(head),
                    Err(error) => Outcome::error(error, false),
                };
                outcome.traced(end)
            },
        )
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
        user: Option<String>,
        to: String,
        #[napi(
            ts_arg_type = "((bytesSoFar: number, total?: number | null) => void) | undefined | null"
        )]
        on_progress: Option<ProgressFunction<'_>>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        let trace = options.traced();
        let prepared = self.prepare_call(user, options.options(None));
        let progress = match on_progress {
            Some(function) => Some(
                function
                    .build_threadsafe_function::<FnArgs<(f64, Option<f64>)>>()
                    .callee_handled::<false>()
                    .build()?,
            ),
            None => None,
        };
        settle_call(
            env,
            prepared,
            self.hooked.clone(),
            trace,
            cancel,
            |client, options| async move {
                let report = progress.map(|tsfn| {
                    move |done: u64, total: Option<u64>| {
                        let args = FnArgs {
                            data: (done as f64, total.map(|total| total as f64)),
                        };
                        tsfn.call(args, ThreadsafeFunctionCallMode::NonBlocking);
                        // The wrapper catches what the callback throws and cancels the call.
                        std::ops::ControlFlow::Continue(())
                    }
                });
                let report = report.as_ref().map(|f| f as paragon_connect::Progress<'_>);
                let to = std::path::Path::new(&to);
                client
                    .download(&integration_type, &path, options, to, report)
                    .await
            },
            move |result| {
                let end = span_end(trace, &result, SpanEnd::of_download);
                let outcome = match result {
                    Ok(done) => Outcome::Downloaded(NativeDownload {
                        status: u32::from(done.status.as_u16()),
                        headers: header_pairs(&done.headers),
                        path: done.path.to_string_lossy().into_owned(),
                        size: done.bytes as f64,
                    }),
                    Err(error) => Outcome::error(error, false),
                };
                outcome.traced(end)
            },
        )
    }
}
