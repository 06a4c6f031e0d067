//! The native part of the `paragon-connect` npm package: a client over the Rust core. The JS
//! wrapper (`index.js`) gives it the browser SDK's shape; each method here takes the arguments,
//! calls one core function, and maps the result.

mod json;
mod outcome;

use std::time::Duration;

use napi::bindgen_prelude::{Buffer, PromiseRaw};
use napi::{Env, Result};
use napi_derive::napi;
use paragon_connect::{
    Body, Client, ConfigError, InvalidRequestError, RequestOptions, duration_from_seconds,
    serde_json,
};
use tokio_util::sync::CancellationToken;

use crate::outcome::{NativeError, Outcome};

/// Client settings (timeouts in milliseconds).
#[napi(object)]
pub struct ClientOptions {
    pub project_id: Option<String>,
    pub user_token: Option<String>,
    pub host: Option<String>,
    pub proxy_base_url: Option<String>,
    pub zeus_base_url: Option<String>,
    pub hermes_base_url: Option<String>,
    /// `[name, value]` pairs.
    pub default_headers: Option<Vec<Vec<String>>>,
    pub timeout: Option<f64>,
    pub connect_timeout: Option<f64>,
    pub allow_insecure_http: Option<bool>,
    /// The Node version, for the User-Agent.
    pub runtime: Option<String>,
}

/// One call's options, already split by the JS wrapper into plain values.
#[napi(object)]
pub struct CallOptions {
    pub method: Option<String>,
    /// `JSON.stringify` output of a JSON body.
    pub json: Option<String>,
    pub text: Option<String>,
    pub bytes: Option<Buffer>,
    /// `[name, value]` pairs.
    pub headers: Option<Vec<Vec<String>>>,
    /// `[name, value]` pairs.
    pub query: Option<Vec<Vec<String>>>,
    pub selected_credential_id: Option<String>,
    pub raw: Option<bool>,
    /// Milliseconds.
    pub timeout: Option<f64>,
    pub exact_integers: Option<bool>,
}

/// Cancels the calls it was passed to (the JS wrapper ties it to an `AbortSignal`).
#[napi]
pub struct CancelToken {
    token: CancellationToken,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        CancelToken {
            token: CancellationToken::new(),
        }
    }

    #[napi]
    pub fn cancel(&self) {
        self.token.cancel();
    }
}

#[napi]
pub struct NativeClient {
    client: std::result::Result<Client, paragon_connect::Error>,
}

fn pairs(
    pairs: Option<Vec<Vec<String>>>,
    argument: &'static str,
) -> std::result::Result<Vec<(String, String)>, String> {
    pairs
        .unwrap_or_default()
        .into_iter()
        .map(|pair| match <[String; 2]>::try_from(pair) {
            Ok([name, value]) => Ok((name, value)),
            Err(_) => Err(format!("{argument} must be [name, value] pairs")),
        })
        .collect()
}

fn milliseconds(value: f64) -> std::result::Result<Duration, String> {
    duration_from_seconds(value / 1000.0)
        .map_err(|_| format!("must be a positive number of milliseconds, not {value}"))
}

#[napi]
impl NativeClient {
    /// Never throws: a configuration error is kept and reported by `configError()`, so the
    /// wrapper can throw it as a `ConfigurationError` with its attributes.
    #[napi(constructor)]
    pub fn new(options: ClientOptions) -> Self {
        NativeClient {
            client: build(options),
        }
    }

    #[napi]
    pub fn config_error(&self) -> Option<NativeError> {
        match &self.client {
            Ok(_) => None,
            Err(paragon_connect::Error::Config(error)) => {
                Some(NativeError::from_core(error.clone().into(), false))
            }
            Err(other) => Some(NativeError::bare("ParagonError", other.to_string())),
        }
    }

    #[napi]
    pub fn project_id(&self) -> Option<String> {
        self.client
            .as_ref()
            .ok()
            .map(|client| client.project_id().to_owned())
    }

    #[napi]
    pub fn describe(&self) -> String {
        match &self.client {
            Ok(client) => format!(
                "Paragon {{ projectId: '{}', proxyBaseUrl: '{}', userToken: '[redacted]' }}",
                client.project_id(),
                client.proxy_base_url()
            ),
            Err(_) => "Paragon { invalid settings }".to_owned(),
        }
    }

    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    pub fn request<'env>(
        &self,
        env: &'env Env,
        integration_type: String,
        path: String,
        options: CallOptions,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Outcome>> {
        let exact_integers = options.exact_integers.unwrap_or(false);
        let prepared = match (&self.client, call_options(options)) {
            (Ok(client), Ok(options)) => Ok((client.clone(), options)),
            (Err(error), _) => Err(NativeError::bare("ParagonError", error.to_string())),
            (_, Err(error)) => Err(NativeError::from_core(error.into(), exact_integers)),
        };
        let cancelled = cancel
            .map(|cancel| cancel.token.clone())
            .unwrap_or_default();
        env.spawn_future(async move {
            let (client, options) = match prepared {
                Ok(prepared) => prepared,
                Err(error) => return Ok(Outcome::Error(Box::new(error))),
            };
            // The call runs as its own task, so a panic in it becomes an error here.
            let call = tokio::spawn(async move {
                tokio::select! {
                    result = client.request(&integration_type, &path, options) => Some(result),
                    () = cancelled.cancelled() => None,
                }
            });
            Ok(match call.await {
                Ok(Some(result)) => Outcome::from_core(result, exact_integers),
                Ok(None) => Outcome::Aborted,
                Err(error) => Outcome::Error(Box::new(NativeError::bare(
                    "ParagonError",
                    format!("the request task failed: {error}"),
                ))),
            })
        })
    }
}

fn build(options: ClientOptions) -> std::result::Result<Client, paragon_connect::Error> {
    let mut builder = Client::builder()
        .platform("node", options.runtime.unwrap_or_else(|| "node".to_owned()))
        .allow_insecure_http(options.allow_insecure_http.unwrap_or(false));
    if let Some(project_id) = options.project_id {
        builder = builder.project_id(project_id);
    }
    if let Some(user_token) = options.user_token {
        builder = builder.user_token(user_token);
    }
    if let Some(host) = options.host {
        builder = builder.host(host);
    }
    if let Some(url) = options.proxy_base_url {
        builder = builder.proxy_base_url(url);
    }
    if let Some(url) = options.zeus_base_url {
        builder = builder.zeus_base_url(url);
    }
    if let Some(url) = options.hermes_base_url {
        builder = builder.hermes_base_url(url);
    }
    for (name, value) in pairs(options.default_headers, "defaultHeaders")
        .map_err(|reason| ConfigError::new("defaultHeaders", reason))?
    {
        builder = builder.default_header(name, value);
    }
    if let Some(timeout) = options.timeout {
        builder = builder
            .timeout(milliseconds(timeout).map_err(|reason| ConfigError::new("timeout", reason))?);
    }
    if let Some(timeout) = options.connect_timeout {
        builder = builder.connect_timeout(
            milliseconds(timeout).map_err(|reason| ConfigError::new("connectTimeout", reason))?,
        );
    }
    builder.build()
}

fn call_options(options: CallOptions) -> std::result::Result<RequestOptions, InvalidRequestError> {
    let body =
        match (options.json, options.text, options.bytes) {
            (Some(json), None, None) => Some(Body::Json(serde_json::from_str(&json).map_err(
                |error| InvalidRequestError::new("body", format!("is not JSON: {error}")),
            )?)),
            (None, Some(text), None) => Some(Body::Text(text)),
            (None, None, Some(bytes)) => Some(Body::Bytes(bytes.to_vec().into())),
            (None, None, None) => None,
            _ => return Err(InvalidRequestError::new("body", "give one body")),
        };
    Ok(RequestOptions {
        method: options.method,
        body,
        headers: pairs(options.headers, "headers")
            .map_err(|reason| InvalidRequestError::new("headers", reason))?,
        query: pairs(options.query, "query")
            .map_err(|reason| InvalidRequestError::new("query", reason))?,
        selected_credential_id: options.selected_credential_id,
        raw: options.raw.unwrap_or(false),
        timeout: options
            .timeout
            .map(milliseconds)
            .transpose()
            .map_err(|reason| InvalidRequestError::new("timeout", reason))?,
    })
}
