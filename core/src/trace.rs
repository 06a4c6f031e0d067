//! What a call contributes to a distributed trace: the client span's name and attributes (the
//! OpenTelemetry HTTP client conventions, plus `paragon.*`), at the start and at the end, and the
//! propagation headers a tracer made for the span, sent with every attempt. The bindings start
//! and end the span with their language's OpenTelemetry API (its context is the caller's), and
//! take everything they put on it from here, so a span reads the same in Python and Node.

use http::{Method, StatusCode};
use url::Url;

use crate::client::{Client, ResponseMeta};
use crate::download::Download;
use crate::error::Error;
use crate::proxy_url::proxy_url;
use crate::request::RequestOptions;
use crate::stream::ResponseStream;

/// What a query string's values are replaced with in `url.full`: they may be credentials.
pub const REDACTED: &str = "REDACTED";

/// A span attribute's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpanValue {
    Text(String),
    Int(i64),
}

/// A span attribute: its name and value.
pub type SpanAttribute = (&'static str, SpanValue);

/// The client span of a call, as it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanStart {
    /// `{METHOD} {integration}` (`POST slack`): low-cardinality, as span names must be.
    pub name: String,
    pub attributes: Vec<SpanAttribute>,
}

/// What the span gets when the call ends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpanEnd {
    pub attributes: Vec<SpanAttribute>,
    /// The span's status description when the call failed (`None`: it succeeded).
    pub error: Option<String>,
}

impl Client {
    /// The client span of the proxy call `request(integration_type, path, options)` would send.
    /// Attributes that cannot be known (a path the call will refuse) are left out.
    pub fn span_start(
        &self,
        integration_type: &str,
        path: &str,
        options: &RequestOptions,
    ) -> SpanStart {
        let method = options
            .method
            .as_deref()
            .map(str::to_ascii_uppercase)
            .unwrap_or_else(|| "GET".to_owned());
        let mut attributes = method_attributes(&method);
        let base = self.proxy_base_url();
        if let Some(host) = base.host_str() {
            attributes.push(("server.address", SpanValue::Text(host.to_owned())));
        }
        if let Some(port) = base.port_or_known_default() {
            attributes.push(("server.port", SpanValue::Int(i64::from(port))));
        }
        if let Ok(url) = proxy_url(base, self.project_id(), integration_type, path, &[]) {
            attributes.push(("url.full", SpanValue::Text(shown_url(url))));
        }
        attributes.push((
            "paragon.integration",
            SpanValue::Text(integration_type.to_owned()),
        ));
        SpanStart {
            name: format!("{method} {integration_type}"),
            attributes,
        }
    }
}

impl SpanEnd {
    /// A call answered with `status` after `attempts` attempts (`None` when not counted).
    pub fn answered(status: StatusCode, attempts: Option<u32>, request_id: Option<&str>) -> Self {
        let mut attributes = vec![(
            "http.response.status_code",
            SpanValue::Int(i64::from(status.as_u16())),
        )];
        if let Some(resent) = attempts.map(|attempts| attempts.saturating_sub(1))
            && resent > 0
        {
            attributes.push(("http.request.resend_count", SpanValue::Int(resent.into())));
        }
        if let Some(id) = request_id {
            attributes.push(("paragon.request_id", SpanValue::Text(id.to_owned())));
        }
        SpanEnd {
            attributes,
            error: None,
        }
    }

    /// A decoded answer ([`Client::request_with_meta`]).
    pub fn of_meta(meta: &ResponseMeta) -> Self {
        SpanEnd::answered(meta.status, Some(meta.attempts), meta.request_id.as_deref())
    }

    /// A page of a walk ([`crate::Pages::next_page_traced`]): its answer, or its error.
    pub fn of_page(result: &crate::error::Result<Option<crate::paginate::Page>>) -> Self {
        match result {
            Ok(Some(page)) => SpanEnd::of_meta(&page.meta),
            Ok(None) => SpanEnd::default(),
            Err(error) => SpanEnd::failed(error),
        }
    }

    /// A streamed answer, as its head arrived.
    pub fn of_stream(stream: &ResponseStream) -> Self {
        SpanEnd::answered(stream.status, None, None)
    }

    /// A finished download.
    pub fn of_download(download: &Download) -> Self {
        SpanEnd::answered(download.status, None, None)
    }

    /// A call abandoned before it ended (its task cancelled, an `AbortSignal`).
    pub fn cancelled() -> Self {
        SpanEnd {
            attributes: vec![("error.type", SpanValue::Text("cancelled".to_owned()))],
            error: Some("the call was cancelled before it ended".to_owned()),
        }
    }

    /// A call that failed with `error`: `error.type` is the status code for an answer that was
    /// an error, else the error's class (`TimeoutError`, `ConnectionError`, ...).
    pub fn failed(error: &Error) -> Self {
        let mut end = match error.as_status() {
            Some(status) => {
                let attempts = status.call.attempts() as u32;
                let mut end =
                    SpanEnd::answered(status.status, Some(attempts), status.request_id.as_deref());
                end.attributes.push((
                    "error.type",
                    SpanValue::Text(status.status.as_u16().to_string()),
                ));
                end
            }
            None => {
                let mut attributes =
                    vec![("error.type", SpanValue::Text(error.class_name().to_owned()))];
                if let Some(resent) = error.call().map(|call| call.attempts().saturating_sub(1))
                    && resent > 0
                {
                    attributes.push(("http.request.resend_count", SpanValue::Int(resent as i64)));
                }
                SpanEnd {
                    attributes,
                    error: None,
                }
            }
        };
        end.error = Some(error.to_string());
        end
    }
}

/// `http.request.method`, and the method as given when it is not one of the conventions' own.
fn method_attributes(method: &str) -> Vec<SpanAttribute> {
    let known = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::CONNECT,
        Method::OPTIONS,
        Method::TRACE,
        Method::PATCH,
    ];
    if known.iter().any(|known| known.as_str() == method) {
        vec![("http.request.method", SpanValue::Text(method.to_owned()))]
    } else {
        vec![
            ("http.request.method", SpanValue::Text("_OTHER".to_owned())),
            (
                "http.request.method_original",
                SpanValue::Text(method.to_owned()),
            ),
        ]
    }
}

/// The URL as a trace may show it: no user information, every query value redacted.
fn shown_url(mut url: Url) -> String {
    let _ = url.set_username("");
    let _ = url.set_password(None);
    if url.query().is_some() {
        let names: Vec<String> = url
            .query_pairs()
            .map(|(name, _)| name.into_owned())
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(names.iter().map(|name| (name.as_str(), REDACTED)));
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{CallSite, TimeoutError, TimeoutPhase};
    use std::time::Duration;

    fn client() -> Client {
        Client::builder()
            .project_id("p")
            .user_token("t")
            .proxy_base_url("https://proxy.example.com:8443")
            .build()
            .expect("a client")
    }

    fn text(value: &str) -> SpanValue {
        SpanValue::Text(value.to_owned())
    }

    #[test]
    fn a_span_starts_with_the_conventions_attributes_and_no_query_value() {
        let options = RequestOptions::new().method("post");
        let start = client().span_start("slack", "/chat.postMessage?token=abc&x", &options);
        assert_eq!(start.name, "POST slack");
        assert_eq!(
            start.attributes,
            vec![
                ("http.request.method", text("POST")),
                ("server.address", text("proxy.example.com")),
                ("server.port", SpanValue::Int(8443)),
                (
                    "url.full",
                    text(
                        "https://proxy.example.com:8443/projects/p/sdk/proxy/slack/chat.postMessage?token=REDACTED&x=REDACTED"
                    )
                ),
                ("paragon.integration", text("slack")),
            ]
        );
    }

    #[test]
    fn an_unusual_method_is_other_with_its_original() {
        let start = client().span_start("slack", "/x", &RequestOptions::new().method("purge"));
        assert_eq!(start.name, "PURGE slack");
        assert_eq!(start.attributes[0], ("http.request.method", text("_OTHER")));
        assert_eq!(
            start.attributes[1],
            ("http.request.method_original", text("PURGE"))
        );
    }

    #[test]
    fn a_path_the_call_refuses_leaves_the_url_out() {
        let start = client().span_start("slack", "/a/../b", &RequestOptions::new());
        assert!(start.attributes.iter().all(|(name, _)| *name != "url.full"));
    }

    #[test]
    fn a_failed_call_names_its_error_type_and_resends() {
        let mut call = CallSite::new(Method::GET, "slack", "/x");
        call.earlier_attempts = vec!["503".into(), "503".into()];
        let error = Error::Timeout(Box::new(TimeoutError {
            call,
            phase: TimeoutPhase::Response,
            after: Duration::from_secs(1),
        }));
        let end = SpanEnd::failed(&error);
        assert_eq!(
            end.attributes,
            vec![
                ("error.type", text("TimeoutError")),
                ("http.request.resend_count", SpanValue::Int(2)),
            ]
        );
        assert_eq!(end.error, Some(error.to_string()));
    }

    #[test]
    fn an_answer_is_its_status_without_resends() {
        let end = SpanEnd::answered(StatusCode::OK, Some(1), Some("req-1"));
        assert_eq!(
            end.attributes,
            vec![
                ("http.response.status_code", SpanValue::Int(200)),
                ("paragon.request_id", text("req-1")),
            ]
        );
        assert_eq!(end.error, None);
    }
}
