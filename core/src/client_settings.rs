//! Every client setting as a binding hands it over: plain optional values, one field per
//! constructor argument, so a new setting is one field here and one line in each binding. What
//! is left `None` keeps the builder's default (or the environment's value).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::arguments::{FieldValue, MOST_RETRIES, TimeUnit, field_pairs, whole_number};
use crate::auth::TokenProvider;
use crate::client::Client;
use crate::config::ClientBuilder;
use crate::error::{ConfigError, Result};
use crate::log::EventSink;
use crate::secret::Secret;
use crate::transport::{Http2, ProxySetting};

/// The settings of a client, as the Python and Node constructors take them (snake_case names
/// are the ones errors report; Node shows them in camelCase).
#[derive(Default)]
pub struct ClientSettings {
    /// The unit of every length of time below.
    pub time_unit: Option<TimeUnit>,
    /// The binding's language and runtime, for `User-Agent` (`("python", "CPython 3.11.7")`).
    pub platform: Option<(String, String)>,
    pub project_id: Option<String>,
    pub user_token: Option<Secret>,
    /// A function of the caller's that gives a token per attempt (the user's, for `user(id)`).
    pub token_provider: Option<Arc<dyn TokenProvider>>,
    pub signing_key: Option<Secret>,
    pub token_lifetime: Option<f64>,
    pub token_audience: Option<bool>,
    pub token_claims: Option<Map<String, Value>>,
    pub permissions: Option<Map<String, Value>>,
    pub host: Option<String>,
    pub proxy_base_url: Option<String>,
    pub zeus_base_url: Option<String>,
    pub hermes_base_url: Option<String>,
    pub default_headers: Vec<(String, FieldValue)>,
    pub timeout: Option<f64>,
    pub connect_timeout: Option<f64>,
    pub deadline: Option<f64>,
    pub max_retries: Option<f64>,
    pub max_retry_after: Option<f64>,
    pub max_response_bytes: Option<f64>,
    pub allow_insecure_http: Option<bool>,
    /// PEM text or file paths (see [`ClientBuilder::ca_certs`] and the rest).
    pub ca_certs: Option<String>,
    pub use_system_roots: Option<bool>,
    pub client_cert: Option<String>,
    pub client_key: Option<Secret>,
    pub proxy: Option<ProxySetting>,
    /// Connection pool: a count, times in `time_unit`, and `"auto"`/`"always"`/`"never"`.
    pub pool_max_idle_per_host: Option<f64>,
    pub pool_idle_timeout: Option<f64>,
    pub tcp_keepalive: Option<f64>,
    pub http2: Option<String>,
    /// Where call events go (the binding's logging).
    pub event_sink: Option<Arc<dyn EventSink>>,
}

impl ClientSettings {
    /// The builder these settings describe, or the first setting that is malformed.
    pub fn builder(self) -> Result<ClientBuilder, ConfigError> {
        let unit = self.time_unit.unwrap_or(TimeUnit::Seconds);
        let mut builder = Client::builder();
        if let Some((language, runtime)) = self.platform {
            builder = builder.platform(language, runtime);
        }
        builder = set(builder, self.project_id, ClientBuilder::project_id);
        builder = set(builder, self.user_token, ClientBuilder::user_token);
        builder = set(builder, self.token_provider, ClientBuilder::token_provider);
        builder = set(builder, self.signing_key, ClientBuilder::signing_key);
        builder = set(builder, self.token_audience, ClientBuilder::token_audience);
        builder = set(builder, self.token_claims, ClientBuilder::token_claims);
        builder = set(builder, self.permissions, ClientBuilder::token_permissions);
        builder = set(builder, self.host, ClientBuilder::host);
        builder = set(builder, self.proxy_base_url, ClientBuilder::proxy_base_url);
        builder = set(builder, self.zeus_base_url, ClientBuilder::zeus_base_url);
        builder = set(
            builder,
            self.hermes_base_url,
            ClientBuilder::hermes_base_url,
        );
        builder = set(
            builder,
            self.allow_insecure_http,
            ClientBuilder::allow_insecure_http,
        );
        builder = set(builder, self.ca_certs, ClientBuilder::ca_certs);
        builder = set(
            builder,
            self.use_system_roots,
            ClientBuilder::use_system_roots,
        );
        builder = set(builder, self.client_cert, ClientBuilder::client_cert);
        builder = set(builder, self.client_key, ClientBuilder::client_key);
        builder = set(builder, self.proxy, ClientBuilder::proxy);
        builder = set(builder, self.event_sink, ClientBuilder::event_sink);
        if let Some(http2) = self.http2 {
            builder = builder.http2(Http2::from_setting(&http2)?);
        }
        type Apply = fn(ClientBuilder, Duration) -> ClientBuilder;
        let durations: [(&'static str, Option<f64>, Apply); 7] = [
            (
                "pool_idle_timeout",
                self.pool_idle_timeout,
                ClientBuilder::pool_idle_timeout,
            ),
            (
                "tcp_keepalive",
                self.tcp_keepalive,
                ClientBuilder::tcp_keepalive,
            ),
            (
                "token_lifetime",
                self.token_lifetime,
                ClientBuilder::token_lifetime,
            ),
            ("timeout", self.timeout, ClientBuilder::timeout),
            (
                "connect_timeout",
                self.connect_timeout,
                ClientBuilder::connect_timeout,
            ),
            ("deadline", self.deadline, ClientBuilder::deadline),
            (
                "max_retry_after",
                self.max_retry_after,
                ClientBuilder::max_retry_after,
            ),
        ];
        for (setting, value, apply) in durations {
            builder = set(builder, unit.setting(setting, value)?, apply);
        }
        let whole = |setting: &'static str, value: Option<f64>, least, most| {
            value
                .map(|value| whole_number(value, least, most))
                .transpose()
                .map_err(|reason| ConfigError::new(setting, reason))
        };
        if let Some(retries) = whole("max_retries", self.max_retries, 0, MOST_RETRIES)? {
            builder = builder.max_retries(retries as u32);
        }
        if let Some(most) = whole(
            "pool_max_idle_per_host",
            self.pool_max_idle_per_host,
            0,
            1 << 20,
        )? {
            builder = builder.pool_max_idle_per_host(most as usize);
        }
        let most_bytes = u64::MAX >> 11; // exactly representable as a language's number
        if let Some(bytes) = whole("max_response_bytes", self.max_response_bytes, 1, most_bytes)? {
            builder = builder.max_response_bytes(bytes);
        }
        let headers = field_pairs("default_headers", self.default_headers)
            .map_err(|error| ConfigError::new("default_headers", error.reason))?;
        for (name, value) in headers {
            builder = builder.default_header(name, value);
        }
        Ok(builder)
    }

    /// The client these settings describe.
    pub fn build(self) -> Result<Client> {
        self.builder()?.build()
    }

    /// `client` with these settings laid over its own ([`Client::with_options`]).
    pub fn apply_to(self, client: &Client) -> Result<Client> {
        client.with_options(self.builder()?)
    }
}

/// `builder` with `apply`'s setting when a value was given.
fn set<T>(
    builder: ClientBuilder,
    value: Option<T>,
    apply: impl FnOnce(ClientBuilder, T) -> ClientBuilder,
) -> ClientBuilder {
    match value {
        Some(value) => apply(builder, value),
        None => builder,
    }
}
