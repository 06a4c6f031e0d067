//! What an attempt does once an answer's head arrives: read the whole body and decode it
//! ([`Whole`]), or hand a 2xx body over to be read as it comes ([`Head`]). A non-2xx answer is
//! read whole either way, for its error. Reading a body fails the same way for both.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};

use crate::client::Decoding;
use crate::connector::BoxError;
use crate::error::{CallSite, DecodeError, Error, Result, StatusError, chain};
use crate::http_client::AnswerBody;
use crate::response::{
    MAX_JSON_DEPTH, RawResponse, Response, decode, decode_api, decode_as_text, nested_too_deep,
};
use crate::secret::Secret;
use crate::stream::ResponseStream;

/// An answer whose head has arrived.
pub(crate) struct Head {
    pub call: CallSite,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: AnswerBody,
    /// The attempt's timeout: for a whole answer already running around the whole exchange, for
    /// a stream the longest wait for each chunk.
    pub timeout: Duration,
    /// The token the attempt sent, scrubbed from an error's message.
    pub token: Secret,
    pub max_response_bytes: u64,
}

/// How an attempt finishes a call.
pub(crate) trait Finish {
    type Output;

    /// Whether the attempt's timeout bounds the whole answer (else only its head).
    const TIMES_WHOLE_ANSWER: bool;

    async fn finish(&self, head: Head) -> Result<Self::Output>;
}

/// The whole answer, decoded as the call asked.
pub(crate) struct Whole(pub Decoding);

/// A decoded answer and what its head said.
pub(crate) struct Answered {
    pub response: Response,
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// Paragon's request id, scrubbed of the token.
    pub request_id: Option<String>,
}

impl Finish for Whole {
    type Output = Answered;
    const TIMES_WHOLE_ANSWER: bool = true;

    async fn finish(&self, mut head: Head) -> Result<Answered> {
        let body = read_body(&mut head).await?;
        let Head {
            call,
            status,
            headers,
            token,
            ..
        } = head;
        if !status.is_success() {
            return Err(status_error(call, status, headers, body, &token));
        }
        let request_id = crate::error::request_id(&headers, &token);
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        let response = match self.0 {
            Decoding::Proxy => decode(content_type, &body),
            Decoding::ProxyText => decode_as_text(content_type, &body),
            Decoding::Api => decode_api(content_type, &body),
            Decoding::Raw => Response::Raw(RawResponse {
                status,
                headers: headers.clone(),
                // A reference count, not a copy.
                body: body.clone(),
            }),
        };
        if matches!(response, Response::Text(_)) && nested_too_deep(content_type, &body) {
            return Err(Error::Decode(Box::new(DecodeError {
                call,
                status,
                reason: format!(
                    "the JSON answer is nested more than {MAX_JSON_DEPTH} levels deep (use raw=True to read it yourself)"
                ),
                source: None,
            })));
        }
        Ok(Answered {
            response,
            status,
            headers,
            request_id,
        })
    }
}

/// A 2xx answer's body left to read as it comes.
pub(crate) struct Streamed;

impl Finish for Streamed {
    type Output = ResponseStream;
    const TIMES_WHOLE_ANSWER: bool = false;

    async fn finish(&self, mut head: Head) -> Result<ResponseStream> {
        if !head.status.is_success() {
            let body = read_body(&mut head).await?;
            return Err(status_error(
                head.call,
                head.status,
                head.headers,
                body,
                &head.token,
            ));
        }
        Ok(ResponseStream {
            status: head.status,
            headers: head.headers,
            call: head.call,
            body: head.body,
            idle_timeout: head.timeout,
            received: 0,
            memory_limit: head.max_response_bytes,
        })
    }
}

fn status_error(
    call: CallSite,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    token: &Secret,
) -> Error {
    Error::Status(Box::new(StatusError::from_response(
        call, status, headers, body, token,
    )))
}

/// Why reading a body failed: the connection broke or the encoding was bad (its time running
/// out is the attempt's timeout, around the read).
pub(crate) fn body_error(call: &CallSite, status: StatusCode, error: BoxError) -> Error {
    Error::Decode(Box::new(DecodeError {
        call: call.clone(),
        status,
        reason: chain(error.as_ref()),
        source: Some(error),
    }))
}

/// The whole body, refused past `max_response_bytes` so memory stays bounded.
async fn read_body(head: &mut Head) -> Result<Bytes> {
    let limit = head.max_response_bytes;
    let too_large = |head: &Head| {
        Error::Decode(Box::new(DecodeError {
            call: head.call.clone(),
            status: head.status,
            reason: format!("the response is larger than max_response_bytes ({limit} bytes)"),
            source: None,
        }))
    };
    let announced = head.body.exact_length();
    if announced.is_some_and(|length| length > limit) {
        return Err(too_large(head));
    }
    // The announced length, once under the limit, sizes the buffer: one allocation, no
    // regrowth copies. A body arriving in one chunk is kept as it is, not copied at all.
    let expected = announced.unwrap_or(0) as usize;
    let mut first: Option<Bytes> = None;
    let mut body = BytesMut::new();
    loop {
        let chunk = match head.body.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return Ok(first.unwrap_or_else(|| body.freeze())),
            Err(error) => return Err(body_error(&head.call, head.status, error)),
        };
        let so_far = first.as_ref().map_or(body.len(), Bytes::len);
        if so_far as u64 + chunk.len() as u64 > limit {
            return Err(too_large(head));
        }
        if body.is_empty() && first.is_none() {
            first = Some(chunk);
            continue;
        }
        if let Some(first) = first.take() {
            body.reserve(expected.max(first.len() + chunk.len()));
            body.extend_from_slice(&first);
        }
        body.extend_from_slice(&chunk);
    }
}
