//! What a caller can say about one proxy call, mirroring the browser SDK's `request()` options.

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_core::Stream;

use bytes::Bytes;
use serde_json::Value;

use crate::error::InvalidRequestError;
use crate::http_client::RequestBody;

/// The body of a call.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Sent as JSON with `Content-Type: application/json` (unless the caller set one).
    Json(Value),
    /// Sent as given, `text/plain; charset=utf-8` unless the caller set a content type.
    Text(String),
    /// Sent as given, `application/octet-stream` unless the caller set a content type.
    Bytes(Bytes),
    /// A file streamed from disk, `application/octet-stream` unless the caller set a content
    /// type. It is read again for a retry, so a retried call sends it whole.
    File(PathBuf),
    /// `application/x-www-form-urlencoded` fields, in order.
    Form(Vec<(String, String)>),
    /// `multipart/form-data` parts, in order (files streamed from disk).
    Multipart(Vec<Part>),
    /// Bytes from a stream, sent as they come (`application/octet-stream` unless the caller set
    /// a content type). A stream can be read once, so a call with one is never retried.
    Stream(OneShotStream),
}

/// A body stream that can be sent once.
#[derive(Clone)]
pub struct OneShotStream(Arc<Mutex<Option<ByteStream>>>);

type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

impl OneShotStream {
    pub fn new(stream: impl Stream<Item = std::io::Result<Bytes>> + Send + 'static) -> Self {
        OneShotStream(Arc::new(Mutex::new(Some(Box::pin(stream)))))
    }

    fn take(&self) -> Option<ByteStream> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }
}

impl std::fmt::Debug for OneShotStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneShotStream")
    }
}

impl PartialEq for OneShotStream {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub name: String,
    pub data: PartData,
    /// The file name the receiver sees (defaults to a file's own name, and to the field's name
    /// for bytes).
    pub filename: Option<String>,
    /// Defaults to none for text, `application/octet-stream` for bytes and files.
    pub content_type: Option<String>,
}

/// What a part holds.
#[derive(Debug, Clone, PartialEq)]
pub enum PartData {
    Text(String),
    Bytes(Bytes),
    File(PathBuf),
}

impl Part {
    pub fn text(name: impl Into<String>, value: impl Into<String>) -> Part {
        Part {
            name: name.into(),
            data: PartData::Text(value.into()),
            filename: None,
            content_type: None,
        }
    }

    pub fn bytes(
        name: impl Into<String>,
        filename: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Part {
        Part {
            name: name.into(),
            data: PartData::Bytes(data.into()),
            filename: Some(filename.into()),
            content_type: None,
        }
    }

    pub fn file(name: impl Into<String>, path: impl Into<PathBuf>) -> Part {
        Part {
            name: name.into(),
            data: PartData::File(path.into()),
            filename: None,
            content_type: None,
        }
    }

    pub fn content_type(mut self, content_type: impl Into<String>) -> Part {
        self.content_type = Some(content_type.into());
        self
    }
}

/// A file to send, checked before anything is sent: it must be a readable regular file.
pub(crate) fn check_file(path: &std::path::Path) -> Result<u64, InvalidRequestError> {
    let metadata = std::fs::metadata(path).map_err(|error| {
        InvalidRequestError::new("body", format!("cannot read {}: {error}", path.display()))
    })?;
    if !metadata.is_file() {
        return Err(InvalidRequestError::new(
            "body",
            format!("{} is not a regular file", path.display()),
        ));
    }
    Ok(metadata.len())
}

impl Body {
    /// The content type sent when the caller gave none (a multipart body's carries its
    /// boundary and is set when it is built).
    pub(crate) fn default_content_type(&self) -> Option<&'static str> {
        match self {
            Body::Json(_) => Some("application/json"),
            Body::Text(_) => Some("text/plain; charset=utf-8"),
            Body::Bytes(_) | Body::File(_) | Body::Stream(_) => Some("application/octet-stream"),
            Body::Form(_) => Some("application/x-www-form-urlencoded"),
            Body::Multipart(_) => None,
        }
    }

    /// The body ready to send: bytes when they can be made now, else what to read per attempt.
    pub(crate) fn prepare(self) -> Result<PreparedBody, InvalidRequestError> {
        Ok(match self {
            Body::Json(value) => PreparedBody::Bytes(Bytes::from(value.to_string())),
            Body::Text(text) => PreparedBody::Bytes(Bytes::from(text)),
            Body::Bytes(bytes) => PreparedBody::Bytes(bytes),
            Body::Form(fields) => {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                for (name, value) in &fields {
                    form.append_pair(name, value);
                }
                PreparedBody::Bytes(Bytes::from(form.finish()))
            }
            Body::File(path) => {
                let length = check_file(&path)?;
                PreparedBody::File(path, length)
            }
            Body::Stream(stream) => PreparedBody::Stream(stream),
            Body::Multipart(parts) => {
                for part in &parts {
                    if part.name.is_empty() {
                        return Err(InvalidRequestError::new(
                            "body",
                            "a multipart part needs a name",
                        ));
                    }
                    // Names go into the part's Content-Disposition header.
                    for (what, text) in [
                        ("name", Some(&part.name)),
                        ("file name", part.filename.as_ref()),
                    ] {
                        if text.is_some_and(|text| text.chars().any(char::is_control)) {
                            return Err(InvalidRequestError::new(
                                "body",
                                format!(
                                    "the multipart part {:?} has a {what} with a control character (CR, LF, ...)",
                                    part.name
                                ),
                            ));
                        }
                    }
                    if let PartData::File(path) = &part.data {
                        check_file(path)?;
                    }
                    if let Some(content_type) = &part.content_type
                        && (!content_type.contains('/')
                            || http::HeaderValue::from_str(content_type).is_err())
                    {
                        return Err(InvalidRequestError::new(
                            "body",
                            format!("{content_type:?} is not a content type"),
                        ));
                    }
                }
                PreparedBody::Multipart(parts)
            }
        })
    }
}

/// A body as a call holds it across attempts.
#[derive(Debug, Clone)]
pub(crate) enum PreparedBody {
    Bytes(Bytes),
    /// A file and its length when the call was checked.
    File(PathBuf, u64),
    Multipart(Vec<Part>),
    Stream(OneShotStream),
}

impl PreparedBody {
    /// Whether the body can be sent again for a retry.
    pub(crate) fn replayable(&self) -> bool {
        !matches!(self, PreparedBody::Stream(_))
    }

    /// The body of one attempt (files opened again, so a retry sends them whole).
    pub(crate) async fn for_attempt(&self) -> std::io::Result<AttemptBody> {
        let only = |body| AttemptBody {
            body,
            content_type: None,
            length: None,
        };
        Ok(match self {
            PreparedBody::Bytes(bytes) => only(RequestBody::Full(Some(bytes.clone()))),
            PreparedBody::Stream(stream) => {
                let stream = stream.take().ok_or_else(|| {
                    std::io::Error::other("a stream body can be sent once, and it was")
                })?;
                only(RequestBody::stream(stream))
            }
            PreparedBody::File(path, length) => {
                let file = tokio::fs::File::open(path).await?;
                // The Content-Length sent is the length checked when the call began: a file that
                // changed size since would be sent cut short (or hang the request).
                let now = file.metadata().await?.len();
                if now != *length {
                    return Err(std::io::Error::other(format!(
                        "{} changed size since the call began ({length} -> {now} bytes)",
                        path.display()
                    )));
                }
                AttemptBody {
                    body: RequestBody::stream(tokio_util::io::ReaderStream::new(file)),
                    content_type: None,
                    length: Some(*length),
                }
            }
            PreparedBody::Multipart(parts) => {
                let form = crate::multipart::form(parts).await?;
                // The form sets its own Content-Type (with its boundary) and length.
                AttemptBody {
                    body: form.body,
                    content_type: Some(form.content_type),
                    length: Some(form.length),
                }
            }
        })
    }
}

/// One attempt's body, with the headers it sets.
pub(crate) struct AttemptBody {
    pub body: RequestBody,
    /// The `Content-Type` the body makes (a multipart boundary).
    pub content_type: Option<http::HeaderValue>,
    /// The `Content-Length` to send when the body is streamed.
    pub length: Option<u64>,
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
    /// Return a JSON answer as [`Response::JsonText`](crate::Response::JsonText): validated
    /// text with the `output` wrapper taken off, for a caller whose own JSON parser is faster
    /// than building a [`serde_json::Value`] (the Python and Node packages).
    pub json_as_text: bool,
    /// The propagation headers a tracer made for this call's span (`traceparent`, ...), sent
    /// with every attempt unless `headers` has one of the same name.
    pub trace_headers: Vec<(String, String)>,
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

    pub fn json_as_text(mut self, json_as_text: bool) -> Self {
        self.json_as_text = json_as_text;
        self
    }

    /// See [`RequestOptions::trace_headers`].
    pub fn trace_headers(mut self, headers: Vec<(String, String)>) -> Self {
        self.trace_headers = headers;
        self
    }
}
