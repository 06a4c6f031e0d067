//! What a call gives a distributed trace: the propagation headers a tracer made, sent with every
//! attempt (a caller's own kept), and the span's end from the call's outcome.

mod support;

use paragon_connect::{Error, RequestOptions, SpanEnd, SpanValue};
use paragon_sandbox::{Reply, Sandbox};
use serde_json::json;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn traced() -> RequestOptions {
    RequestOptions::new().trace_headers(vec![
        ("traceparent".into(), TRACEPARENT.into()),
        ("tracestate".into(), "vendor=1".into()),
    ])
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .collect()
}

#[tokio::test]
async fn every_attempt_carries_the_spans_headers_and_the_end_counts_the_resend() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    sandbox.push_reply(Reply::json(503, json!({})).with_header("retry-after", "0"));
    let (_, meta) = client
        .request_with_meta("echo", "/x", traced())
        .await
        .unwrap();
    let requests = sandbox.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(header(&request.headers, "traceparent"), [TRACEPARENT]);
        assert_eq!(header(&request.headers, "tracestate"), ["vendor=1"]);
    }
    let end = SpanEnd::of_meta(&meta);
    assert!(
        end.attributes
            .contains(&("http.request.resend_count", SpanValue::Int(1)))
    );
    assert!(
        end.attributes
            .contains(&("http.response.status_code", SpanValue::Int(200)))
    );
    assert_eq!(end.error, None);
}

#[tokio::test]
async fn a_callers_own_trace_header_is_kept() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    client
        .request("echo", "/x", traced().header("TraceParent", own))
        .await
        .unwrap();
    let request = &sandbox.requests()[0];
    assert_eq!(header(&request.headers, "traceparent"), [own]);
    // The tracer's other headers still go.
    assert_eq!(header(&request.headers, "tracestate"), ["vendor=1"]);
}

#[tokio::test]
async fn a_trace_header_that_cannot_be_sent_is_refused_before_sending() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    for headers in [
        vec![("traceparent".to_owned(), "line\nbreak".to_owned())],
        vec![("host".to_owned(), "elsewhere".to_owned())],
    ] {
        let error = client
            .request("echo", "/x", RequestOptions::new().trace_headers(headers))
            .await
            .unwrap_err();
        let Error::InvalidRequest(error) = error else {
            panic!("{error}");
        };
        assert_eq!(error.argument, "trace_headers");
    }
    assert!(sandbox.requests().is_empty());
}

#[tokio::test]
async fn a_status_error_ends_the_span_with_its_code_and_message() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    sandbox.push_reply(Reply::json(404, json!({"message": "no such file"})));
    let error = client
        .request("echo", "/missing", RequestOptions::new())
        .await
        .unwrap_err();
    let end = SpanEnd::failed(&error);
    assert!(
        end.attributes
            .contains(&("error.type", SpanValue::Text("404".into())))
    );
    assert!(
        end.attributes
            .contains(&("http.response.status_code", SpanValue::Int(404)))
    );
    assert!(end.error.unwrap().contains("no such file"));
}
