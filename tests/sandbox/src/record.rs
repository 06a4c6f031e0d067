//! Every request the sandbox received, exactly as it came over the wire, for tests to assert on.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query string as sent (`/projects/p/sdk/proxy/slack/x?a=1`), never normalised.
    pub target: String,
    /// Headers in arrival order, names lower-case, values as text (non-UTF-8 bytes replaced).
    pub headers: Vec<(String, String)>,
    /// The body, base64-encoded.
    pub body_base64: String,
    /// The client's address: requests that share it came over one connection.
    pub peer: String,
    /// `HTTP/1.1` or `HTTP/2.0`.
    pub version: String,
    /// Whether the sandbox finished answering. A request whose client went away first (a
    /// cancelled call) stays unanswered: the server dropped its handler with the connection.
    pub answered: bool,
    /// The same request decoded, as the fake's users read it.
    pub call: crate::Call,
}

impl RecordedRequest {
    pub(crate) fn new(
        peer: std::net::SocketAddr,
        version: http::Version,
        method: &str,
        target: &str,
        headers: &http::HeaderMap,
        body: &[u8],
        call: crate::Call,
    ) -> Self {
        RecordedRequest {
            peer: peer.to_string(),
            version: format!("{version:?}"),
            answered: false,
            method: method.to_owned(),
            target: target.to_owned(),
            headers: headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body_base64: STANDARD.encode(body),
            call,
        }
    }

    /// Every value of a header (case-insensitive name).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name).into_iter().next()
    }

    pub fn body(&self) -> Vec<u8> {
        STANDARD.decode(&self.body_base64).unwrap_or_default()
    }
}
