//! The body of a streamed answer, read chunk by chunk by the wrapper's `Readable`.

use std::sync::Arc;

use napi::bindgen_prelude::PromiseRaw;
use napi::{Env, Result};
use napi_derive::napi;
use paragon_connect::ResponseStream;

use crate::outcome::Outcome;
use crate::settle::settle_later;

/// The body of a streamed answer, filled by `NativeClient.stream` and read chunk by chunk.
#[napi]
pub struct NativeStream {
    pub(crate) body: Arc<tokio::sync::Mutex<Option<ResponseStream>>>,
}

#[napi]
impl NativeStream {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        NativeStream {
            body: Arc::new(tokio::sync::Mutex::new(None)),
        }
    }

    /// The next chunk: `["chunk", Buffer]`, `["empty"]` at the end, or `["error", ...]`.
    #[napi(ts_return_type = "Promise<[string, unknown]>")]
    pub fn next<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Outcome>> {
        let body = self.body.clone();
        settle_later(env, async move {
            let mut body = body.lock().await;
            let read = match body.as_mut() {
                Some(stream) => stream.next_chunk().await,
                None => Ok(None),
            };
            match read {
                Ok(Some(chunk)) => Outcome::Chunk(chunk),
                Ok(None) => Outcome::Empty,
                Err(error) => Outcome::error(error, false),
            }
        })
    }

    /// Stops reading and drops the connection.
    #[napi]
    pub fn close(&self) {
        if let Ok(mut body) = self.body.try_lock() {
            *body = None;
        } else {
            let body = self.body.clone();
            napi::bindgen_prelude::spawn(async move {
                *body.lock().await = None;
            });
        }
    }
}
