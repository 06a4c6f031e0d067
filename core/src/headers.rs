//! The headers of every request, proxy call or Paragon endpoint alike: the caller's first, then
//! the client's defaults for names the caller did not give, then the SDK's own (`User-Agent`,
//! `Accept`) for names neither gave.

use http::header::{
    ACCEPT, CONTENT_LENGTH, HOST, HeaderMap, HeaderValue, TRANSFER_ENCODING, USER_AGENT,
};

use crate::config::{Settings, header_pair};
use crate::error::InvalidRequestError;

/// The caller's `(name, value)` headers, checked; a name given twice is sent twice. The headers
/// that frame the message are the SDK's to set from the body and URL: a caller's `Content-Length`
/// would cut the body short or hang the call, a `Transfer-Encoding` or `Host` would make the
/// request mean something else.
pub(crate) fn caller_headers(given: &[(String, String)]) -> Result<HeaderMap, InvalidRequestError> {
    let mut headers = HeaderMap::new();
    for (name, value) in given {
        let (name, value) = header_pair(name, value)
            .map_err(|reason| InvalidRequestError::new("headers", reason))?;
        if [CONTENT_LENGTH, TRANSFER_ENCODING, HOST].contains(&name) {
            return Err(InvalidRequestError::new(
                "headers",
                format!("{name} is set by the SDK from the body and URL; leave it out"),
            ));
        }
        headers.append(name, value);
    }
    Ok(headers)
}

/// Adds the propagation headers a tracer made for the call's span (`traceparent`, `tracestate`,
/// `baggage`, B3's, ...) where the caller gave none of that name: a caller's own is kept.
pub(crate) fn add_trace_headers(
    headers: &mut HeaderMap,
    trace: &[(String, String)],
) -> Result<(), InvalidRequestError> {
    if trace.is_empty() {
        return Ok(());
    }
    let trace = caller_headers(trace)
        .map_err(|error| InvalidRequestError::new("trace_headers", error.reason))?;
    append_missing(headers, &trace);
    Ok(())
}

/// Adds the client's default headers and the SDK's own where `headers` has none of that name.
pub(crate) fn add_defaults(settings: &Settings, headers: &mut HeaderMap, accept: &'static str) {
    append_missing(headers, &settings.default_headers);
    headers
        .entry(USER_AGENT)
        .or_insert(settings.user_agent.clone());
    headers
        .entry(ACCEPT)
        .or_insert(HeaderValue::from_static(accept));
}

/// Appends every value of each name in `from` that `headers` does not have.
fn append_missing(headers: &mut HeaderMap, from: &HeaderMap) {
    for name in from.keys() {
        if !headers.contains_key(name) {
            for value in from.get_all(name) {
                headers.append(name.clone(), value.clone());
            }
        }
    }
}
