//! A call's options, in the core's call arguments: one line per option (times in milliseconds).

use napi::bindgen_prelude::Buffer;
use paragon_connect::{
    Body, CallArguments, InvalidRequestError, Part, PartData, RequestOptions, TimeUnit,
};

use crate::fields::Fields;

/// One call's options, typed by the wrapper (a JSON body as `JSON.stringify` text).
#[napi_derive::napi(object, object_to_js = false)]
pub struct CallOptions {
    pub method: Option<String>,
    /// `JSON.stringify` output of a JSON body.
    pub json: Option<String>,
    pub text: Option<String>,
    pub bytes: Option<Buffer>,
    /// A file to stream as the body.
    pub file: Option<String>,
    #[napi(ts_type = "Array<[string, unknown]>")]
    pub form: Option<Fields>,
    pub multipart: Option<Vec<NativePart>>,
    #[napi(ts_type = "Array<[string, unknown]>")]
    pub headers: Option<Fields>,
    #[napi(ts_type = "Array<[string, unknown]>")]
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
        let trace_headers = self
            .trace_headers
            .unwrap_or_default()
            .into_iter()
            .map(|pair| match <[String; 2]>::try_from(pair) {
                Ok([name, value]) => Ok((name, value)),
                Err(_) => Err(InvalidRequestError::new(
                    "trace_headers",
                    "must be [name, value] pairs",
                )),
            })
            .collect::<Result<_, _>>()?;
        Ok(options.trace_headers(trace_headers))
    }
}
