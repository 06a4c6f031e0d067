//! Debug logging to stderr, on when `PARAGON_LOG=debug`: each attempt's answer and each retry.
//! Sensitive headers (`Authorization`) and query strings are never written.

use std::sync::OnceLock;
use std::time::Duration;

use http::{HeaderMap, Method, StatusCode};
use url::Url;

use crate::error::{CallSite, Error};

fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| {
        std::env::var("PARAGON_LOG").is_ok_and(|level| level.eq_ignore_ascii_case("debug"))
    })
}

pub(crate) fn answered(
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    status: StatusCode,
    took: Duration,
    attempt: usize,
) {
    if !enabled() {
        return;
    }
    let mut url = url.clone();
    url.set_query(None);
    let headers: Vec<String> = headers
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
        .collect();
    eprintln!(
        "paragon-connect: {} {url} (attempt {attempt}) -> {status} in {} ms [{}]",
        method,
        took.as_millis(),
        headers.join(", ")
    );
}

pub(crate) fn retrying(call: &CallSite, error: &Error, delay: Duration) {
    if enabled() {
        eprintln!(
            "paragon-connect: {call}: {}; retrying in {} ms",
            error.short(),
            delay.as_millis()
        );
    }
}

/// Whether a header's value may be a credential, by its name (lower-case): cookies, API keys,
/// tokens, secrets, signatures, passwords and anything named for authentication.
fn may_be_secret(name: &str) -> bool {
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
}
