//! A call's options, in the core's call arguments: one line per option (times in milliseconds).

use napi::bindgen_prelude::{Array, Buffer, FromNapiValue, TypeName, ValidateNapiValue};
use napi::{ValueType, sys};
use paragon_connect::{
    Body, CallArguments, InvalidRequestError, Part, PartData, RequestOptions, TimeUnit,
};

use crate::fields::Fields;

/// One call's options, typed by the wrapper (a JSON body as `JSON.stringify` text), as an
/// array read in the order of `from_napi_value` below (`nativeOptions()` in index.js writes it,
/// `CallOptions` in native-header.d.ts types it). By place, not by name: reading an object's 19
/// fields by name made and looked up 19 strings per call, more time than the core takes to
/// prepare it.
pub struct CallOptions {
    pub method: Option<String>,
    /// `JSON.stringify` output of a JSON body.
    pub json: Option<String>,
    pub text: Option<String>,
    pub bytes: Option<Buffer>,
    /// A file to stream as the body.
    pub file: Option<String>,
    pub form: Option<Fields>,
    pub multipart: Option<Vec<NativePart>>,
    pub headers: Option<Fields>,
    pub query: Option<Fields>,
    pub selected_credential_id: Option<String>,
    pub raw: Option<bool>,
    pub timeout: Option<f64>,
    pub deadline: Option<f64>,
    pub max_retries: Option<f64>,
    pub idempotent: Option<bool>,
    pub exact_integers: Option<bool>,
    /// Resolve to the answer with its metadata (`request()` only).
    pub with_response: Option<bool>,
    /// The propagation headers of the call's span, as `[name, value]` pairs.
    pub trace_headers: Option<Vec<Vec<String>>>,
    /// Resolve to `["traced", [outcome, span end]]`: the wrapper ends the call's span.
    pub trace: Option<bool>,
}

/// The element at `index` of `array`; `undefined`, `null` or past the end is `None`.
pub(crate) fn element<T: FromNapiValue>(array: &Array<'_>, index: u32) -> napi::Result<Option<T>> {
    Ok(array.get::<Option<T>>(index)?.flatten())
}

impl TypeName for CallOptions {
    fn type_name() -> &'static str {
        "CallOptions"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for CallOptions {}

impl FromNapiValue for CallOptions {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // SAFETY: as the caller's contract (a value of `env`, on its thread).
        let array = unsafe { Array::from_napi_value(env, value)? };
        Ok(CallOptions {
            method: element(&array, 0)?,
            json: element(&array, 1)?,
            exact_integers: element(&array, 2)?,
            raw: element(&array, 3)?,
            with_response: element(&array, 4)?,
            trace: element(&array, 5)?,
            trace_headers: element(&array, 6)?,
            headers: element(&array, 7)?,
            query: element(&array, 8)?,
            selected_credential_id: element(&array, 9)?,
            text: element(&array, 10)?,
            bytes: element(&array, 11)?,
            timeout: element(&array, 12)?,
            deadline: element(&array, 13)?,
            max_retries: element(&array, 14)?,
            idempotent: element(&array, 15)?,
            file: element(&array, 16)?,
            form: element(&array, 17)?,
            multipart: element(&array, 18)?,
        })
    }
}

/// One multipart part: `text`, `bytes` or `path`, with an optional file name and type.
#[napi_derive::napi(object, object_to_js = false)]
pub struct NativePart {
    pub name: String,
    pub text: Option<String>,
    pub bytes: Option<Buffer>,
    pub path: Option<String>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
}

impl NativePart {
    fn part(self) -> Result<Part, InvalidRequestError> {
        let data = match (self.text, self.bytes, self.path) {
            (Some(text), None, None) => PartData::Text(text),
            (None, Some(bytes), None) => PartData::Bytes(bytes.to_vec().into()),
            (None, None, Some(path)) => PartData::File(path.into()),
            _ => {
                return Err(InvalidRequestError::new(
                    "multipart",
                    format!("part {:?} needs one of text, bytes and path", self.name),
                ));
            }
        };
        Ok(Part {
            name: self.name,
            data,
            filename: self.filename,
            content_type: self.content_type,
        })
    }
}

impl CallOptions {
    /// Whether a JSON answer's integers beyond 2^53 stay exact (as `BigInt`s).
    pub fn exact_integers(&self) -> bool {
        self.exact_integers.unwrap_or(false)
    }

    /// Whether the wrapper traces this call (and wants its span's end).
    pub fn traced(&self) -> bool {
        self.trace == Some(true)
    }

    /// The call's options; `streamed` is a body the wrapper writes as it comes.
    pub fn options(self, streamed: Option<Body>) -> Result<RequestOptions, InvalidRequestError> {
        let exact_integers = self.exact_integers();
        let json = self
            .json
            .map(|json| {
                paragon_connect::serde_json::from_str(&json)
                    .map(Body::Json)
                    .map_err(|error| {
                        InvalidRequestError::new("body", format!("is not JSON: {error}"))
                    })
            })
            .transpose()?;
        let body = [
            json,
            self.text.map(Body::Text),
            self.bytes.map(|bytes| Body::Bytes(bytes.to_vec().into())),
            streamed,
        ]
        .into_iter()
        .flatten()
        .next();
        let options = CallArguments {
            time_unit: Some(TimeUnit::Milliseconds),
            method: self.method,
            body,
            file: self.file.map(Into::into),
            form: self.form.map(|fields| fields.0),
            multipart: self
                .multipart
                .map(|parts| parts.into_iter().map(NativePart::part).collect())
                .transpose()?,
            headers: self.headers.map(|fields| fields.0).unwrap_or_default(),
            query: self.query.map(|fields| fields.0).unwrap_or_default(),
            selected_credential_id: self.selected_credential_id,
            raw: self.raw.unwrap_or(false),
            timeout: self.timeout,
            deadline: self.deadline,
            max_retries: self.max_retries,
            idempotent: self.idempotent,
            // JSON.parse builds the value; exact integers need the value built here (BigInt).
            json_as_text: !exact_integers,
        }
        .into_options()?;
        Ok(options.trace_headers(trace_pairs(self.trace_headers)?))
    }
}

/// Propagation headers as the wrapper gives them: `[name, value]` pairs.
pub fn trace_pairs(
    headers: Option<Vec<Vec<String>>>,
) -> Result<Vec<(String, String)>, InvalidRequestError> {
    headers
        .unwrap_or_default()
        .into_iter()
        .map(|pair| match <[String; 2]>::try_from(pair) {
            Ok([name, value]) => Ok((name, value)),
            Err(_) => Err(InvalidRequestError::new(
                "trace_headers",
                "must be [name, value] pairs",
            )),
        })
        .collect()
}
