//! Python values to the core's types and back, directly (no `json.dumps` round trip): integers of
//! any size keep their value, floats round-trip exactly, anything JSON cannot hold is refused with
//! the path to it (`body["items"][3]`).

use crate::errors::to_py_err;
use bytes::Bytes;
use paragon_connect::serde_json::{Map, Number, Value};
use paragon_connect::{
    Body, InvalidRequestError, OneShotStream, Part, RawResponse, RequestOptions, Response,
    duration_from_seconds,
};
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration, PyTypeError, PyValueError};

use crate::event_loop::run_on;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
    PyType,
};

/// Nesting deeper than this is refused (it is almost always a structure that contains itself).
const MAX_DEPTH: usize = 256;

/// A Python value as JSON, or a `TypeError` naming the first value JSON cannot hold.
pub fn to_json(value: &Bound<'_, PyAny>, path: &mut String, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "{path} is nested more than {MAX_DEPTH} levels deep (does it contain itself?)"
        )));
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(boolean) = value.cast::<PyBool>() {
        return Ok(Value::Bool(boolean.is_true()));
    }
    if let Ok(string) = value.cast::<PyString>() {
        return Ok(Value::String(string.to_cow()?.into_owned()));
    }
    if let Ok(int) = value.cast::<PyInt>() {
        if let Ok(small) = int.extract::<i64>() {
            return Ok(Value::Number(small.into()));
        }
        if let Ok(small) = int.extract::<u64>() {
            return Ok(Value::Number(small.into()));
        }
        // Exact digits of a big integer, kept as written (the core keeps numbers' text).
        let digits = int.str()?.to_cow()?.into_owned();
        let number: Number = paragon_connect::serde_json::from_str(&digits)
            .map_err(|_| PyValueError::new_err(format!("{path} is an integer JSON cannot hold")))?;
        return Ok(Value::Number(number));
    }
    if let Ok(float) = value.cast::<PyFloat>() {
        let float = float.value();
        return Number::from_f64(float).map(Value::Number).ok_or_else(|| {
            PyValueError::new_err(format!("{path} is {float}, which JSON cannot represent"))
        });
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut object = Map::with_capacity(dict.len());
        for (key, item) in dict.iter() {
            let Ok(key) = key.cast::<PyString>() else {
                return Err(PyTypeError::new_err(format!(
                    "{path} has a key of type {}; JSON object keys must be str",
                    type_name(&key)
                )));
            };
            let key = key.to_cow()?;
            let mark = path.len();
            path.push_str(&format!("[{key:?}]"));
            let converted = to_json(&item, path, depth + 1)?;
            path.truncate(mark);
            object.insert(key.into_owned(), converted);
        }
        return Ok(Value::Object(object));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let mut array = Vec::with_capacity(value.len()?);
        for (index, item) in value.try_iter()?.enumerate() {
            let mark = path.len();
            path.push_str(&format!("[{index}]"));
            array.push(to_json(&item?, path, depth + 1)?);
            path.truncate(mark);
        }
        return Ok(Value::Array(array));
    }
    Err(PyTypeError::new_err(format!(
        "{path} is of type {}, which is not JSON (use dict, list, tuple, str, int, float, bool or None)",
        type_name(value)
    )))
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .qualname()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "?".to_owned())
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

/// One multipart part: `str` is text, bytes are a file-like part named after the field, a path
/// is a file streamed from disk, and `(filename, content[, content_type])` sets both.
fn to_part(name: &str, value: &Bound<'_, PyAny>) -> PyResult<Part> {
    if let Ok(tuple) = value.cast::<PyTuple>() {
        let (filename, content, content_type) = match tuple.len() {
            2 => (tuple.get_item(0)?, tuple.get_item(1)?, None),
            3 => (
                tuple.get_item(0)?,
                tuple.get_item(1)?,
                Some(tuple.get_item(2)?.extract::<String>()?),
            ),
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "multipart[{name:?}] must be (filename, content) or (filename, content, content_type)"
                )));
            }
        };
        let mut part = to_part(name, &content)?;
        part.filename = Some(filename.extract()?);
        part.content_type = content_type;
        return Ok(part);
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Part::text(name, text.to_cow()?.into_owned()));
    }
    if let Some(bytes) = bytes_of(value)? {
        return Ok(Part::bytes(name, name, bytes));
    }
    if is_path(value) {
        return Ok(Part::file(name, path_of(value)?));
    }
    Err(PyTypeError::new_err(format!(
        "multipart[{name:?}] must be str, bytes, a path or a (filename, content[, content_type]) tuple, not {}",
        type_name(value)
    )))
}

/// `multipart=`: a dict or `(name, value)` pairs.
fn to_multipart(value: &Bound<'_, PyAny>) -> PyResult<Body> {
    let items: Vec<Bound<'_, PyAny>> = if let Ok(dict) = value.cast::<PyDict>() {
        dict.items().iter().collect()
    } else if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        value.try_iter()?.collect::<PyResult<_>>()?
    } else {
        return Err(PyTypeError::new_err(
            "multipart must be a dict or a list of (name, value) pairs",
        ));
    };
    let mut parts = Vec::with_capacity(items.len());
    for item in items {
        let (name, part): (String, Bound<'_, PyAny>) = item
            .extract()
            .map_err(|_| PyTypeError::new_err("multipart items must be (name, value) pairs"))?;
        parts.push(to_part(&name, &part)?);
    }
    Ok(Body::Multipart(parts))
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

/// The next chunk of a body iterator: sync (`__next__`, called with the GIL on the I/O thread)
/// or async (`__anext__`, run on the calling `AsyncParagon`'s event loop).
async fn next_chunk(
    iterator: &Py<PyAny>,
    event_loop: Option<&Py<PyAny>>,
) -> Result<Option<Bytes>, String> {
    let Some(event_loop) = event_loop else {
        return Python::attach(|py| match iterator.bind(py).call_method0("__next__") {
            Ok(item) => chunk_of(&item).map(Some),
            Err(error) if error.is_instance_of::<PyStopIteration>(py) => Ok(None),
            Err(error) => Err(format!("the body's iterator raised {error}")),
        });
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
    let chunks = futures_util::stream::unfold(Some(iterator), move |state| {
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
pub fn to_body(body: &Bound<'_, PyAny>) -> PyResult<Body> {
    if is_path(body) {
        return Ok(Body::File(path_of(body)?));
    }
    if body.hasattr("__anext__")? {
        // Its chunks will be awaited on the loop of the task making the call.
        let event_loop = body
            .py()
            .import("asyncio")?
            .call_method0("get_running_loop")
            .map_err(|_| {
                PyTypeError::new_err(
                    "an async iterator body needs AsyncParagon (use a sync iterator with Paragon)",
                )
            })?;
        return Ok(iterator_body(
            body.clone().unbind(),
            Some(event_loop.unbind()),
        ));
    }
    if body.hasattr("__next__")? {
        return Ok(iterator_body(body.clone().unbind(), None));
    }
    if let Ok(bytes) = body.cast::<PyBytes>() {
        return Ok(Body::Bytes(Bytes::copy_from_slice(bytes.as_bytes())));
    }
    if body.is_instance_of::<PyByteArray>() || body.is_instance_of::<PyMemoryView>() {
        let bytes: Vec<u8> = PyBytes::new(body.py(), &[])
            .get_type()
            .call1((body,))?
            .extract()?;
        return Ok(Body::Bytes(Bytes::from(bytes)));
    }
    if let Ok(text) = body.cast::<PyString>() {
        return Ok(Body::Text(text.to_cow()?.into_owned()));
    }
    let mut path = "body".to_owned();
    Ok(Body::Json(to_json(body, &mut path, 0)?))
}

/// `{"name": "value"}` or `[("name", "value"), ...]` (the latter may repeat a name).
pub fn to_pairs(
    argument: &str,
    value: &Bound<'_, PyAny>,
    to_text: fn(&str, &Bound<'_, PyAny>) -> PyResult<Vec<String>>,
) -> PyResult<Vec<(String, String)>> {
    let items: Vec<Bound<'_, PyAny>> = if let Ok(dict) = value.cast::<PyDict>() {
        dict.items().iter().collect()
    } else if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        value.try_iter()?.collect::<PyResult<_>>()?
    } else {
        return Err(PyTypeError::new_err(format!(
            "{argument} must be a dict or a list of (name, value) pairs, not {}",
            type_name(value)
        )));
    };
    let mut pairs = Vec::with_capacity(items.len());
    for item in items {
        let (name, item_value): (Bound<'_, PyAny>, Bound<'_, PyAny>) =
            item.extract().map_err(|_| {
                PyTypeError::new_err(format!("{argument} items must be (name, value) pairs"))
            })?;
        let Ok(name) = name.cast::<PyString>() else {
            return Err(PyTypeError::new_err(format!(
                "{argument} names must be str, not {}",
                type_name(&name)
            )));
        };
        let name = name.to_cow()?;
        for text in to_text(&format!("{argument}[{name:?}]"), &item_value)? {
            pairs.push((name.to_string(), text));
        }
    }
    Ok(pairs)
}

/// A header value: `str` only (bytes would need an encoding the caller did not choose).
pub fn header_text(path: &str, value: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    match value.cast::<PyString>() {
        Ok(text) => Ok(vec![text.to_cow()?.into_owned()]),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{path} must be str, not {}",
            type_name(value)
        ))),
    }
}

/// A query value: str, int, float, bool (`true`/`false`, as JavaScript writes them), or a list
/// of those for a repeated parameter. `None` is refused rather than silently dropped.
pub fn query_text(path: &str, value: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(boolean) = value.cast::<PyBool>() {
        return Ok(vec![
            if boolean.is_true() { "true" } else { "false" }.to_owned(),
        ]);
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(vec![text.to_cow()?.into_owned()]);
    }
    if value.is_instance_of::<PyInt>() {
        return Ok(vec![value.str()?.to_cow()?.into_owned()]);
    }
    if let Ok(float) = value.cast::<PyFloat>() {
        if !float.value().is_finite() {
            return Err(PyValueError::new_err(format!(
                "{path} is {}, not a number",
                float.value()
            )));
        }
        return Ok(vec![value.repr()?.to_cow()?.into_owned()]);
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let mut texts = Vec::new();
        for item in value.try_iter()? {
            let item = item?;
            if item.is_instance_of::<PyList>() || item.is_instance_of::<PyTuple>() {
                return Err(PyTypeError::new_err(format!(
                    "{path} nests a list in a list"
                )));
            }
            texts.extend(query_text(path, &item)?);
        }
        return Ok(texts);
    }
    Err(PyTypeError::new_err(format!(
        "{path} must be str, int, float, bool or a list of them, not {}",
        type_name(value)
    )))
}

/// The arguments of `request()` after the two positionals.
pub struct CallArguments<'py> {
    pub method: Option<String>,
    pub body: Option<Bound<'py, PyAny>>,
    pub headers: Option<Bound<'py, PyAny>>,
    pub query: Option<Bound<'py, PyAny>>,
    pub selected_credential_id: Option<String>,
    pub raw: bool,
    pub timeout: Option<f64>,
    pub deadline: Option<f64>,
    pub max_retries: Option<u32>,
    pub idempotent: Option<bool>,
    pub form: Option<Bound<'py, PyAny>>,
    pub multipart: Option<Bound<'py, PyAny>>,
}

impl CallArguments<'_> {
    pub fn into_options(self, py: Python<'_>) -> PyResult<RequestOptions> {
        let seconds = |argument: &'static str, value: Option<f64>| {
            value
                .map(duration_from_seconds)
                .transpose()
                .map_err(|reason| to_py_err(py, InvalidRequestError::new(argument, reason).into()))
        };
        let body = match (&self.body, &self.form, &self.multipart) {
            (Some(body), None, None) => Some(to_body(body)?),
            (None, Some(form), None) => Some(Body::Form(to_pairs("form", form, query_text)?)),
            (None, None, Some(multipart)) => Some(to_multipart(multipart)?),
            (None, None, None) => None,
            _ => return Err(PyTypeError::new_err("give one of body, form and multipart")),
        };
        Ok(RequestOptions {
            method: self.method,
            body,
            headers: match &self.headers {
                Some(headers) => to_pairs("headers", headers, header_text)?,
                None => Vec::new(),
            },
            query: match &self.query {
                Some(query) => to_pairs("query", query, query_text)?,
                None => Vec::new(),
            },
            selected_credential_id: self.selected_credential_id,
            raw: self.raw,
            timeout: seconds("timeout", self.timeout)?,
            deadline: seconds("deadline", self.deadline)?,
            max_retries: self.max_retries,
            idempotent: self.idempotent,
            // Python's json.loads builds objects faster than a serde value converted to them.
            json_as_text: true,
        })
    }
}

/// A JSON value as Python objects.
pub fn from_json<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(boolean) => PyBool::new(py, *boolean).to_owned().into_any(),
        Value::Number(number) => {
            if let Some(int) = number.as_i64() {
                int.into_pyobject(py)?.into_any()
            } else if let Some(int) = number.as_u64() {
                int.into_pyobject(py)?.into_any()
            } else {
                let text = number.as_str();
                if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                    // An integer too large for 64 bits: Python's int takes it whole.
                    py.get_type::<PyInt>().call1((text,))?
                } else {
                    PyFloat::new(py, number.as_f64().unwrap_or(f64::NAN)).into_any()
                }
            }
        }
        Value::String(text) => PyString::new(py, text).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(from_json(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(object) => {
            let dict = PyDict::new(py);
            for (key, item) in object {
                dict.set_item(key, from_json(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

static HEADERS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static RAW_RESPONSE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Response headers as the package's case-insensitive `Headers` (repeated names kept).
pub fn headers_to_python<'py>(
    py: Python<'py>,
    headers: &paragon_connect::http::HeaderMap,
) -> PyResult<Bound<'py, PyAny>> {
    let pairs: Vec<(&str, String)> = headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    HEADERS
        .import(py, "paragon_connect._types", "Headers")?
        .call1((pairs,))
}

fn raw_to_python<'py>(py: Python<'py>, raw: &RawResponse) -> PyResult<Bound<'py, PyAny>> {
    RAW_RESPONSE
        .import(py, "paragon_connect._types", "RawResponse")?
        .call1((
            raw.status.as_u16(),
            headers_to_python(py, &raw.headers)?,
            PyBytes::new(py, &raw.body),
        ))
}

/// What `request()` returns in Python.
pub fn response_to_python(py: Python<'_>, response: &Response) -> PyResult<Py<PyAny>> {
    Ok(match response {
        Response::Empty => py.None(),
        Response::Json(value) => from_json(py, value)?.unbind(),
        Response::JsonText(text) => json_loads(py)?.call1((text,))?.unbind(),
        Response::Text(text) => PyString::new(py, text).into_any().unbind(),
        Response::Raw(raw) => raw_to_python(py, raw)?.unbind(),
    })
}

/// `json.loads`: integers of any size exact, as the value conversion gives them.
fn json_loads(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    LOADS
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("json")?.getattr("loads")?.unbind())
        })
        .map(|loads| loads.bind(py))
}
