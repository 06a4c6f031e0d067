//! `user_token=` as a Python function: called before every request (with the user id when the
//! client came from `.user(id)`), sync or async. An async one runs on the event loop of the
//! `AsyncParagon` call that needs it.

use paragon_connect::{Secret, TokenFuture, TokenProvider};
use pyo3::prelude::*;
use tokio::sync::oneshot;

use crate::event_loop::run_on_loop;

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
            let receiver = run_on_loop(py, result, "the user_token function")?;
            Ok(Called::Pending(receiver))
        })
    }
}

impl TokenProvider for PythonTokenProvider {
    fn token<'a>(&'a self, user: Option<&'a str>) -> TokenFuture<'a> {
        Box::pin(async move {
            match self.call(user)? {
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
