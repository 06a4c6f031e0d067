//! When a failed attempt is sent again, and after how long. A request that may have reached the
//! upstream API is repeated only when repeating it cannot duplicate a side effect.

use std::time::Duration;

use http::Method;

use crate::error::{Error, TimeoutPhase};

/// Retries after the first attempt, unless set.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The longest `Retry-After` waited for, unless set; a longer one fails at once.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// The first backoff's upper bound; it doubles with each retry.
const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(8);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    pub max_retries: u32,
    pub max_retry_after: Duration,
}

/// Whether a method can be sent twice without a second effect (RFC 9110's idempotent methods,
/// less TRACE).
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
    )
}

/// How long to wait before retrying after `error`, or `None` to give up. `retries_done` counts
/// the retries already made; `may_repeat` says whether the call may be sent twice.
pub(crate) fn delay_before_retry(
    error: &Error,
    retries_done: u32,
    policy: &RetryPolicy,
    may_repeat: bool,
) -> Option<Duration> {
    if retries_done >= policy.max_retries {
        return None;
    }
    let retryable = match error {
        Error::Config(_) | Error::InvalidRequest(_) | Error::Pagination(_) => false,
        // Nothing was sent when the connection could not be made.
        Error::Connection(error) => error.while_connecting || may_repeat,
        // Nothing was sent while connecting or waiting for a token.
        Error::Timeout(error) => error.phase != TimeoutPhase::Response || may_repeat,
        // The answer was cut short (the request did arrive); an answer too large or too deeply
        // nested would be the same again.
        Error::Decode(error) => may_repeat && error.source.is_some(),
        Error::Status(error) => match error.status.as_u16() {
            // Rate limited: the call was refused, not performed.
            429 => true,
            408 | 502 | 503 | 504 => may_repeat,
            _ => false,
        },
    };
    if !retryable {
        return None;
    }
    if let Some(asked) = error.as_status().and_then(|status| status.retry_after) {
        // Past the cap, fail now: the error carries how long the server asked to wait.
        return (asked <= policy.max_retry_after).then_some(asked);
    }
    Some(backoff(retries_done))
}

/// Exponential backoff with full jitter: a random wait up to 0.5 s, 1 s, 2 s, ... capped at 8 s.
fn backoff(retries_done: u32) -> Duration {
    let ceiling = INITIAL_BACKOFF
        .saturating_mul(1 << retries_done.min(16))
        .min(MAX_BACKOFF);
    ceiling.mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for _ in 0..200 {
            assert!(backoff(0) <= Duration::from_millis(500));
            assert!(backoff(1) <= Duration::from_secs(1));
            assert!(backoff(10) <= MAX_BACKOFF);
        }
    }

    #[test]
    fn idempotent_methods() {
        for method in [
            Method::GET,
            Method::HEAD,
            Method::OPTIONS,
            Method::PUT,
            Method::DELETE,
        ] {
            assert!(is_idempotent(&method), "{method}");
        }
        for method in [Method::POST, Method::PATCH, Method::CONNECT] {
            assert!(!is_idempotent(&method), "{method}");
        }
    }
}
