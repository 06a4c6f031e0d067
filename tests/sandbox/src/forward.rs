//! A hook that answers calls in place of the fake upstreams and the user API: the packages'
//! cassettes use it to send calls on to the real Paragon (recording) or to answer them from a
//! file (replaying). The sandbox still checks the call's token first and records the call.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;

use crate::Call;

/// A call handed to a [`Forward`]: decoded, and as it came over the wire.
#[derive(Debug, Clone)]
pub struct Forwarded {
    pub call: Call,
    pub method: http::Method,
    /// Path and query as sent, with the sandbox's project id in it.
    pub target: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// What a [`Forward`] answers: sent to the client as it is (no `output` wrapping).
#[derive(Debug, Clone)]
pub struct ForwardAnswer {
    pub status: http::StatusCode,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// Answers the calls the sandbox's own scripted replies and routes do not.
pub trait Forward: Send + Sync {
    fn forward(&self, call: Forwarded) -> Pin<Box<dyn Future<Output = ForwardAnswer> + Send>>;
}

/// A [`Forward`] in [`crate::Options`].
#[derive(Clone)]
pub struct Forwarder(pub Arc<dyn Forward>);

impl std::fmt::Debug for Forwarder {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Forwarder")
    }
}
