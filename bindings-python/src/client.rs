//! `Paragon` and `AsyncParagon`: each method takes the arguments, calls one core function, and
//! maps the result or error. The two classes are twins; the sync one waits with the GIL
//! released, the async one awaits a task on the shared runtime.

use std::future::Future;
use std::sync::{Arc, Mutex};

use paragon_connect::serde_json::Value;
use paragon_connect::{Client, Response, TriggerOptions};
use pyo3::prelude::*;
use pyo3::types::{PyAny, PyTuple};

use crate::convert::{
    CallArguments, from_json, header_text, response_to_python, to_body, to_json, to_pairs,
};
use crate::errors::to_py_err;
use crate::event_loop::EVENT_LOOP;
use crate::pending::{PendingCall, pending};
use crate::runtime::{Spawned, wait};
use crate::settings::{Settings, json_object};
use crate::stream::{AsyncStreamResponse, StreamResponse};

/// The core client of one Python client object (and the user-bound ones made from it), renewed
/// after `fork()` (the parent's pool and I/O threads do not exist in a child) and after
/// `close()`.
struct SharedClient {
    current: Mutex<(u32, Client)>,
}

impl SharedClient {
    fn new(client: Client) -> Arc<Self> {
        Arc::new(SharedClient {
            current: Mutex::new((std::process::id(), client)),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (u32, Client)> {
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// This process's client, acting for `user` when given.
    fn get(&self, py: Python<'_>, user: Option<&str>) -> PyResult<Client> {
        let pid = std::process::id();
        let client = {
            let mut current = self.lock();
            if current.0 != pid {
                let fresh = current
                    .1
                    .with_fresh_pool()
                    .map_err(|error| to_py_err(py, error))?;
                *current = (pid, fresh);
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
        *current = (std::process::id(), fresh);
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

fn json_to_python(py: Python<'_>, value: Value) -> PyResult<Py<PyAny>> {
    Ok(from_json(py, &value)?.unbind())
}

fn response_into_python(py: Python<'_>, response: Response) -> PyResult<Py<PyAny>> {
    response_to_python(py, &response)
}

/// Runs a core call to completion with the GIL released.
fn blocking<T: Send + 'static>(
    py: Python<'_>,
    call: impl Future<Output = paragon_connect::Result<T>> + Send + 'static,
    into_python: fn(Python<'_>, T) -> PyResult<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    match wait(py, call)? {
        Ok(value) => into_python(py, value),
        Err(error) => Err(to_py_err(py, error)),
    }
}

fn running_loop(py: Python<'_>) -> PyResult<Py<PyAny>> {
    Ok(py
        .import("asyncio")?
        .call_method0("get_running_loop")?
        .unbind())
}

fn trigger_options(
    body: Option<&Bound<'_, PyAny>>,
    query: Option<&Bound<'_, PyAny>>,
    headers: Option<&Bound<'_, PyAny>>,
    selected_credential_id: Option<String>,
    selected_configuration_id: Option<String>,
) -> PyResult<TriggerOptions> {
    Ok(TriggerOptions {
        body: body.map(to_body).transpose()?,
        query: query
            .map(|query| to_pairs("query", query, crate::convert::query_text))
            .transpose()?
            .unwrap_or_default(),
        headers: headers
            .map(|headers| to_pairs("headers", headers, header_text))
            .transpose()?
            .unwrap_or_default(),
        selected_credential_id,
        selected_configuration_id,
    })
}

fn payload_json(payload: Option<&Bound<'_, PyAny>>) -> PyResult<Value> {
    match payload {
        None => Ok(Value::Object(Default::default())),
        Some(payload) => to_json(payload, &mut "payload".to_owned(), 0),
    }
}

/// A `download()` result as the package's `Download`.
fn download_to_python(py: Python<'_>, download: paragon_connect::Download) -> PyResult<Py<PyAny>> {
    static DOWNLOAD: pyo3::sync::PyOnceLock<Py<pyo3::types::PyType>> =
        pyo3::sync::PyOnceLock::new();
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

/// A Python progress callable as the core's, reporting (not raising) its own errors.
fn progress_function(
    callback: Option<Py<PyAny>>,
) -> Option<impl Fn(u64, Option<u64>) + Send + Sync> {
    callback.map(|callback| {
        move |done: u64, total: Option<u64>| {
            Python::attach(|py| {
                if let Err(error) = callback.call1(py, (done, total)) {
                    error.write_unraisable(py, Some(callback.bind(py)));
                }
            })
        }
    })
}

/// `async with paragon.stream(...) as response:` for `AsyncParagon`.
#[pyclass(module = "paragon_connect", frozen)]
pub struct AsyncStreamContext {
    call: std::sync::Mutex<Option<(Client, String, String, paragon_connect::RequestOptions)>>,
    response: std::sync::Mutex<Option<Py<AsyncStreamResponse>>>,
}

#[pymethods]
impl AsyncStreamContext {
    async fn __aenter__(&self) -> PyResult<Py<AsyncStreamResponse>> {
        let Some((client, integration_type, path, options)) = self
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
        let stream = Spawned::new(EVENT_LOOP.scope(event_loop, async move {
            client.stream(&integration_type, &path, options).await
        }))?
        .await?;
        Python::attach(|py| {
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

/// A Paragon Connect client, for threads and plain (non-async) code.
#[pyclass(module = "paragon_connect", name = "Paragon", frozen)]
pub struct Paragon {
    shared: Arc<SharedClient>,
    user: Option<String>,
}

impl Paragon {
    fn client(&self, py: Python<'_>) -> PyResult<Client> {
        self.shared.get(py, self.user.as_deref())
    }
}

#[pymethods]
impl Paragon {
    #[new]
    #[pyo3(signature = (*, project_id=None, user_token=None, signing_key=None, host=None, proxy_base_url=None, zeus_base_url=None, hermes_base_url=None, default_headers=None, timeout=None, connect_timeout=None, token_lifetime=None, token_audience=true, token_claims=None, permissions=None, max_retries=None, max_retry_after=None, deadline=None, max_response_bytes=None, allow_insecure_http=false))]
    #[allow(clippy::too_many_arguments)]
    fn new<'py>(
        py: Python<'py>,
        project_id: Option<String>,
        user_token: Option<Bound<'py, PyAny>>,
        signing_key: Option<String>,
        host: Option<String>,
        proxy_base_url: Option<String>,
        zeus_base_url: Option<String>,
        hermes_base_url: Option<String>,
        default_headers: Option<Bound<'py, PyAny>>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        token_lifetime: Option<f64>,
        token_audience: bool,
        token_claims: Option<Bound<'py, PyAny>>,
        permissions: Option<Bound<'py, PyAny>>,
        max_retries: Option<u32>,
        max_retry_after: Option<f64>,
        deadline: Option<f64>,
        max_response_bytes: Option<u64>,
        allow_insecure_http: bool,
    ) -> PyResult<Self> {
        let client = Settings {
            project_id,
            user_token,
            signing_key,
            host,
            proxy_base_url,
            zeus_base_url,
            hermes_base_url,
            default_headers,
            timeout,
            connect_timeout,
            token_lifetime,
            token_audience,
            token_claims,
            permissions,
            max_retries,
            max_retry_after,
            deadline,
            max_response_bytes,
            allow_insecure_http,
        }
        .build(py)?;
        Ok(Paragon {
            shared: SharedClient::new(client),
            user: None,
        })
    }

    /// A client acting for `user_id`, sharing this one's settings and connections.
    fn user(&self, py: Python<'_>, user_id: String) -> PyResult<Paragon> {
        self.shared.get(py, Some(&user_id))?;
        Ok(Paragon {
            shared: self.shared.clone(),
            user: Some(user_id),
        })
    }

    #[pyo3(signature = (integration_type, path, *, method=None, body=None, headers=None, query=None, selected_credential_id=None, raw=false, timeout=None, deadline=None, max_retries=None, idempotent=None, form=None, multipart=None))]
    #[allow(clippy::too_many_arguments)]
    fn request(
        &self,
        py: Python<'_>,
        integration_type: String,
        path: String,
        method: Option<String>,
        body: Option<Bound<'_, PyAny>>,
        headers: Option<Bound<'_, PyAny>>,
        query: Option<Bound<'_, PyAny>>,
        selected_credential_id: Option<String>,
        raw: bool,
        timeout: Option<f64>,
        deadline: Option<f64>,
        max_retries: Option<u32>,
        idempotent: Option<bool>,
        form: Option<Bound<'_, PyAny>>,
        multipart: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let options = CallArguments {
            method,
            body,
            headers,
            query,
            selected_credential_id,
            raw,
            timeout,
            deadline,
            max_retries,
            idempotent,
            form,
            multipart,
        }
        .into_options(py)?;
        let client = self.client(py)?;
        blocking(
            py,
            async move { client.request(&integration_type, &path, options).await },
            response_into_python,
        )
    }

    /// Calls `path` and returns as soon as the answer's head arrives; read the body with
    /// `iter_bytes()` or `read()`, in a `with` block.
    #[pyo3(signature = (integration_type, path, *, method=None, body=None, headers=None, query=None, selected_credential_id=None, timeout=None, deadline=None, max_retries=None, idempotent=None))]
    #[allow(clippy::too_many_arguments)]
    fn stream(
        &self,
        py: Python<'_>,
        integration_type: String,
        path: String,
        method: Option<String>,
        body: Option<Bound<'_, PyAny>>,
        headers: Option<Bound<'_, PyAny>>,
        query: Option<Bound<'_, PyAny>>,
        selected_credential_id: Option<String>,
        timeout: Option<f64>,
        deadline: Option<f64>,
        max_retries: Option<u32>,
        idempotent: Option<bool>,
    ) -> PyResult<StreamResponse> {
        let options = CallArguments {
            method,
            body,
            headers,
            query,
            selected_credential_id,
            raw: true,
            timeout,
            deadline,
            max_retries,
            idempotent,
            form: None,
            multipart: None,
        }
        .into_options(py)?;
        let client = self.client(py)?;
        let stream = wait(py, async move {
            client.stream(&integration_type, &path, options).await
        })?
        .map_err(|error| to_py_err(py, error))?;
        StreamResponse::new(py, stream)
    }

    /// Downloads `path` into the file `to`, atomically (nothing half-written is left on
    /// failure); `progress(bytes_so_far, total_or_None)` is called after each chunk.
    #[pyo3(signature = (integration_type, path, *, to, method=None, headers=None, query=None, selected_credential_id=None, timeout=None, deadline=None, max_retries=None, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn download(
        &self,
        py: Python<'_>,
        integration_type: String,
        path: String,
        to: std::path::PathBuf,
        method: Option<String>,
        headers: Option<Bound<'_, PyAny>>,
        query: Option<Bound<'_, PyAny>>,
        selected_credential_id: Option<String>,
        timeout: Option<f64>,
        deadline: Option<f64>,
        max_retries: Option<u32>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let options = CallArguments {
            method,
            body: None,
            headers,
            query,
            selected_credential_id,
            raw: true,
            timeout,
            deadline,
            max_retries,
            idempotent: None,
            form: None,
            multipart: None,
        }
        .into_options(py)?;
        let client = self.client(py)?;
        let progress = progress_function(progress);
        blocking(
            py,
            async move {
                let progress = progress
                    .as_ref()
                    .map(|f| f as paragon_connect::Progress<'_>);
                client
                    .download(&integration_type, &path, options, &to, progress)
                    .await
            },
            download_to_python,
        )
    }

    fn get_user(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let client = self.client(py)?;
        blocking(py, async move { client.get_user().await }, json_to_python)
    }

    fn set_user_metadata(&self, py: Python<'_>, meta: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let meta = Value::Object(json_object("meta", &meta)?);
        let client = self.client(py)?;
        blocking(
            py,
            async move { client.set_user_metadata(meta).await },
            json_to_python,
        )
    }

    fn list_integrations(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let client = self.client(py)?;
        blocking(
            py,
            async move { client.list_integrations().await },
            json_to_python,
        )
    }

    /// The id of an integration type (`custom.tasklab` -> its UUID), from the cached list.
    fn integration_id(&self, py: Python<'_>, integration_type: String) -> PyResult<Py<PyAny>> {
        let client = self.client(py)?;
        blocking(
            py,
            async move {
                client
                    .integration_id(&integration_type)
                    .await
                    .map(Value::String)
            },
            json_to_python,
        )
    }

    #[pyo3(signature = (integration_type, *, include_account_auth=false))]
    fn get_account(
        &self,
        py: Python<'_>,
        integration_type: String,
        include_account_auth: bool,
    ) -> PyResult<Py<PyAny>> {
        let client = self.client(py)?;
        blocking(
            py,
            async move {
                client
                    .get_account(&integration_type, include_account_auth)
                    .await
            },
            json_to_python,
        )
    }

    #[pyo3(signature = (integration_type, *, selected_credential_id=None))]
    fn uninstall_integration(
        &self,
        py: Python<'_>,
        integration_type: String,
        selected_credential_id: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        let client = self.client(py)?;
        blocking(
            py,
            async move {
                client
                    .uninstall_integration(&integration_type, selected_credential_id.as_deref())
                    .await
            },
            json_to_python,
        )
    }

    #[pyo3(signature = (workflow_id, *, body=None, query=None, headers=None, selected_credential_id=None, selected_configuration_id=None))]
    #[allow(clippy::too_many_arguments)]
    fn trigger_workflow(
        &self,
        py: Python<'_>,
        workflow_id: String,
        body: Option<Bound<'_, PyAny>>,
        query: Option<Bound<'_, PyAny>>,
        headers: Option<Bound<'_, PyAny>>,
        selected_credential_id: Option<String>,
        selected_configuration_id: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        let options = trigger_options(
            body.as_ref(),
            query.as_ref(),
            headers.as_ref(),
            selected_credential_id,
            selected_configuration_id,
        )?;
        let client = self.client(py)?;
        blocking(
            py,
            async move { client.trigger_workflow(&workflow_id, options).await },
            json_to_python,
        )
    }

    #[pyo3(signature = (name, payload=None))]
    fn send_event(
        &self,
        py: Python<'_>,
        name: String,
        payload: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let payload = payload_json(payload.as_ref())?;
        let client = self.client(py)?;
        blocking(
            py,
            async move { client.send_event(&name, payload).await },
            json_to_python,
        )
    }

    #[getter]
    fn project_id(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.client(py)?.project_id().to_owned())
    }

    #[getter]
    fn user_id(&self) -> Option<String> {
        self.user.clone()
    }

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

    fn __repr__(&self) -> String {
        self.shared.repr("Paragon", self.user.as_deref())
    }
}

/// A Paragon Connect client, for asyncio (and uvloop) code.
#[pyclass(module = "paragon_connect", name = "AsyncParagon", frozen)]
pub struct AsyncParagon {
    shared: Arc<SharedClient>,
    user: Option<String>,
}

impl AsyncParagon {
    fn client(&self, py: Python<'_>) -> PyResult<Client> {
        self.shared.get(py, self.user.as_deref())
    }
}

#[pymethods]
impl AsyncParagon {
    #[new]
    #[pyo3(signature = (*, project_id=None, user_token=None, signing_key=None, host=None, proxy_base_url=None, zeus_base_url=None, hermes_base_url=None, default_headers=None, timeout=None, connect_timeout=None, token_lifetime=None, token_audience=true, token_claims=None, permissions=None, max_retries=None, max_retry_after=None, deadline=None, max_response_bytes=None, allow_insecure_http=false))]
    #[allow(clippy::too_many_arguments)]
    fn new<'py>(
        py: Python<'py>,
        project_id: Option<String>,
        user_token: Option<Bound<'py, PyAny>>,
        signing_key: Option<String>,
        host: Option<String>,
        proxy_base_url: Option<String>,
        zeus_base_url: Option<String>,
        hermes_base_url: Option<String>,
        default_headers: Option<Bound<'py, PyAny>>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        token_lifetime: Option<f64>,
        token_audience: bool,
        token_claims: Option<Bound<'py, PyAny>>,
        permissions: Option<Bound<'py, PyAny>>,
        max_retries: Option<u32>,
        max_retry_after: Option<f64>,
        deadline: Option<f64>,
        max_response_bytes: Option<u64>,
        allow_insecure_http: bool,
    ) -> PyResult<Self> {
        let client = Settings {
            project_id,
            user_token,
            signing_key,
            host,
            proxy_base_url,
            zeus_base_url,
            hermes_base_url,
            default_headers,
            timeout,
            connect_timeout,
            token_lifetime,
            token_audience,
            token_claims,
            permissions,
            max_retries,
            max_retry_after,
            deadline,
            max_response_bytes,
            allow_insecure_http,
        }
        .build(py)?;
        Ok(AsyncParagon {
            shared: SharedClient::new(client),
            user: None,
        })
    }

    /// A client acting for `user_id`, sharing this one's settings and connections.
    fn user(&self, py: Python<'_>, user_id: String) -> PyResult<AsyncParagon> {
        self.shared.get(py, Some(&user_id))?;
        Ok(AsyncParagon {
            shared: self.shared.clone(),
            user: Some(user_id),
        })
    }

    #[pyo3(signature = (integration_type, path, *, method=None, body=None, headers=None, query=None, selected_credential_id=None, raw=false, timeout=None, deadline=None, max_retries=None, idempotent=None, form=None, multipart=None))]
    #[allow(clippy::too_many_arguments)]
    fn request(
        &self,
        py: Python<'_>,
        integration_type: String,
        path: String,
        method: Option<String>,
        body: Option<Bound<'_, PyAny>>,
        headers: Option<Bound<'_, PyAny>>,
        query: Option<Bound<'_, PyAny>>,
        selected_credential_id: Option<String>,
        raw: bool,
        timeout: Option<f64>,
        deadline: Option<f64>,
        max_retries: Option<u32>,
        idempotent: Option<bool>,
        form: Option<Bound<'_, PyAny>>,
        multipart: Option<Bound<'_, PyAny>>,
    ) -> PendingCall {
        let call = (|| -> PyResult<_> {
            let options = CallArguments {
                method,
                body,
                headers,
                query,
                selected_credential_id,
                raw,
                timeout,
                deadline,
                max_retries,
                idempotent,
                form,
                multipart,
            }
            .into_options(py)?;
            let client = self.client(py)?;
            Ok(async move { client.request(&integration_type, &path, options).await })
        })();
        pending("AsyncParagon.request", call, response_into_python)
    }

    /// `async with paragon.stream(...) as response:` calls `path` and gives the answer as soon as
    /// its head arrives; read the body with `aiter_bytes()` or `aread()`.
    #[pyo3(signature = (integration_type, path, *, method=None, body=None, headers=None, query=None, selected_credential_id=None, timeout=None, deadline=None, max_retries=None, idempotent=None))]
    #[allow(clippy::too_many_arguments)]
    fn stream(
        &self,
        py: Python<'_>,
        integration_type: String,
        path: String,
        method: Option<String>,
        body: Option<Bound<'_, PyAny>>,
        headers: Option<Bound<'_, PyAny>>,
        query: Option<Bound<'_, PyAny>>,
        selected_credential_id: Option<String>,
        timeout: Option<f64>,
        deadline: Option<f64>,
        max_retries: Option<u32>,
        idempotent: Option<bool>,
    ) -> PyResult<AsyncStreamContext> {
        let options = CallArguments {
            method,
            body,
            headers,
            query,
            selected_credential_id,
            raw: true,
            timeout,
            deadline,
            max_retries,
            idempotent,
            form: None,
            multipart: None,
        }
        .into_options(py)?;
        let client = self.shared.get(py, self.user.as_deref())?;
        Ok(AsyncStreamContext {
            call: std::sync::Mutex::new(Some((client, integration_type, path, options))),
            response: std::sync::Mutex::new(None),
        })
    }

    /// Downloads `path` into the file `to`, atomically (nothing half-written is left on
    /// failure); `progress(bytes_so_far, total_or_None)` is called after each chunk.
    #[pyo3(signature = (integration_type, path, *, to, method=None, headers=None, query=None, selected_credential_id=None, timeout=None, deadline=None, max_retries=None, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn download(
        &self,
        py: Python<'_>,
        integration_type: String,
        path: String,
        to: std::path::PathBuf,
        method: Option<String>,
        headers: Option<Bound<'_, PyAny>>,
        query: Option<Bound<'_, PyAny>>,
        selected_credential_id: Option<String>,
        timeout: Option<f64>,
        deadline: Option<f64>,
        max_retries: Option<u32>,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PendingCall {
        let call = (|| -> PyResult<_> {
            let options = CallArguments {
                method,
                body: None,
                headers,
                query,
                selected_credential_id,
                raw: true,
                timeout,
                deadline,
                max_retries,
                idempotent: None,
                form: None,
                multipart: None,
            }
            .into_options(py)?;
            let client = self.client(py)?;
            let progress = progress_function(progress.map(Bound::unbind));
            Ok(async move {
                let progress = progress
                    .as_ref()
                    .map(|f| f as paragon_connect::Progress<'_>);
                client
                    .download(&integration_type, &path, options, &to, progress)
                    .await
            })
        })();
        pending("AsyncParagon.download", call, download_to_python)
    }

    fn get_user(&self, py: Python<'_>) -> PendingCall {
        let call = (|| -> PyResult<_> {
            let client = self.client(py)?;
            Ok(async move { client.get_user().await })
        })();
        pending("AsyncParagon.get_user", call, json_to_python)
    }

    fn set_user_metadata(&self, py: Python<'_>, meta: Bound<'_, PyAny>) -> PendingCall {
        let call = (|| -> PyResult<_> {
            let meta = json_object("meta", &meta)?;
            let client = self.client(py)?;
            Ok(async move { client.set_user_metadata(Value::Object(meta)).await })
        })();
        pending("AsyncParagon.set_user_metadata", call, json_to_python)
    }

    fn list_integrations(&self, py: Python<'_>) -> PendingCall {
        let call = (|| -> PyResult<_> {
            let client = self.client(py)?;
            Ok(async move { client.list_integrations().await })
        })();
        pending("AsyncParagon.list_integrations", call, json_to_python)
    }

    /// The id of an integration type (`custom.tasklab` -> its UUID), from the cached list.
    fn integration_id(&self, py: Python<'_>, integration_type: String) -> PendingCall {
        let call = (|| -> PyResult<_> {
            let client = self.client(py)?;
            Ok(async move {
                client
                    .integration_id(&integration_type)
                    .await
                    .map(Value::String)
            })
        })();
        pending("AsyncParagon.integration_id", call, json_to_python)
    }

    #[pyo3(signature = (integration_type, *, include_account_auth=false))]
    fn get_account(
        &self,
        py: Python<'_>,
        integration_type: String,
        include_account_auth: bool,
    ) -> PendingCall {
        let call = (|| -> PyResult<_> {
            let client = self.client(py)?;
            Ok(async move {
                client
                    .get_account(&integration_type, include_account_auth)
                    .await
            })
        })();
        pending("AsyncParagon.get_account", call, json_to_python)
    }

    #[pyo3(signature = (integration_type, *, selected_credential_id=None))]
    fn uninstall_integration(
        &self,
        py: Python<'_>,
        integration_type: String,
        selected_credential_id: Option<String>,
    ) -> PendingCall {
        let call = (|| -> PyResult<_> {
            let client = self.client(py)?;
            Ok(async move {
                client
                    .uninstall_integration(&integration_type, selected_credential_id.as_deref())
                    .await
            })
        })();
        pending("AsyncParagon.uninstall_integration", call, json_to_python)
    }

    #[pyo3(signature = (workflow_id, *, body=None, query=None, headers=None, selected_credential_id=None, selected_configuration_id=None))]
    #[allow(clippy::too_many_arguments)]
    fn trigger_workflow(
        &self,
        py: Python<'_>,
        workflow_id: String,
        body: Option<Bound<'_, PyAny>>,
        query: Option<Bound<'_, PyAny>>,
        headers: Option<Bound<'_, PyAny>>,
        selected_credential_id: Option<String>,
        selected_configuration_id: Option<String>,
    ) -> PendingCall {
        let call = (|| -> PyResult<_> {
            let options = trigger_options(
                body.as_ref(),
                query.as_ref(),
                headers.as_ref(),
                selected_credential_id,
                selected_configuration_id,
            )?;
            let client = self.client(py)?;
            Ok(async move { client.trigger_workflow(&workflow_id, options).await })
        })();
        pending("AsyncParagon.trigger_workflow", call, json_to_python)
    }

    #[pyo3(signature = (name, payload=None))]
    fn send_event(
        &self,
        py: Python<'_>,
        name: String,
        payload: Option<Bound<'_, PyAny>>,
    ) -> PendingCall {
        let call = (|| -> PyResult<_> {
            let payload = payload_json(payload.as_ref())?;
            let client = self.client(py)?;
            Ok(async move { client.send_event(&name, payload).await })
        })();
        pending("AsyncParagon.send_event", call, json_to_python)
    }

    #[getter]
    fn project_id(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.shared.get(py, None)?.project_id().to_owned())
    }

    #[getter]
    fn user_id(&self) -> Option<String> {
        self.user.clone()
    }

    /// Releases pooled connections (the client opens new ones if used again).
    async fn close(&self) -> PyResult<()> {
        Python::attach(|py| self.shared.close(py))
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let ready = py
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

    fn __repr__(&self) -> String {
        self.shared.repr("AsyncParagon", self.user.as_deref())
    }
}
