//! `_native.FakeServer`: the core's fake Paragon (`paragon_connect::fake`), driven with JSON
//! text. `paragon_connect.testing.FakeParagon` is the Python face of it.

use paragon_connect::fake::{FakeError, FakeParagon, PROJECT_ID, SIGNING_KEY_PEM};
use pyo3::exceptions::{PyAssertionError, PyValueError};
use pyo3::prelude::*;

fn to_py_err(error: FakeError) -> PyErr {
    match error {
        FakeError::Invalid(message) => PyValueError::new_err(message),
        FakeError::NotCalled(message) | FakeError::Cassette(message) => {
            PyAssertionError::new_err(message)
        }
    }
}

#[pyclass(module = "paragon_connect._native", frozen)]
pub struct FakeServer {
    fake: std::sync::Mutex<FakeParagon>,
    url: String,
}

impl FakeServer {
    fn with<T>(
        &self,
        py: Python<'_>,
        action: impl FnOnce(&FakeParagon) -> Result<T, FakeError> + Send,
    ) -> PyResult<T>
    where
        T: Send,
    {
        py.detach(|| {
            let fake = self
                .fake
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            action(&fake)
        })
        .map_err(to_py_err)
    }
}

#[pymethods]
impl FakeServer {
    /// Starts a fake on 127.0.0.1 (`options`: JSON `{"port": n, "accept_any_token": bool,
    /// "cassette": {...}}`); a recording cassette sends calls on through `upstream`, a client.
    #[new]
    #[pyo3(signature = (options, upstream=None))]
    fn new(
        py: Python<'_>,
        options: &str,
        upstream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<FakeServer> {
        let upstream = upstream.map(crate::client::core_client).transpose()?;
        let fake = py
            .detach(|| FakeParagon::start_with(options, upstream))
            .map_err(to_py_err)?;
        Ok(FakeServer {
            url: fake.url().to_owned(),
            fake: std::sync::Mutex::new(fake),
        })
    }

    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    #[getter]
    fn project_id(&self) -> &'static str {
        PROJECT_ID
    }

    #[getter]
    fn signing_key(&self) -> &'static str {
        SIGNING_KEY_PEM
    }

    fn user_token(&self, py: Python<'_>, user: &str) -> PyResult<String> {
        self.with(py, |fake| fake.user_token(user))
    }

    #[pyo3(signature = (pattern, times=None))]
    fn add_route(&self, py: Python<'_>, pattern: &str, times: Option<u64>) -> PyResult<u64> {
        self.with(py, |fake| fake.add_route(pattern, times))
    }

    fn add_reply(&self, py: Python<'_>, route: u64, reply: &str) -> PyResult<()> {
        self.with(py, |fake| fake.add_reply(route, reply))
    }

    fn add_routes_file(&self, py: Python<'_>, text: &str) -> PyResult<usize> {
        self.with(py, |fake| fake.add_routes_file(text))
    }

    fn queue_reply(&self, py: Python<'_>, reply: &str) -> PyResult<()> {
        self.with(py, |fake| fake.queue_reply(reply))
    }

    fn route_calls(&self, py: Python<'_>, route: u64) -> PyResult<u64> {
        self.with(py, |fake| fake.route_calls(route))
    }

    #[pyo3(signature = (pattern=None))]
    fn calls(&self, py: Python<'_>, pattern: Option<&str>) -> PyResult<String> {
        self.with(py, |fake| fake.calls(pattern))
    }

    #[pyo3(signature = (pattern, times=None))]
    fn check_called(
        &self,
        py: Python<'_>,
        pattern: &str,
        times: Option<usize>,
    ) -> PyResult<String> {
        self.with(py, |fake| fake.check_called(pattern, times))
    }

    fn update_user(&self, py: Python<'_>, user: &str, update: &str) -> PyResult<()> {
        self.with(py, |fake| fake.update_user(user, update))
    }

    fn state(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, FakeParagon::state)
    }

    fn reset(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, FakeParagon::reset)
    }

    fn finish_cassette(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, FakeParagon::finish_cassette)
    }

    fn check_all_played(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, FakeParagon::check_all_played)
    }

    fn close(&self, py: Python<'_>) {
        py.detach(|| {
            self.fake
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .close()
        })
    }
}
