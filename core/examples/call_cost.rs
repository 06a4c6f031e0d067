//! Work per call, counted rather than timed: `CALLS` sequential small POSTs to
//! `paragon-bench-server` (`BENCH_URL`) through the core, through a plain reqwest client, or
//! through hyper-util's client directly (`CALL_COST_CLIENT` = `core`, `reqwest` or `hyper`).
//! Run under `valgrind --tool=callgrind` twice with different `CALLS`: the difference of the two
//! instruction totals over the difference of the calls is one call's cost, the same whatever else
//! this shared machine is doing (`bench/call_cost.sh`).

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use paragon_connect::serde_json::json;
use paragon_connect::serde_json::value::RawValue;
use paragon_connect::{Client, ManyCall, RequestOptions, Response};

const BODY: &str = r#"{"channel":"C0","text":"hi"}"#;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let url = std::env::var("BENCH_URL").expect("BENCH_URL");
    let calls: usize = std::env::var("CALLS")
        .expect("CALLS")
        .parse()
        .expect("CALLS is a number");
    let client = std::env::var("CALL_COST_CLIENT").unwrap_or_else(|_| "core".to_owned());
    paragon_connect::io_runtime()
        .expect("the I/O runtime")
        .block_on(async move {
            tokio::spawn(async move {
                match client.as_str() {
                    "core" => core_calls(&url, calls).await,
                    "many" => many_calls(&url, calls).await,
                    "reqwest" => reqwest_calls(&url, calls).await,
                    "hyper" => hyper_calls(&url, calls).await,
                    other => panic!("CALL_COST_CLIENT {other:?}: core, reqwest or hyper"),
                }
            })
            .await
            .expect("the calls")
        });
}

fn core_client(url: &str) -> Client {
    Client::builder()
        .ignore_environment()
        .project_id("p")
        .user_token("bench-token-not-checked")
        .proxy_base_url(url)
        .build()
        .expect("a client")
}

async fn core_calls(url: &str, calls: usize) {
    let client = core_client(url);
    for _ in 0..calls {
        let options = RequestOptions::new()
            .method("POST")
            .body(json!({"channel": "C0", "text": "hi"}))
            // As the Python and Node packages ask: their own JSON parsers read the text.
            .json_as_text(true);
        let answer = client
            .request("slack", "/chat.postMessage", options)
            .await
            .expect("a call");
        assert!(matches!(answer, Response::JsonText(_)));
    }
}

/// The same calls as one `request_many` batch, 64 at a time.
async fn many_calls(url: &str, calls: usize) {
    let client = core_client(url);
    let batch = (0..calls)
        .map(|_| ManyCall {
            integration_type: "slack".to_owned(),
            path: "/chat.postMessage".to_owned(),
            options: RequestOptions::new()
                .method("POST")
                .body(json!({"channel": "C0", "text": "hi"}))
                .json_as_text(true),
            user: None,
        })
        .collect();
    let results = client
        .request_many(batch, 64, false)
        .await
        .expect("a batch");
    assert!(
        results
            .iter()
            .all(|result| matches!(result, Ok(Response::JsonText(_))))
    );
}

/// The same request as the core sends, through reqwest as its users would write it.
async fn reqwest_calls(url: &str, calls: usize) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client");
    let url = format!("{url}/projects/p/sdk/proxy/slack/chat.postMessage");
    for _ in 0..calls {
        let answer = client
            .post(&url)
            .bearer_auth("bench-token-not-checked")
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(BODY)
            .send()
            .await
            .expect("a call");
        checked_json(&answer.bytes().await.expect("a body"));
    }
}

/// The same request through hyper-util's pooled client: what is left without reqwest's layers.
async fn hyper_calls(url: &str, calls: usize) {
    use hyper_util::client::legacy::Client as HyperClient;
    use hyper_util::rt::TokioExecutor;
    let client = HyperClient::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
    let uri: http::Uri = format!("{url}/projects/p/sdk/proxy/slack/chat.postMessage")
        .parse()
        .expect("a URI");
    for _ in 0..calls {
        let request = http::Request::post(uri.clone())
            .header("authorization", "Bearer bench-token-not-checked")
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(Full::new(bytes::Bytes::from_static(BODY.as_bytes())))
            .expect("a request");
        let answer = tokio::time::timeout(Duration::from_secs(30), client.request(request))
            .await
            .expect("in time")
            .expect("a call");
        let body = answer
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        checked_json(&body);
    }
}

/// The answer checked as JSON and left as text, as the core does for the packages.
fn checked_json(body: &[u8]) {
    let text: &RawValue = paragon_connect::serde_json::from_slice(body).expect("JSON");
    assert!(text.get().starts_with('{'));
}
