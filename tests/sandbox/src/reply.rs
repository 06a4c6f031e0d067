//! Replies a test scripts in advance: the next proxied call gets exactly this status, these
//! headers and this body (or a broken version of it), instead of a fake upstream's answer.

use std::io;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures_util::{StreamExt, stream};
use http::{HeaderName, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    #[serde(default = "ok")]
    pub status: u16,
    /// Sent as given, in order (repeated names kept).
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default)]
    pub body: Option<ReplyBody>,
    /// Wait this long before answering.
    #[serde(default)]
    pub delay_ms: u64,
    /// Send `Content-Length` of the whole body but only this many bytes, then drop the connection.
    #[serde(default)]
    pub truncate_to: Option<usize>,
}

/// A body: JSON (sent as `application/json` unless a content type is given), text (`text/plain`)
/// or bytes (`application/octet-stream`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ReplyBody {
    Json(Value),
    Text(String),
    Base64(String),
}

fn ok() -> u16 {
    200
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(ReplyBody::Json(body)),
            delay_ms: 0,
            truncate_to: None,
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub(crate) async fn render(self) -> Response {
        if self.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.delay_ms)).await;
        }
        let (bytes, default_type) = match &self.body {
            None => (Bytes::new(), None),
            Some(ReplyBody::Json(value)) => {
                (Bytes::from(value.to_string()), Some("application/json"))
            }
            Some(ReplyBody::Text(text)) => {
                (Bytes::from(text.clone()), Some("text/plain; charset=utf-8"))
            }
            Some(ReplyBody::Base64(data)) => (
                Bytes::from(STANDARD.decode(data).unwrap_or_default()),
                Some("application/octet-stream"),
            ),
        };
        let body = match self.truncate_to {
            None => Body::from(bytes.clone()),
            Some(keep) => {
                let sent = bytes.slice(..keep.min(bytes.len()));
                // The pause lets the head and the first bytes reach the client before the drop.
                let drop_connection = stream::once(async {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err(io::Error::other("sandbox: connection dropped mid-body"))
                });
                Body::from_stream(stream::iter([Ok(sent)]).chain(drop_connection))
            }
        };
        let mut response = Response::new(body);
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let headers = response.headers_mut();
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        }
        if let Some(default_type) = default_type
            && !headers.contains_key(header::CONTENT_TYPE)
        {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(default_type));
        }
        if self.truncate_to.is_some() {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        }
        response
    }
}
