//! What `AsyncParagon` methods return: an awaitable that runs one core call as a task on the
//! shared runtime and wakes the awaiting asyncio task when it ends.
//!
//! pyo3's own `async fn` wakes the event loop from the I/O thread with the GIL held
//! (`call_soon_threadsafe` per wake-up): under load the I/O threads then wait for the GIL while
//! Python runs, and every answer costs a GIL hand-over. Here the I/O thread only queues the
//! finished call and, if the queue was empty, writes one byte to a socket the event loop watches
//! (`add_reader`); the loop then resolves every finished call in one go, with the GIL it already
//! has.

use std::future::Future;
use std::io::{Read, Write};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use pyo3::exceptions::{PyNotImplementedError, PyRuntimeError, PyStopIteration};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyTuple;
use tokio::task::JoinHandle;

use crate::errors::internal_error;
use crate::event_loop::EVENT_LOOP;
use crate::runtime::runtime;

/// A finished call, turned into its Python result once back on the event loop's thread.
type Outcome = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;
type Call = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// Returns an awaitable for `call`; nothing is sent until it is awaited. `name` is its
/// `__qualname__` (shown in asyncio's task reprs). An error preparing the call (`call` is `Err`)
/// is raised when it is awaited, as a coroutine's would be.
pub fn pending<T: Send + 'static>(
    name: &'static str,
    call: PyResult<impl Future<Output = paragon_connect::Result<T>> + Send + 'static>,
    finish: impl FnOnce(Python<'_>, paragon_connect::Result<T>) -> PyResult<Py<PyAny>> + Send + 'static,
) -> PendingCall {
    let call = match call {
        Ok(call) => call,
        Err(error) => {
            return PendingCall {
                name,
                state: State::Refused(error),
            };
        }
    };
    // Boxed before it is wrapped: an `async` block that awaits a future it was given holds it
    // twice (rust-lang/rust#62958), and a call's future is kilobytes, copied at each move.
    let call = Box::pin(call);
    let call = async move {
        let outcome = call.await;
        Box::new(move |py: Python<'_>| finish(py, outcome)) as Outcome
    };
    PendingCall {
        name,
        state: State::Unstarted(Mutex::new(Box::pin(call))),
    }
}

enum State {
    Refused(PyErr),
    /// In a mutex only to be `Sync`, as a Python object must be (it is never contended).
    Unstarted(Mutex<Call>),
    Running {
        task: JoinHandle<()>,
        finished: Arc<Finished>,
        future: Py<PyAny>,
    },
    Done,
}

/// Where the task leaves its outcome for the coroutine to pick up.
#[derive(Default)]
struct Finished(Mutex<Option<Outcome>>);

/// An awaitable core call (it is a coroutine: `await` it, or hand it to `asyncio.create_task`,
/// `gather` or a `TaskGroup`). Cancelling the awaiting task aborts the call.
#[pyclass(module = "paragon_connect._native")]
pub struct PendingCall {
    name: &'static str,
    state: State,
}

impl PendingCall {
    fn abort(&mut self) {
        if let State::Running { task, .. } = std::mem::replace(&mut self.state, State::Done) {
            task.abort();
        }
    }

    fn step(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Refused(error) => Err(error),
            State::Unstarted(call) => {
                let event_loop = running_loop(py)?;
                let waker = LoopWaker::of(py, &event_loop)?;
                let future = event_loop.call_method0(intern!(py, "create_future"))?;
                let finished = Arc::new(Finished::default());
                let task = {
                    let finished = finished.clone();
                    let future = future.clone().unbind();
                    let call = call
                        .into_inner()
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                    let scoped = EVENT_LOOP.scope(event_loop.unbind(), call);
                    runtime()?.spawn(async move {
                        // A panic must still wake the awaiting task, with an exception.
                        let outcome = AssertUnwindSafe(scoped)
                            .catch_unwind()
                            .await
                            .unwrap_or_else(|_| {
                                Box::new(|_: Python<'_>| {
                                    Err(internal_error("the request task failed".to_owned()))
                                })
                            });
                        *lock(&finished.0) = Some(outcome);
                        waker.finished(future);
                    })
                };
                future.setattr(intern!(py, "_asyncio_future_blocking"), true)?;
                self.state = State::Running {
                    task,
                    finished,
                    future: future.clone().unbind(),
                };
                Ok(future.unbind())
            }
            State::Running {
                task,
                finished,
                future,
            } => {
                let outcome = lock(&finished.0).take();
                match outcome {
                    Some(outcome) => Err(PyStopIteration::new_err((outcome(py)?,))),
                    None => {
                        // Woken early (a stray send): keep waiting on the same future.
                        let bound = future.bind(py);
                        bound.setattr(intern!(py, "_asyncio_future_blocking"), true)?;
                        let yielded = bound.clone().unbind();
                        self.state = State::Running {
                            task,
                            finished,
                            future,
                        };
                        Ok(yielded)
                    }
                }
            }
            State::Done => Err(PyRuntimeError::new_err(
                "cannot reuse already awaited coroutine",
            )),
        }
    }
}

impl Drop for PendingCall {
    fn drop(&mut self) {
        self.abort();
    }
}

#[pymethods]
impl PendingCall {
    fn __await__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.step(py)
    }

    fn send(&mut self, py: Python<'_>, _value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.step(py)
    }

    /// Cancellation (asyncio throws `CancelledError` in): the call is aborted, the error raised.
    #[pyo3(signature = (error, *_legacy))]
    fn throw(&mut self, error: Bound<'_, PyAny>, _legacy: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.abort();
        Err(PyErr::from_value(error))
    }

    fn close(&mut self) {
        self.abort();
    }

    #[getter]
    fn __name__(&self) -> &'static str {
        self.name.rsplit('.').next().unwrap_or(self.name)
    }

    #[getter]
    fn __qualname__(&self) -> &'static str {
        self.name
    }

    fn __repr__(&self) -> String {
        format!("<PendingCall {}>", self.name)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GET_RUNNING_LOOP
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("asyncio")?.getattr("get_running_loop")?.unbind())
        })?
        .bind(py)
        .call0()
}

/// One per event loop: the calls that finished since the loop last looked, and how an I/O
/// thread tells the loop to look.
pub struct LoopWaker {
    finished: Mutex<Vec<Py<PyAny>>>,
    signal: Signal,
}

enum Signal {
    /// A socket pair: an I/O thread writes a byte, the loop's `add_reader` callback drains.
    #[cfg(unix)]
    Socket {
        write: std::os::unix::net::UnixStream,
        read: std::os::unix::net::UnixStream,
    },
    /// Loops without `add_reader` (Windows' proactor): `call_soon_threadsafe`, with the GIL.
    /// The loop is held weakly, as the loop holds this waker.
    CallSoon { event_loop: Py<PyAny> },
}

/// The Python handle of a [`LoopWaker`], whose `drain` the event loop calls.
#[pyclass(module = "paragon_connect._native", frozen)]
pub struct LoopWakerHandle(Arc<LoopWaker>);

#[pymethods]
impl LoopWakerHandle {
    /// Resolves the futures of every call that finished: their coroutines pick up the outcome.
    fn drain(&self, py: Python<'_>) {
        #[cfg(unix)]
        if let Signal::Socket { read, .. } = &self.0.signal {
            let mut bytes = [0u8; 256];
            while matches!((&*read).read(&mut bytes), Ok(n) if n > 0) {}
        }
        let finished = std::mem::take(&mut *lock(&self.0.finished));
        for future in finished {
            // A cancelled future is done already: nothing to tell it.
            let _ = future.call_method1(py, intern!(py, "set_result"), (py.None(),));
        }
    }
}

impl LoopWaker {
    /// The waker of `event_loop`, made and registered on first use (kept in a
    /// `WeakKeyDictionary`, so it goes away with its loop).
    fn of(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<LoopWaker>> {
        static WAKERS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let wakers = WAKERS
            .get_or_try_init(py, || {
                Ok::<_, PyErr>(
                    py.import("weakref")?
                        .call_method0("WeakKeyDictionary")?
                        .unbind(),
                )
            })?
            .bind(py);
        if let Ok(known) = wakers.get_item(event_loop) {
            return Ok(known.cast_into::<LoopWakerHandle>()?.get().0.clone());
        }
        let handle = Bound::new(py, LoopWakerHandle(LoopWaker::register(py, event_loop)?))?;
        wakers.set_item(event_loop, &handle)?;
        Ok(handle.get().0.clone())
    }

    fn register(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<LoopWaker>> {
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            let (write, read) = std::os::unix::net::UnixStream::pair()
                .and_then(|(write, read)| {
                    write.set_nonblocking(true)?;
                    read.set_nonblocking(true)?;
                    Ok((write, read))
                })
                .map_err(|error| {
                    internal_error(format!("could not make a wake-up socket: {error}"))
                })?;
            let fd = read.as_raw_fd();
            let waker = Arc::new(LoopWaker {
                finished: Mutex::new(Vec::new()),
                signal: Signal::Socket { write, read },
            });
            let drain = Bound::new(py, LoopWakerHandle(waker.clone()))?.getattr("drain")?;
            match event_loop.call_method1("add_reader", (fd, drain)) {
                Ok(_) => return Ok(waker),
                Err(error) if error.is_instance_of::<PyNotImplementedError>(py) => {}
                Err(error) => return Err(error),
            }
        }
        let event_loop = py
            .import("weakref")?
            .call_method1("ref", (event_loop,))?
            .unbind();
        Ok(Arc::new(LoopWaker {
            finished: Mutex::new(Vec::new()),
            signal: Signal::CallSoon { event_loop },
        }))
    }

    /// Called on an I/O thread when a call has finished; `future` is what its coroutine waits on.
    fn finished(self: &Arc<Self>, future: Py<PyAny>) {
        let first = {
            let mut finished = lock(&self.finished);
            finished.push(future);
            finished.len() == 1
        };
        if !first {
            return; // the loop has been told already and has not drained yet
        }
        match &self.signal {
            #[cfg(unix)]
            Signal::Socket { write, .. } => {
                // Full means a wake-up is pending anyway.
                let _ = (&*write).write(&[1]);
            }
            Signal::CallSoon { event_loop } => Python::attach(|py| {
                let Some(event_loop) = event_loop.bind(py).call0().ok().filter(|l| !l.is_none())
                else {
                    return;
                };
                let drain = Bound::new(py, LoopWakerHandle(self.clone()))
                    .and_then(|handle| handle.getattr("drain"));
                if let Ok(drain) = drain {
                    // Fails only if the loop is closed: then nobody is waiting.
                    let _ = event_loop.call_method1("call_soon_threadsafe", (drain,));
                }
            }),
        }
    }
}
