//! The core's errors as the exception classes of `paragon_connect.errors` (defined in Python so
//! they form one tree, subclass the builtins they mean, and pickle).

use paragon_connect::Error;
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
    let message = error.to_string();
    let attributes = PyDict::new(py);
    let filled = fill(py, &error, &attributes);
    let class = error.class_name();
    match filled {
        Ok(()) => exception(py, class, message, attributes),
        Err(conversion) => conversion,
    }
}

/// The attributes each class carries.
fn fill(py: Python<'_>, error: &Error, attributes: &Bound<'_, PyDict>) -> PyResult<()> {
    let call = match error {
        Error::Config(config) => {
            attributes.set_item("setting", config.setting)?;
            return Ok(());
        }
        Error::InvalidRequest(invalid) => {
            attributes.set_item("argument", invalid.argument)?;
            return Ok(());
        }
        Error::Connection(connection) => &connection.call,
        Error::Timeout(timeout) => {
            attributes.set_item("timeout", timeout.after.as_secs_f64())?;
            &timeout.call
        }
        Error::Decode(decode) => {
            attributes.set_item("status", decode.status.as_u16())?;
            &decode.call
        }
        Error::Status(status) => {
            attributes.set_item("status", status.status.as_u16())?;
            attributes.set_item("code", status.code.as_deref())?;
            attributes.set_item("message", &status.message)?;
            let body = match &status.body_json {
                Some(json) => from_json(py, json)?,
                None if status.body.is_empty() => py.None().into_bound(py),
                None => String::from_utf8_lossy(&status.body)
                    .into_pyobject(py)?
                    .into_any(),
            };
            attributes.set_item("body", body)?;
            attributes.set_item("content", PyBytes::new(py, &status.body))?;
            attributes.set_item("headers", headers_to_python(py, &status.headers)?)?;
            attributes.set_item("request_id", status.request_id.as_deref())?;
            attributes.set_item(
                "retry_after",
                status.retry_after.map(|after| after.as_secs_f64()),
            )?;
            attributes.set_item("is_integration_error", status.is_integration_error)?;
            &status.call
        }
    };
    attributes.set_item("attempts", call.attempts())?;
    attributes.set_item("method", call.method.as_str())?;
    attributes.set_item("integration_type", &call.integration_type)?;
    attributes.set_item("path", &call.path)?;
    Ok(())
}
