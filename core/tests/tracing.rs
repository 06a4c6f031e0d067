//! What a call gives a distributed trace: the propagation headers a tracer made, sent with every
//! attempt (a caller's own kept), and the span's end from the call's outcome.

mod support;

use paragon_connect::{
    Error, ManyCall, PageOptions, Pagination, RequestOptions, SpanEnd, SpanValue,
};
use paragon_sandbox::{Reply, Sandbox};
use serde_json::json;
use support::many_call;

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

fn trace_pairs() -> Vec<(String, String)> {
    vec![("traceparent".into(), TRACEPARENT.into())]
}

#[tokio::test]
async fn a_traced_batch_records_each_call_and_sends_the_batchs_context() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let mut calls: Vec<ManyCall> = (0..4).map(|_| many_call("echo", "/x?key=k")).collect();
    calls[2] = many_call("googledrive", "/files/nope");
    let traced = client
        .request_many_traced(calls, 2, false, trace_pairs(), true)
        .await;
    let results = traced.results.unwrap();
    assert_eq!(results.len(), 4);
    assert!(results[2].is_err() && results[3].is_ok());
    for request in sandbox.requests() {
        assert_eq!(header(&request.headers, "traceparent"), [TRACEPARENT]);
    }
    assert_eq!(traced.calls.len(), 4);
    let records: Vec<_> = traced.calls.into_iter().map(Option::unwrap).collect();
    assert_eq!(records[0].start.name, "GET echo");
    assert!(records[0].started <= records[0].ended);
    assert!(
        records[0]
            .end
            .attributes
            .contains(&("http.response.status_code", SpanValue::Int(200)))
    );
    assert_eq!(records[2].start.name, "GET googledrive");
    assert!(records[2].end.error.as_deref().unwrap().contains("404"));
    assert!(
        traced
            .end
            .attributes
            .contains(&("paragon.failed", SpanValue::Int(1)))
    );
    assert_eq!(traced.end.error, None);
}

#[tokio::test]
async fn a_batch_whose_span_records_nothing_sends_its_context_and_records_no_call() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let mut calls: Vec<ManyCall> = (0..3).map(|_| many_call("echo", "/x")).collect();
    calls[1] = many_call("googledrive", "/files/nope");
    let traced = client
        .request_many_traced(calls, 2, false, trace_pairs(), false)
        .await;
    assert_eq!(traced.results.unwrap().len(), 3);
    let sent = sandbox.requests();
    assert_eq!(sent.len(), 3);
    for request in sent {
        assert_eq!(header(&request.headers, "traceparent"), [TRACEPARENT]);
    }
    assert!(traced.calls.is_empty(), "no call is recorded");
    assert!(
        traced
            .end
            .attributes
            .contains(&("paragon.failed", SpanValue::Int(1)))
    );
}

#[tokio::test]
async fn a_traced_batch_that_stops_ends_the_calls_in_flight_as_cancelled() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let calls = vec![
        many_call("custom.tasklab", "/tasks/slow?cursor=c5&delay_ms=5000"),
        many_call("googledrive", "/files/nope"),
        many_call("echo", "/never"),
    ];
    let traced = client
        .request_many_traced(calls, 2, true, trace_pairs(), true)
        .await;
    assert_eq!(traced.results.unwrap_err().as_status().unwrap().status, 404);
    assert!(traced.end.error.is_some());
    let [slow, failed, never]: [_; 3] = traced.calls.try_into().unwrap();
    assert_eq!(slow.unwrap().end, SpanEnd::cancelled());
    assert!(failed.unwrap().end.error.is_some());
    assert!(never.is_none(), "a call never sent has no span");
}

#[tokio::test]
async fn each_page_is_a_span_of_its_own_and_sends_its_headers() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let pagination =
        Pagination::from_json(&json!({"type": "cursor", "cursor": "next", "param": "cursor"}))
            .unwrap();
    let options = PageOptions {
        pagination: Some(pagination),
        max_pages: Some(2),
        ..PageOptions::default()
    };
    let mut pages = client
        .paginate(
            "custom.tasklab",
            "/tasks/failing",
            RequestOptions::new(),
            options,
        )
        .unwrap();
    for number in 1..=2 {
        let start = pages.span_start().expect("a page to fetch");
        assert_eq!(start.name, "GET custom.tasklab");
        assert!(
            start
                .attributes
                .contains(&("paragon.page", SpanValue::Int(number)))
        );
        let page = pages.next_page_traced(trace_pairs()).await.unwrap();
        assert_eq!(page.unwrap().number, number as u32);
    }
    assert_eq!(
        pages.span_start(),
        None,
        "max_pages reached: no call is made"
    );
    let requests = sandbox.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(header(&request.headers, "traceparent"), [TRACEPARENT]);
    }
}
