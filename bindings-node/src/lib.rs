//! The native part of the `paragon-connect` npm package: a client over the Rust core. The JS
//! wrapper (`index.js`) gives it the browser SDK's shape and types each argument; each method here
//! takes the arguments, calls one core function, and maps the result (`Outcome`).

mod body;
mod call;
mod client;
mod errors;
mod events;
mod fake;
mod fields;
mod json;
mod outcome;
mod pages;
mod settings;
mod settle;
mod stream;
mod token;
mod user_api;

use paragon_connect::serde_json::{self, Value};
use paragon_connect::{ConfigError, SigningKey, TimeUnit, TokenOptions};

use crate::client::RUNTIME_PROBLEM;
pub use crate::errors::{error_classes, refusal};
use crate::outcome::Outcome;

/// Signs a Paragon User Token; `options` is JSON text of `{lifetime (ms), audience, claims,
/// permissions}`. Resolves like a call: `["value", token]` or `["error", ...]`.
#[napi_derive::napi(ts_return_type = "[string, unknown]")]
pub fn sign_user_token(
    signing_key: String,
    project_id: String,
    user_id: String,
    options: String,
) -> Outcome {
    let signed = (|| {
        let options: Value = serde_json::from_str(&options)
            .map_err(|error| ConfigError::new("options", format!("are not JSON: {error}")))?;
        let key = SigningKey::from_pem(&signing_key)?;
        let object = |name: &str| options.get(name).and_then(Value::as_object).cloned();
        let defaults = TokenOptions::default();
        let lifetime = options.get("lifetime").and_then(Value::as_f64);
        let token_options = TokenOptions {
            lifetime: TimeUnit::Milliseconds
                .setting("lifetime", lifetime)?
                .unwrap_or(defaults.lifetime),
            audience: options
                .get("audience")
                .and_then(Value::as_bool)
                .unwrap_or(defaults.audience),
            permissions: object("permissions"),
            extra_claims: object("claims").unwrap_or_default(),
        };
        paragon_connect::sign_user_token(&key, &project_id, &user_id, &token_options)
    })();
    match signed {
        Ok(token) => Outcome::Text(token.expose().to_owned()),
        Err(error) => Outcome::error(error.into(), false),
    }
}

/// Gives napi-rs the process's I/O runtime, sized by the core's rule.
#[napi_derive::module_init]
fn init_runtime() {
    match paragon_connect::io_runtime() {
        Ok(runtime) => napi::bindgen_prelude::create_custom_tokio_runtime(runtime),
        Err(problem) => {
            let _ = RUNTIME_PROBLEM.set(problem);
        }
    }
}

/// The I/O thread frees what the JavaScript thread allocated and the other way round; glibc's
/// allocator serialises those frees on its arena locks (~5% of a busy client's time in
/// `__lll_lock_wait_private`), mimalloc does not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The `paragon-connect` command with `args` (without `node` and the script): the core's, run to
/// completion on this thread (a command line has nothing else to do); gives the exit code.
#[napi_derive::napi]
pub fn run_cli(args: Vec<String>) -> i32 {
    paragon_connect::cli::main(&args)
}
