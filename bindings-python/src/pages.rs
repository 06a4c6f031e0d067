//! `paginate()` and `request_many()`: the arguments in the core's terms, one core call per page
//! (or one for all the calls), the results in Python's. The iterators themselves are
//! `paragon_connect._pagination.Pages` / `AsyncPages`, which drive a `PageWalk`.

use std::sync::Arc;

use paragon_connect::{
    InvalidRequestError, ManyCall, Page, PageArguments, Pages, PaginationArgument, Response,
    SpanEnd, next_page_from_json,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use crate::arguments::{CallInput, Place, json, number, text};
use crate::convert::{from_json, response_to_python, type_name};
use crate::errors::to_py_err;
use crate::logging::{Hooks, observed};
use crate::pending::pending;
use crate::runtime::wait;

/// A walk through pages for the Python iterators: `next_page()` gives `(data, items)` or `None`
/// at the end (an awaitable of it for `AsyncParagon`), `set_next()` takes what a pagination
/// function returned.
#[pyclass(module = "paragon_connect._native", frozen)]
pub struct PageWalk {
    pages: Arc<tokio::sync::Mutex<Pages>>,
    asyncio: bool,
    /// Whether each page's data is wanted: pages are given, or a function reads them.
    wants_data: bool,
    /// The client's hooks: each page waits for those of its calls, as `request()` does.
    hooks: Option<Arc<Hooks>>,
}

impl PageWalk {
    pub fn new(pages: Pages, asyncio: bool, items: bool, hooks: Option<Arc<Hooks>>) -> PageWalk {
        PageWalk {
            wants_data: !items || pages.is_custom(),
            pages: Arc::new(tokio::sync::Mutex::new(pages)),
            asyncio,
            hooks,
        }
    }
}

/// `(data, items)`: the page as `request()` gives it (`None` when only items are wanted), and its
/// items as a list (`None` when the walk gives pages).
fn page_to_python(py: Python<'_>, page: Option<Page>, wants_data: bool) -> PyResult<Py<PyAny>> {
    let Some(page) = page else {
        return Ok(py.None());
    };
    let data = match wants_data {
        true => response_to_python(py, &page.data)?,
        false => py.None(),
    };
    let items = match &page.items {
        Some(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(from_json(py, item)?)?;
            }
            list.into_any().unbind()
        }
        None => py.None(),
    };
    Ok(PyTuple::new(py, [data, items])?.into_any().unbind())
}

#[pymethods]
impl PageWalk {
    /// The next page as `(data, items)`, or `None` once the walk is over.
    fn next_page(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let pages = self.pages.clone();
        // Each page is one call, one span; a walk that is over, or a page already being
        // fetched (which this one waits for), starts none.
        let start = self
            .pages
            .try_lock()
            .ok()
            .and_then(|pages| pages.span_start());
        let (span, headers) = match start.and_then(|start| crate::tracing::open(py, &start)) {
            Some((span, headers)) => (Some(span), headers),
            None => (None, Vec::new()),
        };
        let next = observed(self.hooks.as_ref(), async move {
            pages.lock().await.next_page_traced(headers).await
        });
        let wants_data = self.wants_data;
        let finish = move |py: Python<'_>, result: paragon_connect::Result<Option<Page>>| {
            if let Some(span) = span {
                span.end(py, SpanEnd::of_page(&result));
            }
            match result {
                Ok(page) => page_to_python(py, page, wants_data),
                Err(error) => Err(to_py_err(py, error)),
            }
        };
        if self.asyncio {
            let call = pending("PageWalk.next_page", Ok(next), finish);
            return Ok(Py::new(py, call)?.into_any());
        }
        finish(py, wait(py, next)?)
    }

    /// What the pagination function returned for the last page: `None` (no more pages) or a
    /// dict with `path`, `query` and `body`.
    fn set_next(&self, next: Bound<'_, PyAny>) -> PyResult<()> {
        let next = json(Place::Argument("pagination"), &next)?;
        let next = next_page_from_json(next)
            .map_err(|error| Place::Argument("pagination").refuse(error.reason))?;
        match self.pages.try_lock() {
            Ok(mut pages) => {
                pages.set_next(next);
                Ok(())
            }
            Err(_) => Err(pyo3::exceptions::PyRuntimeError::new_err(
                "the next page is being fetched; set_next() follows next_page()",
            )),
        }
    }
}

/// `paginate()`'s own keyword arguments in the core's terms; a callable `pagination` is
/// returned for the iterator to call after each page.
pub fn page_arguments<'py>(
    pagination: Option<&Bound<'py, PyAny>>,
    items: Option<&Bound<'py, PyAny>>,
    max_pages: Option<&Bound<'py, PyAny>>,
    max_items: Option<&Bound<'py, PyAny>>,
) -> PyResult<(PageArguments, Option<Py<PyAny>>)> {
    let pagination = pagination.filter(|value| !value.is_none());
    let function = pagination
        .filter(|value| value.is_callable() && !value.is_instance_of::<PyString>())
        .map(|function| function.clone().unbind());
    let described = match (pagination, &function) {
        (None, _) => None,
        (Some(_), Some(_)) => Some(PaginationArgument::Function),
        (Some(value), None)
            if value.is_instance_of::<PyString>() || value.is_instance_of::<PyDict>() =>
        {
            Some(PaginationArgument::Described(json(
                Place::Argument("pagination"),
                value,
            )?))
        }
        (Some(value), None) => {
            return Err(Place::Argument("pagination").refuse(format!(
                "must be a preset's name (str), a dict describing the pagination, or a function, not {}",
                type_name(value)
            )));
        }
    };
    let arguments = PageArguments {
        pagination: described,
        items: text(Place::Argument("items"), items)?,
        max_pages: number(Place::Argument("max_pages"), max_pages)?,
        max_items: number(Place::Argument("max_items"), max_items)?,
    };
    Ok((arguments, function))
}

/// The keys a call of `request_many()` may have (`integration_type` and `path` first: a tuple
/// call gives them by position).
const CALL_KEYS: &[&str] = &[
    "integration_type",
    "path",
    "user",
    "method",
    "body",
    "headers",
    "query",
    "selected_credential_id",
    "raw",
    "timeout",
    "deadline",
    "max_retries",
    "idempotent",
    "form",
    "multipart",
];

/// An argument error of one call, renamed after its place in the list (`calls[3].headers`).
fn at_call(py: Python<'_>, index: usize, error: PyErr) -> PyErr {
    let refused = error
        .value(py)
        .getattr("argument")
        .and_then(|argument| argument.extract::<String>());
    let Ok(argument) = refused else {
        return error;
    };
    let message = error.value(py).to_string();
    let reason = message
        .strip_prefix(&format!("invalid request {argument}: "))
        .unwrap_or(&message)
        .to_owned();
    to_py_err(
        py,
        InvalidRequestError::new(format!("calls[{index}].{argument}"), reason).into(),
    )
}

/// One call of `request_many()`: a dict (`{"integration_type": ..., "path": ..., options}`), or
/// a tuple `(integration_type, path)` / `(integration_type, path, options)`.
fn many_call(call: &Bound<'_, PyAny>) -> PyResult<ManyCall> {
    // What the call gives, by its place in CALL_KEYS. The options are read in one pass over the
    // dict, with no Python string made per key: reading 10,000 calls key by key took longer than
    // sending them.
    let mut given: [Option<Bound<'_, PyAny>>; CALL_KEYS.len()] = Default::default();
    let options = if let Ok(tuple) = call.cast::<PyTuple>() {
        if !(2..=3).contains(&tuple.len()) {
            return Err(Place::Argument("calls").refuse(format!(
                "a tuple must be (integration_type, path) or (integration_type, path, options), not {} items",
                tuple.len()
            )));
        }
        given[0] = Some(tuple.get_item(0)?);
        given[1] = Some(tuple.get_item(1)?);
        match tuple.get_item(2) {
            Ok(more) => Some(
                more.cast::<PyDict>()
                    .map_err(|_| {
                        Place::Argument("options")
                            .refuse(format!("must be a dict, not {}", type_name(&more)))
                    })?
                    .clone(),
            ),
            Err(_) => None,
        }
    } else if let Ok(dict) = call.cast::<PyDict>() {
        Some(dict.clone())
    } else {
        return Err(Place::Argument("calls").refuse(format!(
            "each call must be a dict or a tuple (integration_type, path[, options]), not {}",
            type_name(call)
        )));
    };
    let from_tuple = given[0].is_some();
    for (key, value) in options.iter().flat_map(|options| options.iter()) {
        let slot = key
            .cast::<PyString>()
            .ok()
            .and_then(|key| key.to_cow().ok())
            .and_then(|key| CALL_KEYS.iter().position(|known| *known == key));
        match slot {
            Some(slot @ (0 | 1)) if from_tuple => {
                return Err(Place::Argument("calls").refuse(format!(
                    "a tuple call gives {} first; its options must not give it again",
                    CALL_KEYS[slot]
                )));
            }
            Some(slot) => given[slot] = Some(value),
            None => {
                let key = key.str()?.to_cow()?.into_owned();
                return Err(Place::Argument("calls").refuse(format!(
                    "{key:?} is not an option of a call (its options: {})",
                    CALL_KEYS.join(", ")
                )));
            }
        }
    }
    let get = |key: &str| {
        let slot = CALL_KEYS.iter().position(|known| *known == key);
        slot.and_then(|slot| given[slot].as_ref())
    };
    let required = |key: &'static str| {
        text(Place::Argument(key), get(key))?
            .ok_or_else(|| Place::Argument(key).refuse("is missing"))
    };
    let request_options = CallInput {
        method: get("method"),
        body: get("body"),
        headers: get("headers"),
        query: get("query"),
        selected_credential_id: get("selected_credential_id"),
        raw: get("raw"),
        timeout: get("timeout"),
        deadline: get("deadline"),
        max_retries: get("max_retries"),
        idempotent: get("idempotent"),
        form: get("form"),
        multipart: get("multipart"),
    }
    .options()?;
    Ok(ManyCall {
        integration_type: required("integration_type")?,
        path: required("path")?,
        options: request_options,
        user: text(Place::Argument("user"), get("user"))?,
    })
}

/// The calls of `request_many()`, each checked (an error names the call's index).
pub fn many_calls(calls: &Bound<'_, PyAny>) -> PyResult<Vec<ManyCall>> {
    let py = calls.py();
    if calls.is_instance_of::<PyString>() || calls.is_instance_of::<PyDict>() {
        return Err(Place::Argument("calls").refuse(format!(
            "must be a list (or any iterable) of calls, not {}",
            type_name(calls)
        )));
    }
    let iterator = calls.try_iter().map_err(|_| {
        Place::Argument("calls")
            .refuse(format!("must be a list of calls, not {}", type_name(calls)))
    })?;
    let mut many = Vec::with_capacity(calls.len().unwrap_or(0));
    for (index, call) in iterator.enumerate() {
        many.push(many_call(&call?).map_err(|error| at_call(py, index, error))?);
    }
    Ok(many)
}

/// `request_many()`'s result: a list with each call's value or exception, in order.
pub fn many_to_python(
    py: Python<'_>,
    results: paragon_connect::Result<Vec<paragon_connect::Result<Response>>>,
) -> PyResult<Py<PyAny>> {
    let results = results.map_err(|error| to_py_err(py, error))?;
    let list = PyList::empty(py);
    for result in results {
        match result {
            Ok(response) => list.append(response_to_python(py, &response)?)?,
            Err(error) => list.append(to_py_err(py, error).into_value(py))?,
        }
    }
    Ok(list.into_any().unbind())
}

/// The `concurrency` and `stop_on_error` of `request_many()`.
pub fn many_options(
    concurrency: Option<&Bound<'_, PyAny>>,
    stop_on_error: Option<&Bound<'_, PyAny>>,
) -> PyResult<(usize, bool)> {
    let concurrency = number(Place::Argument("concurrency"), concurrency)?;
    let concurrency = paragon_connect::concurrency(concurrency)
        .map_err(|error| Place::Argument("concurrency").refuse(error.reason))?;
    let stop = crate::arguments::flag(Place::Argument("stop_on_error"), stop_on_error)?;
    Ok((concurrency, stop.unwrap_or(false)))
}
