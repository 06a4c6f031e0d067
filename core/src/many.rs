//! Many calls at once ([`Client::request_many`]): at most N in flight, the results in the order
//! the calls were given, each its own value or error.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use tokio::task::JoinSet;

use crate::client::{Client, PreparedRequest};
use crate::error::{Error, InvalidRequestError, Result};
use crate::request::RequestOptions;
use crate::response::Response;
use crate::trace::{SpanEnd, SpanStart, SpanValue};

/// How many calls `request_many` runs at once unless told.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// The most calls `request_many` runs at once.
pub const MOST_CONCURRENCY: u64 = 10_000;

/// `concurrency` as a language gives it (`None`: [`DEFAULT_CONCURRENCY`]), or why it is not one.
pub fn concurrency(value: Option<f64>) -> Result<usize, InvalidRequestError> {
    match value {
        None => Ok(DEFAULT_CONCURRENCY),
        Some(value) => crate::arguments::whole_number(value, 1, MOST_CONCURRENCY)
            .map(|value| value as usize)
            .map_err(|reason| InvalidRequestError::new("concurrency", reason)),
    }
}

/// One call of [`Client::request_many`]: what [`Client::request`] takes, and optionally the user
/// it is made for (a signing-key client signs a token per user).
#[derive(Debug, Clone, Default)]
pub struct ManyCall {
    pub integration_type: String,
    pub path: String,
    pub options: RequestOptions,
    pub user: Option<String>,
}

/// What a traced [`Client::request_many_traced`] recorded of one call it sent, for the call's
/// span: the bindings make the span when the results are handed back, with these times.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub start: SpanStart,
    pub started: SystemTime,
    pub ended: SystemTime,
    pub end: SpanEnd,
}

/// What [`Client::request_many_traced`] gives: the results as [`Client::request_many`] gives
/// them, each sent call's record (in the order of the calls; `None` for one never sent, none at
/// all for a batch refused before anything was sent), and what the span around the whole batch
/// gets as it ends.
#[derive(Debug)]
pub struct TracedMany {
    pub results: Result<Vec<Result<Response>>>,
    pub calls: Vec<Option<CallRecord>>,
    pub end: SpanEnd,
}

/// The span around a whole `request_many`: `request_many`, with how many calls and how many at
/// once. Each call's own client span is its child.
pub fn many_span_start(calls: usize, concurrency: usize) -> SpanStart {
    SpanStart {
        name: "request_many".to_owned(),
        attributes: vec![
            ("paragon.calls", SpanValue::Int(calls as i64)),
            ("paragon.concurrency", SpanValue::Int(concurrency as i64)),
        ],
    }
}

impl Client {
    /// Makes every call with at most `concurrency` in flight and gives each result in the order
    /// of `calls`: a failed call does not stop or hide the others. With `stop_on_error`, the
    /// first failure is returned instead, the calls in flight are dropped and the rest are not
    /// sent. Every call is checked before any is sent; a bad one is refused naming its index
    /// (`calls[3].path`). Dropping the future stops every call.
    pub async fn request_many(
        &self,
        calls: Vec<ManyCall>,
        concurrency: usize,
        stop_on_error: bool,
    ) -> Result<Vec<Result<Response>>> {
        self.run_many(calls, concurrency, stop_on_error, None)
            .await
            .0
    }

    /// [`Client::request_many`], every call sending `trace_headers` (the propagation headers of
    /// the batch's span) and, with `record_calls`, recorded for its own span: when it started
    /// and ended, and how. A batch whose span records nothing (sampled out, or a tracing API
    /// without an SDK) has no calls' spans to make: `record_calls` false spares the work.
    pub async fn request_many_traced(
        &self,
        calls: Vec<ManyCall>,
        concurrency: usize,
        stop_on_error: bool,
        trace_headers: Vec<(String, String)>,
        record_calls: bool,
    ) -> TracedMany {
        let tracing = Tracing {
            headers: trace_headers,
            record_calls,
        };
        let (results, calls) = self
            .run_many(calls, concurrency, stop_on_error, Some(tracing))
            .await;
        let end = match &results {
            Ok(results) => SpanEnd {
                attributes: vec![(
                    "paragon.failed",
                    SpanValue::Int(results.iter().filter(|result| result.is_err()).count() as i64),
                )],
                error: None,
            },
            Err(error) => SpanEnd::failed(error),
        };
        TracedMany {
            results,
            calls,
            end,
        }
    }

    /// Runs the batch as a task of its own: its bookkeeping (a wake and a step per call that
    /// ends) stays on the I/O threads, not on a thread that blocks on it (Python's sync client
    /// waits on its calls' futures itself, which cost that thread a wake-up per call). Dropping
    /// the future aborts the task, and with it every call.
    async fn run_many(
        &self,
        calls: Vec<ManyCall>,
        concurrency: usize,
        stop_on_error: bool,
        tracing: Option<Tracing>,
    ) -> (Result<Vec<Result<Response>>>, Vec<Option<CallRecord>>) {
        let client = self.clone();
        let batch = AbortOnDrop(tokio::spawn(async move {
            client
                .run_batch(calls, concurrency, stop_on_error, tracing)
                .await
        }));
        match batch.await {
            Ok(done) => done,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(error) => unreachable!("the batch's task is aborted only when dropped: {error}"),
        }
    }

    async fn run_batch(
        &self,
        calls: Vec<ManyCall>,
        concurrency: usize,
        stop_on_error: bool,
        tracing: Option<Tracing>,
    ) -> (Result<Vec<Result<Response>>>, Vec<Option<CallRecord>>) {
        if concurrency == 0 || concurrency as u64 > MOST_CONCURRENCY {
            let refused = InvalidRequestError::new(
                "concurrency",
                format!("must be a whole number from 1 to {MOST_CONCURRENCY}, not {concurrency}"),
            );
            return (Err(refused.into()), Vec::new());
        }
        let (headers, record_calls) = match tracing {
            Some(tracing) => (tracing.headers, tracing.record_calls),
            None => (Vec::new(), false),
        };
        let mut recorder = record_calls.then(Recorder::default);
        let mut prepared = Vec::with_capacity(calls.len());
        for (index, mut call) in calls.into_iter().enumerate() {
            let at = |error: Error| match error {
                Error::InvalidRequest(invalid) => Error::InvalidRequest(InvalidRequestError::new(
                    format!("calls[{index}].{}", invalid.argument),
                    invalid.reason,
                )),
                other => other,
            };
            let client = match &call.user {
                Some(user) => match self.user(user.clone()) {
                    Ok(client) => client,
                    Err(error) => return (Err(at(error)), Vec::new()),
                },
                None => self.clone(),
            };
            if let Some(recorder) = &mut recorder {
                let start = client.span_start(&call.integration_type, &call.path, &call.options);
                recorder.starts.push(Some(start));
            }
            if !headers.is_empty() {
                call.options.trace_headers = headers.clone();
            }
            match client.prepare(&call.integration_type, &call.path, call.options) {
                Ok(request) => prepared.push((client, request)),
                Err(error) => return (Err(at(error)), Vec::new()),
            }
        }
        let total = prepared.len();
        if let Some(recorder) = &mut recorder {
            recorder.ready();
        }
        let batch = Arc::new(Batch {
            waiting: Mutex::new(prepared.into_iter().enumerate()),
            results: Mutex::new((0..total).map(|_| None).collect()),
            recorder: recorder.map(Mutex::new),
            stopped: AtomicBool::new(false),
        });
        // `concurrency` workers, each sending one call after another from the shared queue: a
        // task per worker, not per call, and the workers spread over the I/O threads. Dropping
        // the set aborts them, and with them every call in flight.
        let mut workers = JoinSet::new();
        for _ in 0..concurrency.min(total) {
            workers.spawn(batch.clone().work(stop_on_error));
        }
        while let Some(joined) = workers.join_next().await {
            match joined {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    // The calls still in flight are dropped with the workers: their spans say so.
                    workers.shutdown().await;
                    let records = batch
                        .recorder
                        .as_ref()
                        .map(|recorder| std::mem::take(&mut *lock(recorder)).cancel_running())
                        .unwrap_or_default();
                    return (Err(error), records);
                }
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(error) => {
                    unreachable!("no worker is aborted while the set is held: {error}")
                }
            }
        }
        let results = std::mem::take(&mut *lock(&batch.results))
            .into_iter()
            .map(|result| result.expect("every call ran"))
            .collect();
        let records = batch
            .recorder
            .as_ref()
            .map(|recorder| std::mem::take(&mut *lock(recorder)).records)
            .unwrap_or_default();
        (Ok(results), records)
    }
}

/// What a traced batch sends and records.
struct Tracing {
    /// The batch span's propagation headers, sent by every call.
    headers: Vec<(String, String)>,
    /// Whether each call is recorded for a span of its own.
    record_calls: bool,
}

/// A batch's calls as its workers share them.
struct Batch {
    /// The calls not sent yet, in the order given.
    waiting: Mutex<std::iter::Enumerate<std::vec::IntoIter<(Client, PreparedRequest)>>>,
    results: Mutex<Vec<Option<Result<Response>>>>,
    recorder: Option<Mutex<Recorder>>,
    /// Set at the first failure of a batch that stops at it: no worker takes another call.
    stopped: AtomicBool,
}

impl Batch {
    /// Sends the waiting calls one after another until none is left; with `stop_on_error`, gives
    /// back the first failure instead of recording it.
    async fn work(self: Arc<Batch>, stop_on_error: bool) -> Result<()> {
        loop {
            if self.stopped.load(Ordering::Relaxed) {
                return Ok(());
            }
            let Some((index, (client, request))) = lock(&self.waiting).next() else {
                return Ok(());
            };
            let result = match &self.recorder {
                None => client.send(request).await,
                Some(recorder) => {
                    lock(recorder).began(index);
                    let answer = client.send_with_meta(request).await;
                    let end = match &answer {
                        Ok((_, meta)) => SpanEnd::of_meta(meta),
                        Err(error) => SpanEnd::failed(error),
                    };
                    lock(recorder).ended(index, end);
                    answer.map(|(response, _)| response)
                }
            };
            match result {
                Err(error) if stop_on_error => {
                    self.stopped.store(true, Ordering::Relaxed);
                    return Err(error);
                }
                result => lock(&self.results)[index] = Some(result),
            }
        }
    }
}

/// `mutex`'s guard; a worker that panicked while holding it left nothing half-written.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The spans of a traced batch as its calls start and end, by the calls' index.
#[derive(Default)]
struct Recorder {
    /// Each call's span start, taken as the call ends.
    starts: Vec<Option<SpanStart>>,
    /// When each call in flight was sent.
    started: Vec<Option<SystemTime>>,
    records: Vec<Option<CallRecord>>,
}

impl Recorder {
    /// Sized for the calls whose span starts were pushed.
    fn ready(&mut self) {
        self.started = vec![None; self.starts.len()];
        self.records = (0..self.starts.len()).map(|_| None).collect();
    }

    fn began(&mut self, index: usize) {
        self.started[index] = Some(SystemTime::now());
    }

    fn ended(&mut self, index: usize, end: SpanEnd) {
        if let (Some(start), Some(started)) = (self.starts[index].take(), self.started[index]) {
            self.records[index] = Some(CallRecord {
                start,
                started,
                ended: SystemTime::now(),
                end,
            });
        }
    }

    /// The records, each call still in flight ended as cancelled.
    fn cancel_running(mut self) -> Vec<Option<CallRecord>> {
        for index in 0..self.started.len() {
            if self.started[index].is_some() && self.starts[index].is_some() {
                self.ended(index, SpanEnd::cancelled());
            }
        }
        self.records
    }
}

/// A task that is aborted when its handle is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> std::future::Future for AbortOnDrop<T> {
    type Output = std::result::Result<T, tokio::task::JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(context)
    }
}
