//! Broken and hostile servers: slow, trickling, huge, redirecting elsewhere. Retry rules are in
//! tests/conformance/retries.json; these are the cases that need more than one exchange.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use paragon_connect::serde_json::json;
use paragon_connect::{
    Client, Error, ErrorKind, RequestOptions, Response, Secret, StatusClass, TokenProvider,
};
use paragon_sandbox::{PROJECT_ID, Reply, ReplyBody, Sandbox};

fn slow_reply(delay_ms: u64) -> Reply {
    let mut reply = Reply::json(200, json!({"output": "late"}));
    reply.delay_ms = delay_ms;
    reply
}

#[tokio::test]
async fn a_trickling_answer_ends_at_the_timeout_not_later() {
    let sandbox = Sandbox::start().await.unwrap();
    let mut trickle = Reply::json(200, json!({"output": "x".repeat(40)}));
    trickle.trickle_ms = Some(100); // about 5 s for the whole body
    sandbox.push_reply(trickle);
    let client = support::builder_for(&sandbox, "u")
        .timeout(Duration::from_millis(700))
        .max_retries(0)
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client
        .request("echo", "/x", RequestOptions::new())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    // The limit holds for the body too: not one byte a second for as long as the server likes.
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_deadline_bounds_all_retries() {
    let sandbox = Sandbox::start().await.unwrap();
    for _ in 0..20 {
        sandbox.push_reply(Reply::json(503, json!({"message": "busy"})));
    }
    let client = support::builder_for(&sandbox, "u").build().unwrap();
    let started = Instant::now();
    let error = client
        .request(
            "echo",
            "/x",
            RequestOptions::new()
                .max_retries(20)
                .deadline(Duration::from_millis(1500)),
        )
        .await
        .unwrap_err();
    assert_eq!(
        error.as_status().map(|status| status.class()),
        Some(StatusClass::InternalServer)
    );
    let attempts = error.call().unwrap().attempts();
    assert!((2..20).contains(&attempts), "{attempts} attempts");
    assert_eq!(sandbox.requests().len(), attempts);
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_huge_answer_stops_at_the_size_limit() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::builder_for(&sandbox, "u")
        .max_response_bytes(1024 * 1024)
        .max_retries(0)
        .build()
        .unwrap();
    for announced in [false, true] {
        let mut huge = Reply::json(200, json!(null));
        huge.body = None;
        huge.generated_bytes = Some(10 * 1024 * 1024 * 1024); // 10 GiB, made as it is sent
        huge.content_length = announced;
        sandbox.push_reply(huge);
        let error = client
            .request("echo", "/x", RequestOptions::new().raw(true))
            .await
            .unwrap_err();
        let Error::Decode(decode) = &error else {
            panic!("{error}")
        };
        assert!(decode.reason.contains("max_response_bytes"), "{error}");
    }
    // Under the limit, the same stream arrives whole.
    let mut fits = Reply::json(200, json!(null));
    fits.body = None;
    fits.generated_bytes = Some(512 * 1024);
    sandbox.push_reply(fits);
    let raw = client
        .request("echo", "/x", RequestOptions::new().raw(true))
        .await
        .unwrap();
    assert_eq!(raw.into_raw().unwrap().body.len(), 512 * 1024);
}

#[tokio::test]
async fn a_gzip_bomb_stops_at_the_size_limit_of_its_decoded_bytes() {
    use base64::Engine;
    use std::io::Write;
    // 16 MiB of zeros, about 16 KiB as gzip: the limit counts what it decodes to.
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..16 {
        gzip.write_all(&zeros).unwrap();
    }
    let bomb = gzip.finish().unwrap();
    assert!(bomb.len() < 1024 * 1024);
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::builder_for(&sandbox, "u")
        .max_response_bytes(1024 * 1024)
        .max_retries(0)
        .build()
        .unwrap();
    let mut reply = Reply::json(200, json!(null))
        .with_header("content-type", "application/json")
        .with_header("content-encoding", "gzip");
    reply.body = Some(ReplyBody::Base64(
        base64::engine::general_purpose::STANDARD.encode(&bomb),
    ));
    sandbox.push_reply(reply);
    let error = client
        .request("echo", "/bomb", RequestOptions::new())
        .await
        .unwrap_err();
    let Error::Decode(decode) = &error else {
        panic!("{error}")
    };
    assert!(decode.reason.contains("max_response_bytes"), "{error}");
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    let sandbox = Sandbox::start().await.unwrap();
    let elsewhere = Sandbox::start().await.unwrap();
    // Another origin: same machine, another name and port.
    let target = format!(
        "{}/projects/{PROJECT_ID}/sdk/proxy/echo/landed",
        elsewhere.url().replace("127.0.0.1", "localhost")
    );
    sandbox.push_reply(Reply::json(307, json!({})).with_header("location", &target));
    let client = support::builder_for(&sandbox, "u")
        .max_retries(0)
        .build()
        .unwrap();
    let error = client
        .request("echo", "/x", RequestOptions::new())
        .await
        .unwrap_err();
    // The 307 is the call's answer: nothing (no token, no caller header, no Referer) went there.
    assert_eq!(
        error.as_status().map(|status| status.status.as_u16()),
        Some(307)
    );
    assert!(elsewhere.requests().is_empty());

    // A redirect within the same origin keeps it.
    let same = format!(
        "{}/projects/{PROJECT_ID}/sdk/proxy/echo/moved",
        sandbox.url()
    );
    sandbox.push_reply(Reply::json(307, json!({})).with_header("location", &same));
    let answer = client
        .request("echo", "/x", RequestOptions::new())
        .await
        .unwrap();
    assert_eq!(answer.as_json().unwrap()["path"], "/moved");
}

#[tokio::test]
async fn a_followed_redirect_keeps_or_drops_the_body_as_browsers_do() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::builder_for(&sandbox, "u")
        .max_retries(0)
        .build()
        .unwrap();
    let moved = format!("/projects/{PROJECT_ID}/sdk/proxy/echo/moved");
    let post = |method: &str| {
        RequestOptions::new()
            .method(method)
            .body(json!({"a": 1}))
            .idempotent(true)
    };
    // (status, method sent, method after the redirect, whether the body goes again)
    for (status, method, then, body_again) in [
        (307, "POST", "POST", true),
        (308, "PATCH", "PATCH", true),
        (301, "PUT", "PUT", true),
        (302, "POST", "GET", false),
        (303, "POST", "GET", false),
        (303, "DELETE", "GET", false),
    ] {
        let before = sandbox.requests().len();
        sandbox.push_reply(Reply::json(status, json!({})).with_header("location", &moved));
        client.request("echo", "/x", post(method)).await.unwrap();
        let requests = sandbox.requests();
        assert_eq!(requests.len(), before + 2, "{status} {method}");
        let again = &requests[before + 1];
        assert_eq!(
            (again.method.as_str(), again.target.as_str()),
            (then, moved.as_str())
        );
        assert!(again.header("authorization").is_some());
        if body_again {
            assert_eq!(again.body(), br#"{"a":1}"#, "{status} {method}");
            assert_eq!(again.header("content-type"), Some("application/json"));
        } else {
            assert!(again.body().is_empty(), "{status} {method}");
            assert_eq!(again.header("content-type"), None, "{status} {method}");
            assert_eq!(again.header("content-length"), None, "{status} {method}");
        }
    }

    // A streamed body cannot be sent again: the 307 is the answer.
    let before = sandbox.requests().len();
    sandbox.push_reply(Reply::json(307, json!({})).with_header("location", &moved));
    let chunks = futures_util::stream::iter([Ok(bytes::Bytes::from("once"))]);
    let streamed = RequestOptions::new()
        .method("POST")
        .body(paragon_connect::Body::Stream(
            paragon_connect::OneShotStream::new(chunks),
        ));
    let error = client.request("echo", "/x", streamed).await.unwrap_err();
    assert_eq!(error.as_status().map(|s| s.status.as_u16()), Some(307));
    assert_eq!(sandbox.requests().len(), before + 1);

    // Ten hops are followed; the eleventh redirect is the answer.
    let before = sandbox.requests().len();
    for _ in 0..11 {
        sandbox.push_reply(Reply::json(307, json!({})).with_header("location", &moved));
    }
    let error = client
        .request("echo", "/x", RequestOptions::new())
        .await
        .unwrap_err();
    assert_eq!(error.as_status().map(|s| s.status.as_u16()), Some(307));
    assert_eq!(sandbox.requests().len(), before + 11);
}

/// Hands out a fresh sandbox token per request, counting them.
struct CountingTokens {
    token: String,
    asked: AtomicUsize,
}

impl TokenProvider for CountingTokens {
    fn token<'a>(
        &'a self,
        _user: Option<&'a str>,
    ) -> Pin<Box<dyn Future<Output = Result<Secret, String>> + Send + 'a>> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { Ok(Secret::new(self.token.clone())) })
    }
}

#[tokio::test]
async fn the_token_is_asked_for_again_before_every_attempt() {
    let sandbox = Sandbox::start().await.unwrap();
    let tokens = Arc::new(CountingTokens {
        token: sandbox.user_token("u"),
        asked: AtomicUsize::new(0),
    });
    let client = Client::builder()
        .ignore_environment()
        .project_id(PROJECT_ID)
        .token_provider(tokens.clone())
        .proxy_base_url(sandbox.url())
        .build()
        .unwrap();
    sandbox.push_reply(Reply::json(503, json!({})));
    sandbox.push_reply(Reply::json(503, json!({})));
    let answer = client
        .request("slack", "conversations.list", RequestOptions::new())
        .await
        .unwrap();
    assert!(matches!(answer, Response::Json(_)));
    assert_eq!(tokens.asked.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_hundred_megabyte_body_is_sent_whole() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let body = vec![7u8; 100 * 1024 * 1024];
    sandbox.push_reply(Reply::json(204, json!(null)));
    client
        .request(
            "echo",
            "/upload",
            RequestOptions::new().method("PUT").body(body),
        )
        .await
        .unwrap();
    let sent = sandbox.requests();
    assert_eq!(sent[0].body().len(), 100 * 1024 * 1024);
}

#[tokio::test]
async fn a_server_that_accepts_and_never_answers_times_out() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.push_reply(slow_reply(30_000));
    let client = support::builder_for(&sandbox, "u")
        .timeout(Duration::from_millis(400))
        .max_retries(0)
        .build()
        .unwrap();
    let error = client
        .request("echo", "/x", RequestOptions::new())
        .await
        .unwrap_err();
    let Error::Timeout(timeout) = &error else {
        panic!("{error}")
    };
    assert_eq!(timeout.after, Duration::from_millis(400));
}
