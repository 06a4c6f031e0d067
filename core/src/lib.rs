//! Server-side client for [Paragon](https://www.useparagon.com)'s Connect API: call any
//! integration's API (Slack, Salesforce, Google Drive, your custom integrations) on behalf of your
//! users through Paragon's proxy.
//!
//! ```no_run
//! # async fn demo() -> paragon_connect::Result<()> {
//! use paragon_connect::{Client, RequestOptions, Response};
//! use serde_json::json;
//!
//! // Or Client::from_env() with PARAGON_PROJECT_ID and PARAGON_USER_TOKEN set.
//! let paragon = Client::builder().project_id("19d...012").user_token("eyJ...").build()?;
//! let answer = paragon
//!     .request(
//!         "slack",
//!         "/chat.postMessage",
//!         RequestOptions::new().method("POST").body(json!({"channel": "C0", "text": "hi"})),
//!     )
//!     .await?;
//! if let Response::Json(value) = answer {
//!     assert_eq!(value["ok"], true);
//! }
//! # Ok(()) }
//! ```
//!
//! Calls behave as the browser SDK's `paragon.request()` does (the same URL, headers and
//! decoded result), so code ported from the browser gets the same answers. This crate is also the
//! engine of the `paragon-connect` Python and Node packages: every rule lives here once.

mod answer;
mod arguments;
mod auth;
pub mod cli;
mod client;
mod client_settings;
mod config;
mod connector;
mod download;
mod error;
mod error_description;
#[cfg(feature = "fake")]
pub mod fake;
mod headers;
mod http_client;
mod lanes;
mod lenient_path;
mod log;
mod many;
mod multipart;
mod paginate;
mod proxy_url;
mod redirect;
mod request;
mod response;
mod retry;
mod runtime;
mod secret;
mod stream;
mod trace;
mod transport;
mod user_api;

pub use arguments::{
    CallArguments, FieldValue, MOST_RETRIES, TimeUnit, field_pairs, one_body, whole_number,
};
pub use auth::{
    DEFAULT_TOKEN_LIFETIME, MAX_USER_ID_BYTES, PERMISSIONS_CLAIM, SigningKey, TokenFuture,
    TokenOptions, TokenProvider, sign_user_token,
};
pub use client::{Client, MAX_URL_BYTES, PreparedRequest, ResponseMeta};
pub use client_settings::ClientSettings;
pub use config::{
    CLOUD_HERMES_BASE_URL, CLOUD_PROXY_BASE_URL, CLOUD_ZEUS_BASE_URL, ClientBuilder,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, VERSION,
    duration_from_seconds,
};
pub use download::{Download, Progress};
pub use error::{
    CallSite, ConfigError, ConnectionError, DecodeError, Error, ErrorKind, InvalidRequestError,
    PaginationError, Result, StatusClass, StatusError, TimeoutError, TimeoutPhase,
};
pub use error_description::{
    Attribute, AttributeValue, ERROR_CLASSES, ErrorClass, class_attributes, error_class,
};
pub use log::{CallEvent, EventKind, EventSink, Level};
pub use many::{
    CallRecord, DEFAULT_CONCURRENCY, MOST_CONCURRENCY, ManyCall, TracedMany, concurrency,
    many_span_start,
};
pub use paginate::{
    CursorPlace, FieldPath, NextPage, PAGINATION_PRESETS, Page, PageArguments, PageOptions, Pages,
    Pagination, PaginationArgument, next_page_from_json,
};
pub use request::{Body, OneShotStream, Part, PartData, RequestOptions};
pub use response::{RawResponse, Response, decode_text};
pub use retry::{DEFAULT_MAX_RETRIES, DEFAULT_MAX_RETRY_AFTER};
pub use runtime::{IO_THREADS_VARIABLE, io_runtime, io_threads};
pub use secret::Secret;
pub use stream::{ResponseStream, check_piece_size};
pub use trace::{REDACTED, SpanAttribute, SpanEnd, SpanStart, SpanValue};
pub use transport::{Http2, ProxySetting};
pub use user_api::{TriggerOptions, integration_id};

/// The `http` crate this one uses for status codes, methods and headers.
pub use http;
/// The JSON value type of bodies and results (`serde_json` with exact numbers and key order).
pub use serde_json;

/// Entry points for the fuzz targets in `fuzz/` (not part of the API).
#[doc(hidden)]
pub mod fuzzing {
    /// The proxy URL for `https://proxy.example.com`, project `p`.
    pub fn proxy_url(
        integration_type: &str,
        path: &str,
        query: &[(String, String)],
    ) -> Result<url::Url, crate::InvalidRequestError> {
        let base = url::Url::parse("https://proxy.example.com").expect("a valid base");
        crate::proxy_url::proxy_url(&base, "p", integration_type, path, query)
    }

    pub fn decode(content_type: Option<&str>, body: &[u8]) -> crate::Response {
        crate::response::decode(content_type, body)
    }

    /// The decoding the bindings use: JSON validated and left as text.
    pub fn decode_as_text(content_type: Option<&str>, body: &[u8]) -> crate::Response {
        crate::response::decode_as_text(content_type, body)
    }

    /// Whether a call that started at `first` follows a redirect to `next`.
    pub fn may_follow(first: &url::Url, next: &url::Url) -> bool {
        crate::redirect::may_follow(first, next)
    }

    pub fn error_message(status: u16, body: &[u8]) -> String {
        let status = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY);
        let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        crate::error::error_message(status, json.as_ref(), &String::from_utf8_lossy(body))
    }
}
