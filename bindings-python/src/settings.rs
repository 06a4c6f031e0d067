//! The constructors' keyword arguments, shared by `Paragon` and `AsyncParagon`, turned into a
//! core client.

use std::sync::Arc;

use paragon_connect::serde_json::Value;
use paragon_connect::{Client, ClientBuilder, ConfigError, duration_from_seconds};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyAny, PyString};

use crate::convert::{header_text, to_json, to_pairs};
use crate::errors::to_py_err;
use crate::token::PythonTokenProvider;

/// Every constructor argument.
pub struct Settings<'py> {
    pub project_id: Option<String>,
    pub user_token: Option<Bound<'py, PyAny>>,
    pub signing_key: Option<String>,
    pub host: Option<String>,
    pub proxy_base_url: Option<String>,
    pub zeus_base_url: Option<String>,
    pub hermes_base_url: Option<String>,
    pub default_headers: Option<Bound<'py, PyAny>>,
    pub timeout: Option<f64>,
    pub connect_timeout: Option<f64>,
    pub token_lifetime: Option<f64>,
    pub token_audience: bool,
    pub token_claims: Option<Bound<'py, PyAny>>,
    pub permissions: Option<Bound<'py, PyAny>>,
    pub max_retries: Option<u32>,
    pub max_retry_after: Option<f64>,
    pub deadline: Option<f64>,
    pub max_response_bytes: Option<u64>,
    pub allow_insecure_http: bool,
}

/// A dict argument as a JSON object.
pub fn json_object(
    argument: &str,
    value: &Bound<'_, PyAny>,
) -> PyResult<paragon_connect::serde_json::Map<String, Value>> {
    let mut path = argument.to_owned();
    match to_json(value, &mut path, 0)? {
        Value::Object(object) => Ok(object),
        _ => Err(PyTypeError::new_err(format!("{argument} must be a dict"))),
    }
}

impl Settings<'_> {
    pub fn build(self, py: Python<'_>) -> PyResult<Client> {
        let config_error = |setting: &'static str, reason: String| {
            to_py_err(py, ConfigError::new(setting, reason).into())
        };
        let seconds = |setting: &'static str, value: Option<f64>| {
            value
                .map(duration_from_seconds)
                .transpose()
                .map_err(|reason| config_error(setting, reason))
        };
        let mut builder: ClientBuilder = Client::builder()
            .platform("python", python_runtime(py))
            .allow_insecure_http(self.allow_insecure_http)
            .token_audience(self.token_audience);
        if let Some(project_id) = self.project_id {
            builder = builder.project_id(project_id);
        }
        match self.user_token {
            None => {}
            Some(token) if token.is_instance_of::<PyString>() => {
                builder = builder.user_token(token.extract::<String>()?);
            }
            Some(token) if token.is_callable() => {
                builder =
                    builder.token_provider(Arc::new(PythonTokenProvider::new(token.unbind())));
            }
            Some(_) => {
                return Err(PyTypeError::new_err(
                    "user_token must be a str, or a function (sync or async) that returns one",
                ));
            }
        }
        if let Some(key) = self.signing_key {
            builder = builder.signing_key(key);
        }
        if let Some(host) = self.host {
            builder = builder.host(host);
        }
        if let Some(url) = self.proxy_base_url {
            builder = builder.proxy_base_url(url);
        }
        if let Some(url) = self.zeus_base_url {
            builder = builder.zeus_base_url(url);
        }
        if let Some(url) = self.hermes_base_url {
            builder = builder.hermes_base_url(url);
        }
        if let Some(headers) = &self.default_headers {
            for (name, value) in to_pairs("default_headers", headers, header_text)? {
                builder = builder.default_header(name, value);
            }
        }
        if let Some(duration) = seconds("timeout", self.timeout)? {
            builder = builder.timeout(duration);
        }
        if let Some(duration) = seconds("connect_timeout", self.connect_timeout)? {
            builder = builder.connect_timeout(duration);
        }
        if let Some(duration) = seconds("deadline", self.deadline)? {
            builder = builder.deadline(duration);
        }
        if let Some(duration) = seconds("max_retry_after", self.max_retry_after)? {
            builder = builder.max_retry_after(duration);
        }
        if let Some(retries) = self.max_retries {
            builder = builder.max_retries(retries);
        }
        if let Some(bytes) = self.max_response_bytes {
            builder = builder.max_response_bytes(bytes);
        }
        if let Some(duration) = seconds("token_lifetime", self.token_lifetime)? {
            builder = builder.token_lifetime(duration);
        }
        if let Some(claims) = &self.token_claims {
            builder = builder.token_claims(json_object("token_claims", claims)?);
        }
        if let Some(permissions) = &self.permissions {
            builder = builder.token_permissions(json_object("permissions", permissions)?);
        }
        builder.build().map_err(|error| to_py_err(py, error))
    }
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
