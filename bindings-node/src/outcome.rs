//! What a native call resolves to: `[kind, payload]`, which the JS wrapper turns into a value or
//! throws as one of the package's error classes. Errors travel as data rather than rejections so
//! that every attribute (status, body, headers, ...) reaches JavaScript intact.

use std::ptr;
use std::time::{SystemTime, UNIX_EPOCH};

use napi::ValueType;
use napi::bindgen_prelude::{Null, ToNapiValue, TypeName, Undefined};
use napi::{check_status, sys};
use paragon_connect::http::HeaderMap;
use paragon_connect::{
    CallRecord, Error, RawResponse, Response, SpanAttribute, SpanEnd, SpanStart, SpanValue,
};

use crate::errors::ErrorDescription;
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

/// What a successful call's answer carried besides its body (times in milliseconds).
#[napi_derive::napi(object, object_from_js = false)]
pub struct NativeMeta {
    pub status: u32,
    pub headers: Vec<Vec<String>>,
    pub request_id: Option<String>,
    pub attempts: u32,
    pub elapsed_ms: f64,
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

/// A span's name (at its start) and attributes as a JSON object's text, and at its end the
/// status description of a failed call: the wrapper hands them to OpenTelemetry as they are.
#[napi_derive::napi(object, object_from_js = false)]
pub struct NativeSpan {
    pub name: Option<String>,
    pub attributes: String,
    pub error: Option<String>,
}

impl NativeSpan {
    pub fn start(start: SpanStart) -> Self {
        NativeSpan {
            name: Some(start.name),
            attributes: attributes_json(&start.attributes),
            error: None,
        }
    }

    pub fn end(end: SpanEnd) -> Self {
        NativeSpan {
            name: None,
            attributes: attributes_json(&end.attributes),
            error: end.error,
        }
    }
}

/// A call of a traced `requestMany()`, for the span the wrapper makes of it under the batch's:
/// its start (`name`, `attributes`), its end (`endAttributes`, `error`), and its times as
/// OpenTelemetry's `HrTime` (`[seconds, nanoseconds]` since the epoch).
#[napi_derive::napi(object, object_from_js = false)]
pub struct NativeCallRecord {
    pub name: String,
    pub attributes: String,
    pub start_time: Vec<f64>,
    pub end_time: Vec<f64>,
    pub end_attributes: String,
    pub error: Option<String>,
}

impl NativeCallRecord {
    pub fn new(record: CallRecord) -> Self {
        NativeCallRecord {
            name: record.start.name,
            attributes: attributes_json(&record.start.attributes),
            start_time: hr_time(record.started),
            end_time: hr_time(record.ended),
            end_attributes: attributes_json(&record.end.attributes),
            error: record.end.error,
        }
    }
}

fn hr_time(time: SystemTime) -> Vec<f64> {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    vec![since.as_secs() as f64, f64::from(since.subsec_nanos())]
}

fn attributes_json(attributes: &[SpanAttribute]) -> String {
    let object: paragon_connect::serde_json::Map<String, paragon_connect::serde_json::Value> =
        attributes
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    SpanValue::Text(text) => text.clone().into(),
                    SpanValue::Int(number) => (*number).into(),
                };
                ((*name).to_owned(), value)
            })
            .collect();
    paragon_connect::serde_json::Value::Object(object).to_string()
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
    /// A decoded answer and its metadata: `["meta", [[kind, payload], meta]]`.
    WithMeta(Box<Outcome>, NativeMeta),
    /// A traced call's outcome and its span's end: `["traced", [[kind, payload], span]]`.
    Traced(Box<Outcome>, NativeSpan),
    Error(Box<ErrorDescription>),
    Aborted,
    /// A page of a walk: `["page", [data, items]]`, each `[kind, payload]` or `null`.
    Page(Option<Box<Outcome>>, Option<Box<Outcome>>),
    /// The walk is over.
    Done,
    /// The results of many calls, in order: `["many", [[kind, payload], ...]]`.
    Many(Vec<Outcome>),
    /// A traced batch's outcome, its span's end and its calls' records:
    /// `["batch", [[kind, payload], span, records]]`.
    Batch(Box<Outcome>, NativeSpan, Vec<NativeCallRecord>),
}

impl Outcome {
    /// This outcome with its span's end, when the call was traced.
    pub fn traced(self, end: Option<NativeSpan>) -> Outcome {
        match end {
            Some(end) => Outcome::Traced(Box::new(self), end),
            None => self,
        }
    }

    /// A core error, as the wrapper throws it.
    pub fn error(error: Error, exact_integers: bool) -> Outcome {
        Outcome::Error(Box::new(ErrorDescription::new(error, exact_integers)))
    }

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
            Err(error) => Outcome::error(error, exact_integers),
        }
    }
}

impl Outcome {
    /// A call made with `withResponse`, as the wrapper settles it.
    pub fn with_meta(
        result: Result<(Response, paragon_connect::ResponseMeta), Error>,
        exact_integers: bool,
    ) -> Outcome {
        match result {
            Ok((response, meta)) => Outcome::WithMeta(
                Box::new(Outcome::from_core(Ok(response), exact_integers)),
                NativeMeta {
                    status: u32::from(meta.status.as_u16()),
                    headers: header_pairs(&meta.headers),
                    request_id: meta.request_id,
                    attempts: meta.attempts,
                    elapsed_ms: meta.elapsed.as_secs_f64() * 1000.0,
                },
            ),
            Err(error) => Outcome::error(error, exact_integers),
        }
    }
}

impl ToNapiValue for Outcome {
    unsafe fn to_napi_value(env: sys::napi_env, outcome: Self) -> napi::Result<sys::napi_value> {
        // SAFETY: on the JavaScript thread of `env` (the caller's contract); each value made here
        // is set into the pair before the next N-API call can collect it.
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
                Outcome::WithMeta(outcome, meta) => {
                    let meta = NativeMeta::to_napi_value(env, meta)?;
                    ("meta", pair_with(env, *outcome, meta)?)
                }
                Outcome::Traced(outcome, span) => {
                    let span = NativeSpan::to_napi_value(env, span)?;
                    ("traced", pair_with(env, *outcome, span)?)
                }
                Outcome::Batch(outcome, span, records) => {
                    let records = Vec::<NativeCallRecord>::to_napi_value(env, records)?;
                    let span = NativeSpan::to_napi_value(env, span)?;
                    let both = pair_with(env, *outcome, span)?;
                    check_status!(sys::napi_set_element(env, both, 2, records))?;
                    ("batch", both)
                }
                Outcome::Error(error) => ("error", ErrorDescription::to_napi_value(env, *error)?),
                Outcome::Aborted => ("aborted", Undefined::to_napi_value(env, ())?),
                Outcome::Done => ("done", Undefined::to_napi_value(env, ())?),
                Outcome::Page(data, items) => {
                    let mut both = ptr::null_mut();
                    check_status!(sys::napi_create_array_with_length(env, 2, &mut both))?;
                    for (index, part) in [data, items].into_iter().enumerate() {
                        let value = match part {
                            Some(outcome) => Outcome::to_napi_value(env, *outcome)?,
                            None => Null::to_napi_value(env, Null)?,
                        };
                        check_status!(sys::napi_set_element(env, both, index as u32, value))?;
                    }
                    ("page", both)
                }
                Outcome::Many(outcomes) => {
                    let mut list = ptr::null_mut();
                    check_status!(sys::napi_create_array_with_length(
                        env,
                        outcomes.len(),
                        &mut list
                    ))?;
                    for (index, outcome) in outcomes.into_iter().enumerate() {
                        let value = Outcome::to_napi_value(env, outcome)?;
                        check_status!(sys::napi_set_element(env, list, index as u32, value))?;
                    }
                    ("many", list)
                }
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

/// `[[kind, payload], second]`.
///
/// # Safety
/// On the JavaScript thread of `env`, as `to_napi_value`.
unsafe fn pair_with(
    env: sys::napi_env,
    outcome: Outcome,
    second: sys::napi_value,
) -> napi::Result<sys::napi_value> {
    // SAFETY: the caller's contract; `second` is a handle of the caller's scope, alive throughout.
    unsafe {
        let mut both = ptr::null_mut();
        check_status!(sys::napi_create_array_with_length(env, 2, &mut both))?;
        check_status!(sys::napi_set_element(env, both, 1, second))?;
        let inner = Outcome::to_napi_value(env, outcome)?;
        check_status!(sys::napi_set_element(env, both, 0, inner))?;
        Ok(both)
    }
}

impl crate::settle::FromPanic for Outcome {
    fn from_panic(message: String) -> Self {
        Outcome::Error(Box::new(ErrorDescription::Internal(message)))
    }
}
