//! Call events into Python's `logging`: records on the logger `paragon_connect` (DEBUG for each
//! attempt, WARNING for a retry and for giving up), the event's fields in `extra` as
//! `paragon_*` attributes. The core hands events over on its I/O threads; they are queued to one
//! thread that takes the GIL and logs them in order, so no handler (the application's code) runs
//! on an I/O thread, and no event is made for a level the logger does not want.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};

use paragon_connect::{CallEvent, EventSink, Level};
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
    queue: Mutex<Option<(u32, SyncSender<CallEvent>)>>,
}

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
        let enabled = |level: u8| -> bool {
            logger(py)
                .and_then(|logger| logger.call_method1("isEnabledFor", (level,)))
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
    fn queue(&self) -> Option<SyncSender<CallEvent>> {
        let pid = std::process::id();
        let mut queue = self
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if queue
            .as_ref()
            .is_none_or(|(started_by, _)| *started_by != pid)
        {
            let (sender, receiver) = sync_channel::<CallEvent>(MAX_QUEUED);
            let started = std::thread::Builder::new()
                .name("paragon-connect-logging".to_owned())
                .spawn(move || {
                    while let Ok(event) = receiver.recv() {
                        let dropped = shared().dropped.swap(0, Ordering::Relaxed);
                        // None while the interpreter shuts down: the event is dropped.
                        let _ = Python::try_attach(|py| {
                            if dropped > 0 {
                                log_dropped(py, dropped);
                            }
                            log(py, &event)
                        });
                    }
                });
            *queue = started.ok().map(|_| (pid, sender));
        }
        queue.as_ref().map(|(_, sender)| sender.clone())
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
        if let Some(queue) = self.queue() {
            // Never wait on an I/O thread: past MAX_QUEUED (a handler that blocks), drop.
            if let Err(TrySendError::Full(_)) = queue.try_send(event) {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
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

/// A warning that `count` events were not logged because the handlers fell behind.
fn log_dropped(py: Python<'_>, count: u64) {
    let message = format!(
        "{count} call events were not logged: the logging handlers fell behind by {MAX_QUEUED}"
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
