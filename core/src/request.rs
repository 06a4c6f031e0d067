//! What a caller can say about one proxy call, mirroring the browser SDK's `request()` options.

use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

/// The body of a call.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Sent as JSON with `Content-Type: application/json` (unless the caller set one).
    Json(Value),
    /// Sent as given, `text/plain; charset=utf-8` unless the caller set a content type.
    Text(String),
    /// Sent as given, `application/octet-stream` unless the caller set a content type.
    Bytes(Bytes),
}

impl Body {
    /// The content type sent when the caller gave none.
    pub(crate) fn default_content_type(&self) -> &'static str {
        match self {
            Body::Json(_) => "application/json",
            Body::Text(_) => "text/plain; charset=utf-8",
            Body::Bytes(_) => "application/octet-stream",
        }
    }

    /// The bytes on the wire.
    pub(crate) fn into_bytes(self) -> Bytes {
        match self {
            Body::Json(value) => Bytes::from(value.to_string()),
            Body::Text(text) => Bytes::from(text),
            Body::Bytes(bytes) => bytes,
        }
    }
}

impl From<Value> for Body {
    fn from(value: Value) -> Self {
        Body::Json(value)
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Body::Text(text)
    }
}

impl From<&str> for Body {
    fn from(text: &str) -> Self {
        Body::Text(text.to_owned())
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::Bytes(Bytes::from(bytes))
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body::Bytes(bytes)
    }
}

/// Options of one call. Every field has the browser SDK's default: `GET`, no body, no extra
/// headers, the user's default credential, a decoded (not raw) response.
///
/// ```
/// use paragon_connect::RequestOptions;
/// use serde_json::json;
///
/// let options = RequestOptions::new()
///     .method("POST")
///     .body(json!({"channel": "C0", "text": "hi"}))
///     .header("X-Trace", "abc")
///     .selected_credential_id("cred-2");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestOptions {
    /// Any HTTP verb, case-insensitive; `GET` when `None`.
    pub method: Option<String>,
    pub body: Option<Body>,
    /// Extra headers, in order; a name given twice is sent twice. They replace the SDK's own
    /// headers of the same name (`Accept`, `Content-Type`, `User-Agent`, even `Authorization`).
    pub headers: Vec<(String, String)>,
    /// Query parameters appended to the path's own query string, each percent-encoded once.
    pub query: Vec<(String, String)>,
    /// Which of the user's connected accounts to use (`X-Paragon-Credential`).
    pub selected_credential_id: Option<String>,
    /// Return status, headers and bytes untouched (`X-Paragon-Use-Raw-Response: 1`).
    pub raw: bool,
    /// Time for each attempt of this call, replacing the client's `timeout`.
    pub timeout: Option<Duration>,
    /// Time for this call with all its retries, replacing the client's `deadline`.
    pub deadline: Option<Duration>,
    /// Retries for this call, replacing the client's `max_retries`.
    pub max_retries: Option<u32>,
    /// Whether this call may be sent twice. By default it may when its method is idempotent
    /// (GET, HEAD, OPTIONS, PUT, DELETE) or it carries an `Idempotency-Key` header. Any call is
    /// retried after a failure to connect (nothing was sent) and after a 429 (it was refused);
    /// only a call that may be sent twice is retried after a timeout, a cut-short answer, or a
    /// 408, 502, 503 or 504.
    pub idempotent: Option<bool>,
}

impl RequestOptions {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = Some(body.into());
        self
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    pub fn selected_credential_id(mut self, id: impl Into<String>) -> Self {
        self.selected_credential_id = Some(id.into());
        self
    }

    pub fn raw(mut self, raw: bool) -> Self {
        self.raw = raw;
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }

    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }
}
