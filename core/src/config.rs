//! Client settings: what the caller gives, what the environment fills in, and the checks that turn
//! them into the settings a client runs with.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use url::{Host, Url};

use serde_json::{Map, Value};

use crate::auth::{Auth, Minter, SigningKey, TokenOptions, TokenProvider};
use crate::error::ConfigError;
use crate::log::{EventSink, Events};
use crate::retry::{DEFAULT_MAX_RETRIES, DEFAULT_MAX_RETRY_AFTER, RetryPolicy};
use crate::secret::Secret;
use crate::transport::{Http2, ProxySetting, Transport, TransportSettings};

/// Paragon's cloud services.
pub const CLOUD_PROXY_BASE_URL: &str = "https://proxy.useparagon.com";
pub const CLOUD_ZEUS_BASE_URL: &str = "https://zeus.useparagon.com";
pub const CLOUD_HERMES_BASE_URL: &str = "https://hermes.useparagon.com";

/// Time allowed to open a connection, unless set.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for a whole call (connect, send, wait, read the body), unless set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest response body read into memory, unless set.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 256 * 1024 * 1024;

/// The SDK's version, sent in `User-Agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A number of seconds, as the bindings take timeouts, or why it is not a valid timeout: it must
/// be finite and greater than zero.
pub fn duration_from_seconds(seconds: f64) -> Result<Duration, String> {
    crate::arguments::TimeUnit::Seconds.duration(seconds)
}

/// Settings for a [`Client`](crate::Client). Anything not given is read from the environment
/// (`PARAGON_PROJECT_ID`, `PARAGON_USER_TOKEN`, `PARAGON_HOST`, `PARAGON_PROXY_BASE_URL`,
/// `PARAGON_ZEUS_BASE_URL`, `PARAGON_HERMES_BASE_URL`; an empty variable counts as unset).
///
/// Each service's base URL is, in order: its own `*_base_url`; derived from `host` for an
/// on-premise installation (`https://worker-proxy.<host>`, `https://zeus.<host>`,
/// `https://hermes.<host>`); Paragon's cloud.
#[derive(Clone, Default)]
pub struct ClientBuilder {
    project_id: Option<String>,
    user_token: Option<Secret>,
    signing_key: Option<Secret>,
    token_provider: Option<Arc<dyn TokenProvider>>,
    token_options: TokenOptions,
    host: Option<String>,
    proxy_base_url: Option<String>,
    zeus_base_url: Option<String>,
    hermes_base_url: Option<String>,
    default_headers: Vec<(String, String)>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    deadline: Option<Duration>,
    max_retries: Option<u32>,
    max_retry_after: Option<Duration>,
    max_response_bytes: Option<u64>,
    platform: Option<(String, String)>,
    allow_insecure_http: bool,
    ignore_environment: bool,
    transport: TransportSettings,
    events: Events,
}

impl ClientBuilder {
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = Some(project_id.into());
        self
    }

    /// A Paragon User Token (a JWT signed with your project's signing key).
    pub fn user_token(mut self, token: impl Into<Secret>) -> Self {
        self.user_token = Some(token.into());
        self
    }

    /// The project's signing key (PEM, from the Paragon dashboard; literal `\n` escapes are
    /// accepted). The client then signs a token for each user it is bound to with
    /// [`Client::user`](crate::Client::user).
    pub fn signing_key(mut self, pem: impl Into<Secret>) -> Self {
        self.signing_key = Some(pem.into());
        self
    }

    /// Your own source of user tokens, asked before every request.
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.token_provider = Some(provider);
        self
    }

    /// Lifetime of the tokens signed with the signing key (default one hour).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_options.lifetime = lifetime;
        self
    }

    /// Whether signed tokens carry `aud: useparagon.com/<projectId>` (default true).
    pub fn token_audience(mut self, audience: bool) -> Self {
        self.token_options.audience = audience;
        self
    }

    /// The permissions claim of signed tokens, e.g. `{"integration:slack": true}`.
    pub fn token_permissions(mut self, permissions: Map<String, Value>) -> Self {
        self.token_options.permissions = Some(permissions);
        self
    }

    /// Further claims of signed tokens.
    pub fn token_claims(mut self, claims: Map<String, Value>) -> Self {
        self.token_options.extra_claims = claims;
        self
    }

    /// The domain of an on-premise installation, e.g. `paragon.example.com`.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    pub fn proxy_base_url(mut self, url: impl Into<String>) -> Self {
        self.proxy_base_url = Some(url.into());
        self
    }

    pub fn zeus_base_url(mut self, url: impl Into<String>) -> Self {
        self.zeus_base_url = Some(url.into());
        self
    }

    pub fn hermes_base_url(mut self, url: impl Into<String>) -> Self {
        self.hermes_base_url = Some(url.into());
        self
    }

    /// A header sent with every call (a call's own headers of the same name replace it).
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.default_headers.push((name.into(), value.into()));
        self
    }

    /// Time allowed to open a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Time allowed for a whole call (default 60 s); a call's own `timeout` replaces it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Time allowed for a call with all its retries (none by default: each attempt has its
    /// `timeout`); a call's own `deadline` replaces it.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Retries after a failed attempt (default 2; 0 turns them off). See
    /// [`RequestOptions::idempotent`](crate::RequestOptions::idempotent) for which failures are
    /// retried.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }

    /// The longest `Retry-After` waited for before retrying (default 60 s); a longer one fails at
    /// once with the status error, whose `retry_after` says how long the server asked for.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = Some(wait);
        self
    }

    /// The largest response body read into memory (default 256 MiB); a larger one is a
    /// [`Decode`](crate::Error::Decode) error, and memory stays bounded.
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// The language and runtime named in `User-Agent`: `paragon-connect/<version> (<language>;
    /// <runtime>)`. The bindings set theirs (`python`, `CPython 3.11.7`); Rust is `rust; tokio`.
    pub fn platform(mut self, language: impl Into<String>, runtime: impl Into<String>) -> Self {
        self.platform = Some((language.into(), runtime.into()));
        self
    }

    /// Allow `http://` base URLs on hosts other than loopback (the token then travels in clear).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Certificate authorities to trust: PEM text, or the path of a PEM file (one or more
    /// certificates). Added to the system's roots unless [`use_system_roots`](Self::use_system_roots)
    /// is false. Paragon installed on-premise behind a private CA needs this.
    pub fn ca_certs(mut self, pem_or_path: impl Into<String>) -> Self {
        self.transport.ca_certs = Some(pem_or_path.into());
        self
    }

    /// Whether the system's roots are trusted (default true; false trusts only
    /// [`ca_certs`](Self::ca_certs)).
    pub fn use_system_roots(mut self, use_them: bool) -> Self {
        self.transport.use_system_roots = Some(use_them);
        self
    }

    /// A client certificate chain (PEM text or file path) for servers that require one (mutual
    /// TLS); needs [`client_key`](Self::client_key).
    pub fn client_cert(mut self, pem_or_path: impl Into<String>) -> Self {
        self.transport.client_cert = Some(pem_or_path.into());
        self
    }

    /// The private key of [`client_cert`](Self::client_cert) (PEM text or file path).
    pub fn client_key(mut self, pem_or_path: impl Into<Secret>) -> Self {
        self.transport.client_key = Some(pem_or_path.into());
        self
    }

    /// The proxy to go through (`http://`, `https://`, `socks5://`, `socks5h://`, credentials in
    /// the URL), or [`ProxySetting::Off`] for none. Not given: the environment's (`HTTPS_PROXY`,
    /// `NO_PROXY`, ...; the system's settings on macOS and Windows), never for services on
    /// loopback.
    pub fn proxy(mut self, proxy: ProxySetting) -> Self {
        self.transport.proxy = Some(proxy);
        self
    }

    /// The most idle connections kept per host (default: no limit; 0 keeps none).
    pub fn pool_max_idle_per_host(mut self, most: usize) -> Self {
        self.transport.pool.max_idle_per_host = Some(most);
        self
    }

    /// How long an idle connection is kept (default 90 s).
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.transport.pool.idle_timeout = Some(timeout);
        self
    }

    /// The TCP keep-alive interval of each connection (default 15 s).
    pub fn tcp_keepalive(mut self, interval: Duration) -> Self {
        self.transport.pool.tcp_keepalive = Some(interval);
        self
    }

    /// Which HTTP version to speak (default [`Http2::Auto`]).
    pub fn http2(mut self, http2: Http2) -> Self {
        self.transport.pool.http2 = Some(http2);
        self
    }

    /// Where the client's call events go (each attempt, each retry, giving up); they also go to
    /// stderr when `PARAGON_LOG=debug`.
    pub fn event_sink(mut self, sink: Arc<dyn EventSink>) -> Self {
        self.events.sink = Some(sink);
        self
    }

    /// Read nothing from `PARAGON_*` environment variables.
    pub fn ignore_environment(mut self) -> Self {
        self.ignore_environment = true;
        self
    }

    /// `settings` with this builder's per-call limits and default headers laid over them: what
    /// [`Client::with_options`](crate::Client::with_options) may change. Any other setting given
    /// is refused, naming it: it shapes the connection pool or the credentials.
    pub(crate) fn overlay(self, settings: &Settings) -> Result<Settings, ConfigError> {
        let transport = &self.transport;
        let fixed = [
            ("project_id", self.project_id.is_some()),
            (
                "user_token",
                self.user_token.is_some() || self.token_provider.is_some(),
            ),
            ("signing_key", self.signing_key.is_some()),
            (
                "token_options",
                self.token_options != TokenOptions::default(),
            ),
            ("host", self.host.is_some()),
            ("proxy_base_url", self.proxy_base_url.is_some()),
            ("zeus_base_url", self.zeus_base_url.is_some()),
            ("hermes_base_url", self.hermes_base_url.is_some()),
            ("connect_timeout", self.connect_timeout.is_some()),
            ("allow_insecure_http", self.allow_insecure_http),
            ("ca_certs", transport.ca_certs.is_some()),
            ("use_system_roots", transport.use_system_roots.is_some()),
            ("client_cert", transport.client_cert.is_some()),
            ("client_key", transport.client_key.is_some()),
            ("proxy", transport.proxy.is_some()),
            (
                "pool_max_idle_per_host",
                transport.pool.max_idle_per_host.is_some(),
            ),
            ("pool_idle_timeout", transport.pool.idle_timeout.is_some()),
            ("tcp_keepalive", transport.pool.tcp_keepalive.is_some()),
            ("http2", transport.pool.http2.is_some()),
            ("logger", self.events.sink.is_some()),
        ];
        if let Some((setting, _)) = fixed.iter().find(|(_, given)| *given) {
            return Err(ConfigError::new(
                *setting,
                "cannot be changed by with_options (copies share the client's connections, credentials and events): build a new client",
            ));
        }
        let mut settings = settings.clone();
        if let Some(timeout) = self.timeout {
            settings.timeout = positive("timeout", timeout)?;
        }
        if let Some(deadline) = self.deadline {
            settings.deadline = Some(positive("deadline", deadline)?);
        }
        if let Some(retries) = self.max_retries {
            settings.retry.max_retries = retries;
        }
        if let Some(wait) = self.max_retry_after {
            settings.retry.max_retry_after = wait;
        }
        if let Some(bytes) = self.max_response_bytes {
            if bytes == 0 {
                return Err(ConfigError::new(
                    "max_response_bytes",
                    "must be greater than zero",
                ));
            }
            settings.max_response_bytes = bytes;
        }
        let headers = crate::headers::caller_headers(&self.default_headers)
            .map_err(|error| ConfigError::new("default_headers", error.reason))?;
        // A header given replaces the client's of the same name (all its values).
        for name in headers.keys() {
            settings.default_headers.remove(name);
        }
        for (name, value) in &headers {
            settings.default_headers.append(name, value.clone());
        }
        Ok(settings)
    }

    /// Checks the settings, filling what is missing from the process environment.
    pub(crate) fn resolve(self) -> Result<Settings, ConfigError> {
        let ignore = self.ignore_environment;
        self.resolve_with(|name| {
            if ignore {
                None
            } else {
                std::env::var(name).ok()
            }
        })
    }

    /// Checks the settings, filling what is missing from `env` (a test seam).
    pub(crate) fn resolve_with(
        self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let env = |name: &str| env(name).filter(|value| !value.is_empty());
        // Read before the settings below are moved out of the builder.
        let Limits {
            connect_timeout,
            timeout,
            deadline,
            retry,
            max_response_bytes,
        } = Limits::resolve(&self)?;

        let project_id = self
            .project_id
            .or_else(|| env("PARAGON_PROJECT_ID"))
            .ok_or_else(|| {
                ConfigError::new(
                    "project_id",
                    "is required: pass it or set PARAGON_PROJECT_ID",
                )
            })?;
        check_project_id(&project_id)?;

        let auth = resolve_auth(
            self.user_token,
            self.signing_key,
            self.token_provider,
            self.token_options,
            &project_id,
            &env,
        )?;

        let host = self.host.or_else(|| env("PARAGON_HOST"));
        let given = [
            self.proxy_base_url,
            self.zeus_base_url,
            self.hermes_base_url,
        ];
        let [proxy_base_url, zeus_base_url, hermes_base_url] =
            service_urls(given, host.as_deref(), self.allow_insecure_http, &env)?;

        let default_headers = crate::headers::caller_headers(&self.default_headers)
            .map_err(|error| ConfigError::new("default_headers", error.reason))?;

        let (language, runtime) = self
            .platform
            .unwrap_or_else(|| ("rust".to_owned(), "tokio".to_owned()));
        let transport = Transport::resolve(
            self.transport,
            &language,
            &[&proxy_base_url, &zeus_base_url, &hermes_base_url],
            &env,
        )?;
        let user_agent =
            HeaderValue::try_from(format!("paragon-connect/{VERSION} ({language}; {runtime})"))
                .map_err(|_| ConfigError::new("platform", "must be printable ASCII"))?;

        Ok(Settings {
            project_id,
            auth,
            proxy_base_url,
            zeus_base_url,
            hermes_base_url,
            default_headers,
            user_agent,
            connect_timeout,
            timeout,
            deadline,
            retry,
            max_response_bytes,
            transport,
            events: self.events,
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("project_id", &self.project_id)
            .field(
                "user_token",
                &self.user_token.as_ref().map(|_| "[redacted]"),
            )
            .field("host", &self.host)
            .field("proxy_base_url", &self.proxy_base_url)
            .field("zeus_base_url", &self.zeus_base_url)
            .field("hermes_base_url", &self.hermes_base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .finish_non_exhaustive()
    }
}

/// Checked settings a client runs with.
#[derive(Clone)]
pub(crate) struct Settings {
    pub project_id: String,
    pub auth: Auth,
    pub proxy_base_url: Url,
    pub zeus_base_url: Url,
    pub hermes_base_url: Url,
    pub default_headers: HeaderMap,
    pub user_agent: HeaderValue,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub deadline: Option<Duration>,
    pub retry: RetryPolicy,
    pub max_response_bytes: u64,
    pub transport: Transport,
    pub events: Events,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("project_id", &self.project_id)
            .field("auth", &self.auth)
            .field("proxy_base_url", &self.proxy_base_url.as_str())
            .field("zeus_base_url", &self.zeus_base_url.as_str())
            .field("hermes_base_url", &self.hermes_base_url.as_str())
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// A header name and value that can go on the wire, or why not. Never quotes the value: headers
/// often carry keys.
pub(crate) fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), String> {
    let header_name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("{name:?} is not a valid HTTP header name"))?;
    let header_value = HeaderValue::from_str(value).map_err(|_| {
        format!("the value of header {name:?} contains a character HTTP does not allow (CR, LF, NUL or another control character)")
    })?;
    Ok((header_name, header_value))
}

/// `Bearer <token>`, marked sensitive so HTTP debug output hides it; never quotes the token.
pub(crate) fn authorization_header(token: &Secret) -> Result<HeaderValue, String> {
    if token.expose().is_empty() {
        return Err("the user token is empty".to_owned());
    }
    let mut value = HeaderValue::try_from(format!("Bearer {}", token.expose())).map_err(|_| {
        "the user token contains a character that cannot be sent in an HTTP header (a stray newline?)"
            .to_owned()
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Exactly one source of tokens: given in code, else from the environment.
/// Each service's base URL: its own setting or variable; else derived from an on-premise
/// `host`; else Paragon's cloud. In the order proxy, zeus, hermes.
fn service_urls(
    given: [Option<String>; 3],
    host: Option<&str>,
    allow_http: bool,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<[Url; 3], ConfigError> {
    if let Some(host) = host {
        check_host(host)?;
    }
    let services = [
        (
            "proxy_base_url",
            "PARAGON_PROXY_BASE_URL",
            "worker-proxy",
            CLOUD_PROXY_BASE_URL,
        ),
        (
            "zeus_base_url",
            "PARAGON_ZEUS_BASE_URL",
            "zeus",
            CLOUD_ZEUS_BASE_URL,
        ),
        (
            "hermes_base_url",
            "PARAGON_HERMES_BASE_URL",
            "hermes",
            CLOUD_HERMES_BASE_URL,
        ),
    ];
    let mut urls = Vec::with_capacity(3);
    for (given, (setting, variable, on_premise, cloud)) in given.into_iter().zip(services) {
        urls.push(match given.or_else(|| env(variable)) {
            Some(url) => base_url(setting, &url, allow_http)?,
            None => match host {
                Some(host) => base_url("host", &format!("https://{on_premise}.{host}"), false)?,
                None => base_url(setting, cloud, false)?,
            },
        });
    }
    Ok(urls.try_into().expect("three services"))
}

/// The time and size limits of a client, defaults filled in.
struct Limits {
    connect_timeout: Duration,
    timeout: Duration,
    deadline: Option<Duration>,
    retry: RetryPolicy,
    max_response_bytes: u64,
}

impl Limits {
    fn resolve(given: &ClientBuilder) -> Result<Limits, ConfigError> {
        let max_response_bytes = given
            .max_response_bytes
            .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES);
        if max_response_bytes == 0 {
            return Err(ConfigError::new(
                "max_response_bytes",
                "must be greater than zero",
            ));
        }
        Ok(Limits {
            connect_timeout: positive(
                "connect_timeout",
                given.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            )?,
            timeout: positive("timeout", given.timeout.unwrap_or(DEFAULT_TIMEOUT))?,
            deadline: given
                .deadline
                .map(|deadline| positive("deadline", deadline))
                .transpose()?,
            retry: RetryPolicy {
                max_retries: given.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
                max_retry_after: given.max_retry_after.unwrap_or(DEFAULT_MAX_RETRY_AFTER),
            },
            max_response_bytes,
        })
    }
}

fn resolve_auth(
    user_token: Option<Secret>,
    signing_key: Option<Secret>,
    provider: Option<Arc<dyn TokenProvider>>,
    options: TokenOptions,
    project_id: &str,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Auth, ConfigError> {
    let given = [
        user_token.is_some(),
        signing_key.is_some(),
        provider.is_some(),
    ];
    let (user_token, signing_key) = match given.iter().filter(|given| **given).count() {
        0 => (
            env("PARAGON_USER_TOKEN").map(Secret::new),
            env("PARAGON_SIGNING_KEY").map(Secret::new),
        ),
        1 => (user_token, signing_key),
        _ => {
            return Err(ConfigError::new(
                "user_token",
                "give one of user_token, signing_key or a token provider, not several",
            ));
        }
    };
    if let Some(provider) = provider {
        return Ok(Auth::Provider(provider));
    }
    match (user_token, signing_key) {
        (Some(_), Some(_)) => Err(ConfigError::new(
            "user_token",
            "both PARAGON_USER_TOKEN and PARAGON_SIGNING_KEY are set: unset one, or pass one in code",
        )),
        (Some(token), None) => {
            authorization_header(&token)
                .map_err(|reason| ConfigError::new("user_token", reason))?;
            Ok(Auth::Token(token))
        }
        (None, Some(pem)) => {
            if options.lifetime.as_secs() < 10 {
                return Err(ConfigError::new(
                    "token_lifetime",
                    "must be at least 10 seconds",
                ));
            }
            let key = SigningKey::from_pem(pem.expose())?;
            Ok(Auth::Signed(Arc::new(Minter::new(
                key,
                project_id.to_owned(),
                options,
            ))))
        }
        (None, None) => Err(ConfigError::new(
            "user_token",
            "is required: pass a Paragon User Token or the project's signing_key, or set PARAGON_USER_TOKEN or PARAGON_SIGNING_KEY",
        )),
    }
}

fn check_project_id(project_id: &str) -> Result<(), ConfigError> {
    if project_id.is_empty() {
        return Err(ConfigError::new("project_id", "must not be empty"));
    }
    if !project_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ConfigError::new(
            "project_id",
            format!("{project_id:?} is not a Paragon project id (letters, digits, '-' and '_')"),
        ));
    }
    Ok(())
}

fn check_host(host: &str) -> Result<(), ConfigError> {
    let is_domain = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !host.starts_with(['.', '-'])
        && !host.ends_with('.');
    if !is_domain {
        return Err(ConfigError::new(
            "host",
            format!(
                "{host:?} is not a domain name: pass your on-premise installation's domain (e.g. \"paragon.example.com\"), not a URL"
            ),
        ));
    }
    Ok(())
}

fn base_url(setting: &'static str, value: &str, allow_http: bool) -> Result<Url, ConfigError> {
    let url = Url::parse(value)
        .map_err(|error| ConfigError::new(setting, format!("{value:?} is not a URL: {error}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        // The value holds credentials: do not repeat it.
        return Err(ConfigError::new(
            setting,
            "must not contain a user name or password",
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if allow_http || is_loopback(&url) => {}
        "http" => {
            return Err(ConfigError::new(
                setting,
                format!(
                    "{value:?} uses plain http:// on a host that is not loopback, which would send the user token in clear; use https://, or allow_insecure_http"
                ),
            ));
        }
        _ => {
            return Err(ConfigError::new(
                setting,
                format!("{value:?} must start with https:// (or http:// for a local server)"),
            ));
        }
    }
    if url.query().is_some() || url.fragment().is_some() || url.cannot_be_a_base() {
        return Err(ConfigError::new(
            setting,
            format!("{value:?} must be a base URL, without a query or fragment"),
        ));
    }
    Ok(url)
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

fn positive(setting: &'static str, duration: Duration) -> Result<Duration, ConfigError> {
    nonzero(duration).map_err(|reason| ConfigError::new(setting, reason))
}

/// A length of time a setting or a call gives: zero is refused (it would fail every call).
pub(crate) fn nonzero(duration: Duration) -> Result<Duration, &'static str> {
    if duration.is_zero() {
        return Err("must be greater than zero");
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn builder() -> ClientBuilder {
        ClientBuilder::default()
            .project_id("project-1")
            .user_token("token-abcdefgh")
    }

    fn resolve(builder: ClientBuilder, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        builder.resolve_with(|name| env.get(name).cloned())
    }

    #[test]
    fn cloud_urls_by_default() {
        let settings = resolve(builder(), &[]).unwrap();
        assert_eq!(
            settings.proxy_base_url.as_str(),
            "https://proxy.useparagon.com/"
        );
        assert_eq!(
            settings.zeus_base_url.as_str(),
            "https://zeus.useparagon.com/"
        );
        assert_eq!(
            settings.hermes_base_url.as_str(),
            "https://hermes.useparagon.com/"
        );
        assert_eq!(settings.timeout, DEFAULT_TIMEOUT);
        assert_eq!(settings.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
        assert_eq!(
            settings.user_agent.to_str().unwrap(),
            format!("paragon-connect/{VERSION} (rust; tokio)")
        );
    }

    #[test]
    fn an_on_premise_host_derives_every_service() {
        let settings = resolve(builder().host("paragon.example.com"), &[]).unwrap();
        assert_eq!(
            settings.proxy_base_url.as_str(),
            "https://worker-proxy.paragon.example.com/"
        );
        assert_eq!(
            settings.zeus_base_url.as_str(),
            "https://zeus.paragon.example.com/"
        );
        assert_eq!(
            settings.hermes_base_url.as_str(),
            "https://hermes.paragon.example.com/"
        );
    }

    #[test]
    fn each_base_url_overrides_the_host() {
        let settings = resolve(
            builder()
                .host("paragon.example.com")
                .proxy_base_url("http://127.0.0.1:8080"),
            &[("PARAGON_ZEUS_BASE_URL", "https://api.useparagon.com")],
        )
        .unwrap();
        assert_eq!(settings.proxy_base_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(
            settings.zeus_base_url.as_str(),
            "https://api.useparagon.com/"
        );
        assert_eq!(
            settings.hermes_base_url.as_str(),
            "https://hermes.paragon.example.com/"
        );
    }

    #[test]
    fn the_environment_fills_what_is_not_given() {
        let env = [
            ("PARAGON_PROJECT_ID", "from-env"),
            ("PARAGON_USER_TOKEN", "env-token-123"),
            ("PARAGON_HOST", "onprem.example.com"),
            ("PARAGON_PROXY_BASE_URL", "http://localhost:9999"),
            ("PARAGON_HERMES_BASE_URL", "https://hermes.internal"),
        ];
        let settings = resolve(ClientBuilder::default(), &env).unwrap();
        assert_eq!(settings.project_id, "from-env");
        assert!(matches!(&settings.auth, Auth::Token(token) if token.expose() == "env-token-123"));
        assert_eq!(settings.proxy_base_url.as_str(), "http://localhost:9999/");
        assert_eq!(
            settings.zeus_base_url.as_str(),
            "https://zeus.onprem.example.com/"
        );
        assert_eq!(
            settings.hermes_base_url.as_str(),
            "https://hermes.internal/"
        );
        // What is given wins over the environment.
        let settings = resolve(builder(), &env).unwrap();
        assert_eq!(settings.project_id, "project-1");
        assert!(matches!(&settings.auth, Auth::Token(token) if token.expose() == "token-abcdefgh"));
        // An empty variable counts as unset.
        let error = resolve(ClientBuilder::default(), &[("PARAGON_PROJECT_ID", "")]).unwrap_err();
        assert_eq!(error.setting, "project_id");
    }

    #[test]
    fn missing_and_malformed_settings_are_named() {
        let cases: Vec<(ClientBuilder, &str)> = vec![
            (
                ClientBuilder::default().user_token("t-12345678"),
                "project_id",
            ),
            (ClientBuilder::default().project_id("p"), "user_token"),
            (builder().project_id(""), "project_id"),
            (builder().project_id("../me"), "project_id"),
            (builder().user_token(""), "user_token"),
            (builder().user_token("abc\r\nX-Evil: 1"), "user_token"),
            (builder().host("https://paragon.example.com"), "host"),
            (builder().host("paragon.example.com/x"), "host"),
            (builder().proxy_base_url("not a url"), "proxy_base_url"),
            (
                builder().proxy_base_url("ftp://x.example.com"),
                "proxy_base_url",
            ),
            (
                builder().proxy_base_url("http://proxy.example.com"),
                "proxy_base_url",
            ),
            (
                builder().proxy_base_url("https://x.example.com/?a=1"),
                "proxy_base_url",
            ),
            (
                builder().zeus_base_url("https://user:pw@x.example.com"),
                "zeus_base_url",
            ),
            (builder().default_header("Bad Name", "v"), "default_headers"),
            (builder().default_header("X-Ok", "a\nb"), "default_headers"),
            (builder().timeout(Duration::ZERO), "timeout"),
            (builder().connect_timeout(Duration::ZERO), "connect_timeout"),
        ];
        for (builder, setting) in cases {
            let error = resolve(builder, &[]).expect_err(setting);
            assert_eq!(error.setting, setting, "{error}");
        }
    }

    #[test]
    fn errors_never_show_the_token_or_url_credentials() {
        let error = resolve(builder().user_token("secret\nvalue"), &[]).unwrap_err();
        assert!(!error.to_string().contains("secret"));
        let error = resolve(
            builder().proxy_base_url("https://u:hunter2@x.example.com"),
            &[],
        )
        .unwrap_err();
        assert!(!error.to_string().contains("hunter2"));
    }

    #[test]
    fn plain_http_is_allowed_on_loopback_or_when_asked() {
        for url in [
            "http://127.0.0.1:1",
            "http://localhost:2",
            "http://[::1]:3",
            "http://127.8.0.1",
        ] {
            assert!(resolve(builder().proxy_base_url(url), &[]).is_ok(), "{url}");
        }
        let settings = resolve(
            builder()
                .proxy_base_url("http://proxy.internal")
                .allow_insecure_http(true),
            &[],
        )
        .unwrap();
        assert_eq!(settings.proxy_base_url.as_str(), "http://proxy.internal/");
    }

    #[test]
    fn the_signing_key_comes_from_code_or_the_environment() {
        const KEY: &str = include_str!("../../tests/sandbox/keys/sandbox-signing-key.pem");
        let only_project = || ClientBuilder::default().project_id("p");
        let settings = resolve(only_project(), &[("PARAGON_SIGNING_KEY", KEY)]).unwrap();
        assert!(matches!(settings.auth, Auth::Signed(_)));
        let both = [
            ("PARAGON_SIGNING_KEY", KEY),
            ("PARAGON_USER_TOKEN", "t-12345678"),
        ];
        assert!(
            resolve(only_project(), &both)
                .unwrap_err()
                .reason
                .contains("both")
        );
        // Given in code wins over the environment.
        let settings = resolve(only_project().user_token("t-12345678"), &both).unwrap();
        assert!(matches!(settings.auth, Auth::Token(_)));
        let short = only_project()
            .signing_key(KEY)
            .token_lifetime(Duration::from_secs(1));
        assert_eq!(resolve(short, &[]).unwrap_err().setting, "token_lifetime");
        assert!(
            !format!(
                "{:?}",
                resolve(only_project().signing_key(KEY), &[]).unwrap()
            )
            .contains("MII")
        );
    }

    #[test]
    fn seconds_become_durations_when_positive_and_finite() {
        assert_eq!(duration_from_seconds(1.5), Ok(Duration::from_millis(1500)));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e12] {
            assert!(duration_from_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_redacts_the_token() {
        let builder = builder().user_token("super-secret-token");
        assert!(!format!("{builder:?}").contains("super-secret"));
        let settings = resolve(builder, &[]).unwrap();
        assert!(!format!("{settings:?}").contains("super-secret"));
        assert!(!format!("{settings:?}").contains("super-secret"));
    }
}
