//! The arguments of the clients' methods and constructors, taken from Python: each value is only
//! given its type here (`FieldValue`, `Body`, `Part`, a number, a string); what is accepted and
//! how it is sent is the core's rule (`paragon_connect::CallArguments`, `ClientSettings`). A value
//! of the wrong type is the core's error too: `InvalidRequestError` for a call's arguments,
//! `ConfigurationError` for a client's settings.

use std::sync::Arc;

use bytes::Bytes;
use paragon_connect::serde_json::{Map, Value};
use paragon_connect::{
    Body, CallArguments, ClientSettings, ConfigError, FieldValue, InvalidRequestError,
    OneShotStream, Part, PartData, ProxySetting, RequestOptions, TimeUnit, TriggerOptions,
    field_pairs,
};
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};

use crate::convert::{Refused, to_json, type_name};
use crate::errors::to_py_err;
use crate::event_loop::run_on;
use crate::token::PythonTokenProvider;

/// Where a value was given, which decides the error that refuses it.
#[derive(Clone, Copy)]
pub enum Place {
    /// A call's argument: `InvalidRequestError`.
    Argument(&'static str),
    /// A client's setting: `ConfigurationError`.
    Setting(&'static str),
}

impl Place {
    pub fn refuse(self, reason: impl Into<String>) -> PyErr {
        let error = match self {
            Place::Argument(argument) => InvalidRequestError::new(argument, reason).into(),
            Place::Setting(setting) => ConfigError::new(setting, reason).into(),
        };
        Python::attach(|py| to_py_err(py, error))
    }

    fn name(self) -> &'static str {
        match self {
            Place::Argument(name) | Place::Setting(name) => name,
        }
    }

    fn refused(self, refused: Refused) -> PyErr {
        match refused {
            Refused::Because(reason) => self.refuse(reason),
            Refused::Raised(error) => error,
        }
    }
}

type Given<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

/// `None` as not given.
fn given<'a, 'py>(value: Given<'a, 'py>) -> Given<'a, 'py> {
    value.filter(|value| !value.is_none())
}

pub fn text(place: Place, value: Given<'_, '_>) -> PyResult<Option<String>> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    match value.cast::<PyString>() {
        Ok(text) => Ok(Some(text.to_cow()?.into_owned())),
        Err(_) => Err(place.refuse(format!("must be str, not {}", type_name(value)))),
    }
}

pub fn required_text(place: Place, value: &Bound<'_, PyAny>) -> PyResult<String> {
    text(place, Some(value))?.ok_or_else(|| place.refuse("must be str, not None"))
}

pub fn number(place: Place, value: Given<'_, '_>) -> PyResult<Option<f64>> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    if value.is_instance_of::<PyBool>()
        || !(value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>())
    {
        return Err(place.refuse(format!("must be a number, not {}", type_name(value))));
    }
    Ok(Some(value.extract::<f64>()?))
}

pub fn flag(place: Place, value: Given<'_, '_>) -> PyResult<Option<bool>> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    match value.cast::<PyBool>() {
        Ok(flag) => Ok(Some(flag.is_true())),
        Err(_) => Err(place.refuse(format!("must be bool, not {}", type_name(value)))),
    }
}

/// PEM text (`str`) or the path of a PEM file (`str` or `os.PathLike`).
fn pem_or_path(place: Place, value: Given<'_, '_>) -> PyResult<Option<String>> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    if value.is_instance_of::<PyString>() || !value.hasattr("__fspath__")? {
        return text(place, Some(value));
    }
    let path = value.py().import("os")?.call_method1("fspath", (value,))?;
    text(place, Some(&path))
}

/// A proxy URL, or `False` for no proxy at all.
fn proxy(place: Place, value: Given<'_, '_>) -> PyResult<Option<ProxySetting>> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    match value.cast::<PyBool>() {
        Ok(flag) if !flag.is_true() => Ok(Some(ProxySetting::Off)),
        Ok(_) => Err(place.refuse("must be a proxy URL (str) or False for none, not True")),
        Err(_) => Ok(text(place, Some(value))?.map(ProxySetting::Url)),
    }
}

pub fn json(place: Place, value: &Bound<'_, PyAny>) -> PyResult<Value> {
    to_json(value, &mut place.name().to_owned(), 0).map_err(|refused| place.refused(refused))
}

/// A dict argument as a JSON object.
pub fn json_object(place: Place, value: Given<'_, '_>) -> PyResult<Option<Map<String, Value>>> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    match json(place, value)? {
        Value::Object(object) => Ok(Some(object)),
        _ => Err(place.refuse(format!("must be a dict, not {}", type_name(value)))),
    }
}

/// A header, query or form value, typed for the core's table. A list inside a list is only
/// marked as one (the core refuses it): its items are never read, so a list that contains itself
/// cannot recurse.
fn field_value(value: &Bound<'_, PyAny>, in_list: bool) -> PyResult<FieldValue> {
    Ok(if value.is_none() {
        FieldValue::Null
    } else if let Ok(flag) = value.cast::<PyBool>() {
        FieldValue::Bool(flag.is_true())
    } else if let Ok(text) = value.cast::<PyString>() {
        FieldValue::Text(text.to_cow()?.into_owned())
    } else if value.is_instance_of::<PyInt>() {
        FieldValue::Integer(value.str()?.to_cow()?.into_owned())
    } else if let Ok(float) = value.cast::<PyFloat>() {
        FieldValue::Number(float.value())
    } else if in_list && (value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>()) {
        FieldValue::List(Vec::new())
    } else if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        FieldValue::List(
            value
                .try_iter()?
                .map(|item| field_value(&item?, true))
                .collect::<PyResult<_>>()?,
        )
    } else {
        FieldValue::Other(type_name(value))
    })
}

/// The items of a dict, or of a list or tuple of `(name, value)` pairs.
fn items<'py>(place: Place, value: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if let Ok(dict) = value.cast::<PyDict>() {
        Ok(dict.items().iter().collect())
    } else if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        value.try_iter()?.collect()
    } else {
        Err(place.refuse(format!(
            "must be a dict or a list of (name, value) pairs, not {}",
            type_name(value)
        )))
    }
}

/// `(name, value)` pairs with str names.
fn named<'py>(place: Place, item: Bound<'py, PyAny>) -> PyResult<(String, Bound<'py, PyAny>)> {
    let (name, value): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item
        .extract()
        .map_err(|_| place.refuse("must hold (name, value) pairs"))?;
    let name = required_text(place, &name)
        .map_err(|_| place.refuse(format!("names must be str, not {}", type_name(&name))))?;
    Ok((name, value))
}

/// Headers, query parameters or form fields: a dict, or pairs (which may repeat a name).
pub fn fields(place: Place, value: Given<'_, '_>) -> PyResult<Option<Vec<(String, FieldValue)>>> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    items(place, value)?
        .into_iter()
        .map(|item| {
            let (name, value) = named(place, item)?;
            Ok((name, field_value(&value, false)?))
        })
        .collect::<PyResult<_>>()
        .map(Some)
}

/// A path from a `str` or `os.PathLike`.
fn path_of(value: &Bound<'_, PyAny>) -> PyResult<std::path::PathBuf> {
    value
        .py()
        .import("os")?
        .call_method1("fspath", (value,))?
        .extract()
}

fn is_path(value: &Bound<'_, PyAny>) -> bool {
    !value.is_instance_of::<PyString>() && value.hasattr("__fspath__").unwrap_or(false)
}

/// Bytes from `bytes`, `bytearray` or `memoryview`.
fn bytes_of(value: &Bound<'_, PyAny>) -> PyResult<Option<Bytes>> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(Some(Bytes::copy_from_slice(bytes.as_bytes())));
    }
    if value.is_instance_of::<PyByteArray>() || value.is_instance_of::<PyMemoryView>() {
        let bytes: Vec<u8> = value
            .py()
            .get_type::<PyBytes>()
            .call1((value,))?
            .extract()?;
        return Ok(Some(Bytes::from(bytes)));
    }
    Ok(None)
}

/// One multipart part: `str` is text, bytes are a file named after the field, a path is a file
/// streamed from disk, and `(filename, content[, content_type])` sets both.
fn to_part(name: &str, value: &Bound<'_, PyAny>) -> PyResult<Part> {
    let place = Place::Argument("multipart");
    if let Ok(tuple) = value.cast::<PyTuple>() {
        let (filename, content, content_type) = match tuple.len() {
            2 => (tuple.get_item(0)?, tuple.get_item(1)?, None),
            3 => (
                tuple.get_item(0)?,
                tuple.get_item(1)?,
                Some(tuple.get_item(2)?),
            ),
            _ => {
                return Err(place.refuse(format!(
                    "multipart[{name:?}] must be (filename, content) or (filename, content, content_type)"
                )));
            }
        };
        let mut part = to_part(name, &content)?;
        part.filename = text(place, Some(&filename))?;
        part.content_type = text(place, content_type.as_ref())?;
        return Ok(part);
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Part::text(name, text.to_cow()?.into_owned()));
    }
    if let Some(bytes) = bytes_of(value)? {
        return Ok(Part {
            name: name.to_owned(),
            data: PartData::Bytes(bytes),
            filename: None,
            content_type: None,
        });
    }
    if is_path(value) {
        return Ok(Part::file(name, path_of(value)?));
    }
    Err(place.refuse(format!(
        "multipart[{name:?}] must be str, bytes, a path or a (filename, content[, content_type]) tuple, not {}",
        type_name(value)
    )))
}

/// `multipart=`: a dict or `(name, value)` pairs.
fn multipart(value: Given<'_, '_>) -> PyResult<Option<Vec<Part>>> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    let place = Place::Argument("multipart");
    items(place, value)?
        .into_iter()
        .map(|item| {
            let (name, value) = named(place, item)?;
            to_part(&name, &value)
        })
        .collect::<PyResult<_>>()
        .map(Some)
}

/// One chunk of an iterated body: bytes as they are, `str` as UTF-8.
fn chunk_of(item: &Bound<'_, PyAny>) -> Result<Bytes, String> {
    if let Ok(Some(bytes)) = bytes_of(item) {
        return Ok(bytes);
    }
    if let Ok(text) = item.cast::<PyString>() {
        return text
            .to_cow()
            .map(|text| Bytes::from(text.into_owned()))
            .map_err(|error| error.to_string());
    }
    Err(format!(
        "the body's iterator yielded {}, not bytes or str",
        type_name(item)
    ))
}

/// The next chunk of a body iterator: sync (`__next__`, called on tokio's blocking pool, never
/// on an I/O thread, so a slow iterator stalls only its own call) or async (`__anext__`, run on
/// the calling `AsyncParagon`'s event loop).
async fn next_chunk(
    iterator: &Arc<Py<PyAny>>,
    event_loop: Option<&Py<PyAny>>,
) -> Result<Option<Bytes>, String> {
    let Some(event_loop) = event_loop else {
        let iterator = iterator.clone();
        let next = move || {
            Python::attach(|py| match iterator.bind(py).call_method0("__next__") {
                Ok(item) => chunk_of(&item).map(Some),
                Err(error) if error.is_instance_of::<PyStopIteration>(py) => Ok(None),
                Err(error) => Err(format!("the body's iterator raised {error}")),
            })
        };
        return tokio::task::spawn_blocking(next)
            .await
            .map_err(|_| "the body's iterator could not be called".to_owned())?;
    };
    let receiver = Python::attach(|py| {
        let awaitable = iterator
            .bind(py)
            .call_method0("__anext__")
            .map_err(|error| error.to_string())?;
        run_on(py, &awaitable, event_loop, "the body's async iterator")
    })?;
    let outcome = receiver
        .await
        .map_err(|_| "the body's async iterator was cancelled".to_owned())?;
    Python::attach(|py| match outcome {
        Ok(item) => chunk_of(item.bind(py)).map(Some),
        Err(error) if error.is_instance_of::<PyStopAsyncIteration>(py) => Ok(None),
        Err(error) => Err(format!("the body's async iterator raised {error}")),
    })
}

/// An iterator of bytes as a body sent as it comes (once: such a call is never retried). An
/// async iterator's chunks are awaited on `event_loop`, the loop of the calling task.
fn iterator_body(iterator: Py<PyAny>, event_loop: Option<Py<PyAny>>) -> Body {
    let chunks = futures_util::stream::unfold(Some(Arc::new(iterator)), move |state| {
        let event_loop = event_loop
            .as_ref()
            .map(|event_loop| Python::attach(|py| event_loop.clone_ref(py)));
        async move {
            let iterator = state?;
            match next_chunk(&iterator, event_loop.as_ref()).await {
                Ok(Some(chunk)) => Some((Ok(chunk), Some(iterator))),
                Ok(None) => None,
                Err(reason) => Some((Err(std::io::Error::other(reason)), None)),
            }
        }
    });
    Body::Stream(OneShotStream::new(chunks))
}

/// A request body: `bytes`-like as is, `str` as text, a path as a file streamed from disk, an
/// iterator (sync, or async with `AsyncParagon`) of bytes as a stream, anything else as JSON.
pub fn body(value: Given<'_, '_>) -> PyResult<Option<Body>> {
    let Some(body) = given(value) else {
        return Ok(None);
    };
    let place = Place::Argument("body");
    // A plain dict or list is JSON: asking it for `__fspath__`, `__anext__` and `__next__` first
    // raised (and dropped) three AttributeErrors per call.
    if body.is_exact_instance_of::<PyDict>() || body.is_exact_instance_of::<PyList>() {
        return Ok(Some(Body::Json(json(place, body)?)));
    }
    if is_path(body) {
        return Ok(Some(Body::File(path_of(body)?)));
    }
    if body.hasattr("__anext__")? {
        // Its chunks will be awaited on the loop of the task making the call.
        let event_loop = body
            .py()
            .import("asyncio")?
            .call_method0("get_running_loop")
            .map_err(|_| {
                place.refuse(
                    "an async iterator body needs AsyncParagon (use a sync iterator with Paragon)",
                )
            })?;
        let iterator = body.clone().unbind();
        return Ok(Some(iterator_body(iterator, Some(event_loop.unbind()))));
    }
    if body.hasattr("__next__")? {
        return Ok(Some(iterator_body(body.clone().unbind(), None)));
    }
    if let Some(bytes) = bytes_of(body)? {
        return Ok(Some(Body::Bytes(bytes)));
    }
    if let Ok(text) = body.cast::<PyString>() {
        return Ok(Some(Body::Text(text.to_cow()?.into_owned())));
    }
    Ok(Some(Body::Json(json(place, body)?)))
}

/// The keyword arguments of `request()`, `stream()` and `download()` (those a method does not
/// take stay `None`).
#[derive(Default)]
pub struct CallInput<'a, 'py> {
    pub method: Given<'a, 'py>,
    pub body: Given<'a, 'py>,
    pub headers: Given<'a, 'py>,
    pub query: Given<'a, 'py>,
    pub selected_credential_id: Given<'a, 'py>,
    pub raw: Given<'a, 'py>,
    pub timeout: Given<'a, 'py>,
    pub deadline: Given<'a, 'py>,
    pub max_retries: Given<'a, 'py>,
    pub idempotent: Given<'a, 'py>,
    pub form: Given<'a, 'py>,
    pub multipart: Given<'a, 'py>,
}

impl CallInput<'_, '_> {
    pub fn options(self) -> PyResult<RequestOptions> {
        use Place::Argument;
        let arguments = CallArguments {
            time_unit: Some(TimeUnit::Seconds),
            method: text(Argument("method"), self.method)?,
            body: body(self.body)?,
            file: None,
            form: fields(Argument("form"), self.form)?,
            multipart: multipart(self.multipart)?,
            headers: fields(Argument("headers"), self.headers)?.unwrap_or_default(),
            query: fields(Argument("query"), self.query)?.unwrap_or_default(),
            selected_credential_id: text(
                Argument("selected_credential_id"),
                self.selected_credential_id,
            )?,
            raw: flag(Argument("raw"), self.raw)?.unwrap_or_default(),
            timeout: number(Argument("timeout"), self.timeout)?,
            deadline: number(Argument("deadline"), self.deadline)?,
            max_retries: number(Argument("max_retries"), self.max_retries)?,
            idempotent: flag(Argument("idempotent"), self.idempotent)?,
            // Python's json.loads builds objects faster than a serde value converted to them.
            json_as_text: true,
        };
        arguments
            .into_options()
            .map_err(|error| Python::attach(|py| to_py_err(py, error.into())))
    }
}

/// The keyword arguments of `trigger_workflow()`.
pub fn trigger_options(
    body_given: Given<'_, '_>,
    query: Given<'_, '_>,
    headers: Given<'_, '_>,
    selected_credential_id: Given<'_, '_>,
    selected_configuration_id: Given<'_, '_>,
) -> PyResult<TriggerOptions> {
    use Place::Argument;
    let pairs = |argument: &'static str, value| -> PyResult<Vec<(String, String)>> {
        let fields = fields(Argument(argument), value)?.unwrap_or_default();
        field_pairs(argument, fields).map_err(|error| Argument(argument).refuse(error.reason))
    };
    Ok(TriggerOptions {
        body: body(body_given)?,
        query: pairs("query", query)?,
        headers: pairs("headers", headers)?,
        selected_credential_id: text(Argument("selected_credential_id"), selected_credential_id)?,
        selected_configuration_id: text(
            Argument("selected_configuration_id"),
            selected_configuration_id,
        )?,
    })
}

/// The constructors' keyword arguments, in the core's settings.
#[derive(Default)]
pub struct SettingsInput<'a, 'py> {
    pub project_id: Given<'a, 'py>,
    pub user_token: Given<'a, 'py>,
    pub signing_key: Given<'a, 'py>,
    pub host: Given<'a, 'py>,
    pub proxy_base_url: Given<'a, 'py>,
    pub zeus_base_url: Given<'a, 'py>,
    pub hermes_base_url: Given<'a, 'py>,
    pub default_headers: Given<'a, 'py>,
    pub timeout: Given<'a, 'py>,
    pub connect_timeout: Given<'a, 'py>,
    pub token_lifetime: Given<'a, 'py>,
    pub token_audience: Given<'a, 'py>,
    pub token_claims: Given<'a, 'py>,
    pub permissions: Given<'a, 'py>,
    pub max_retries: Given<'a, 'py>,
    pub max_retry_after: Given<'a, 'py>,
    pub deadline: Given<'a, 'py>,
    pub max_response_bytes: Given<'a, 'py>,
    pub allow_insecure_http: Given<'a, 'py>,
    pub ca_certs: Given<'a, 'py>,
    pub use_system_roots: Given<'a, 'py>,
    pub client_cert: Given<'a, 'py>,
    pub client_key: Given<'a, 'py>,
    pub proxy: Given<'a, 'py>,
    pub pool_max_idle_per_host: Given<'a, 'py>,
    pub pool_idle_timeout: Given<'a, 'py>,
    pub tcp_keepalive: Given<'a, 'py>,
    pub http2: Given<'a, 'py>,
}

impl SettingsInput<'_, '_> {
    pub fn settings(self, py: Python<'_>) -> PyResult<ClientSettings> {
        use Place::Setting;
        let (user_token, token_provider) = match given(self.user_token) {
            None => (None, None),
            Some(token) if token.is_callable() => {
                let provider = PythonTokenProvider::new(token.clone().unbind());
                (None, Some(Arc::new(provider) as _))
            }
            Some(token) => match token.cast::<PyString>() {
                Ok(token) => (Some(token.to_cow()?.into_owned().into()), None),
                Err(_) => {
                    return Err(Setting("user_token").refuse(format!(
                        "must be a str, or a function (sync or async) that returns one, not {}",
                        type_name(token)
                    )));
                }
            },
        };
        Ok(ClientSettings {
            time_unit: Some(TimeUnit::Seconds),
            platform: Some(("python".to_owned(), python_runtime(py))),
            project_id: text(Setting("project_id"), self.project_id)?,
            user_token,
            token_provider,
            signing_key: text(Setting("signing_key"), self.signing_key)?.map(Into::into),
            token_lifetime: number(Setting("token_lifetime"), self.token_lifetime)?,
            token_audience: flag(Setting("token_audience"), self.token_audience)?,
            token_claims: json_object(Setting("token_claims"), self.token_claims)?,
            permissions: json_object(Setting("permissions"), self.permissions)?,
            host: text(Setting("host"), self.host)?,
            proxy_base_url: text(Setting("proxy_base_url"), self.proxy_base_url)?,
            zeus_base_url: text(Setting("zeus_base_url"), self.zeus_base_url)?,
            hermes_base_url: text(Setting("hermes_base_url"), self.hermes_base_url)?,
            default_headers: fields(Setting("default_headers"), self.default_headers)?
                .unwrap_or_default(),
            timeout: number(Setting("timeout"), self.timeout)?,
            connect_timeout: number(Setting("connect_timeout"), self.connect_timeout)?,
            deadline: number(Setting("deadline"), self.deadline)?,
            max_retries: number(Setting("max_retries"), self.max_retries)?,
            max_retry_after: number(Setting("max_retry_after"), self.max_retry_after)?,
            max_response_bytes: number(Setting("max_response_bytes"), self.max_response_bytes)?,
            allow_insecure_http: flag(Setting("allow_insecure_http"), self.allow_insecure_http)?,
            ca_certs: pem_or_path(Setting("ca_certs"), self.ca_certs)?,
            use_system_roots: flag(Setting("use_system_roots"), self.use_system_roots)?,
            client_cert: pem_or_path(Setting("client_cert"), self.client_cert)?,
            client_key: pem_or_path(Setting("client_key"), self.client_key)?.map(Into::into),
            proxy: proxy(Setting("proxy"), self.proxy)?,
            pool_max_idle_per_host: number(
                Setting("pool_max_idle_per_host"),
                self.pool_max_idle_per_host,
            )?,
            pool_idle_timeout: number(Setting("pool_idle_timeout"), self.pool_idle_timeout)?,
            tcp_keepalive: number(Setting("tcp_keepalive"), self.tcp_keepalive)?,
            http2: text(Setting("http2"), self.http2)?,
            event_sink: Some(crate::logging::sink(py)),
        })
    }
}

/// Settings a Python client adds to the core's.
pub trait PythonSettings {
    /// The events go to `hooks` (and `logging`) rather than to `logging` only.
    fn with_hooks(self, hooks: Option<Arc<crate::logging::Hooks>>) -> Self;
}

impl PythonSettings for ClientSettings {
    fn with_hooks(mut self, hooks: Option<Arc<crate::logging::Hooks>>) -> Self {
        if let Some(hooks) = hooks {
            self.event_sink = Some(Arc::new(crate::logging::HookedSink(hooks)));
        }
        self
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
