//! OpenTelemetry, when `opentelemetry-api` is installed (it is never required): each proxy call
//! is one client span, started in the caller's context (so it is a child of the caller's current
//! span) and ended, with the GIL, when the call's result is handed back. The propagator the
//! application set (W3C `traceparent` by default) writes the span's headers, which the core sends
//! with every attempt. Name and attributes come from the core (`SpanStart`, `SpanEnd`).
//!
//! A `request_many()` is one span around the batch whose context every call sends, and each call
//! a client span under it, made as the results are handed back with the times the core recorded
//! (starting a span per call as it is sent would take the GIL on an I/O thread for each).

use std::time::{SystemTime, UNIX_EPOCH};

use paragon_connect::{
    CallRecord, Client, RequestOptions, SpanAttribute, SpanEnd, SpanStart, SpanValue, TracedMany,
};
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
    internal_kind: Py<PyAny>,
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
                internal_kind: trace.getattr("SpanKind")?.getattr("INTERNAL")?.unbind(),
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
    api(py)?;
    let (span, headers) = open(py, &client.span_start(integration_type, path, options))?;
    options.trace_headers = headers;
    Some(span)
}

/// Starts a client span `start` describes, a child of the caller's current span, and gives it
/// with its propagation headers; `None` without OpenTelemetry (or when the tracer fails).
pub fn open(py: Python<'_>, start: &SpanStart) -> Option<(CallSpan, Headers)> {
    let api = api(py)?;
    let span = reported(py, api.start_span(py, start, &api.client_kind, None))?;
    let headers = reported(
        py,
        api.context_of(py, &span)
            .and_then(|context| api.headers(py, &context)),
    )?;
    Some((CallSpan(Some(span)), headers))
}

/// The span around a `request_many()`, and the context its calls' spans are children of.
pub struct BatchSpan {
    span: CallSpan,
    context: Py<PyAny>,
    /// Whether the batch's span records (a sampled-out one has no calls' spans made under it).
    recording: bool,
}

/// Starts the span around a batch of `calls` calls at most `concurrency` at once, and gives it
/// with the propagation headers every call sends; `None` without OpenTelemetry.
pub fn start_batch(
    py: Python<'_>,
    calls: usize,
    concurrency: usize,
) -> Option<(BatchSpan, Headers)> {
    let api = api(py)?;
    let start = paragon_connect::many_span_start(calls, concurrency);
    let span = reported(py, api.start_span(py, &start, &api.internal_kind, None))?;
    let context = reported(py, api.context_of(py, &span))?;
    let headers = reported(py, api.headers(py, &context))?;
    let recording = span
        .call_method0(py, "is_recording")
        .and_then(|recording| recording.is_truthy(py))
        .unwrap_or(true);
    let batch = BatchSpan {
        span: CallSpan(Some(span)),
        context,
        recording,
    };
    Some((batch, headers))
}

impl BatchSpan {
    /// Whether the batch's span records (else its calls get no spans, and need no records).
    pub fn recording(&self) -> bool {
        self.recording
    }

    /// Makes each sent call's span under the batch's, with its recorded times, then ends the
    /// batch's span.
    pub fn end(self, py: Python<'_>, traced: &TracedMany) {
        if let Some(api) = api(py).filter(|_| self.recording) {
            for record in traced.calls.iter().flatten() {
                if let Some(span) = reported(py, api.recorded_span(py, record, &self.context)) {
                    end_at(py, span.bind(py), &record.end, Some(record.ended));
                }
            }
        }
        self.span.end(py, traced.end.clone());
    }
}

impl Api {
    /// Starts a span of `kind` now in the current context, or at a time under a parent.
    fn start_span(
        &self,
        py: Python<'_>,
        start: &SpanStart,
        kind: &Py<PyAny>,
        at: Option<(SystemTime, &Py<PyAny>)>,
    ) -> PyResult<Py<PyAny>> {
        let keywords = PyDict::new(py);
        keywords.set_item("kind", kind)?;
        keywords.set_item("attributes", attributes(py, &start.attributes)?)?;
        if let Some((time, parent)) = at {
            keywords.set_item("start_time", nanoseconds(time))?;
            keywords.set_item("context", parent)?;
        }
        self.tracer(py)?
            .call_method(py, "start_span", (start.name.as_str(),), Some(&keywords))
    }

    /// The context in which `span` is the current span.
    fn context_of(&self, py: Python<'_>, span: &Py<PyAny>) -> PyResult<Py<PyAny>> {
        self.set_span_in_context.call1(py, (span,))
    }

    /// The span of a call of a batch, started when the record says, under `parent`.
    fn recorded_span(
        &self,
        py: Python<'_>,
        record: &CallRecord,
        parent: &Py<PyAny>,
    ) -> PyResult<Py<PyAny>> {
        self.start_span(
            py,
            &record.start,
            &self.client_kind,
            Some((record.started, parent)),
        )
    }

    /// The propagation headers of `context`, as the application's propagator writes them.
    fn headers(&self, py: Python<'_>, context: &Py<PyAny>) -> PyResult<Headers> {
        let carrier = PyDict::new(py);
        let keywords = PyDict::new(py);
        keywords.set_item("context", context)?;
        self.inject.call(py, (&carrier,), Some(&keywords))?;
        carrier
            .iter()
            .map(|(name, value)| Ok((name.extract()?, value.extract()?)))
            .collect()
    }
}

/// `result`'s value, or `None` with its error reported as unraisable: a tracer that fails never
/// fails a call.
fn reported<T>(py: Python<'_>, result: PyResult<T>) -> Option<T> {
    result
        .map_err(|error| error.write_unraisable(py, None))
        .ok()
}

/// Nanoseconds since the epoch, as OpenTelemetry takes times.
fn nanoseconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64)
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
    end_at(py, span, &end, None);
}

/// The same, ending the span at `at` (now when `None`).
fn end_at(py: Python<'_>, span: &Bound<'_, PyAny>, end: &SpanEnd, at: Option<SystemTime>) {
    let ended = || -> PyResult<()> {
        span.call_method1("set_attributes", (attributes(py, &end.attributes)?,))?;
        if let (Some(description), Some(api)) = (&end.error, api(py)) {
            let status = api
                .status
                .call1(py, (&api.error_code, description.as_str()))?;
            span.call_method1("set_status", (status,))?;
        }
        match at {
            Some(time) => span.call_method1("end", (nanoseconds(time),))?,
            None => span.call_method0("end")?,
        };
        Ok(())
    };
    reported(py, ended());
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
