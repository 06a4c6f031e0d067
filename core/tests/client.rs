//! The client against a real sandbox: what no single conformance case shows (connection failures,
//! pool sharing, concurrency, headers the client adds, secrets kept out of output).

mod support;

use std::collections::HashSet;
use std::time::Duration;

use paragon_connect::serde_json::{Value, json};
use paragon_connect::{Client, Error, ErrorKind, RequestOptions, Response, VERSION};
use paragon_sandbox::{Reply, Sandbox};

#[tokio::test]
async fn a_closed_port_is_a_connection_error_naming_the_call_and_host() {
    // Bind then release a port so nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder()
        .ignore_environment()
        .project_id("p1")
        .user_token("token-that-must-not-leak")
        .proxy_base_url(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let error = client
        .request(
            "slack",
            "/chat.postMessage?secret=1",
            RequestOptions::new().method("POST"),
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection);
    let shown = error.to_string();
    // Nothing was sent, so even a POST is tried again (twice, by default).
    assert!(
        shown.starts_with(&format!(
            "POST slack /chat.postMessage (attempt 3; earlier: connection failed; connection failed): could not reach http://127.0.0.1:{port}"
        )),
        "{shown}"
    );
    assert!(!shown.contains("secret=1"), "{shown}");
    assert!(!shown.contains("token-that-must-not-leak"));
    assert!(!format!("{error:?}").contains("token-that-must-not-leak"));
}

#[tokio::test]
async fn the_client_sends_its_user_agent_and_default_headers() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::builder_for(&sandbox, "user-1")
        .default_header("X-Team", "billing")
        .default_header("X-Env", "test")
        .build()
        .unwrap();
    client
        .request(
            "echo",
            "/x",
            RequestOptions::new().header("x-env", "override"),
        )
        .await
        .unwrap();
    let sent = &sandbox.requests()[0];
    assert_eq!(
        sent.header("user-agent"),
        Some(format!("paragon-connect/{VERSION} (rust; tokio)").as_str())
    );
    assert_eq!(sent.header_values("x-team"), ["billing"]);
    assert_eq!(sent.header_values("x-env"), ["override"]);
}

#[tokio::test]
async fn the_platform_names_the_binding_in_the_user_agent() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::builder_for(&sandbox, "user-1")
        .platform("python", "CPython 3.11.7")
        .build()
        .unwrap();
    client
        .request("echo", "/x", RequestOptions::new())
        .await
        .unwrap();
    assert_eq!(
        sandbox.requests()[0].header("user-agent"),
        Some(format!("paragon-connect/{VERSION} (python; CPython 3.11.7)").as_str())
    );
}

#[tokio::test]
async fn clones_share_one_connection_pool() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    for _ in 0..10 {
        let clone = client.clone();
        clone
            .request("slack", "/conversations.list", RequestOptions::new())
            .await
            .unwrap();
    }
    let peers: HashSet<String> = sandbox.requests().into_iter().map(|r| r.peer).collect();
    assert_eq!(
        peers.len(),
        1,
        "ten sequential calls through clones used {} connections",
        peers.len()
    );
}

#[tokio::test]
async fn hundreds_of_concurrent_calls_from_many_tasks() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let calls = (0..300).map(|i| {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .request(
                    "slack",
                    "/chat.postMessage",
                    RequestOptions::new()
                        .method("POST")
                        .body(json!({"channel": "C0", "text": format!("message {i}")})),
                )
                .await
        })
    });
    let results = join_all(calls).await;
    for (i, result) in results.into_iter().enumerate() {
        let Response::Json(value) = result.unwrap().unwrap() else {
            panic!("call {i}")
        };
        assert_eq!(value["message"]["text"], format!("message {i}"));
    }
    assert_eq!(sandbox.requests().len(), 300);
}

async fn join_all<T>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<Result<T, tokio::task::JoinError>> {
    let mut results = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        results.push(handle.await);
    }
    results
}

#[tokio::test]
async fn prepare_checks_without_sending() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let prepared = client
        .prepare(
            "slack",
            "chat.postMessage",
            RequestOptions::new().method("post").body(json!({"a": 1})),
        )
        .unwrap();
    assert_eq!(prepared.method(), "POST");
    assert_eq!(
        prepared.url().as_str(),
        format!(
            "{}/projects/{}/sdk/proxy/slack/chat.postMessage",
            sandbox.url(),
            sandbox.project_id()
        )
    );
    // The token is added when sending (it may be signed or fetched then).
    assert!(prepared.headers().get("authorization").is_none());
    assert!(sandbox.requests().is_empty());
    client.send(prepared).await.unwrap();
    let sent = sandbox.requests();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0]
            .header("authorization")
            .unwrap()
            .starts_with("Bearer ey")
    );
}

#[tokio::test]
async fn a_ten_megabyte_body_arrives_intact() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let body: Vec<u8> = (0..10 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let response = client
        .request(
            "echo",
            "/upload",
            RequestOptions::new()
                .method("PUT")
                .body(body.clone())
                .raw(true),
        )
        .await
        .unwrap();
    let raw = response.into_raw().unwrap();
    let echoed: Value = paragon_connect::serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(echoed["body"], Value::Null, "binary bodies are not text");
    assert_eq!(sandbox.requests()[0].body(), body);
    assert_eq!(
        sandbox.requests()[0].header("content-type"),
        Some("application/octet-stream")
    );
}

#[tokio::test]
async fn large_integers_and_key_order_cross_the_wire_exactly() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let body: Value = paragon_connect::serde_json::from_str(
        r#"{"z":1,"id":123456789012345678901234567890,"a":0.1000000000000000055511151231257827}"#,
    )
    .unwrap();
    client
        .request(
            "echo",
            "/x",
            RequestOptions::new().method("POST").body(body),
        )
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8(sandbox.requests()[0].body()).unwrap(),
        r#"{"z":1,"id":123456789012345678901234567890,"a":0.1000000000000000055511151231257827}"#
    );
}

#[tokio::test]
async fn a_token_echoed_by_the_server_is_scrubbed_from_the_message() {
    let sandbox = Sandbox::start().await.unwrap();
    let (client, token) = support::client_and_token(&sandbox);
    sandbox.push_reply(Reply::json(
        401,
        json!({"message": format!("bad token {token}")}),
    ));
    let error = client
        .request("echo", "/x", RequestOptions::new())
        .await
        .unwrap_err();
    let Error::Status(status) = &error else {
        panic!("{error}")
    };
    assert_eq!(status.message, "bad token [redacted]");
    assert!(!error.to_string().contains(&token));
    // The body itself is kept exactly: it is the server's data.
    assert!(String::from_utf8_lossy(&status.body).contains(&token));
}

#[tokio::test]
async fn a_per_call_timeout_overrides_the_clients() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::builder_for(&sandbox, "user-1")
        .timeout(Duration::from_millis(200))
        .max_retries(0)
        .build()
        .unwrap();
    let mut slow = Reply::json(200, json!({"output": "late"}));
    slow.delay_ms = 600;
    sandbox.push_reply(slow.clone());
    let error = client
        .request("echo", "/x", RequestOptions::new())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(
        error.to_string().contains("timed out after 0.2s"),
        "{error}"
    );
    sandbox.push_reply(slow);
    let answer = client
        .request(
            "echo",
            "/x",
            RequestOptions::new().timeout(Duration::from_secs(5)),
        )
        .await
        .unwrap();
    assert_eq!(answer, Response::Json(json!("late")));
}

#[tokio::test]
async fn debug_of_the_client_shows_settings_but_not_the_token() {
    let sandbox = Sandbox::start().await.unwrap();
    let (client, token) = support::client_and_token(&sandbox);
    let shown = format!("{client:?}");
    assert!(shown.contains(sandbox.project_id()));
    assert!(shown.contains("[redacted]"));
    assert!(!shown.contains(&token));
}

#[tokio::test]
async fn json_nested_past_the_depth_limit_is_a_decode_error_not_text() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let deep = format!("{{\"output\":{}1{}}}", "[".repeat(300), "]".repeat(300));
    let mut reply = Reply::json(200, Value::Null).with_header("content-type", "application/json");
    reply.body = Some(paragon_sandbox::ReplyBody::Text(deep.clone()));
    sandbox.push_reply(reply.clone());
    let error = client
        .request("echo", "/x", RequestOptions::new().max_retries(0))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
    assert!(
        error.to_string().contains("nested more than 127 levels"),
        "{error}"
    );
    // JSON left as text (what the bindings use) draws the same line.
    sandbox.push_reply(reply.clone());
    let error = client
        .request(
            "echo",
            "/x",
            RequestOptions::new().max_retries(0).json_as_text(true),
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
    // Raw calls still get the bytes.
    sandbox.push_reply(reply);
    let raw = client
        .request("echo", "/x", RequestOptions::new().raw(true))
        .await
        .unwrap();
    assert_eq!(raw.into_raw().unwrap().body, deep.as_bytes());
}
