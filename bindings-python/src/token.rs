//! `user_token=` as a Python function: called before every request (with the user id when the
//! client came from `.user(id)`), sync or async. An async one runs on the event loop of the
//! `AsyncParagon` call that needs it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use paragon_connect::{Secret, TokenProvider};
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyTuple};
use tokio::sync::oneshot;

tokio::task_local! {
    /// The event loop of the asyncio call being served, for async token functions.
    pub static EVENT_LOOP: Py<PyAny>;
}

pub struct PythonTokenProvider {
    function: Py<PyAny>,
}

impl PythonTokenProvider {
    pub fn new(function: Py<PyAny>) -> Self {
        PythonTokenProvider { function }
    }
}

/// What calling the function gave: a token now, or one the event loop will deliver.
enum Called {
    Ready(String),
    Pending(oneshot::Receiver<Result<String, String>>),
}

fn as_token(value: &Bound<'_, PyAny>) -> Result<String, String> {
    value.extract::<String>().map_err(|_| {
        let kind = value
            .get_type()
            .qualname()
            .map(|name| name.to_string())
            .unwrap_or_default();
        format!("the user_token function returned {kind}, not a str")
    })
}

impl PythonTokenProvider {
    fn call(&self, user: Option<&str>) -> Result<Called, String> {
        Python::attach(|py| {
            let result = match user {
                Some(user) => self.function.call1(py, (user,)),
                None => self.function.call0(py),
            }
            .map_err(|error| format!("the user_token function raised {error}"))?;
            let result = result.bind(py);
            if !result.hasattr("__await__").unwrap_or(false) {
                return as_token(result).map(Called::Ready);
            }
            let Ok(event_loop) = EVENT_LOOP.try_with(|event_loop| event_loop.clone_ref(py)) else {
                // Never run: close it so Python does not warn it was never awaited.
                let _ = result.call_method0("close");
                return Err("an async user_token function needs AsyncParagon (Paragon calls it without an event loop)".to_owned());
            };
            let scheduled = py
                .import("asyncio")
                .and_then(|asyncio| {
                    asyncio.call_method1("run_coroutine_threadsafe", (result, event_loop))
                })
                .map_err(|error| format!("could not run the user_token function: {error}"))?;
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
                        .map_err(|error| format!("the user_token function raised {error}"))
                        .and_then(|token| as_token(&token));
                    if let Some(sender) = sender.lock().ok().and_then(|mut slot| slot.take()) {
                        let _ = sender.send(outcome);
                    }
                },
            )
            .map_err(|error| error.to_string())?;
            scheduled
                .call_method1("add_done_callback", (on_done,))
                .map_err(|error| error.to_string())?;
            Ok(Called::Pending(receiver))
        })
    }
}

impl TokenProvider for PythonTokenProvider {
    fn token<'a>(
        &'a self,
        user: Option<&'a str>,
    ) -> Pin<Box<dyn Future<Output = Result<Secret, String>> + Send + 'a>> {
        Box::pin(async move {
            match self.call(user)? {
                Called::Ready(token) => Ok(Secret::new(token)),
                Called::Pending(receiver) => receiver
                    .await
                    .map_err(|_| "the user_token function was cancelled".to_owned())?
                    .map(Secret::new),
            }
        })
    }
}
