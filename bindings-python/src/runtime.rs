//! One tokio runtime per process, and two ways Python waits on it: running a call on the calling
//! thread with the GIL released (sync client), or awaiting a spawned task (the async streaming
//! methods; async calls go through `pending.rs`).
//!
//! A forked child inherits the parent's runtime without its threads: waiting on it would hang.
//! So the runtime is keyed by process ([`crate::forks`]) and a child makes its own (the parent's is leaked, as
//! dropping it would try to join threads that do not exist in the child).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::FutureExt;
use pyo3::prelude::*;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::errors::{internal_error, to_py_err};

static RUNTIME: Mutex<Option<(u64, &'static Runtime)>> = Mutex::new(None);

/// How often a blocked sync call looks for Ctrl-C (Python signal handlers run only with the GIL).
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// This process's runtime, started on first use.
pub fn runtime() -> PyResult<&'static Runtime> {
    let process = crate::forks::generation();
    let mut slot = RUNTIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((owner, runtime)) = *slot
        && owner == process
    {
        return Ok(runtime);
    }
    let runtime = paragon_connect::io_runtime()
        .map_err(|error| Python::attach(|py| to_py_err(py, error.into())))?;
    let runtime: &'static Runtime = Box::leak(Box::new(runtime));
    *slot = Some((process, runtime));
    Ok(runtime)
}

/// A task on the runtime that is aborted when dropped: a cancelled asyncio task stops its
/// request instead of leaving it running.
pub struct Spawned<T>(JoinHandle<T>);

impl<T: Send + 'static> Spawned<T> {
    pub fn new(future: impl Future<Output = T> + Send + 'static) -> PyResult<Self> {
        // A call's future is kilobytes: boxed once, it is not copied again into the task.
        Ok(Spawned(runtime()?.spawn(Box::pin(future))))
    }
}

impl<T> Drop for Spawned<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for Spawned<T> {
    /// A panic in the task becomes an exception here, never a crash.
    type Output = PyResult<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|joined| {
            joined.map_err(|error| internal_error(format!("the request task failed: {error}")))
        })
    }
}

/// Runs `future` to completion on this thread with the GIL released (the runtime's I/O thread
/// drives its sockets), waking every [`SIGNAL_CHECK_INTERVAL`] to let Python handle signals: an
/// exception from a handler (Ctrl-C) drops the future, which stops the request. Run here rather
/// than spawned, the call starts without waking another thread first.
pub fn wait<T: Send + 'static>(
    py: Python<'_>,
    future: impl Future<Output = T> + Send + 'static,
) -> PyResult<T> {
    let runtime = runtime()?;
    let mut call = std::pin::pin!(AssertUnwindSafe(future).catch_unwind());
    loop {
        let waited = py.detach(|| {
            runtime.block_on(async { tokio::time::timeout(SIGNAL_CHECK_INTERVAL, &mut call).await })
        });
        match waited {
            Ok(Ok(result)) => return Ok(result),
            Ok(Err(_panic)) => {
                return Err(internal_error("the request failed (a panic)".to_owned()));
            }
            Err(_still_running) => py.check_signals()?,
        }
    }
}
