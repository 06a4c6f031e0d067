//! The headers of every request, proxy call or Paragon endpoint alike: the caller's first, then
//! the client's defaults for names the caller did not give, then the SDK's own (`User-Agent`,
//! `Accept`) for names neither gave.

use http::header::{ACCEPT, HeaderMap, HeaderValue, USER_AGENT};

use crate::config::{Settings, header_pair};
use crate::error::InvalidRequestError;

/// The caller's `(name, value)` headers, checked; a name given twice is sent twice.
pub(crate) fn caller_headers(given: &[(String, String)]) -> Result<HeaderMap, InvalidRequestError> {
    let mut headers = HeaderMap::new();
    for (name, value) in given {
        let (name, value) = header_pair(name, value)
            .map_err(|reason| InvalidRequestError::new("headers", reason))?;
        headers.append(name, value);
    }
    Ok(headers)
}

/// Adds the client's default headers and the SDK's own where `headers` has none of that name.
pub(crate) fn add_defaults(settings: &Settings, headers: &mut HeaderMap, accept: &'static str) {
    for name in settings.default_headers.keys() {
        if !headers.contains_key(name) {
            for value in settings.default_headers.get_all(name) {
                headers.append(name.clone(), value.clone());
            }
        }
    }
    headers
        .entry(USER_AGENT)
        .or_insert(settings.user_agent.clone());
    headers
        .entry(ACCEPT)
        .or_insert(HeaderValue::from_static(accept));
}
