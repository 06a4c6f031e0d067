//! OpenTelemetry, when `opentelemetry-api` is installed (it is never required): each proxy call
//! is one client span, started in the caller's context (so it is a child of the caller's current
//! span) and ended, with the GIL, when the call's result is handed back. The propagator the
//! application set (W3C `traceparent` by default) writes the span's headers, which the core sends
//! with every attempt. Name and attributes come from the core (`SpanStart`, `SpanEnd`).

use paragon_connect::{Client, RequestOptions, SpanAttribute, SpanEnd, SpanValue};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

/// The parts of the OpenTelemetry API a call uses, looked up once.
struct Api {
    get_tracer_provider: Py<PyAny>,
    /// The tracer, and the provider it came from: a provider set (or replaced, as tests do)
    /// after the first call is used from the next call on.
    tracer: std::sync::Mutex<Option<(Py<PyAny>, Py<PyAny>)>>,
    client_kind: Py<PyAny>,
    set_span_in_context: Py<PyAny>,
    inject: Py<PyAny>,
    status: Py<PyAny>,
    error_code: Py<PyAny>,
}

/// The API, or `None` when it is not installed or the application turned this instrumentation
/// off (`paragon_connect` in `OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`).
fn api(py: Python<'_>) -> Option<&Api> {
    static API: PyOnceLock<Option<Api>> = PyOnceLock::new();
    API.get_or_init(py, || {
        let disabled = std::env::var("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS").unwrap_or_default();
        if disabled
            .split(',')
            .any(|name| matches!(name.trim(), "paragon_connect" | "paragon-connect"))
        {
            return None;
        }
        let load = || -> PyResult<Api> {
            let trace = py.import("opentelemetry.trace")?;
            let propagate = py.import("opentelemetry.propagate")?;
            Ok(Api {
                get_tracer_provider: trace.getattr("get_tracer_provider")?.unbind(),
                tracer: std::sync::Mutex::new(None),
                client_kind: trace.getattr("SpanKind")?.getattr("CLIENT")?.unbind(),
                set_span_in_context: trace.getattr("set_span_in_context")?.unbind(),
                inject: propagate.getattr("inject")?.unbind(),
                status: trace.getattr("Status")?.unbind(),
                error_code: trace.getattr("StatusCode")?.getattr("ERROR")?.unbind(),
            })
        };
        load().ok()
    })
    .as_ref()
}

impl Api {
    /// This package's tracer from the current tracer provider.
    fn tracer(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let provider = self.get_tracer_provider.call0(py)?;
        // Never held across Python code, which may let another thread take the GIL.
        let cached = || {
            self.tracer
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if let Some((from, tracer)) = cached().as_ref()
            && from.is(&provider)
        {
            return Ok(tracer.clone_ref(py));
        }
        let tracer = provider.call_method1(
            py,
            "get_tracer",
            ("paragon_connect", paragon_connect::VERSION),
        )?;
        *cached() = Some((provider, tracer.clone_ref(py)));
        Ok(tracer)
    }
}

/// Header `(name, value)` pairs.
type Headers = Vec<(String, String)>;

/// A call's open span; [`CallSpan::end`] ends it. One dropped unended (its call was cancelled)
/// is ended as cancelled, on the events thread: it may be dropped where Python must not run.
pub struct CallSpan(Option<Py<PyAny>>);

impl Drop for CallSpan {
    fn drop(&mut self) {
        if let Some(span) = self.0.take() {
            crate::logging::later(move |py| end(py, span.bind(py), SpanEnd::cancelled()));
        }
    }
}

/// Starts the span of the proxy call `(integration_type, path, options)` and puts its
/// propagation headers into `options`; `None` without OpenTelemetry. A tracer that fails is
/// reported as unraisable and the call goes on untraced.
pub fn start(
    py: Python<'_>,
    client: &Client,
    integration_type: &str,
    path: &str,
    options: &mut RequestOptions,
) -> Option<CallSpan> {
    let api = api(py)?;
    let start = client.span_start(integration_type, path, options);
    let started = || -> PyResult<(Py<PyAny>, Headers)> {
        let keywords = PyDict::new(py);
        keywords.set_item("kind", &api.client_kind)?;
        keywords.set_item("attributes", attributes(py, &start.attributes)?)?;
        let span = api.tracer(py)?.call_method(
            py,
            "start_span",
            (start.name.as_str(),),
            Some(&keywords),
        )?;
        let context = api.set_span_in_context.call1(py, (&span,))?;
        let carrier = PyDict::new(py);
        let keywords = PyDict::new(py);
        keywords.set_item("context", context)?;
        api.inject.call(py, (&carrier,), Some(&keywords))?;
        let headers = carrier
            .iter()
            .map(|(name, value)| Ok((name.extract()?, value.extract()?)))
            .collect::<PyResult<_>>()?;
        Ok((span, headers))
    };
    match started() {
        Ok((span, headers)) => {
            options.trace_headers = headers;
            Some(CallSpan(Some(span)))
        }
        Err(error) => {
            error.write_unraisable(py, None);
            None
        }
    }
}

impl CallSpan {
    /// Ends the span with what the call's result says (`SpanEnd`), with the GIL.
    pub fn end(mut self, py: Python<'_>, ended: SpanEnd) {
        if let Some(span) = self.0.take() {
            end(py, span.bind(py), ended);
        }
    }
}

/// Puts `end` on the span and ends it; a tracer that fails is reported as unraisable.
fn end(py: Python<'_>, span: &Bound<'_, PyAny>, end: SpanEnd) {
    let ended = || -> PyResult<()> {
        span.call_method1("set_attributes", (attributes(py, &end.attributes)?,))?;
        if let (Some(description), Some(api)) = (&end.error, api(py)) {
            let status = api
                .status
                .call1(py, (&api.error_code, description.as_str()))?;
            span.call_method1("set_status", (status,))?;
        }
        span.call_method0("end")?;
        Ok(())
    };
    if let Err(error) = ended() {
        error.write_unraisable(py, None);
    }
}

fn attributes<'py>(py: Python<'py>, given: &[SpanAttribute]) -> PyResult<Bound<'py, PyDict>> {
    let attributes = PyDict::new(py);
    for (name, value) in given {
        match value {
            SpanValue::Text(text) => attributes.set_item(name, text)?,
            SpanValue::Int(number) => attributes.set_item(name, number)?,
        }
    }
    Ok(attributes)
}
