//! The one error type of the SDK: a kind per class of failure, each saying what happened and where.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde_json::Value;

use crate::secret::Secret;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong. Match on it exhaustively: the bindings map each variant to one
/// exception class, so a new variant must be a compile error there, not an "unknown error".
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client could not be built from the settings given (nothing was sent).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The call's own arguments are not valid (nothing was sent).
    #[error(transparent)]
    InvalidRequest(#[from] InvalidRequestError),
    /// Paragon could not be reached, or the connection failed before a response arrived.
    #[error(transparent)]
    Connection(Box<ConnectionError>),
    /// A connect or total timeout ran out.
    #[error(transparent)]
    Timeout(Box<TimeoutError>),
    /// Paragon (or the upstream API through it) answered with a status outside 2xx.
    #[error(transparent)]
    Status(Box<StatusError>),
    /// A response arrived but its body could not be read or decoded (cut short, bad gzip, ...).
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// A walk through pages could not go on: a page's answer repeated a cursor, pointed outside
    /// the integration, or lacked what the walk reads.
    #[error(transparent)]
    Pagination(Box<PaginationError>),
}

/// The kind of an [`Error`], for code that only needs to branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    Config,
    InvalidRequest,
    Connection,
    Timeout,
    Status,
    Decode,
    Pagination,
}

impl Error {
    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) => ErrorKind::Config,
            Error::InvalidRequest(_) => ErrorKind::InvalidRequest,
            Error::Connection(_) => ErrorKind::Connection,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Status(_) => ErrorKind::Status,
            Error::Decode(_) => ErrorKind::Decode,
            Error::Pagination(_) => ErrorKind::Pagination,
        }
    }

    /// The name of the exception class the Python and Node packages raise for this error
    /// (`NotFoundError`, `TimeoutError`, ...): one list, so both languages agree.
    pub fn class_name(&self) -> &'static str {
        match self {
            Error::Config(_) => "ConfigurationError",
            Error::InvalidRequest(_) => "InvalidRequestError",
            Error::Connection(_) => "ConnectionError",
            Error::Timeout(_) => "TimeoutError",
            Error::Decode(_) => "DecodeError",
            Error::Pagination(_) => "PaginationError",
            Error::Status(status) => match status.class() {
                StatusClass::BadRequest => "BadRequestError",
                StatusClass::Authentication => "AuthenticationError",
                StatusClass::PermissionDenied => "PermissionDeniedError",
                StatusClass::NotFound => "NotFoundError",
                StatusClass::Conflict => "ConflictError",
                StatusClass::UnprocessableEntity => "UnprocessableEntityError",
                StatusClass::RateLimit => "RateLimitError",
                StatusClass::InternalServer => "InternalServerError",
                StatusClass::Other => "APIStatusError",
            },
        }
    }

    /// The call this error belongs to, when it happened while making one.
    pub fn call(&self) -> Option<&CallSite> {
        match self {
            Error::Config(_) | Error::InvalidRequest(_) => None,
            Error::Connection(error) => Some(&error.call),
            Error::Timeout(error) => Some(&error.call),
            Error::Status(error) => Some(&error.call),
            Error::Decode(error) => Some(&error.call),
            Error::Pagination(error) => Some(&error.call),
        }
    }

    pub(crate) fn call_mut(&mut self) -> Option<&mut CallSite> {
        match self {
            Error::Config(_) | Error::InvalidRequest(_) => None,
            Error::Connection(error) => Some(&mut error.call),
            Error::Timeout(error) => Some(&mut error.call),
            Error::Status(error) => Some(&mut error.call),
            Error::Decode(error) => Some(&mut error.call),
            Error::Pagination(error) => Some(&mut error.call),
        }
    }

    /// This error in a few words, for the history of a retried call (`503 Service Unavailable`,
    /// `timed out`, `connection failed`).
    pub(crate) fn short(&self) -> String {
        match self {
            Error::Status(error) => error.status.to_string(),
            Error::Timeout(_) => "timed out".to_owned(),
            Error::Connection(_) => "connection failed".to_owned(),
            Error::Decode(_) => "response cut short".to_owned(),
            Error::Pagination(_) => "pagination stopped".to_owned(),
            Error::Config(_) | Error::InvalidRequest(_) => "refused".to_owned(),
        }
    }

    /// The status error, when Paragon answered with a non-2xx status.
    pub fn as_status(&self) -> Option<&StatusError> {
        match self {
            Error::Status(error) => Some(error),
            _ => None,
        }
    }
}

/// Which call an error belongs to: method, integration and path (without its query string, which
/// may carry data the caller would not want in logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSite {
    pub method: Method,
    /// Empty for Paragon's own endpoints (`get_user`, ...).
    pub integration_type: String,
    pub path: String,
    /// Why each earlier attempt of this call failed, when it was retried.
    pub earlier_attempts: Vec<String>,
    /// Which page of a walk through pages this call fetched (1 for the first).
    pub page: Option<u32>,
}

impl CallSite {
    pub(crate) fn new(method: Method, integration_type: &str, path: &str) -> CallSite {
        CallSite {
            method,
            integration_type: integration_type.to_owned(),
            path: path.to_owned(),
            earlier_attempts: Vec::new(),
            page: None,
        }
    }

    /// How many times the call was sent.
    pub fn attempts(&self) -> usize {
        self.earlier_attempts.len() + 1
    }
}

impl fmt::Display for CallSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.split('?').next().unwrap_or_default();
        if self.integration_type.is_empty() {
            // One of Paragon's own endpoints.
            write!(f, "{} {}", self.method, path)?;
        } else {
            write!(f, "{} {} {}", self.method, self.integration_type, path)?;
        }
        if let Some(page) = self.page {
            write!(f, " (page {page})")?;
        }
        if !self.earlier_attempts.is_empty() {
            write!(
                f,
                " (attempt {}; earlier: {})",
                self.attempts(),
                self.earlier_attempts.join("; ")
            )?;
        }
        Ok(())
    }
}

/// A client setting that is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Paragon client setting `{setting}`: {reason}")]
pub struct ConfigError {
    /// The setting's name (`project_id`, `proxy_base_url`, ...; Node shows it in camelCase).
    pub setting: Cow<'static, str>,
    pub reason: String,
}

impl ConfigError {
    pub fn new(setting: impl Into<Cow<'static, str>>, reason: impl Into<String>) -> Self {
        ConfigError {
            setting: setting.into(),
            reason: reason.into(),
        }
    }
}

/// An argument of a call that cannot be sent as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid request {argument}: {reason}")]
pub struct InvalidRequestError {
    /// The argument at fault: `integration_type`, `path`, `method`, `headers`, `query`, `body`,
    /// `selected_credential_id` or `timeout` (Node shows it in camelCase).
    pub argument: Cow<'static, str>,
    pub reason: String,
}

impl InvalidRequestError {
    pub fn new(argument: impl Into<Cow<'static, str>>, reason: impl Into<String>) -> Self {
        InvalidRequestError {
            argument: argument.into(),
            reason: reason.into(),
        }
    }
}

/// The request could not be delivered, or the connection broke before a response arrived.
#[derive(Debug, thiserror::Error)]
#[error("{call}: could not reach {origin}: {}", chain(source.as_ref()))]
pub struct ConnectionError {
    pub call: CallSite,
    /// Scheme, host and port of the service that could not be reached.
    pub origin: String,
    /// True when the connection could not be made, so nothing was sent.
    pub while_connecting: bool,
    /// The transport's own error (boxed: the HTTP library is not part of this crate's API).
    #[source]
    pub source: Box<dyn StdError + Send + Sync>,
}

/// What a timeout interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Waiting for the caller's token function (nothing was sent).
    Token,
    Connect,
    Response,
}

/// A timeout ran out.
#[derive(Debug, thiserror::Error)]
#[error("{call}: timed out after {} {}", seconds(*after), match phase {
    TimeoutPhase::Token => "waiting for the user_token function",
    TimeoutPhase::Connect => "connecting",
    TimeoutPhase::Response => "waiting for the response",
})]
pub struct TimeoutError {
    pub call: CallSite,
    pub phase: TimeoutPhase,
    /// The limit that ran out.
    pub after: Duration,
}

/// A response arrived but could not be read or decoded.
#[derive(Debug, thiserror::Error)]
#[error("{call}: the response from Paragon could not be read: {reason}")]
pub struct DecodeError {
    pub call: CallSite,
    /// The HTTP status of the response whose body failed.
    pub status: StatusCode,
    pub reason: String,
    #[source]
    pub source: Option<Box<dyn StdError + Send + Sync>>,
}

/// A walk through pages stopped: what page `call.page` answered cannot lead to the next one.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{call}: {reason}")]
pub struct PaginationError {
    pub call: CallSite,
    pub reason: String,
}

/// Paragon or the upstream API answered with a non-2xx status. Everything it sent is kept.
#[derive(Debug)]
pub struct StatusError {
    pub call: CallSite,
    pub status: StatusCode,
    /// Paragon's error code (`"7210"`, ...), when the body carried one.
    pub code: Option<String>,
    /// The message the browser SDK would show (PROTOCOL.md, Errors).
    pub message: String,
    /// The body parsed as JSON, when it is JSON.
    pub body_json: Option<Value>,
    /// The body exactly as received.
    pub body: Bytes,
    pub headers: HeaderMap,
    pub request_id: Option<String>,
    /// How long the server asked to wait (`Retry-After`, `retry-after-ms`), when it said.
    pub retry_after: Option<Duration>,
    /// True when Paragon says the upstream API failed (`meta.isIntegrationError`).
    pub is_integration_error: bool,
}

impl StatusError {
    /// The upstream API's own status when it failed (`meta.status` of an integration error).
    pub fn integration_status(&self) -> Option<u16> {
        let status = self.integration_meta()?.get("status")?;
        match status {
            Value::Number(number) => number.as_u64()?.try_into().ok(),
            Value::String(text) => text.parse().ok(),
            _ => None,
        }
    }

    /// The upstream API's own answer when it failed (`meta.response` of an integration error).
    pub fn integration_response(&self) -> Option<&Value> {
        self.integration_meta()?.get("response")
    }

    fn integration_meta(&self) -> Option<&Value> {
        self.is_integration_error
            .then(|| self.body_json.as_ref()?.get("meta"))
            .flatten()
    }
}

/// The class of a failed status, which each binding turns into its exception class
/// (`NotFoundError`, ...). Decided here once so every language agrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusClass {
    /// 400
    BadRequest,
    /// 401
    Authentication,
    /// 403
    PermissionDenied,
    /// 404
    NotFound,
    /// 409
    Conflict,
    /// 422
    UnprocessableEntity,
    /// 429
    RateLimit,
    /// 500 and above
    InternalServer,
    /// Any other status outside 2xx.
    Other,
}

impl StatusClass {
    pub fn of(status: StatusCode) -> StatusClass {
        match status.as_u16() {
            400 => StatusClass::BadRequest,
            401 => StatusClass::Authentication,
            403 => StatusClass::PermissionDenied,
            404 => StatusClass::NotFound,
            409 => StatusClass::Conflict,
            422 => StatusClass::UnprocessableEntity,
            429 => StatusClass::RateLimit,
            500.. => StatusClass::InternalServer,
            _ => StatusClass::Other,
        }
    }
}

/// Longest message text shown by `Display`; the whole body stays on the error.
const DISPLAY_MESSAGE_LIMIT: usize = 500;

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: Paragon answered {}", self.call, self.status)?;
        if !self.message.is_empty() {
            match self.message.char_indices().nth(DISPLAY_MESSAGE_LIMIT) {
                Some((cut, _)) => write!(f, ": {}…", &self.message[..cut])?,
                None => write!(f, ": {}", self.message)?,
            }
        }
        if let Some(code) = &self.code {
            write!(f, " (code {code})")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

impl StdError for StatusError {}

impl StatusError {
    /// The class of this error's status.
    pub fn class(&self) -> StatusClass {
        StatusClass::of(self.status)
    }

    /// Builds the error from a response, scrubbing `token` from the derived message.
    pub(crate) fn from_response(
        call: CallSite,
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        token: &Secret,
    ) -> StatusError {
        let body_json: Option<Value> = serde_json::from_slice(&body).ok();
        let text = String::from_utf8_lossy(&body);
        let message = token.scrub(&error_message(status, body_json.as_ref(), &text));
        let code = body_json
            .as_ref()
            .and_then(|json| json.get("code"))
            .and_then(|code| match code {
                Value::String(code) => Some(code.clone()),
                Value::Number(code) => Some(code.to_string()),
                _ => None,
            });
        let is_integration_error = body_json
            .as_ref()
            .and_then(|json| json.pointer("/meta/isIntegrationError"))
            == Some(&Value::Bool(true));
        let request_id = request_id(&headers, token);
        let retry_after = retry_after(&headers, SystemTime::now());
        StatusError {
            call,
            status,
            code,
            message,
            body_json,
            body,
            headers,
            request_id,
            retry_after,
            is_integration_error,
        }
    }
}

/// Paragon's request id of an answer, scrubbed: a server may echo anything in it, and it is shown
/// in messages.
pub(crate) fn request_id(headers: &HeaderMap, token: &Secret) -> Option<String> {
    ["x-paragon-request-id", "x-request-id"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
        .map(|id| token.scrub(id))
}

/// The message the browser SDK gives a failed call, in its order of preference.
pub(crate) fn error_message(status: StatusCode, json: Option<&Value>, text: &str) -> String {
    let Some(json) = json else {
        return if text.trim().is_empty() {
            status.to_string()
        } else {
            text.to_owned()
        };
    };
    if let Some(meta) = json.get("meta")
        && meta.get("isIntegrationError") == Some(&Value::Bool(true))
    {
        return meta.to_string();
    }
    match json.get("message") {
        Some(Value::String(message)) => return message.clone(),
        Some(Value::Array(items)) if status == StatusCode::BAD_REQUEST => {
            let constraints = validation_constraints(items);
            if !constraints.is_empty() {
                return constraints.join(", ");
            }
        }
        _ => {}
    }
    json.to_string()
}

/// The messages of a validation error list: each item's `constraints` values (or the item itself
/// when it is a plain string, as some Paragon endpoints send).
fn validation_constraints(items: &[Value]) -> Vec<String> {
    let mut messages = Vec::new();
    for item in items {
        match item {
            Value::String(message) => messages.push(message.clone()),
            Value::Object(fields) => {
                if let Some(Value::Object(constraints)) = fields.get("constraints") {
                    for constraint in constraints.values() {
                        match constraint {
                            Value::String(message) => messages.push(message.clone()),
                            other => messages.push(other.to_string()),
                        }
                    }
                }
            }
            _ => {}
        }
    }
    messages
}

/// The longest wait read from a server: anything longer (up to "forever") is taken as this, which
/// is past any `max_retry_after`, so the call fails at once with the server's answer.
pub(crate) const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A number of seconds a server sent, as a wait: negative, NaN or unreadable is no wait asked;
/// too large to represent is [`LONGEST_RETRY_AFTER`] (never a panic).
fn server_seconds(seconds: f64) -> Option<Duration> {
    if seconds.is_nan() || seconds < 0.0 {
        return None;
    }
    Some(
        Duration::try_from_secs_f64(seconds)
            .map_or(LONGEST_RETRY_AFTER, |wait| wait.min(LONGEST_RETRY_AFTER)),
    )
}

/// How long the server asked the caller to wait: `retry-after-ms`, then `Retry-After` in seconds
/// or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    if let Some(wait) = header("retry-after-ms")
        .and_then(|value| value.parse::<f64>().ok())
        .and_then(|ms| server_seconds(ms / 1000.0))
    {
        return Some(wait);
    }
    let value = header("retry-after")?;
    if let Ok(seconds) = value.parse::<f64>() {
        return server_seconds(seconds);
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `source` and its causes, joined by `: ` (hyper's own message alone rarely says why).
pub(crate) fn chain(source: &(dyn StdError + 'static)) -> String {
    let mut text = source.to_string();
    let mut cause = source.source();
    while let Some(inner) = cause {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        cause = inner.source();
    }
    text
}

fn seconds(duration: Duration) -> String {
    format!("{}s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(status: u16, body: &str) -> String {
        let json: Option<Value> = serde_json::from_str(body).ok();
        error_message(StatusCode::from_u16(status).unwrap(), json.as_ref(), body)
    }

    #[test]
    fn integration_errors_show_the_meta_object() {
        let body = r#"{"message":"Request failed","meta":{"isIntegrationError":true,"status":404,"response":{"error":"not_found"}}}"#;
        assert_eq!(
            message(404, body),
            r#"{"isIntegrationError":true,"status":404,"response":{"error":"not_found"}}"#
        );
    }

    #[test]
    fn a_string_message_is_used_as_is() {
        let body = r#"{"message":"Insufficient permissions","code":"7210","meta":{"isIntegrationError":false}}"#;
        assert_eq!(message(403, body), "Insufficient permissions");
    }

    #[test]
    fn validation_errors_of_a_400_join_their_constraints() {
        let body = json!({"message": [
            {"property": "name", "constraints": {"isString": "name must be a string", "isNotEmpty": "name should not be empty"}},
            {"property": "age", "constraints": {"min": "age must not be less than 0"}}
        ]})
        .to_string();
        assert_eq!(
            message(400, &body),
            "name must be a string, name should not be empty, age must not be less than 0"
        );
    }

    #[test]
    fn an_array_message_on_another_status_gives_the_whole_json() {
        let body = r#"{"message":["a"]}"#;
        assert_eq!(message(422, body), body);
    }

    #[test]
    fn json_without_a_message_gives_the_whole_json() {
        assert_eq!(message(500, r#"{"error":"boom"}"#), r#"{"error":"boom"}"#);
    }

    #[test]
    fn text_bodies_give_the_text_and_empty_ones_the_status() {
        assert_eq!(
            message(502, "Bad gateway from upstream"),
            "Bad gateway from upstream"
        );
        assert_eq!(message(503, ""), "503 Service Unavailable");
    }

    #[test]
    fn statuses_fall_into_classes() {
        let class = |code| StatusClass::of(StatusCode::from_u16(code).unwrap());
        assert_eq!(class(400), StatusClass::BadRequest);
        assert_eq!(class(401), StatusClass::Authentication);
        assert_eq!(class(403), StatusClass::PermissionDenied);
        assert_eq!(class(404), StatusClass::NotFound);
        assert_eq!(class(409), StatusClass::Conflict);
        assert_eq!(class(422), StatusClass::UnprocessableEntity);
        assert_eq!(class(429), StatusClass::RateLimit);
        assert_eq!(class(500), StatusClass::InternalServer);
        assert_eq!(class(503), StatusClass::InternalServer);
        assert_eq!(class(418), StatusClass::Other);
        assert_eq!(class(302), StatusClass::Other);
    }

    #[test]
    fn retry_after_reads_milliseconds_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
        headers.insert("retry-after-ms", "1500".parse().unwrap());
        assert_eq!(
            retry_after(&headers, now),
            Some(Duration::from_millis(1500))
        );
        headers.clear();
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        headers.insert("retry-after", later.parse().unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(30)));
        headers.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn absurd_waits_are_clamped_not_a_panic() {
        let now = SystemTime::UNIX_EPOCH;
        for (name, value) in [
            ("retry-after", "1e20"),
            ("retry-after", "inf"),
            ("retry-after-ms", "1e300"),
            ("retry-after-ms", "18446744073709551616000"),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(name, value.parse().unwrap());
            assert_eq!(
                retry_after(&headers, now),
                Some(LONGEST_RETRY_AFTER),
                "{name}: {value}"
            );
        }
        for value in ["-1", "NaN", "-inf"] {
            let mut headers = HeaderMap::new();
            headers.insert("retry-after", value.parse().unwrap());
            assert_eq!(retry_after(&headers, now), None, "{value}");
        }
    }

    #[test]
    fn display_names_the_call_and_truncates_long_messages() {
        let call = CallSite::new(Method::POST, "slack", "/chat.postMessage?token=abc");
        let long = "x".repeat(2000);
        let error = StatusError::from_response(
            call,
            StatusCode::NOT_FOUND,
            HeaderMap::new(),
            Bytes::from(long),
            &Secret::new("unused-token-value"),
        );
        let shown = error.to_string();
        assert!(
            shown.starts_with("POST slack /chat.postMessage: Paragon answered 404 Not Found: xxx")
        );
        assert!(!shown.contains("token=abc"));
        assert!(shown.chars().count() < 600);
        assert_eq!(error.body.len(), 2000);
    }

    #[test]
    fn the_token_is_scrubbed_from_messages() {
        let token = Secret::new("eyJ.secret-token.sig");
        let error = StatusError::from_response(
            CallSite::new(Method::GET, "echo", "/"),
            StatusCode::UNAUTHORIZED,
            HeaderMap::new(),
            Bytes::from_static(br#"{"message":"bad token eyJ.secret-token.sig"}"#),
            &token,
        );
        assert_eq!(error.message, "bad token [redacted]");
        assert!(!error.to_string().contains("secret-token"));
    }
}
