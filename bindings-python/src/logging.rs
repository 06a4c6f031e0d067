//! Call events into Python's `logging` and a client's hooks: records on the logger
//! `paragon_connect` (DEBUG for each attempt, WARNING for a retry and for giving up), the event's
//! fields in `extra` as `paragon_*` attributes; `on_request(RequestEvent)` as each attempt is
//! sent and `on_response(ResponseEvent)` as it is answered. The core hands events over on its I/O
//! threads; they are queued to one thread that takes the GIL and runs the handlers and hooks in
//! order, so none of the application's code runs on an I/O thread, and no event is made that
//! nobody wants. A call of a client with hooks returns only once its hooks have run.

use std::future::Future;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};

use paragon_connect::{CallEvent, EventKind, EventSink, Level};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

/// Events waiting for the logging thread at most; a handler that blocks costs no more memory.
const MAX_QUEUED: usize = 10_000;

const DEBUG_AND_UP: u8 = 0;
const WARNINGS_ONLY: u8 = 1;
const NOTHING: u8 = 2;

/// The one sink every Python client shares.
pub struct PythonLogging {
    least: AtomicU8,
    /// Events dropped because the queue was full (reported on the next record written).
    dropped: AtomicU64,
    /// The queue to the logging thread, and the process that started it (a forked child has no
    /// such thread and starts its own).
    queue: Mutex<Option<(u64, SyncSender<Job>)>>,
}

/// What the logging thread does, in order.
enum Job {
    Log(CallEvent),
    Hook(Arc<Py<PyAny>>, CallEvent),
    /// Python code that must not run where it was asked for (an I/O thread).
    Later(Box<dyn FnOnce(Python<'_>) + Send>),
    /// Every job queued before has been done.
    Flush(tokio::sync::oneshot::Sender<()>),
}

const THREAD_NAME: &str = "paragon-connect-events";

fn shared() -> &'static Arc<PythonLogging> {
    static SINK: OnceLock<Arc<PythonLogging>> = OnceLock::new();
    SINK.get_or_init(|| {
        Arc::new(PythonLogging {
            least: AtomicU8::new(NOTHING),
            dropped: AtomicU64::new(0),
            queue: Mutex::new(None),
        })
    })
}

/// The sink to give the core, its level read now.
pub fn sink(py: Python<'_>) -> Arc<dyn EventSink> {
    refresh(py);
    shared().clone()
}

/// Reads the logger's level (see [`PythonLogging::refresh`]).
pub fn refresh(py: Python<'_>) {
    shared().refresh(py);
}

impl PythonLogging {
    /// Reads the logger's level (`isEnabledFor`, which `logging` caches): called with the GIL
    /// at the start of each call, so a level set at run time applies to the next call.
    pub fn refresh(&self, py: Python<'_>) {
        static IS_ENABLED_FOR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        // The bound method, looked up once: this runs on every call.
        let is_enabled_for = IS_ENABLED_FOR.get_or_try_init(py, || {
            logger(py).and_then(|logger| Ok(logger.getattr("isEnabledFor")?.unbind()))
        });
        let enabled = |level: u8| -> bool {
            is_enabled_for
                .as_ref()
                .map_err(|error| error.clone_ref(py))
                .and_then(|method| method.bind(py).call1((level,)))
                .and_then(|enabled| enabled.is_truthy())
                .unwrap_or(false)
        };
        let least = if enabled(10) {
            DEBUG_AND_UP
        } else if enabled(30) {
            WARNINGS_ONLY
        } else {
            NOTHING
        };
        self.least.store(least, Ordering::Relaxed);
    }

    /// The queue to the logging thread, started on first use.
    fn queue(&self) -> Option<SyncSender<Job>> {
        let process = crate::forks::generation();
        let mut queue = self
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if queue
            .as_ref()
            .is_none_or(|(started_by, _)| *started_by != process)
        {
            let (sender, receiver) = sync_channel::<Job>(MAX_QUEUED);
            let started = std::thread::Builder::new()
                .name(THREAD_NAME.to_owned())
                .spawn(move || {
                    while let Ok(job) = receiver.recv() {
                        if let Job::Flush(done) = job {
                            let _ = done.send(());
                            continue;
                        }
                        let dropped = shared().dropped.swap(0, Ordering::Relaxed);
                        // None while the interpreter shuts down: the event is dropped.
                        let _ = Python::try_attach(|py| {
                            if dropped > 0 {
                                log_dropped(py, dropped);
                            }
                            match job {
                                Job::Log(event) => log(py, &event),
                                Job::Hook(hook, event) => call_hook(py, &hook, &event),
                                Job::Later(run) => run(py),
                                Job::Flush(_) => {}
                            }
                        });
                    }
                });
            *queue = started.ok().map(|_| (process, sender));
        }
        queue.as_ref().map(|(_, sender)| sender.clone())
    }

    /// Queues `job`; never waits (this runs on I/O threads): past MAX_QUEUED (a handler or hook
    /// that blocks), the job is dropped and counted.
    fn push(&self, job: Job) {
        if let Some(queue) = self.queue()
            && let Err(TrySendError::Full(_)) = queue.try_send(job)
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl EventSink for PythonLogging {
    fn wants(&self, level: Level) -> bool {
        let least = self.least.load(Ordering::Relaxed);
        match level {
            Level::Debug => least == DEBUG_AND_UP,
            Level::Warning => least <= WARNINGS_ONLY,
        }
    }

    fn event(&self, event: CallEvent) {
        self.push(Job::Log(event));
    }
}

/// Runs `run` on the events thread, in order with the events: for Python code that a thread
/// without the GIL (an I/O thread) needs done.
pub fn later(run: impl FnOnce(Python<'_>) + Send + 'static) {
    shared().push(Job::Later(Box::new(run)));
}

/// A client's `on_request` and `on_response`.
pub struct Hooks {
    // In an `Arc` so that an I/O thread can queue a hook without the GIL.
    on_request: Option<Arc<Py<PyAny>>>,
    on_response: Option<Arc<Py<PyAny>>>,
}

impl Hooks {
    /// The hooks given, each checked to be a plain function; `None` when neither is.
    pub fn new(
        on_request: Option<&Bound<'_, PyAny>>,
        on_response: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Arc<Hooks>>> {
        let hook = |name: &'static str, given: Option<&Bound<'_, PyAny>>| -> PyResult<_> {
            let Some(hook) = given.filter(|hook| !hook.is_none()) else {
                return Ok(None);
            };
            let place = crate::arguments::Place::Setting(name);
            if !hook.is_callable() {
                return Err(place.refuse(format!(
                    "must be a function taking one event, not {}",
                    crate::convert::type_name(hook)
                )));
            }
            let inspect = hook.py().import("inspect")?;
            if inspect
                .call_method1("iscoroutinefunction", (hook,))?
                .is_truthy()?
            {
                return Err(place.refuse(
                    "must be a plain function, not a coroutine function: hooks run on the SDK's \
                     events thread, where nothing would await it",
                ));
            }
            Ok(Some(Arc::new(hook.clone().unbind())))
        };
        let on_request = hook("on_request", on_request)?;
        let on_response = hook("on_response", on_response)?;
        Ok((on_request.is_some() || on_response.is_some()).then(|| {
            Arc::new(Hooks {
                on_request,
                on_response,
            })
        }))
    }

    /// What a call of this client waits for before returning: the hooks of its events. `None`
    /// on the events thread itself (a hook making a call), which would wait for itself.
    pub fn flush(&self) -> Option<Flush> {
        let on_events_thread = std::thread::current().name() == Some(THREAD_NAME);
        (!on_events_thread).then_some(Flush)
    }
}

/// `call`, then (for a client with hooks) the wait until its hooks have run, so that they have
/// all run when the call (or the page) is given to the caller.
pub fn observed<T: Send + 'static>(
    hooks: Option<&Arc<Hooks>>,
    call: impl Future<Output = T> + Send + 'static,
) -> impl Future<Output = T> + Send + 'static {
    let flush = hooks.and_then(|hooks| hooks.flush());
    // Boxed before it is wrapped (see `pending`): the wrapper then holds a pointer, not the call.
    let call = Box::pin(call);
    async move {
        let result = call.await;
        if let Some(flush) = flush {
            flush.wait().await;
        }
        result
    }
}

/// The hooks queued so far, to wait for (see [`Hooks::flush`]).
pub struct Flush;

/// The longest a call waits for its hooks: a hook (or logging handler) that blocks delays its
/// calls by this much at most, never hangs them; the hooks still run, later.
const MOST_HOOK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

impl Flush {
    /// Resolves once every event queued before has been delivered, or after [`MOST_HOOK_WAIT`].
    pub async fn wait(self) {
        let (done, flushed) = tokio::sync::oneshot::channel();
        shared().push(Job::Flush(done));
        // Closed without an answer: the thread is gone (shutdown, fork), nothing to wait for.
        let _ = tokio::time::timeout(MOST_HOOK_WAIT, flushed).await;
    }
}

/// The sink of a client with hooks: its events go to its hooks and, as for every client, to
/// `logging`.
pub struct HookedSink(pub Arc<Hooks>);

impl EventSink for HookedSink {
    fn wants(&self, level: Level) -> bool {
        // Attempts are sent and answered at debug level.
        level == Level::Debug || shared().wants(level)
    }

    fn event(&self, event: CallEvent) {
        let hook = match event.kind {
            EventKind::Sending => self.0.on_request.as_ref(),
            EventKind::Answered => self.0.on_response.as_ref(),
            EventKind::Retrying | EventKind::GaveUp => None,
        };
        let hook = hook.cloned();
        if shared().wants(event.level) {
            shared().push(Job::Log(event.clone()));
        }
        if let Some(hook) = hook {
            shared().push(Job::Hook(hook, event));
        }
    }
}

/// `logging.getLogger("paragon_connect")`.
fn logger(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    LOGGER
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("logging")?
                    .call_method1("getLogger", ("paragon_connect",))?
                    .unbind(),
            )
        })
        .map(|logger| logger.bind(py))
}

/// A warning that `count` events were not delivered because the handlers fell behind.
fn log_dropped(py: Python<'_>, count: u64) {
    let message = format!(
        "{count} call events were not logged or given to hooks: the logging handlers or hooks \
         fell behind by {MAX_QUEUED}"
    );
    if let Err(error) = logger(py).and_then(|logger| logger.call_method1("log", (30, message))) {
        error.write_unraisable(py, None);
    }
}

/// One record; a handler's exception is reported by `logging` itself, as for any record.
fn log(py: Python<'_>, event: &CallEvent) {
    let record = || -> PyResult<()> {
        let extra = PyDict::new(py);
        extra.set_item("paragon_event", format!("{:?}", event.kind).to_lowercase())?;
        extra.set_item("paragon_method", &event.method)?;
        extra.set_item("paragon_integration", &event.integration)?;
        extra.set_item("paragon_path", &event.path)?;
        extra.set_item("paragon_attempt", event.attempt)?;
        extra.set_item("paragon_status", event.status)?;
        extra.set_item("paragon_elapsed", event.elapsed.map(|d| d.as_secs_f64()))?;
        extra.set_item("paragon_delay", event.delay.map(|d| d.as_secs_f64()))?;
        extra.set_item("paragon_reason", &event.reason)?;
        extra.set_item("paragon_request_id", &event.request_id)?;
        let keywords = PyDict::new(py);
        keywords.set_item("extra", extra)?;
        let level = match event.level {
            Level::Debug => 10,
            Level::Warning => 30,
        };
        logger(py)?.call_method("log", (level, event.to_string()), Some(&keywords))?;
        Ok(())
    };
    if let Err(error) = record() {
        error.write_unraisable(py, None);
    }
}

/// `hook(RequestEvent(...))` or `hook(ResponseEvent(...))`; what it raises is reported as
/// unraisable (as Python reports an exception in a callback nobody can catch): it never changes
/// the call's result.
fn call_hook(py: Python<'_>, hook: &Py<PyAny>, event: &CallEvent) {
    let called = || -> PyResult<()> {
        let types = py.import("paragon_connect._types")?;
        let argument = match event.kind {
            EventKind::Answered => types.getattr("ResponseEvent")?.call1((
                &event.method,
                &event.integration,
                &event.path,
                event.attempt,
                event.status,
                event.elapsed.map(|d| d.as_secs_f64()),
                &event.request_id,
            ))?,
            _ => types.getattr("RequestEvent")?.call1((
                &event.method,
                &event.integration,
                &event.path,
                event.attempt,
            ))?,
        };
        hook.call1(py, (argument,))?;
        Ok(())
    };
    if let Err(error) = called() {
        error.write_unraisable(py, Some(hook.bind(py)));
    }
}
