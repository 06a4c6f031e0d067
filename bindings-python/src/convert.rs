//! Python values to JSON and the core's answers back to Python, directly (no `json.dumps` round
//! trip): integers of any size keep their value, floats round-trip exactly, anything JSON cannot
//! hold is refused with the path to it (`body["items"][3]`).

use std::fmt::Write as _;

use paragon_connect::serde_json::{Map, Number, Value};
use paragon_connect::{RawResponse, Response};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};

/// Nesting deeper than this is refused (it is almost always a structure that contains itself).
const MAX_DEPTH: usize = 256;

/// Why a Python value cannot be used: a refusal to report as the caller's mistake (the binding
/// names the argument or setting), or an exception Python raised meanwhile.
pub enum Refused {
    Because(String),
    Raised(PyErr),
}

impl From<PyErr> for Refused {
    fn from(error: PyErr) -> Self {
        Refused::Raised(error)
    }
}

/// The name of a value's type, for refusals (`bytes`, `set`, ...).
pub fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .qualname()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

/// `["key"]` appended to `path`, as `{key:?}` writes it: the usual key needs no escape and is
/// copied as it is (formatting every key of every body cost more than converting its value).
fn push_key(path: &mut String, key: &str) {
    if key
        .bytes()
        .all(|byte| matches!(byte, b' '..=b'~') && byte != b'"' && byte != b'\\')
    {
        path.push_str("[\"");
        path.push_str(key);
        path.push_str("\"]");
    } else {
        let _ = write!(path, "[{key:?}]");
    }
}

/// A Python value as JSON, or the first value in it JSON cannot hold. `path` names the value.
pub fn to_json(
    value: &Bound<'_, PyAny>,
    path: &mut String,
    depth: usize,
) -> Result<Value, Refused> {
    let refuse = |reason: String| Err(Refused::Because(reason));
    if depth > MAX_DEPTH {
        return refuse(format!(
            "{path} is nested more than {MAX_DEPTH} levels deep (does it contain itself?)"
        ));
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
        return match paragon_connect::serde_json::from_str::<Number>(&digits) {
            Ok(number) => Ok(Value::Number(number)),
            Err(_) => refuse(format!("{path} is an integer JSON cannot hold")),
        };
    }
    if let Ok(float) = value.cast::<PyFloat>() {
        let float = float.value();
        return match Number::from_f64(float) {
            Some(number) => Ok(Value::Number(number)),
            None => refuse(format!("{path} is {float}, which JSON cannot represent")),
        };
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut object = Map::with_capacity(dict.len());
        // A snapshot of the items: iterating the dict itself would panic (in pyo3) if converting
        // one of its values changed it (a list subclass whose `__iter__` clears its parent).
        for item in dict.items().iter() {
            let (key, item): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
            let Ok(key) = key.cast::<PyString>() else {
                return refuse(format!(
                    "{path} has a key of type {}; JSON object keys must be str",
                    type_name(&key)
                ));
            };
            let key = key.to_cow()?;
            let mark = path.len();
            push_key(path, &key);
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
            let _ = write!(path, "[{index}]");
            array.push(to_json(&item?, path, depth + 1)?);
            path.truncate(mark);
        }
        return Ok(Value::Array(array));
    }
    refuse(format!(
        "{path} is of type {}, which is not JSON (use dict, list, tuple, str, int, float, bool or None)",
        type_name(value)
    ))
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
                    big_int(py)?.call1((text,))?
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
        Response::JsonText(text) => match scanned_json(py, text) {
            Some(value) => value.unbind(),
            None => loads_json(py, text)?,
        },
        Response::Text(text) => PyString::new(py, text).into_any().unbind(),
        Response::Raw(raw) => raw_to_python(py, raw)?.unbind(),
    })
}

/// The JSON document `text` read by the `json` module's C scanner, or `None` when it would not
/// read it whole as `json.loads` does (the caller then asks `json.loads`, which gives the same
/// value or its exact error). `json.loads` costs twice the scanner's time on a small answer: it
/// checks and strips the text in Python first.
fn scanned_json<'py>(py: Python<'py>, text: &str) -> Option<Bound<'py, PyAny>> {
    static SCAN_ONCE: PyOnceLock<Option<Py<PyAny>>> = PyOnceLock::new();
    let scan_once = SCAN_ONCE.get_or_init(py, || {
        // A decoder as `json.loads` makes by default.
        let decoder = py
            .import("json")
            .ok()?
            .getattr("JSONDecoder")
            .ok()?
            .call0()
            .ok()?;
        Some(decoder.getattr("scan_once").ok()?.unbind())
    });
    // JSON's own whitespace around the document, which `json.loads` skips.
    let trimmed = text.trim_matches([' ', '\t', '\n', '\r']);
    let document = PyString::new(py, trimmed);
    let scanned = scan_once.as_ref()?.bind(py).call1((&document, 0)).ok()?;
    let (value, end): (Bound<'py, PyAny>, usize) = scanned.extract().ok()?;
    (end == document.len().ok()?).then_some(value)
}

/// `json.loads(text)`, integers longer than `int()` takes read too.
fn loads_json(py: Python<'_>, text: &str) -> PyResult<Py<PyAny>> {
    Ok(match json_loads(py)?.call1((text,)) {
        Ok(value) => value.unbind(),
        // Integers longer than `int()` takes (4300 digits since CPython 3.11): again, with
        // each integer built piece by piece (slower, so only when needed).
        Err(error) if error.is_instance_of::<pyo3::exceptions::PyValueError>(py) => {
            let keywords = pyo3::types::PyDict::new(py);
            keywords.set_item("parse_int", big_int(py)?)?;
            json_loads(py)?.call((text,), Some(&keywords))?.unbind()
        }
        Err(error) => return Err(error),
    })
}

/// `paragon_connect._types._big_int`: an integer of any size from its digits.
fn big_int(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static BIG_INT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    BIG_INT
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("paragon_connect._types")?
                    .getattr("_big_int")?
                    .unbind(),
            )
        })
        .map(|function| function.bind(py))
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
