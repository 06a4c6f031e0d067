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
        .map(|(name, value)| {
            let shown = if value.is_sensitive() {
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
