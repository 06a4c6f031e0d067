//! `download(progress=...)`: the caller's callback, called in order on a thread of its own (tokio's
//! blocking pool), never on an I/O thread, so a slow callback slows only its own download. An
//! exception it raises stops the download at the next chunk and becomes the call's error.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use tokio::task::JoinHandle;

/// The first exception the callback raised, and whether it did.
#[derive(Default)]
struct Raised {
    error: Mutex<Option<PyErr>>,
    stop: AtomicBool,
}

pub struct ProgressReporter {
    updates: Sender<(u64, Option<u64>)>,
    raised: Arc<Raised>,
    worker: JoinHandle<()>,
}

impl ProgressReporter {
    /// Starts the thread that calls `callback(bytes_so_far, total_or_None)` for each update.
    pub fn start(callback: Py<PyAny>) -> Self {
        let (updates, received) = channel::<(u64, Option<u64>)>();
        let raised = Arc::new(Raised::default());
        let seen = raised.clone();
        let worker = tokio::task::spawn_blocking(move || {
            for (done, total) in received {
                if seen.stop.load(Ordering::Relaxed) {
                    continue;
                }
                if let Err(error) = Python::attach(|py| callback.call1(py, (done, total))) {
                    *seen
                        .error
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(error);
                    seen.stop.store(true, Ordering::Relaxed);
                }
            }
        });
        ProgressReporter {
            updates,
            raised,
            worker,
        }
    }

    /// The core's progress function: queues the update; `Break` once the callback has raised.
    pub fn report(&self, done: u64, total: Option<u64>) -> ControlFlow<()> {
        if self.raised.stop.load(Ordering::Relaxed) {
            return ControlFlow::Break(());
        }
        let _ = self.updates.send((done, total));
        ControlFlow::Continue(())
    }

    /// Waits for every queued update to be reported; the callback's exception, if it raised.
    pub async fn finish(self) -> Option<PyErr> {
        drop(self.updates);
        let _ = self.worker.await;
        self.raised
            .error
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }
}
