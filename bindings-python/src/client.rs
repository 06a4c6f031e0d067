//! `Paragon` and `AsyncParagon`: each method takes the arguments, calls one core function, and
//! maps the result or error.

use std::sync::{Arc, Mutex};

use paragon_connect::{Client, ClientBuilder, ConfigError, duration_from_seconds};
use pyo3::prelude::*;
use pyo3::types::PyAny;

use crate::convert::{CallArguments, header_text, response_to_python, to_pairs};
use crate::errors::to_py_err;
use crate::runtime::{Spawned, wait};

/// The core client of one Python client object, renewed after `fork()` (the parent's pool and
/// I/O threads do not exist in a child) and after `close()`.
struct SharedClient {
    current: Mutex<(u32, Client)>,
}

impl SharedClient {
    fn new(client: Client) -> Self {
        SharedClient {
            current: Mutex::new((std::process::id(), client)),
        }
    }

    fn get(&self, py: Python<'_>) -> PyResult<Client> {
        let pid = std::process::id();
        let mut current = self
            .current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if current.0 != pid {
            let fresh = current
                .1
                .with_fresh_pool()
                .map_err(|error| to_py_err(py, error))?;
            *current = (pid, fresh);
        }
        Ok(current.1.clone())
    }

    /// Drops the pooled connections; the client opens new ones if used again.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let mut current = self
            .current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let fresh = current
            .1
            .with_fresh_pool()
            .map_err(|error| to_py_err(py, error))?;
        *current = (std::process::id(), fresh);
        Ok(())
    }

    fn repr(&self, class: &str) -> String {
        let current = self
            .current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let client = &current.1;
        format!(
            "{class}(project_id={:?}, proxy_base_url={:?}, user_token=<redacted>)",
            client.project_id(),
            client.proxy_base_url().as_str()
        )
    }
}

/// The constructor's settings, shared by both classes.
#[allow(clippy::too_many_arguments)]
fn build(
    py: Python<'_>,
    project_id: Option<String>,
    user_token: Option<String>,
    host: Option<String>,
    proxy_base_url: Option<String>,
    zeus_base_url: Option<String>,
    hermes_base_url: Option<String>,
    default_headers: Option<&Bound<'_, PyAny>>,
    timeout: Option<f64>,
    connect_timeout: Option<f64>,
    allow_insecure_http: bool,
) -> PyResult<SharedClient> {
    let mut builder: ClientBuilder = Client::builder()
        .platform("python", python_runtime(py))
        .allow_insecure_http(allow_insecure_http);
    if let Some(project_id) = project_id {
        builder = builder.project_id(project_id);
    }
    if let Some(user_token) = user_token {
        builder = builder.user_token(user_token);
    }
    if let Some(host) = host {
        builder = builder.host(host);
    }
    if let Some(url) = proxy_base_url {
        builder = builder.proxy_base_url(url);
    }
    if let Some(url) = zeus_base_url {
        builder = builder.zeus_base_url(url);
    }
    if let Some(url) = hermes_base_url {
        builder = builder.hermes_base_url(url);
    }
    if let Some(headers) = default_headers {
        for (name, value) in to_pairs("default_headers", headers, header_text)? {
            builder = builder.default_header(name, value);
        }
    }
    let seconds = |setting: &'static str, value: Option<f64>| {
        value
            .map(duration_from_seconds)
            .transpose()
            .map_err(|reason| to_py_err(py, ConfigError::new(setting, reason).into()))
    };
    if let Some(duration) = seconds("timeout", timeout)? {
        builder = builder.timeout(duration);
    }
    if let Some(duration) = seconds("connect_timeout", connect_timeout)? {
        builder = builder.connect_timeout(duration);
    }
    let client = builder.build().map_err(|error| to_py_err(py, error))?;
    Ok(SharedClient::new(client))
}

/// `CPython 3.11.7`, for the User-Agent.
fn python_runtime(py: Python<'_>) -> String {
    let version = py.version_info();
    let implementation = py
        .import("sys")
        .and_then(|sys| sys.getattr("implementation"))
        .and_then(|implementation| implementation.getattr("name"))
        .and_then(|name| name.extract::<String>())
        .unwrap_or_else(|_| "python".to_owned());
    let implementation = match implementation.as_str() {
        "cpython" => "CPython".to_owned(),
        "pypy" => "PyPy".to_owned(),
        other => other.to_owned(),
    };
    format!(
        "{implementation} {}.{}.{}",
        version.major, version.minor, version.patch
    )
}

/// A Paragon Connect client for one user, for threads and plain (non-async) code.
#[pyclass(module = "paragon_connect", name = "Paragon", frozen)]
pub struct Paragon {
    shared: Arc<SharedClient>,
}

#[pymethods]
impl Paragon {
    #[new]
    #[pyo3(signature = (*, project_id=None, user_token=None, host=None, proxy_base_url=None, zeus_base_url=None, hermes_base_url=None, default_headers=None, timeout=None, connect_timeout=None, allow_insecure_http=false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        project_id: Option<String>,
        user_token: Option<String>,
        host: Option<String>,
        proxy_base_url: Option<String>,
        zeus_base_url: Option<String>,
        hermes_base_url: Option<String>,
        default_headers: Option<&Bound<'_, PyAny>>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        allow_insecure_http: bool,
    ) -> PyResult<Self> {
        let shared = build(
            py,
            project_id,
            user_token,
            host,
            proxy_base_url,
            zeus_base_url,
            hermes_base_url,
            default_headers,
            timeout,
            connect_timeout,
            allow_insecure_http,
        )?;
        Ok(Paragon {
            shared: Arc::new(shared),
        })
    }

    #[pyo3(signature = (integration_type, path, *, method=None, body=None, headers=None, query=None, selected_credential_id=None, raw=false, timeout=None))]
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
    ) -> PyResult<Py<PyAny>> {
        let options = CallArguments {
            method,
            body,
            headers,
            query,
            selected_credential_id,
            raw,
            timeout,
        }
        .into_options(py)?;
        let client = self.shared.get(py)?;
        let outcome = wait(py, async move {
            client.request(&integration_type, &path, options).await
        })?;
        match outcome {
            Ok(response) => response_to_python(py, &response),
            Err(error) => Err(to_py_err(py, error)),
        }
    }

    #[getter]
    fn project_id(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.shared.get(py)?.project_id().to_owned())
    }

    /// Releases pooled connections (the client opens new ones if used again).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.shared.close(py)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_info: &Bound<'_, pyo3::types::PyTuple>,
    ) -> PyResult<()> {
        self.shared.close(py)
    }

    fn __repr__(&self) -> String {
        self.shared.repr("Paragon")
    }
}

/// A Paragon Connect client for one user, for asyncio (and uvloop) code.
#[pyclass(module = "paragon_connect", name = "AsyncParagon", frozen)]
pub struct AsyncParagon {
    shared: Arc<SharedClient>,
}

#[pymethods]
impl AsyncParagon {
    #[new]
    #[pyo3(signature = (*, project_id=None, user_token=None, host=None, proxy_base_url=None, zeus_base_url=None, hermes_base_url=None, default_headers=None, timeout=None, connect_timeout=None, allow_insecure_http=false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        project_id: Option<String>,
        user_token: Option<String>,
        host: Option<String>,
        proxy_base_url: Option<String>,
        zeus_base_url: Option<String>,
        hermes_base_url: Option<String>,
        default_headers: Option<&Bound<'_, PyAny>>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        allow_insecure_http: bool,
    ) -> PyResult<Self> {
        let shared = build(
            py,
            project_id,
            user_token,
            host,
            proxy_base_url,
            zeus_base_url,
            hermes_base_url,
            default_headers,
            timeout,
            connect_timeout,
            allow_insecure_http,
        )?;
        Ok(AsyncParagon {
            shared: Arc::new(shared),
        })
    }

    #[pyo3(signature = (integration_type, path, *, method=None, body=None, headers=None, query=None, selected_credential_id=None, raw=false, timeout=None))]
    #[allow(clippy::too_many_arguments)]
    async fn request(
        &self,
        integration_type: String,
        path: String,
        method: Option<String>,
        body: Option<Py<PyAny>>,
        headers: Option<Py<PyAny>>,
        query: Option<Py<PyAny>>,
        selected_credential_id: Option<String>,
        raw: bool,
        timeout: Option<f64>,
    ) -> PyResult<Py<PyAny>> {
        let (client, options) = Python::attach(|py| {
            let options = CallArguments {
                method,
                body: body.map(|body| body.into_bound(py)),
                headers: headers.map(|headers| headers.into_bound(py)),
                query: query.map(|query| query.into_bound(py)),
                selected_credential_id,
                raw,
                timeout,
            }
            .into_options(py)?;
            PyResult::Ok((self.shared.get(py)?, options))
        })?;
        // Dropped (and so aborted) if the awaiting asyncio task is cancelled.
        let task =
            Spawned::new(async move { client.request(&integration_type, &path, options).await })?;
        let outcome = task.await?;
        Python::attach(|py| match outcome {
            Ok(response) => response_to_python(py, &response),
            Err(error) => Err(to_py_err(py, error)),
        })
    }

    #[getter]
    fn project_id(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.shared.get(py)?.project_id().to_owned())
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
    async fn __aexit__(&self, _exc_info: Py<pyo3::types::PyTuple>) -> PyResult<()> {
        Python::attach(|py| self.shared.close(py))
    }

    fn __repr__(&self) -> String {
        self.shared.repr("AsyncParagon")
    }
}
