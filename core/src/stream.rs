//! A 2xx answer whose body is read as it arrives, chunk by chunk.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};

use crate::answer::body_error;
use crate::error::{
    CallSite, DecodeError, Error, InvalidRequestError, Result, TimeoutError, TimeoutPhase,
};
use crate::http_client::AnswerBody;
use crate::response::RawResponse;

/// A 2xx answer whose body is read as it arrives.
#[derive(Debug)]
pub struct ResponseStream {
    pub status: StatusCode,
    /// Every header, repeated ones kept.
    pub headers: HeaderMap,
    pub(crate) call: CallSite,
    pub(crate) body: AnswerBody,
    /// The longest wait for one chunk.
    pub(crate) idle_timeout: Duration,
    pub(crate) received: u64,
    /// The client's `max_response_bytes`: the most of this body held in memory at once.
    pub(crate) memory_limit: u64,
}

impl ResponseStream {
    /// The body's length, when the server announced it.
    pub fn content_length(&self) -> Option<u64> {
        self.headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse().ok())
    }

    /// Bytes read so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The next chunk of the body, or `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>> {
        let next = match tokio::time::timeout(self.idle_timeout, self.body.chunk()).await {
            Ok(next) => next,
            Err(_) => {
                return Err(Error::Timeout(Box::new(TimeoutError {
                    call: self.call.clone(),
                    phase: TimeoutPhase::Response,
                    after: self.idle_timeout,
                })));
            }
        };
        match next {
            Ok(Some(chunk)) => {
                self.received += chunk.len() as u64;
                Ok(Some(chunk))
            }
            Ok(None) => Ok(None),
            Err(error) => Err(body_error(&self.call, self.status, error)),
        }
    }

    /// The most of this body a caller may hold in memory at once (the client's
    /// `max_response_bytes`).
    pub fn memory_limit(&self) -> u64 {
        self.memory_limit
    }

    /// The rest of the body in memory; a body past `max_response_bytes` (counting what was read
    /// before) is refused, as for a whole answer.
    pub async fn read_all(mut self) -> Result<RawResponse> {
        let mut body = BytesMut::new();
        while let Some(chunk) = self.next_chunk().await? {
            if self.received > self.memory_limit {
                return Err(Error::Decode(Box::new(DecodeError {
                    call: self.call.clone(),
                    status: self.status,
                    reason: format!(
                        "the response is larger than max_response_bytes ({} bytes); read it chunk by chunk",
                        self.memory_limit
                    ),
                    source: None,
                })));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(RawResponse {
            status: self.status,
            headers: self.headers,
            body: body.freeze(),
        })
    }
}

/// A binding's `chunk_size` for a stream whose [`memory_limit`](ResponseStream::memory_limit) is
/// `memory_limit`: at least one byte, and no more than may be held in memory at once.
pub fn check_piece_size(size: u64, memory_limit: u64) -> Result<(), InvalidRequestError> {
    if size == 0 {
        return Err(InvalidRequestError::new(
            "chunk_size",
            "must be at least 1 byte",
        ));
    }
    if size > memory_limit {
        return Err(InvalidRequestError::new(
            "chunk_size",
            format!("is {size} bytes, more than max_response_bytes ({memory_limit} bytes)"),
        ));
    }
    Ok(())
}
