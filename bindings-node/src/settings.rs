//! The constructor's options, in the core's client settings: one line per setting (times in
//! milliseconds, the unit of every Node option).

use std::sync::Arc;

use napi::Either;
use napi::bindgen_prelude::Function;
use paragon_connect::serde_json::{self, Map, Value};
use paragon_connect::{ClientSettings, ConfigError, ProxySetting, TimeUnit};

use crate::events::{JsEventFunction, NodeEvents};
use crate::fields::Fields;
use crate::token::JsTokenProvider;

/// Client settings (times in milliseconds).
#[napi_derive::napi(object, object_to_js = false)]
pub struct ClientOptions<'env> {
    pub project_id: Option<String>,
    pub user_token: Option<String>,
    /// The user's token function, wrapped by the package to always return a promise.
    #[napi(ts_type = "(userId?: string) => Promise<string>")]
    pub token_function:
        Option<Function<'env, Option<String>, napi::bindgen_prelude::Promise<String>>>,
    pub signing_key: Option<String>,
    pub token_lifetime: Option<f64>,
    pub token_audience: Option<bool>,
    /// JSON object text.
    pub token_claims: Option<String>,
    /// JSON object text.
    pub permissions: Option<String>,
    pub host: Option<String>,
    pub proxy_base_url: Option<String>,
    pub zeus_base_url: Option<String>,
    pub hermes_base_url: Option<String>,
    #[napi(ts_type = "Array<[string, unknown]>")]
    pub default_headers: Option<Fields>,
    pub timeout: Option<f64>,
    pub connect_timeout: Option<f64>,
    pub deadline: Option<f64>,
    pub max_retries: Option<f64>,
    pub max_retry_after: Option<f64>,
    pub max_response_bytes: Option<f64>,
    pub allow_insecure_http: Option<bool>,
    /// PEM text or a file path (the wrapper joins Buffers and arrays into text).
    pub ca_certs: Option<String>,
    pub use_system_roots: Option<bool>,
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
    /// A proxy URL, or `false` for none.
    #[napi(ts_type = "string | boolean")]
    pub proxy: Option<Either<String, bool>>,
    pub pool_max_idle_per_host: Option<f64>,
    pub pool_idle_timeout: Option<f64>,
    pub tcp_keepalive: Option<f64>,
    pub http2: Option<String>,
    /// The `logger`, `onRequest` and `onResponse` options as one function; the level the
    /// logger wants (none: no logger); whether there are hooks.
    #[napi(ts_type = "(level: string | null, message: string, fields: LogFields | null) => void")]
    pub event_function: Option<JsEventFunction<'env>>,
    pub log_level: Option<String>,
    pub hooks: Option<bool>,
    /// The Node version, for the User-Agent.
    pub runtime: Option<String>,
}

/// A JSON object argument, as text the wrapper checked.
fn object(
    setting: &'static str,
    text: Option<String>,
) -> Result<Option<Map<String, Value>>, ConfigError> {
    text.map(|text| match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(ConfigError::new(setting, "must be an object")),
    })
    .transpose()
}

fn proxy(value: Either<String, bool>) -> Result<ProxySetting, ConfigError> {
    match value {
        Either::A(url) => Ok(ProxySetting::Url(url)),
        Either::B(false) => Ok(ProxySetting::Off),
        Either::B(true) => Err(ConfigError::new(
            "proxy",
            "must be a proxy URL (a string) or false for none, not true",
        )),
    }
}

/// A client's settings, and its events sink when calls wait for their hooks.
pub type Settings = (ClientSettings, Option<Arc<NodeEvents>>);

impl ClientOptions<'_> {
    pub fn settings(self) -> napi::Result<Result<Settings, ConfigError>> {
        let token_provider = match self.token_function {
            Some(function) => Some(Arc::new(JsTokenProvider::new(function)?) as _),
            None => None,
        };
        let events = match self.event_function {
            Some(function) => {
                let hooks = self.hooks == Some(true);
                match NodeEvents::new(function, self.log_level.as_deref(), hooks)? {
                    Ok(sink) => sink.map(Arc::new),
                    Err(error) => return Ok(Err(error)),
                }
            }
            None => None,
        };
        let event_sink = events.clone().map(|events| events as _);
        let hooked = events.filter(|events| events.has_hooks());
        Ok((|| {
            let settings = ClientSettings {
                time_unit: Some(TimeUnit::Milliseconds),
                platform: Some((
                    "node".to_owned(),
                    self.runtime.unwrap_or_else(|| "node".to_owned()),
                )),
                project_id: self.project_id,
                user_token: self.user_token.map(Into::into),
                token_provider,
                signing_key: self.signing_key.map(Into::into),
                token_lifetime: self.token_lifetime,
                token_audience: self.token_audience,
                token_claims: object("token_claims", self.token_claims)?,
                permissions: object("permissions", self.permissions)?,
                host: self.host,
                proxy_base_url: self.proxy_base_url,
                zeus_base_url: self.zeus_base_url,
                hermes_base_url: self.hermes_base_url,
                default_headers: self
                    .default_headers
                    .map(|fields| fields.0)
                    .unwrap_or_default(),
                timeout: self.timeout,
                connect_timeout: self.connect_timeout,
                deadline: self.deadline,
                max_retries: self.max_retries,
                max_retry_after: self.max_retry_after,
                max_response_bytes: self.max_response_bytes,
                allow_insecure_http: self.allow_insecure_http,
                ca_certs: self.ca_certs,
                use_system_roots: self.use_system_roots,
                client_cert: self.client_cert,
                client_key: self.client_key.map(Into::into),
                proxy: self.proxy.map(proxy).transpose()?,
                pool_max_idle_per_host: self.pool_max_idle_per_host,
                pool_idle_timeout: self.pool_idle_timeout,
                tcp_keepalive: self.tcp_keepalive,
                http2: self.http2,
                event_sink,
            };
            Ok((settings, hooked))
        })())
    }
}
