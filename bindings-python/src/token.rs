//! `user_token=` as a Python function: called before every attempt (with the user id when the
//! client came from `.user(id)`), sync or async. It is called on tokio's blocking pool, never on
//! an I/O thread (a slow function must not stall the process's other calls); an async one then
//! runs on the event loop of the `AsyncParagon` call that needs it.

use std::sync::Arc;

use paragon_connect::{Secret, TokenFuture, TokenProvider};
use pyo3::prelude::*;
use tokio::sync::oneshot;

use crate::event_loop::run_on_loop;

pub struct PythonTokenProvider {
    function: Arc<Py<PyAny>>,
}

impl PythonTokenProvider {
    pub fn new(function: Py<PyAny>) -> Self {
        PythonTokenProvider {
            function: Arc::new(function),
        }
    }
}

/// What calling the function gave: a token now, or one the event loop will deliver.
enum Called {
    Ready(String),
    Pending(oneshot::Receiver<PyResult<Py<PyAny>>>),
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

/// Calls the function (on a blocking-pool thread).
fn call(function: &Py<PyAny>, user: Option<&str>) -> Result<Py<PyAny>, String> {
    Python::attach(|py| {
        match user {
            Some(user) => function.call1(py, (user,)),
            None => function.call0(py),
        }
        .map_err(|error| format!("the user_token function raised {error}"))
    })
}

/// What the function gave: a token now, or an awaitable run on the calling task's event loop.
fn called(result: Py<PyAny>) -> Result<Called, String> {
    Python::attach(|py| {
        let result = result.bind(py);
        if !result.hasattr("__await__").unwrap_or(false) {
            return as_token(result).map(Called::Ready);
        }
        run_on_loop(py, result, "the user_token function").map(Called::Pending)
    })
}

impl TokenProvider for PythonTokenProvider {
    fn token<'a>(&'a self, user: Option<&'a str>) -> TokenFuture<'a> {
        let function = self.function.clone();
        let user = user.map(str::to_owned);
        Box::pin(async move {
            let result = tokio::task::spawn_blocking(move || call(&function, user.as_deref()))
                .await
                .map_err(|_| "the user_token function could not be called".to_owned())??;
            match called(result)? {
                Called::Ready(token) => Ok(Secret::new(token)),
                Called::Pending(receiver) => {
                    let outcome = receiver
                        .await
                        .map_err(|_| "the user_token function was cancelled".to_owned())?;
                    Python::attach(|py| match outcome {
                        Ok(token) => as_token(token.bind(py)).map(Secret::new),
                        Err(error) => Err(format!("the user_token function raised {error}")),
                    })
                }
            }
        })
    }
}
