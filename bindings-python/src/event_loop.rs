//! Running Python awaitables (async token functions, async iterators of upload bodies) from the
//! Rust side of an `AsyncParagon` call, on that call's own event loop.

use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyTuple};
use tokio::sync::oneshot;

tokio::task_local! {
    /// The event loop of the asyncio call being served.
    pub static EVENT_LOOP: Py<PyAny>;
}

/// Schedules `awaitable` on the served call's event loop; the receiver gets its result, or the
/// exception it raised. `what` names it in errors. Without an event loop (a sync client), the
/// awaitable is closed unrun and an error says so.
pub fn run_on_loop(
    py: Python<'_>,
    awaitable: &Bound<'_, PyAny>,
    what: &str,
) -> Result<oneshot::Receiver<PyResult<Py<PyAny>>>, String> {
    let Ok(event_loop) = EVENT_LOOP.try_with(|event_loop| event_loop.clone_ref(py)) else {
        // Never run: close it so Python does not warn it was never awaited.
        let _ = awaitable.call_method0("close");
        return Err(format!(
            "{what} is async and needs AsyncParagon (Paragon has no event loop to run it on)"
        ));
    };
    run_on(py, awaitable, &event_loop, what)
}

/// Schedules `awaitable` on `event_loop` (see [`run_on_loop`]).
pub fn run_on(
    py: Python<'_>,
    awaitable: &Bound<'_, PyAny>,
    event_loop: &Py<PyAny>,
    what: &str,
) -> Result<oneshot::Receiver<PyResult<Py<PyAny>>>, String> {
    let scheduled = py
        .import("asyncio")
        .and_then(|asyncio| {
            asyncio.call_method1("run_coroutine_threadsafe", (awaitable, event_loop.bind(py)))
        })
        .map_err(|error| format!("could not run {what}: {error}"))?;
    let (sender, receiver) = oneshot::channel();
    let sender = Mutex::new(Some(sender));
    let on_done = PyCFunction::new_closure(
        py,
        None,
        None,
        move |args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>| {
            let outcome = args
                .get_item(0)
                .and_then(|future| future.call_method0("result"))
                .map(Bound::unbind);
            if let Some(sender) = sender.lock().ok().and_then(|mut slot| slot.take()) {
                let _ = sender.send(outcome);
            }
        },
    )
    .map_err(|error| error.to_string())?;
    scheduled
        .call_method1("add_done_callback", (on_done,))
        .map_err(|error| error.to_string())?;
    Ok(receiver)
}
