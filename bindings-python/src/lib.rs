//! The compiled part of the `paragon_connect` Python package: the clients, over the Rust core.

mod arguments;
mod client;
mod convert;
mod errors;
mod event_loop;
mod fake;
mod forks;
mod logging;
mod pages;
mod pending;
mod progress;
mod runtime;
mod stream;
mod token;
mod tracing;

use paragon_connect::{ConfigError, SigningKey, TokenOptions, duration_from_seconds};
use pyo3::prelude::*;

use crate::arguments::{Place, json_object};
use crate::errors::to_py_err;

/// Signs a Paragon User Token for `user_id` with the project's signing key (PEM), for servers
/// that hand tokens to their front end. `lifetime` is in seconds.
#[pyfunction]
#[pyo3(signature = (signing_key, project_id, user_id, *, lifetime=None, audience=None, claims=None, permissions=None))]
#[allow(clippy::too_many_arguments)]
fn sign_user_token(
    py: Python<'_>,
    signing_key: &str,
    project_id: &str,
    user_id: &str,
    lifetime: Option<f64>,
    audience: Option<bool>,
    claims: Option<Bound<'_, PyAny>>,
    permissions: Option<Bound<'_, PyAny>>,
) -> PyResult<String> {
    let config_error = |error: ConfigError| to_py_err(py, error.into());
    let key = SigningKey::from_pem(signing_key).map_err(config_error)?;
    let defaults = TokenOptions::default();
    let options = TokenOptions {
        lifetime: match lifetime {
            Some(seconds) => duration_from_seconds(seconds)
                .map_err(|reason| config_error(ConfigError::new("lifetime", reason)))?,
            None => defaults.lifetime,
        },
        audience: audience.unwrap_or(defaults.audience),
        permissions: json_object(Place::Setting("permissions"), permissions.as_ref())?,
        extra_claims: json_object(Place::Setting("claims"), claims.as_ref())?.unwrap_or_default(),
    };
    paragon_connect::sign_user_token(&key, project_id, user_id, &options)
        .map(|token| token.expose().to_owned())
        .map_err(config_error)
}

/// `content` decoded with the charset `content_type` names (UTF-8 by default), by the core's
/// rule: what `RawResponse.text` gives.
#[pyfunction]
#[pyo3(signature = (content, content_type=None))]
fn decode_text(content: &[u8], content_type: Option<&str>) -> String {
    paragon_connect::decode_text(content, content_type).into_owned()
}

/// The `paragon-connect` command with `args` (without the program's name): the core's, run to
/// completion with the GIL released; gives the exit code.
#[pyfunction]
fn run_cli(py: Python<'_>, args: Vec<String>) -> i32 {
    py.detach(|| paragon_connect::cli::main(&args))
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<client::Paragon>()?;
    module.add_class::<client::AsyncParagon>()?;
    module.add_class::<client::AsyncStreamContext>()?;
    module.add_class::<stream::StreamResponse>()?;
    module.add_class::<stream::AsyncStreamResponse>()?;
    module.add_class::<stream::ByteIterator>()?;
    module.add_class::<stream::AsyncByteIterator>()?;
    module.add_class::<fake::FakeServer>()?;
    module.add_class::<pages::PageWalk>()?;
    module.add_function(wrap_pyfunction!(sign_user_token, module)?)?;
    module.add_function(wrap_pyfunction!(errors::error_classes, module)?)?;
    module.add_function(wrap_pyfunction!(decode_text, module)?)?;
    module.add_function(wrap_pyfunction!(run_cli, module)?)?;
    module.add("__version__", paragon_connect::VERSION)?;
    Ok(())
}

/// The I/O thread frees what the Python thread allocated and the other way round; glibc's
/// allocator serialises those frees on its arena locks, mimalloc does not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
