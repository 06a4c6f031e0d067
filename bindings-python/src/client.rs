//! `Paragon` and `AsyncParagon`: each method takes the arguments, calls one core function, and
//! maps the result or error. Both classes come from one definition (`client_class!`), which
//! differs only in how a call is waited for: with the GIL released (`Blocking`), or as an
//! awaitable task on the shared runtime (`Awaiting`).

use std::future::Future;
use std::sync::{Arc, Mutex};

use paragon_connect::serde_json::Value;
use paragon_connect::{Client, Response, ResponseMeta, ResponseStream, SpanEnd};
use pyo3::prelude::*;
use pyo3::types::{PyAny, PyTuple};

use crate::arguments::{
    CallInput, Place, PythonSettings, SettingsInput, flag, json, json_object, required_text, text,
    trigger_options,
};
use crate::convert::{from_json, headers_to_python, response_to_python};
use crate::errors::to_py_err;
use crate::event_loop::EVENT_LOOP;
use crate::logging::Hooks;
use crate::pending::{PendingCall, pending};
use crate::progress::ProgressReporter;
use crate::runtime::{Spawned, wait};
use crate::stream::{AsyncStreamResponse, StreamResponse};
use crate::tracing::CallSpan;

/// The core client of one Python client object (and the user-bound ones made from it), renewed
/// after `fork()` (the parent's pool and I/O threads do not exist in a child) and after
/// `close()`.
struct SharedClient {
    current: Mutex<(u64, Client)>,
    /// `on_request` / `on_response`, whose events a call waits for before returning.
    hooks: Option<Arc<Hooks>>,
}

impl SharedClient {
    fn new(client: Client, hooks: Option<Arc<Hooks>>) -> Arc<Self> {
        Arc::new(SharedClient {
            current: Mutex::new((crate::forks::generation(), client)),
            hooks,
        })
    }

    /// `call`, then (for a client with hooks) the wait until its hooks have run, so that they
    /// have all run when the call returns.
    fn observed<T: Send + 'static>(
        &self,
        call: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> + Send + 'static {
        crate::logging::observed(self.hooks.as_ref(), call)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, Client)> {
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// This process's client, acting for `user` when given.
    fn get(&self, py: Python<'_>, user: Option<&str>) -> PyResult<Client> {
        crate::logging::refresh(py);
        let process = crate::forks::generation();
        let client = {
            let mut current = self.lock();
            if current.0 != process {
                let fresh = current
                    .1
                    .with_fresh_pool()
                    .map_err(|error| to_py_err(py, error))?;
                *current = (process, fresh);
            }
            current.1.clone()
        };
        match user {
            Some(user) => client.user(user).map_err(|error| to_py_err(py, error)),
            None => Ok(client),
        }
    }

    /// Drops the pooled connections; the client opens new ones if used again.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let mut current = self.lock();
        let fresh = current
            .1
            .with_fresh_pool()
            .map_err(|error| to_py_err(py, error))?;
        *current = (crate::forks::generation(), fresh);
        Ok(())
    }

    fn repr(&self, class: &str, user: Option<&str>) -> String {
        let current = self.lock();
        let client = &current.1;
        let user = user
            .map(|user| format!(", user={user:?}"))
            .unwrap_or_default();
        format!(
            "{class}(project_id={:?}{user}, proxy_base_url={:?}, token=<redacted>)",
            client.project_id(),
            client.proxy_base_url().as_str()
        )
    }
}

/// Turns a core call's result into Python's: its value, or the exception its error maps to.
trait Finish<T>:
    FnOnce(Python<'_>, paragon_connect::Result<T>) -> PyResult<Py<PyAny>> + Send + 'static
{
}
impl<T, F> Finish<T> for F where
    F: FnOnce(Python<'_>, paragon_connect::Result<T>) -> PyResult<Py<PyAny>> + Send + 'static
{
}

/// A result converted by `into_python`, an error raised as its exception.
fn plain<T: 'static>(into_python: fn(Python<'_>, T) -> PyResult<Py<PyAny>>) -> impl Finish<T> {
    move |py, result| match result {
        Ok(value) => into_python(py, value),
        Err(error) => Err(to_py_err(py, error)),
    }
}

/// The same, ending the call's span first with what the result says (`end_of` a value).
fn traced<T: 'static>(
    span: Option<CallSpan>,
    end_of: fn(&T) -> SpanEnd,
    into_python: fn(Python<'_>, T) -> PyResult<Py<PyAny>>,
) -> impl Finish<T> {
    move |py, result| {
        if let Some(span) = span {
            let end = match &result {
                Ok(value) => end_of(value),
                Err(error) => SpanEnd::failed(error),
            };
            span.end(py, end);
        }
        plain(into_python)(py, result)
    }
}

fn json_to_python(py: Python<'_>, value: Value) -> PyResult<Py<PyAny>> {
    Ok(from_json(py, &value)?.unbind())
}

/// `request()`'s value (the metadata is used for the span only).
fn response_into_python(
    py: Python<'_>,
    (response, _): (Response, ResponseMeta),
) -> PyResult<Py<PyAny>> {
    response_to_python(py, &response)
}

/// `WithResponse(data, ResponseInfo(...))`.
fn with_response_into_python(
    py: Python<'_>,
    (response, meta): (Response, ResponseMeta),
) -> PyResult<Py<PyAny>> {
    let types = py.import("paragon_connect._types")?;
    let info = types.getattr("ResponseInfo")?.call1((
        meta.status.as_u16(),
        headers_to_python(py, &meta.headers)?,
        meta.request_id,
        meta.attempts,
        meta.elapsed.as_secs_f64(),
    ))?;
    let data = response_to_python(py, &response)?;
    Ok(types.getattr("WithResponse")?.call1((data, info))?.unbind())
}

/// Runs a core call to completion with the GIL released.
fn blocking<T: Send + 'static>(
    py: Python<'_>,
    call: impl Future<Output = paragon_connect::Result<T>> + Send + 'static,
    finish: impl Finish<T>,
) -> PyResult<Py<PyAny>> {
    finish(py, wait(py, call)?)
}

fn running_loop(py: Python<'_>) -> PyResult<Py<PyAny>> {
    Ok(py
        .import("asyncio")?
        .call_method0("get_running_loop")?
        .unbind())
}

/// How a download ended: the file is there, or the caller's progress callback raised (and the
/// download stopped, leaving no file).
enum Downloaded {
    Done(paragon_connect::Download),
    /// With what the span records: the core's own error for the stopped download.
    CallbackRaised(PyErr, SpanEnd),
}

/// A `download()` result as the package's `Download`, or the progress callback's exception.
fn download_to_python(py: Python<'_>, downloaded: Downloaded) -> PyResult<Py<PyAny>> {
    static DOWNLOAD: pyo3::sync::PyOnceLock<Py<pyo3::types::PyType>> =
        pyo3::sync::PyOnceLock::new();
    let download = match downloaded {
        Downloaded::Done(download) => download,
        Downloaded::CallbackRaised(error, _) => return Err(error),
    };
    Ok(DOWNLOAD
        .import(py, "paragon_connect._types", "Download")?
        .call1((
            download.status.as_u16(),
            crate::convert::headers_to_python(py, &download.headers)?,
            download.path,
            download.bytes,
        ))?
        .unbind())
}

/// A `stream()` call: the answer's head, or the error.
type StreamCall =
    std::pin::Pin<Box<dyn Future<Output = paragon_connect::Result<ResponseStream>> + Send>>;

/// `async with paragon.stream(...) as response:` for `AsyncParagon`.
#[pyclass(module = "paragon_connect", frozen)]
pub struct AsyncStreamContext {
    call: std::sync::Mutex<Option<(StreamCall, Option<CallSpan>)>>,
    response: std::sync::Mutex<Option<Py<AsyncStreamResponse>>>,
}

#[pymethods]
impl AsyncStreamContext {
    async fn __aenter__(&self) -> PyResult<Py<AsyncStreamResponse>> {
        let Some((call, span)) = self
            .call
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
        else {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "this stream was already opened",
            ));
        };
        let event_loop = Python::attach(running_loop)?;
        let stream = Spawned::new(EVENT_LOOP.scope(event_loop, call))?.await?;
        Python::attach(|py| {
            end_stream_span(py, span, &stream);
            let stream = stream.map_err(|error| to_py_err(py, error))?;
            let response = Py::new(py, AsyncStreamResponse::new(py, stream)?)?;
            *self
                .response
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(response.clone_ref(py));
            Ok(response)
        })
    }

    #[pyo3(signature = (*_exc_info))]
    async fn __aexit__(&self, _exc_info: Py<PyTuple>) -> PyResult<()> {
        let response = self
            .response
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(response) = response {
            response.get().close_now().await;
        }
        Ok(())
    }
}

/// Ends a stream's span as its head (or its error) arrives.
fn end_stream_span(
    py: Python<'_>,
    span: Option<CallSpan>,
    stream: &paragon_connect::Result<ResponseStream>,
) {
    if let Some(span) = span {
        let end = match stream {
            Ok(stream) => SpanEnd::of_stream(stream),
            Err(error) => SpanEnd::failed(error),
        };
        span.end(py, end);
    }
}

/// How a client's calls are waited for.
trait Waiting {
    /// Whether calls are awaited (`AsyncParagon`).
    const ASYNC: bool;
    type Output;
    /// What `stream()` returns.
    type Stream;

    /// `stream()`: the answer's head (or, for `async with`, a context that awaits it).
    fn open_stream(
        py: Python<'_>,
        call: StreamCall,
        span: Option<CallSpan>,
    ) -> PyResult<Self::Stream>;

    /// Runs `call` (or raises the error preparing it) and converts its result with `finish`;
    /// `name` is the method's qualified name.
    fn run<T: Send + 'static>(
        py: Python<'_>,
        name: &'static str,
        call: PyResult<impl Future<Output = paragon_connect::Result<T>> + Send + 'static>,
        finish: impl Finish<T>,
    ) -> Self::Output;
}

/// `Paragon`: the calling thread waits with the GIL released.
struct Blocking;

impl Waiting for Blocking {
    const ASYNC: bool = false;
    type Output = PyResult<Py<PyAny>>;
    type Stream = StreamResponse;

    fn open_stream(
        py: Python<'_>,
        call: StreamCall,
        span: Option<CallSpan>,
    ) -> PyResult<StreamResponse> {
        let stream = wait(py, call)?;
        end_stream_span(py, span, &stream);
        StreamResponse::new(py, stream.map_err(|error| to_py_err(py, error))?)
    }

    fn run<T: Send + 'static>(
        py: Python<'_>,
        _name: &'static str,
        call: PyResult<impl Future<Output = paragon_connect::Result<T>> + Send + 'static>,
        finish: impl Finish<T>,
    ) -> Self::Output {
        blocking(py, call?, finish)
    }
}

/// `AsyncParagon`: an awaitable that runs the call as a task.
struct Awaiting;

impl Waiting for Awaiting {
    const ASYNC: bool = true;
    type Output = PendingCall;
    type Stream = AsyncStreamContext;

    fn open_stream(
        _py: Python<'_>,
        call: StreamCall,
        span: Option<CallSpan>,
    ) -> PyResult<AsyncStreamContext> {
        Ok(AsyncStreamContext {
            call: std::sync::Mutex::new(Some((call, span))),
            response: std::sync::Mutex::new(None),
        })
    }

    fn run<T: Send + 'static>(
        _py: Python<'_>,
        name: &'static str,
        call: PyResult<impl Future<Output = paragon_connect::Result<T>> + Send + 'static>,
        finish: impl Finish<T>,
    ) -> Self::Output {
        pending(name, call, finish)
    }
}

/// The shared definition of `Paragon` and `AsyncParagon`: the struct, the constructor, `user()`,
/// every call method and the accessors. `$waiting` says how calls are waited for; `$own` holds
/// the methods that differ (`close()` and the context manager protocol).
macro_rules! client_class {
    ($(#[$doc:meta])* $class:ident, $name:literal, $waiting:ty, { $($own:tt)* }) => {
        $(#[$doc])*
        #[pyclass(module = "paragon_connect", name = $name, frozen)]
        pub struct $class {
            shared: Arc<SharedClient>,
            user: Option<String>,
        }

        impl $class {
            fn client(&self, py: Python<'_>) -> PyResult<Client> {
                self.shared.get(py, self.user.as_deref())
            }
        }

        #[pymethods]
        impl $class {
            #[new]
            #[pyo3(signature = (*, project_id=None, user_token=None, signing_key=None, host=None, proxy_base_url=None, zeus_base_url=None, hermes_base_url=None, default_headers=None, timeout=None, connect_timeout=None, token_lifetime=None, token_audience=None, token_claims=None, permissions=None, max_retries=None, max_retry_after=None, deadline=None, max_response_bytes=None, allow_insecure_http=None, ca_certs=None, use_system_roots=None, client_cert=None, client_key=None, proxy=None, pool_max_idle_per_host=None, pool_idle_timeout=None, tcp_keepalive=None, http2=None, on_request=None, on_response=None))]
            #[allow(clippy::too_many_arguments)]
            fn new<'py>(
                py: Python<'py>,
                project_id: Option<Bound<'py, PyAny>>,
                user_token: Option<Bound<'py, PyAny>>,
                signing_key: Option<Bound<'py, PyAny>>,
                host: Option<Bound<'py, PyAny>>,
                proxy_base_url: Option<Bound<'py, PyAny>>,
                zeus_base_url: Option<Bound<'py, PyAny>>,
                hermes_base_url: Option<Bound<'py, PyAny>>,
                default_headers: Option<Bound<'py, PyAny>>,
                timeout: Option<Bound<'py, PyAny>>,
                connect_timeout: Option<Bound<'py, PyAny>>,
                token_lifetime: Option<Bound<'py, PyAny>>,
                token_audience: Option<Bound<'py, PyAny>>,
                token_claims: Option<Bound<'py, PyAny>>,
                permissions: Option<Bound<'py, PyAny>>,
                max_retries: Option<Bound<'py, PyAny>>,
                max_retry_after: Option<Bound<'py, PyAny>>,
                deadline: Option<Bound<'py, PyAny>>,
                max_response_bytes: Option<Bound<'py, PyAny>>,
                allow_insecure_http: Option<Bound<'py, PyAny>>,
                ca_certs: Option<Bound<'py, PyAny>>,
                use_system_roots: Option<Bound<'py, PyAny>>,
                client_cert: Option<Bound<'py, PyAny>>,
                client_key: Option<Bound<'py, PyAny>>,
                proxy: Option<Bound<'py, PyAny>>,
                pool_max_idle_per_host: Option<Bound<'py, PyAny>>,
                pool_idle_timeout: Option<Bound<'py, PyAny>>,
                tcp_keepalive: Option<Bound<'py, PyAny>>,
                http2: Option<Bound<'py, PyAny>>,
                on_request: Option<Bound<'py, PyAny>>,
                on_response: Option<Bound<'py, PyAny>>,
            ) -> PyResult<Self> {
                let hooks = Hooks::new(on_request.as_ref(), on_response.as_ref())?;
                let settings = SettingsInput {
                    project_id: project_id.as_ref(),
                    user_token: user_token.as_ref(),
                    signing_key: signing_key.as_ref(),
                    host: host.as_ref(),
                    proxy_base_url: proxy_base_url.as_ref(),
                    zeus_base_url: zeus_base_url.as_ref(),
                    hermes_base_url: hermes_base_url.as_ref(),
                    default_headers: default_headers.as_ref(),
                    timeout: timeout.as_ref(),
                    connect_timeout: connect_timeout.as_ref(),
                    token_lifetime: token_lifetime.as_ref(),
                    token_audience: token_audience.as_ref(),
                    token_claims: token_claims.as_ref(),
                    permissions: permissions.as_ref(),
                    max_retries: max_retries.as_ref(),
                    max_retry_after: max_retry_after.as_ref(),
                    deadline: deadline.as_ref(),
                    max_response_bytes: max_response_bytes.as_ref(),
                    allow_insecure_http: allow_insecure_http.as_ref(),
                    ca_certs: ca_certs.as_ref(),
                    use_system_roots: use_system_roots.as_ref(),
                    client_cert: client_cert.as_ref(),
                    client_key: client_key.as_ref(),
                    proxy: proxy.as_ref(),
                    pool_max_idle_per_host: pool_max_idle_per_host.as_ref(),
                    pool_idle_timeout: pool_idle_timeout.as_ref(),
                    tcp_keepalive: tcp_keepalive.as_ref(),
                    http2: http2.as_ref(),
                }
                .settings(py)?
                .with_hooks(hooks.clone());
                let client = settings.build().map_err(|error| to_py_err(py, error))?;
                Ok($class {
                    shared: SharedClient::new(client, hooks),
                    user: None,
                })
            }

            /// A copy of this client with some per-call settings changed, sharing its
            /// connections, credentials and user.
            #[pyo3(signature = (*, timeout=None, deadline=None, max_retries=None, max_retry_after=None, max_response_bytes=None, default_headers=None))]
            #[allow(clippy::too_many_arguments)]
            fn with_options(
                &self,
                py: Python<'_>,
                timeout: Option<Bound<'_, PyAny>>,
                deadline: Option<Bound<'_, PyAny>>,
                max_retries: Option<Bound<'_, PyAny>>,
                max_retry_after: Option<Bound<'_, PyAny>>,
                max_response_bytes: Option<Bound<'_, PyAny>>,
                default_headers: Option<Bound<'_, PyAny>>,
            ) -> PyResult<$class> {
                let mut overrides = SettingsInput {
                    timeout: timeout.as_ref(),
                    deadline: deadline.as_ref(),
                    max_retries: max_retries.as_ref(),
                    max_retry_after: max_retry_after.as_ref(),
                    max_response_bytes: max_response_bytes.as_ref(),
                    default_headers: default_headers.as_ref(),
                    ..SettingsInput::default()
                }
                .settings(py)?;
                // The client's logging and hooks stay as they are.
                overrides.event_sink = None;
                let base = self.shared.get(py, None)?;
                let client = overrides.apply_to(&base).map_err(|error| to_py_err(py, error))?;
                Ok($class {
                    shared: SharedClient::new(client, self.shared.hooks.clone()),
                    user: self.user.clone(),
                })
            }

            /// A client acting for `user_id`, sharing this one's settings and connections.
            fn user(&self, py: Python<'_>, user_id: Bound<'_, PyAny>) -> PyResult<$class> {
                let user_id = required_text(Place::Argument("user_id"), &user_id)?;
                self.shared.get(py, Some(&user_id))?;
                Ok($class {
                    shared: self.shared.clone(),
                    user: Some(user_id),
                })
            }

            /// Calls `path` of the integration's API through Paragon's proxy, as the user, and
            /// returns the answer decoded as the browser SDK decodes it (or a `RawResponse` with
            /// `raw=True`; with `with_response=True`, `(data, ResponseInfo)`).
            #[pyo3(signature = (integration_type, path, *, method=None, body=None, headers=None, query=None, selected_credential_id=None, raw=None, timeout=None, deadline=None, max_retries=None, idempotent=None, form=None, multipart=None, with_response=None))]
            #[allow(clippy::too_many_arguments)]
            fn request(
                &self,
                py: Python<'_>,
                integration_type: Bound<'_, PyAny>,
                path: Bound<'_, PyAny>,
                method: Option<Bound<'_, PyAny>>,
                body: Option<Bound<'_, PyAny>>,
                headers: Option<Bound<'_, PyAny>>,
                query: Option<Bound<'_, PyAny>>,
                selected_credential_id: Option<Bound<'_, PyAny>>,
                raw: Option<Bound<'_, PyAny>>,
                timeout: Option<Bound<'_, PyAny>>,
                deadline: Option<Bound<'_, PyAny>>,
                max_retries: Option<Bound<'_, PyAny>>,
                idempotent: Option<Bound<'_, PyAny>>,
                form: Option<Bound<'_, PyAny>>,
                multipart: Option<Bound<'_, PyAny>>,
                with_response: Option<Bound<'_, PyAny>>,
            ) -> <$waiting as Waiting>::Output {
                let name = concat!($name, ".request");
                let call = (|| {
                    let (integration_type, path) = call_target(&integration_type, &path)?;
                    let options = CallInput {
                        method: method.as_ref(),
                        body: body.as_ref(),
                        headers: headers.as_ref(),
                        query: query.as_ref(),
                        selected_credential_id: selected_credential_id.as_ref(),
                        raw: raw.as_ref(),
                        timeout: timeout.as_ref(),
                        deadline: deadline.as_ref(),
                        max_retries: max_retries.as_ref(),
                        idempotent: idempotent.as_ref(),
                        form: form.as_ref(),
                        multipart: multipart.as_ref(),
                    }
                    .options()?;
                    let with_response = flag(Place::Argument("with_response"), with_response.as_ref())?;
                    Ok((self.client(py)?, integration_type, path, options, with_response == Some(true)))
                })();
                let (client, integration_type, path, mut options, with_response) = match call {
                    Ok(call) => call,
                    Err(error) => {
                        let call = Err::<std::future::Ready<paragon_connect::Result<(Response, ResponseMeta)>>, _>(error);
                        return <$waiting>::run(py, name, call, plain(response_into_python));
                    }
                };
                let span = crate::tracing::start(py, &client, &integration_type, &path, &mut options);
                let call = self.shared.observed(async move {
                    client.request_with_meta(&integration_type, &path, options).await
                });
                let into_python = if with_response { with_response_into_python } else { response_into_python };
                let end_of: fn(&(Response, ResponseMeta)) -> SpanEnd = |(_, meta)| SpanEnd::of_meta(meta);
                <$waiting>::run(py, name, Ok(call), traced(span, end_of, into_python))
            }

            /// Walks the pages of `path`: an iterator (an async iterator for `AsyncParagon`)
            /// of each page as `request()` gives it, or with `items` of each item. `pagination`
            /// is a preset's name, a dict (`{"type": "cursor", ...}`) or a function; by default
            /// the integration's preset. Each page is one call, retried as any call is.
            #[pyo3(signature = (integration_type, path, *, method=None, body=None, headers=None, query=None, selected_credential_id=None, timeout=None, deadline=None, max_retries=None, idempotent=None, pagination=None, items=None, max_pages=None, max_items=None))]
            #[allow(clippy::too_many_arguments)]
            fn paginate(
                &self,
                py: Python<'_>,
                integration_type: Bound<'_, PyAny>,
                path: Bound<'_, PyAny>,
                method: Option<Bound<'_, PyAny>>,
                body: Option<Bound<'_, PyAny>>,
                headers: Option<Bound<'_, PyAny>>,
                query: Option<Bound<'_, PyAny>>,
                selected_credential_id: Option<Bound<'_, PyAny>>,
                timeout: Option<Bound<'_, PyAny>>,
                deadline: Option<Bound<'_, PyAny>>,
                max_retries: Option<Bound<'_, PyAny>>,
                idempotent: Option<Bound<'_, PyAny>>,
                pagination: Option<Bound<'_, PyAny>>,
                items: Option<Bound<'_, PyAny>>,
                max_pages: Option<Bound<'_, PyAny>>,
                max_items: Option<Bound<'_, PyAny>>,
            ) -> PyResult<Py<PyAny>> {
                let (integration_type, path) = call_target(&integration_type, &path)?;
                let options = CallInput {
                    method: method.as_ref(),
                    body: body.as_ref(),
                    headers: headers.as_ref(),
                    query: query.as_ref(),
                    selected_credential_id: selected_credential_id.as_ref(),
                    timeout: timeout.as_ref(),
                    deadline: deadline.as_ref(),
                    max_retries: max_retries.as_ref(),
                    idempotent: idempotent.as_ref(),
                    ..CallInput::default()
                }
                .options()?;
                let (arguments, function) = crate::pages::page_arguments(
                    pagination.as_ref(), items.as_ref(), max_pages.as_ref(), max_items.as_ref(),
                )?;
                let page_options = arguments.into_options().map_err(|error| to_py_err(py, error.into()))?;
                let reads_items = page_options.items.is_some();
                let pages = self
                    .client(py)?
                    .paginate(&integration_type, &path, options, page_options)
                    .map_err(|error| to_py_err(py, error))?;
                let walk = Py::new(py, crate::pages::PageWalk::new(pages, <$waiting>::ASYNC, reads_items, self.shared.hooks.clone()))?;
                let class = if <$waiting>::ASYNC { "AsyncPages" } else { "Pages" };
                Ok(py.import("paragon_connect._pagination")?.getattr(class)?.call1((walk, function))?.unbind())
            }

            /// Makes many calls with at most `concurrency` (16) in flight and returns a list
            /// in the order of `calls`, each the call's value or its exception (raised instead
            /// with `stop_on_error=True`). A call is a dict (`integration_type`, `path`, `user`
            /// and any `request()` option) or a tuple `(integration_type, path[, options])`.
            #[pyo3(signature = (calls, *, concurrency=None, stop_on_error=None))]
            fn request_many(
                &self,
                py: Python<'_>,
                calls: Bound<'_, PyAny>,
                concurrency: Option<Bound<'_, PyAny>>,
                stop_on_error: Option<Bound<'_, PyAny>>,
            ) -> <$waiting as Waiting>::Output {
                let name = concat!($name, ".request_many");
                let call = (|| {
                    let calls = crate::pages::many_calls(&calls)?;
                    let (concurrency, stop_on_error) =
                        crate::pages::many_options(concurrency.as_ref(), stop_on_error.as_ref())?;
                    Ok((self.client(py)?, calls, concurrency, stop_on_error))
                })();
                let (client, calls, concurrency, stop_on_error) = match call {
                    Ok(call) => call,
                    Err(error) => {
                        let call = Err::<std::future::Ready<paragon_connect::Result<_>>, _>(error);
                        return <$waiting>::run(py, name, call, crate::pages::many_to_python);
                    }
                };
                let Some((batch, headers)) = crate::tracing::start_batch(py, calls.len(), concurrency) else {
                    let call = self.shared.observed(async move {
                        client.request_many(calls, concurrency, stop_on_error).await
                    });
                    return <$waiting>::run(py, name, Ok(call), crate::pages::many_to_python);
                };
                let record_calls = batch.recording();
                let call = self.shared.observed(async move {
                    Ok(client.request_many_traced(calls, concurrency, stop_on_error, headers, record_calls).await)
                });
                <$waiting>::run(py, name, Ok(call), move |py, traced: paragon_connect::Result<paragon_connect::TracedMany>| {
                    let traced = traced.map_err(|error| to_py_err(py, error))?;
                    batch.end(py, &traced);
                    crate::pages::many_to_python(py, traced.results)
                })
            }

            /// Calls `path` and gives the answer as soon as its head arrives, its body read as it
            /// comes: `with paragon.stream(...) as response` (`iter_bytes()`, `read()`), or
            /// `async with` for `AsyncParagon` (`aiter_bytes()`, `aread()`).
            #[pyo3(signature = (integration_type, path, *, method=None, body=None, headers=None, query=None, selected_credential_id=None, timeout=None, deadline=None, max_retries=None, idempotent=None))]
            #[allow(clippy::too_many_arguments)]
            fn stream(
                &self,
                py: Python<'_>,
                integration_type: Bound<'_, PyAny>,
                path: Bound<'_, PyAny>,
                method: Option<Bound<'_, PyAny>>,
                body: Option<Bound<'_, PyAny>>,
                headers: Option<Bound<'_, PyAny>>,
                query: Option<Bound<'_, PyAny>>,
                selected_credential_id: Option<Bound<'_, PyAny>>,
                timeout: Option<Bound<'_, PyAny>>,
                deadline: Option<Bound<'_, PyAny>>,
                max_retries: Option<Bound<'_, PyAny>>,
                idempotent: Option<Bound<'_, PyAny>>,
            ) -> PyResult<<$waiting as Waiting>::Stream> {
                let (integration_type, path) = call_target(&integration_type, &path)?;
                let options = CallInput {
                    method: method.as_ref(),
                    body: body.as_ref(),
                    headers: headers.as_ref(),
                    query: query.as_ref(),
                    selected_credential_id: selected_credential_id.as_ref(),
                    timeout: timeout.as_ref(),
                    deadline: deadline.as_ref(),
                    max_retries: max_retries.as_ref(),
                    idempotent: idempotent.as_ref(),
                    ..CallInput::default()
                }
                .options()?;
                let client = self.client(py)?;
                let mut options = options;
                let span = crate::tracing::start(py, &client, &integration_type, &path, &mut options);
                let call = self.shared.observed(async move {
                    client.stream(&integration_type, &path, options).await
                });
                <$waiting>::open_stream(py, Box::pin(call), span)
            }

            /// Downloads `path` into the file `to`, atomically (nothing half-written is left on
            /// failure); `progress(bytes_so_far, total_or_None)` is called after each chunk.
            #[pyo3(signature = (integration_type, path, *, to, method=None, headers=None, query=None, selected_credential_id=None, timeout=None, deadline=None, max_retries=None, progress=None))]
            #[allow(clippy::too_many_arguments)]
            fn download(
                &self,
                py: Python<'_>,
                integration_type: Bound<'_, PyAny>,
                path: Bound<'_, PyAny>,
                to: Bound<'_, PyAny>,
                method: Option<Bound<'_, PyAny>>,
                headers: Option<Bound<'_, PyAny>>,
                query: Option<Bound<'_, PyAny>>,
                selected_credential_id: Option<Bound<'_, PyAny>>,
                timeout: Option<Bound<'_, PyAny>>,
                deadline: Option<Bound<'_, PyAny>>,
                max_retries: Option<Bound<'_, PyAny>>,
                progress: Option<Bound<'_, PyAny>>,
            ) -> <$waiting as Waiting>::Output {
                let call = (|| {
                    let (integration_type, path) = call_target(&integration_type, &path)?;
                    let to = file_path(&to)?;
                    let options = CallInput {
                        method: method.as_ref(),
                        headers: headers.as_ref(),
                        query: query.as_ref(),
                        selected_credential_id: selected_credential_id.as_ref(),
                        timeout: timeout.as_ref(),
                        deadline: deadline.as_ref(),
                        max_retries: max_retries.as_ref(),
                        ..CallInput::default()
                    }
                    .options()?;
                    let client = self.client(py)?;
                    let mut options = options;
                    let span = crate::tracing::start(py, &client, &integration_type, &path, &mut options);
                    let callback = progress.map(Bound::unbind);
                    Ok((span, async move {
                        // Started here, on the runtime, whose blocking pool runs the callback.
                        let reporter = callback.map(ProgressReporter::start);
                        let report = reporter
                            .as_ref()
                            .map(|reporter| move |done, total| reporter.report(done, total));
                        let progress = report
                            .as_ref()
                            .map(|f| f as paragon_connect::Progress<'_>);
                        let result = client
                            .download(&integration_type, &path, options, &to, progress)
                            .await;
                        let raised = match reporter {
                            Some(reporter) => reporter.finish().await,
                            None => None,
                        };
                        match (result, raised) {
                            (result, Some(error)) => {
                                let end = match &result {
                                    Ok(download) => SpanEnd::of_download(download),
                                    Err(stopped) => SpanEnd::failed(stopped),
                                };
                                Ok(Downloaded::CallbackRaised(error, end))
                            }
                            (result, None) => result.map(Downloaded::Done),
                        }
                    }))
                })();
                let (span, call) = match call {
                    Ok((span, call)) => (span, Ok(self.shared.observed(call))),
                    Err(error) => (None, Err(error)),
                };
                let end_of: fn(&Downloaded) -> SpanEnd = |downloaded| match downloaded {
                    Downloaded::Done(download) => SpanEnd::of_download(download),
                    Downloaded::CallbackRaised(_, end) => end.clone(),
                };
                <$waiting>::run(py, concat!($name, ".download"), call, traced(span, end_of, download_to_python))
            }

            /// The user and their connected integrations.
            fn get_user(&self, py: Python<'_>) -> <$waiting as Waiting>::Output {
                let call = self
                    .client(py)
                    .map(|client| async move { client.get_user().await });
                <$waiting>::run(py, concat!($name, ".get_user"), call.map(|call| self.shared.observed(call)), plain(json_to_python))
            }

            /// Sets the user's metadata (`Name`, `Email`, ...); returns the user.
            fn set_user_metadata(
                &self,
                py: Python<'_>,
                meta: Bound<'_, PyAny>,
            ) -> <$waiting as Waiting>::Output {
                let call = (|| {
                    let meta = json_object(Place::Argument("meta"), Some(&meta))?
                        .ok_or_else(|| Place::Argument("meta").refuse("must be a dict, not None"))?;
                    let client = self.client(py)?;
                    Ok(async move { client.set_user_metadata(Value::Object(meta)).await })
                })();
                <$waiting>::run(py, concat!($name, ".set_user_metadata"), call.map(|call| self.shared.observed(call)), plain(json_to_python))
            }

            /// The project's integrations (ids, types, custom names).
            fn list_integrations(&self, py: Python<'_>) -> <$waiting as Waiting>::Output {
                let call = self
                    .client(py)
                    .map(|client| async move { client.list_integrations().await });
                <$waiting>::run(py, concat!($name, ".list_integrations"), call.map(|call| self.shared.observed(call)), plain(json_to_python))
            }

            /// The id of an integration type (`custom.tasklab` -> its UUID), from the cached
            /// list.
            fn integration_id(
                &self,
                py: Python<'_>,
                integration_type: Bound<'_, PyAny>,
            ) -> <$waiting as Waiting>::Output {
                let call = (|| {
                    let integration_type =
                        required_text(Place::Argument("integration_type"), &integration_type)?;
                    let client = self.client(py)?;
                    Ok(async move {
                        client
                            .integration_id(&integration_type)
                            .await
                            .map(Value::String)
                    })
                })();
                <$waiting>::run(py, concat!($name, ".integration_id"), call.map(|call| self.shared.observed(call)), plain(json_to_python))
            }

            /// The user's connected account for an integration.
            #[pyo3(signature = (integration_type, *, include_account_auth=None))]
            fn get_account(
                &self,
                py: Python<'_>,
                integration_type: Bound<'_, PyAny>,
                include_account_auth: Option<Bound<'_, PyAny>>,
            ) -> <$waiting as Waiting>::Output {
                let call = (|| {
                    let integration_type =
                        required_text(Place::Argument("integration_type"), &integration_type)?;
                    let include = crate::arguments::flag(
                        Place::Argument("include_account_auth"),
                        include_account_auth.as_ref(),
                    )?
                    .unwrap_or_default();
                    let client = self.client(py)?;
                    Ok(async move { client.get_account(&integration_type, include).await })
                })();
                <$waiting>::run(py, concat!($name, ".get_account"), call.map(|call| self.shared.observed(call)), plain(json_to_python))
            }

            /// Disconnects the user from an integration (or one of its accounts).
            #[pyo3(signature = (integration_type, *, selected_credential_id=None))]
            fn uninstall_integration(
                &self,
                py: Python<'_>,
                integration_type: Bound<'_, PyAny>,
                selected_credential_id: Option<Bound<'_, PyAny>>,
            ) -> <$waiting as Waiting>::Output {
                let call = (|| {
                    let integration_type =
                        required_text(Place::Argument("integration_type"), &integration_type)?;
                    let credential = text(
                        Place::Argument("selected_credential_id"),
                        selected_credential_id.as_ref(),
                    )?;
                    let client = self.client(py)?;
                    Ok(async move {
                        client
                            .uninstall_integration(&integration_type, credential.as_deref())
                            .await
                    })
                })();
                <$waiting>::run(py, concat!($name, ".uninstall_integration"), call.map(|call| self.shared.observed(call)), plain(json_to_python))
            }

            /// Triggers a workflow that has a request trigger.
            #[pyo3(signature = (workflow_id, *, body=None, query=None, headers=None, selected_credential_id=None, selected_configuration_id=None))]
            #[allow(clippy::too_many_arguments)]
            fn trigger_workflow(
                &self,
                py: Python<'_>,
                workflow_id: Bound<'_, PyAny>,
                body: Option<Bound<'_, PyAny>>,
                query: Option<Bound<'_, PyAny>>,
                headers: Option<Bound<'_, PyAny>>,
                selected_credential_id: Option<Bound<'_, PyAny>>,
                selected_configuration_id: Option<Bound<'_, PyAny>>,
            ) -> <$waiting as Waiting>::Output {
                let call = (|| {
                    let workflow_id = required_text(Place::Argument("workflow_id"), &workflow_id)?;
                    let options = trigger_options(
                        body.as_ref(),
                        query.as_ref(),
                        headers.as_ref(),
                        selected_credential_id.as_ref(),
                        selected_configuration_id.as_ref(),
                    )?;
                    let client = self.client(py)?;
                    Ok(async move { client.trigger_workflow(&workflow_id, options).await })
                })();
                <$waiting>::run(py, concat!($name, ".trigger_workflow"), call.map(|call| self.shared.observed(call)), plain(json_to_python))
            }

            /// Sends an App Event.
            #[pyo3(signature = (name, payload=None))]
            fn send_event(
                &self,
                py: Python<'_>,
                name: Bound<'_, PyAny>,
                payload: Option<Bound<'_, PyAny>>,
            ) -> <$waiting as Waiting>::Output {
                let call = (|| {
                    let name = required_text(Place::Argument("name"), &name)?;
                    let payload = match &payload {
                        Some(payload) => json(Place::Argument("payload"), payload)?,
                        None => Value::Object(Default::default()),
                    };
                    let client = self.client(py)?;
                    Ok(async move { client.send_event(&name, payload).await })
                })();
                <$waiting>::run(py, concat!($name, ".send_event"), call.map(|call| self.shared.observed(call)), plain(json_to_python))
            }

            /// The Paragon project this client calls.
            #[getter]
            fn project_id(&self, py: Python<'_>) -> PyResult<String> {
                Ok(self.client(py)?.project_id().to_owned())
            }

            /// The user this client acts for, when it came from `user(id)`.
            #[getter]
            fn user_id(&self) -> Option<String> {
                self.user.clone()
            }

            fn __repr__(&self) -> String {
                self.shared.repr($name, self.user.as_deref())
            }

            $($own)*
        }
    };
}

/// The two positional arguments of a proxy call.
fn call_target(
    integration_type: &Bound<'_, PyAny>,
    path: &Bound<'_, PyAny>,
) -> PyResult<(String, String)> {
    Ok((
        required_text(Place::Argument("integration_type"), integration_type)?,
        required_text(Place::Argument("path"), path)?,
    ))
}

/// `to=` of `download()`: a `str` or `os.PathLike`.
fn file_path(to: &Bound<'_, PyAny>) -> PyResult<std::path::PathBuf> {
    to.py()
        .import("os")?
        .call_method1("fspath", (to,))
        .and_then(|path| path.extract())
        .map_err(|_| {
            Place::Argument("to").refuse(format!(
                "must be a file path (str or os.PathLike), not {}",
                crate::convert::type_name(to)
            ))
        })
}

client_class!(
    /// A Paragon Connect client, for threads and plain (non-async) code.
    Paragon, "Paragon", Blocking, {
    /// Releases pooled connections (the client opens new ones if used again).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.shared.close(py)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.shared.close(py)
    }
});

client_class!(
    /// A Paragon Connect client, for asyncio (and uvloop) code.
    AsyncParagon, "AsyncParagon", Awaiting, {
    /// Releases pooled connections (the client opens new ones if used again).
    async fn close(&self) -> PyResult<()> {
        Python::attach(|py| self.shared.close(py))
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let ready = slf
            .py()
            .import("asyncio")?
            .call_method0("get_running_loop")?
            .call_method0("create_future")?;
        ready.call_method1("set_result", (slf,))?;
        Ok(ready)
    }

    #[pyo3(signature = (*_exc_info))]
    async fn __aexit__(&self, _exc_info: Py<PyTuple>) -> PyResult<()> {
        Python::attach(|py| self.shared.close(py))
    }
});

/// The core client of a `Paragon` or `AsyncParagon` (a recording fake sends calls through it).
pub(crate) fn core_client(object: &Bound<'_, PyAny>) -> PyResult<Client> {
    let py = object.py();
    if let Ok(client) = object.cast::<Paragon>() {
        return client.get().client(py);
    }
    if let Ok(client) = object.cast::<AsyncParagon>() {
        return client.get().client(py);
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "upstream is a Paragon or AsyncParagon client, not {}",
        object.get_type().name()?
    )))
}
