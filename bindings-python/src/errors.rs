//! The core's errors as the exception classes of `paragon_connect.errors` (defined in Python so
//! they form one tree, subclass the builtins they mean, and pickle). The class and its attributes
//! come from the core's description; this file only turns each value into Python's type for it.

use paragon_connect::{AttributeValue, ERROR_CLASSES, Error, class_attributes};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyModule};

use crate::convert::{from_json, headers_to_python};

static ERRORS: pyo3::sync::PyOnceLock<Py<PyModule>> = pyo3::sync::PyOnceLock::new();

/// An exception of class `name` in `paragon_connect.errors`, with `attributes` set on it.
fn exception(py: Python<'_>, name: &str, message: String, attributes: Bound<'_, PyDict>) -> PyErr {
    let built = ERRORS
        .get_or_try_init(py, || {
            py.import("paragon_connect.errors").map(Bound::unbind)
        })
        .and_then(|module| module.bind(py).getattr(name))
        .and_then(|class| class.call((message,), Some(&attributes)));
    match built {
        Ok(instance) => PyErr::from_value(instance),
        Err(error) => error,
    }
}

/// An exception for a failure of the binding itself (a task that panicked, a runtime that would
/// not start): the base `ParagonError`, never a crash.
pub fn internal_error(message: String) -> PyErr {
    Python::attach(|py| exception(py, "ParagonError", message, PyDict::new(py)))
}

/// The exception for a core error, of the class the core names for it.
pub fn to_py_err(py: Python<'_>, error: Error) -> PyErr {
    let attributes = PyDict::new(py);
    let filled = error.attributes().into_iter().try_for_each(|attribute| {
        attributes.set_item(attribute.name, attribute_value(py, attribute.value)?)
    });
    match filled {
        Ok(()) => exception(py, error.class_name(), error.to_string(), attributes),
        Err(conversion) => conversion,
    }
}

/// One attribute value as Python's type for it: durations in seconds.
fn attribute_value<'py>(py: Python<'py>, value: AttributeValue<'_>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        AttributeValue::Text(text) => text.into_pyobject(py)?.into_any(),
        AttributeValue::Integer(number) => number.into_pyobject(py)?.into_any(),
        AttributeValue::Bool(flag) => flag.into_pyobject(py)?.to_owned().into_any(),
        AttributeValue::Duration(duration) => duration.as_secs_f64().into_pyobject(py)?.into_any(),
        AttributeValue::Json(json) => from_json(py, json)?,
        AttributeValue::Bytes(bytes) => PyBytes::new(py, bytes).into_any(),
        AttributeValue::Headers(headers) => headers_to_python(py, headers)?,
        AttributeValue::Missing => py.None().into_bound(py),
    })
}

/// `(name, parent, attributes)` of every exception class, from the core's table (the tests check
/// `errors.py` and the stubs against it).
#[pyfunction]
pub fn error_classes() -> Vec<(&'static str, Option<&'static str>, Vec<&'static str>)> {
    ERROR_CLASSES
        .iter()
        .map(|class| (class.name, class.parent, class_attributes(class)))
        .collect()
}
