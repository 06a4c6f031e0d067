//! What a native call resolves to: `[kind, payload]`, which the JS wrapper turns into a value or
//! throws as one of the package's error classes. Errors travel as data rather than rejections so
//! that every attribute (status, body, headers, ...) reaches JavaScript intact.

use std::ptr;

use napi::ValueType;
use napi::bindgen_prelude::{ToNapiValue, TypeName, Undefined};
use napi::{check_status, sys};
use paragon_connect::http::HeaderMap;
use paragon_connect::{Error, RawResponse, Response};

use crate::json::JsJson;

/// Bytes that become a `Buffer` copied into memory V8 allocates and accounts for (so the
/// garbage collector keeps pace with large answers), with no copy on the Rust side first.
pub struct CopiedBuffer(pub bytes::Bytes);

impl TypeName for CopiedBuffer {
    fn type_name() -> &'static str {
        "Buffer"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for CopiedBuffer {
    unsafe fn to_napi_value(env: sys::napi_env, bytes: Self) -> napi::Result<sys::napi_value> {
        let (mut data, mut buffer) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: `bytes` outlives the call, which copies `len` bytes from it.
        check_status!(unsafe {
            sys::napi_create_buffer_copy(
                env,
                bytes.0.len(),
                bytes.0.as_ptr().cast(),
                &mut data,
                &mut buffer,
            )
        })?;
        Ok(buffer)
    }
}

/// A raw response: status, headers as `[name, value]` pairs (repeated names kept), body bytes.
#[napi_derive::napi(object, object_from_js = false)]
pub struct NativeRaw {
    pub status: u32,
    pub headers: Vec<Vec<String>>,
    #[napi(ts_type = "Buffer")]
    pub body: CopiedBuffer,
}

/// An error, with the class the JS wrapper throws and that class's attributes.
#[napi_derive::napi(object, object_from_js = false)]
pub struct NativeError {
    pub class_name: String,
    pub message: String,
    pub argument: Option<String>,
    pub setting: Option<String>,
    pub method: Option<String>,
    pub integration_type: Option<String>,
    pub path: Option<String>,
    pub status: Option<u32>,
    pub code: Option<String>,
    /// Paragon's message, as the browser SDK derives it.
    pub error_message: Option<String>,
    #[napi(ts_type = "unknown")]
    pub body: Option<JsJson>,
    #[napi(ts_type = "Buffer")]
    pub content: Option<CopiedBuffer>,
    pub headers: Option<Vec<Vec<String>>>,
    pub request_id: Option<String>,
    /// Seconds the server asked to wait.
    pub retry_after: Option<f64>,
    pub is_integration_error: Option<bool>,
    /// Milliseconds of the timeout that ran out.
    pub timeout: Option<f64>,
    /// How many times the call was sent.
    pub attempts: Option<u32>,
}

impl NativeError {
    pub fn bare(class_name: &str, message: String) -> Self {
        NativeError {
            class_name: class_name.to_owned(),
            message,
            argument: None,
            setting: None,
            method: None,
            integration_type: None,
            path: None,
            status: None,
            code: None,
            error_message: None,
            body: None,
            content: None,
            headers: None,
            request_id: None,
            retry_after: None,
            is_integration_error: None,
            timeout: None,
            attempts: None,
        }
    }

    /// A core error as the class the core names for it, with that class's attributes.
    pub fn from_core(error: Error, exact_integers: bool) -> Self {
        let message = error.to_string();
        let class_name = error.class_name();
        let mut native = NativeError::bare(class_name, message);
        let call = match error {
            Error::Config(config) => {
                native.setting = Some(config.setting.to_owned());
                return native;
            }
            Error::InvalidRequest(invalid) => {
                native.argument = Some(invalid.argument.to_owned());
                return native;
            }
            Error::Connection(connection) => connection.call,
            Error::Timeout(timeout) => {
                native.timeout = Some(timeout.after.as_secs_f64() * 1000.0);
                timeout.call
            }
            Error::Decode(decode) => {
                native.status = Some(u32::from(decode.status.as_u16()));
                decode.call
            }
            Error::Status(status) => {
                let status = *status;
                native.status = Some(u32::from(status.status.as_u16()));
                native.code = status.code;
                native.error_message = Some(status.message);
                native.body = match status.body_json {
                    Some(value) => Some(JsJson {
                        value,
                        exact_integers,
                    }),
                    None if status.body.is_empty() => None,
                    None => Some(JsJson {
                        value: String::from_utf8_lossy(&status.body).into_owned().into(),
                        exact_integers,
                    }),
                };
                native.content = Some(CopiedBuffer(status.body.clone()));
                native.headers = Some(header_pairs(&status.headers));
                native.request_id = status.request_id;
                native.retry_after = status.retry_after.map(|after| after.as_secs_f64());
                native.is_integration_error = Some(status.is_integration_error);
                status.call
            }
        };
        native.attempts = Some(call.attempts() as u32);
        native.method = Some(call.method.to_string());
        native.integration_type = Some(call.integration_type);
        native.path = Some(call.path);
        native
    }
}

pub fn header_pairs(headers: &HeaderMap) -> Vec<Vec<String>> {
    headers
        .iter()
        .map(|(name, value)| {
            vec![
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ]
        })
        .collect()
}

/// The head of a streamed answer.
#[napi_derive::napi(object, object_from_js = false)]
pub struct NativeHead {
    pub status: u32,
    pub headers: Vec<Vec<String>>,
    pub content_length: Option<f64>,
}

/// A finished download.
#[napi_derive::napi(object, object_from_js = false)]
pub struct NativeDownload {
    pub status: u32,
    pub headers: Vec<Vec<String>>,
    pub path: String,
    pub size: f64,
}

/// A call's result, resolved as `[kind, payload]`.
pub enum Outcome {
    Head(NativeHead),
    Chunk(bytes::Bytes),
    Downloaded(NativeDownload),
    Empty,
    Json(JsJson),
    /// JSON as text, for the wrapper's `JSON.parse`: V8 builds a large value many times faster
    /// from text than through one N-API call per node.
    JsonText(String),
    Text(String),
    Raw(NativeRaw),
    Error(Box<NativeError>),
    Aborted,
}

impl Outcome {
    pub fn from_core(result: Result<Response, Error>, exact_integers: bool) -> Outcome {
        match result {
            Ok(Response::Empty) => Outcome::Empty,
            Ok(Response::Json(value)) if exact_integers => Outcome::Json(JsJson {
                value,
                exact_integers,
            }),
            Ok(Response::Json(value)) => Outcome::JsonText(value.to_string()),
            Ok(Response::JsonText(text)) => Outcome::JsonText(text),
            Ok(Response::Text(text)) => Outcome::Text(text),
            Ok(Response::Raw(RawResponse {
                status,
                headers,
                body,
            })) => Outcome::Raw(NativeRaw {
                status: u32::from(status.as_u16()),
                headers: header_pairs(&headers),
                body: CopiedBuffer(body),
            }),
            Err(error) => Outcome::Error(Box::new(NativeError::from_core(error, exact_integers))),
        }
    }
}

impl ToNapiValue for Outcome {
    unsafe fn to_napi_value(env: sys::napi_env, outcome: Self) -> napi::Result<sys::napi_value> {
        unsafe {
            let (kind, payload) = match outcome {
                Outcome::Empty => ("empty", Undefined::to_napi_value(env, ())?),
                Outcome::Head(head) => ("head", NativeHead::to_napi_value(env, head)?),
                Outcome::Chunk(chunk) => (
                    "chunk",
                    CopiedBuffer::to_napi_value(env, CopiedBuffer(chunk))?,
                ),
                Outcome::Downloaded(done) => {
                    ("downloaded", NativeDownload::to_napi_value(env, done)?)
                }
                Outcome::Json(json) => ("value", JsJson::to_napi_value(env, json)?),
                Outcome::JsonText(text) => ("json", String::to_napi_value(env, text)?),
                Outcome::Text(text) => ("value", String::to_napi_value(env, text)?),
                Outcome::Raw(raw) => ("raw", NativeRaw::to_napi_value(env, raw)?),
                Outcome::Error(error) => ("error", NativeError::to_napi_value(env, *error)?),
                Outcome::Aborted => ("aborted", Undefined::to_napi_value(env, ())?),
            };
            let mut pair = ptr::null_mut();
            check_status!(sys::napi_create_array_with_length(env, 2, &mut pair))?;
            check_status!(sys::napi_set_element(
                env,
                pair,
                0,
                <&str>::to_napi_value(env, kind)?
            ))?;
            check_status!(sys::napi_set_element(env, pair, 1, payload))?;
            Ok(pair)
        }
    }
}
