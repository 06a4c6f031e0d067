//! A request body the wrapper writes as it comes, and the token that cancels a call.

use napi::bindgen_prelude::{Buffer, PromiseRaw};
use napi::{Env, Result};
use napi_derive::napi;
use paragon_connect::{Body, OneShotStream};
use tokio_util::sync::CancellationToken;

use crate::settle::settle_later;

/// A request body the wrapper writes chunk by chunk from a Node stream or async iterable. A
/// small channel between the two gives backpressure: `write` resolves when the request has
/// room for the chunk.
#[napi]
pub struct BodyWriter {
    sender: std::sync::Mutex<Option<tokio::sync::mpsc::Sender<std::io::Result<bytes::Bytes>>>>,
    receiver: std::sync::Mutex<Option<tokio::sync::mpsc::Receiver<std::io::Result<bytes::Bytes>>>>,
}

#[napi]
impl BodyWriter {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        let (sender, receiver) = tokio::sync::mpsc::channel(4);
        BodyWriter {
            sender: std::sync::Mutex::new(Some(sender)),
            receiver: std::sync::Mutex::new(Some(receiver)),
        }
    }

    fn sender(&self) -> Option<tokio::sync::mpsc::Sender<std::io::Result<bytes::Bytes>>> {
        self.sender.lock().ok().and_then(|sender| sender.clone())
    }

    /// Resolves to `true` once the chunk is taken, `false` when the request no longer reads.
    #[napi]
    pub fn write<'env>(&self, env: &'env Env, chunk: Buffer) -> Result<PromiseRaw<'env, bool>> {
        let sender = self.sender();
        let chunk = bytes::Bytes::from(chunk.to_vec());
        settle_later(env, async move {
            match sender {
                Some(sender) => sender.send(Ok(chunk)).await.is_ok(),
                None => false,
            }
        })
    }

    /// The body is complete.
    #[napi]
    pub fn end(&self) {
        if let Ok(mut sender) = self.sender.lock() {
            *sender = None;
        }
    }

    /// The source failed: the request fails with `reason`.
    #[napi]
    pub fn fail(&self, reason: String) {
        if let Some(sender) = self.sender() {
            // Queued behind the chunks already written, so the body ends in this error and is
            // never taken for complete.
            napi::bindgen_prelude::spawn(async move {
                let _ = sender.send(Err(std::io::Error::other(reason))).await;
            });
        }
        self.end();
    }

    pub(crate) fn take_body(&self) -> Option<Body> {
        let receiver = self.receiver.lock().ok()?.take()?;
        let chunks = futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|chunk| (chunk, receiver))
        });
        Some(Body::Stream(OneShotStream::new(chunks)))
    }
}

/// Cancels the calls it was passed to (the JS wrapper ties it to an `AbortSignal`).
#[napi]
pub struct CancelToken {
    pub(crate) token: CancellationToken,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        CancelToken {
            token: CancellationToken::new(),
        }
    }

    #[napi]
    pub fn cancel(&self) {
        self.token.cancel();
    }
}
