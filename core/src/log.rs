//! What happens during a call, as events: each attempt sent and answered, each retry, giving up.
//! They go to the client's [`EventSink`] (the bindings forward them to Python's `logging` and to a
//! Node logger) and, when `PARAGON_LOG=debug`, to stderr. No event holds a secret: no token, no
//! query string, no header value that may be a credential, request ids scrubbed of the token.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::{HeaderMap, StatusCode};
use url::Url;

use crate::error::{CallSite, Error};
use crate::secret::Secret;

/// How much an event matters: each attempt is `Debug`, a retry or giving up `Warning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Warning,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// An attempt is being sent.
    Sending,
    /// An attempt got an answer (of any status).
    Answered,
    /// An attempt failed and the call will be sent again after `delay`.
    Retrying,
    /// The call failed after more than one attempt.
    GaveUp,
}

/// One event of one call.
#[derive(Debug, Clone)]
pub struct CallEvent {
    pub kind: EventKind,
    pub level: Level,
    pub method: String,
    /// Empty for Paragon's own endpoints.
    pub integration: String,
    /// The call's path, without its query string.
    pub path: String,
    /// Which attempt (1 for the first).
    pub attempt: u32,
    pub status: Option<u16>,
    /// How long the attempt (`Answered`) or the whole call (`GaveUp`) took.
    pub elapsed: Option<Duration>,
    /// The wait before the next attempt (`Retrying`).
    pub delay: Option<Duration>,
    /// Why the attempt or the call failed (`Retrying`, `GaveUp`).
    pub reason: Option<String>,
    /// Paragon's request id, when the answer had one.
    pub request_id: Option<String>,
}

impl CallEvent {
    fn new(kind: EventKind, call: &CallSite, attempt: u32) -> CallEvent {
        CallEvent {
            kind,
            level: match kind {
                EventKind::Sending | EventKind::Answered => Level::Debug,
                EventKind::Retrying | EventKind::GaveUp => Level::Warning,
            },
            method: call.method.to_string(),
            integration: call.integration_type.clone(),
            path: call.path.split('?').next().unwrap_or_default().to_owned(),
            attempt,
            status: None,
            elapsed: None,
            delay: None,
            reason: None,
            request_id: None,
        }
    }
}

/// One line: `POST slack /chat.postMessage: attempt 2 answered 200 in 35 ms`.
impl fmt::Display for CallEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.method)?;
        if !self.integration.is_empty() {
            write!(f, "{} ", self.integration)?;
        }
        write!(f, "{}: ", self.path)?;
        let millis = |duration: Option<Duration>| duration.unwrap_or_default().as_millis();
        match self.kind {
            EventKind::Sending => write!(f, "sending attempt {}", self.attempt)?,
            EventKind::Answered => write!(
                f,
                "attempt {} answered {} in {} ms",
                self.attempt,
                self.status.unwrap_or_default(),
                millis(self.elapsed)
            )?,
            EventKind::Retrying => write!(
                f,
                "attempt {} failed ({}); retrying in {} ms",
                self.attempt,
                self.reason.as_deref().unwrap_or_default(),
                millis(self.delay)
            )?,
            EventKind::GaveUp => write!(
                f,
                "gave up after {} attempts in {} ms ({})",
                self.attempt,
                millis(self.elapsed),
                self.reason.as_deref().unwrap_or_default()
            )?,
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

/// Where a client's events go. Called on the I/O threads: an implementation must return at once
/// (queue the event, never run caller code there).
pub trait EventSink: Send + Sync {
    /// Whether events of `level` are wanted; asked before one is made.
    fn wants(&self, level: Level) -> bool;
    fn event(&self, event: CallEvent);
}

/// The events of one client: its sink, and stderr when `PARAGON_LOG=debug`.
#[derive(Clone, Default)]
pub(crate) struct Events {
    pub sink: Option<Arc<dyn EventSink>>,
}

impl Events {
    fn wanted(&self, level: Level) -> (bool, bool) {
        (
            stderr_enabled(),
            self.sink.as_ref().is_some_and(|sink| sink.wants(level)),
        )
    }

    fn emit(&self, event: CallEvent, to_stderr: bool, to_sink: bool) {
        if to_stderr {
            eprintln!("paragon-connect: {event}");
        }
        if let (true, Some(sink)) = (to_sink, &self.sink) {
            sink.event(event);
        }
    }

    pub(crate) fn sending(&self, call: &CallSite, attempt: u32) {
        let (stderr, sink) = self.wanted(Level::Debug);
        if stderr || sink {
            self.emit(
                CallEvent::new(EventKind::Sending, call, attempt),
                stderr,
                sink,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn answered(
        &self,
        call: &CallSite,
        attempt: u32,
        url: &Url,
        sent: &HeaderMap,
        status: StatusCode,
        answer: &HeaderMap,
        took: Duration,
        token: &Secret,
    ) {
        let (stderr, sink) = self.wanted(Level::Debug);
        if !stderr && !sink {
            return;
        }
        if stderr {
            // The request's own details, for debugging on a terminal.
            eprintln!(
                "paragon-connect: {} {} [{}]",
                call.method,
                without_query(url),
                shown_headers(sent)
            );
        }
        let mut event = CallEvent::new(EventKind::Answered, call, attempt);
        event.status = Some(status.as_u16());
        event.elapsed = Some(took);
        event.request_id = crate::error::request_id(answer, token);
        self.emit(event, stderr, sink);
    }

    pub(crate) fn retrying(&self, call: &CallSite, attempt: u32, error: &Error, delay: Duration) {
        let (stderr, sink) = self.wanted(Level::Warning);
        if stderr || sink {
            let mut event = CallEvent::new(EventKind::Retrying, call, attempt);
            event.reason = Some(error.short());
            event.delay = Some(delay);
            self.emit(event, stderr, sink);
        }
    }

    pub(crate) fn gave_up(&self, call: &CallSite, attempts: u32, error: &Error, took: Duration) {
        let (stderr, sink) = self.wanted(Level::Warning);
        if stderr || sink {
            let mut event = CallEvent::new(EventKind::GaveUp, call, attempts);
            event.reason = Some(error.short());
            event.elapsed = Some(took);
            self.emit(event, stderr, sink);
        }
    }
}

fn stderr_enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| {
        std::env::var("PARAGON_LOG").is_ok_and(|level| level.eq_ignore_ascii_case("debug"))
    })
}

fn without_query(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_query(None);
    url
}

/// The headers sent, credentials replaced by `[redacted]`.
fn shown_headers(headers: &HeaderMap) -> String {
    headers
        .iter()
        .filter(|(name, _)| *name != http::header::AUTHORIZATION)
        .map(|(name, value)| {
            let shown = if value.is_sensitive() || may_be_secret(name.as_str()) {
                "[redacted]".into()
            } else {
                String::from_utf8_lossy(value.as_bytes())
            };
            format!("{name}: {shown}")
        })
        .chain(std::iter::once("authorization: [redacted]".to_owned()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a header's value may be a credential, by its name (lower-case): cookies, API keys,
/// tokens, secrets, signatures, passwords and anything named for authentication.
pub(crate) fn may_be_secret(name: &str) -> bool {
    [
        "auth",
        "cookie",
        "key",
        "token",
        "secret",
        "signature",
        "password",
        "session",
        "credential",
    ]
    .iter()
    .any(|word| name.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    #[test]
    fn credentials_are_known_by_their_names() {
        for name in [
            "authorization",
            "proxy-authorization",
            "cookie",
            "x-api-key",
            "x-auth-token",
            "x-paragon-credential",
            "x-amz-security-token",
            "x-hub-signature",
        ] {
            assert!(may_be_secret(name), "{name}");
        }
        for name in [
            "accept",
            "content-type",
            "user-agent",
            "x-request-id",
            "idempotency-key",
        ] {
            assert_eq!(may_be_secret(name), name == "idempotency-key", "{name}");
        }
    }

    #[test]
    fn an_event_reads_as_one_line_without_the_query() {
        let call = CallSite::new(Method::POST, "slack", "/chat.postMessage?token=abc");
        let mut event = CallEvent::new(EventKind::Answered, &call, 2);
        event.status = Some(200);
        event.elapsed = Some(Duration::from_millis(35));
        assert_eq!(
            event.to_string(),
            "POST slack /chat.postMessage: attempt 2 answered 200 in 35 ms"
        );
        assert_eq!(event.level, Level::Debug);
    }
}
