//! `paragon-bench-server`: answers like Paragon's proxy as fast as it can, for `bench/`: no token
//! check, no recording. `.../big-json` gives about 1 MB of JSON, `.../binary` 10 MB of bytes,
//! anything else about 200 bytes of `{"output": ...}` JSON. Prints `{"url": ...}`, stops when
//! stdin closes.

use std::net::SocketAddr;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderValue, header};
use tokio::io::AsyncReadExt;

fn small() -> Bytes {
    Bytes::from_static(
        br#"{"output":{"ok":true,"channel":"C0123456789","ts":"1700000000.000100","message":{"type":"message","text":"This message was sent with Paragon Connect","user":"U0123456789","bot_id":"B0SANDBOX"}}}"#,
    )
}

fn big_json() -> Bytes {
    let rows: Vec<String> = (0..8000)
        .map(|i| {
            format!(r#"{{"id":{i},"name":"row {i}","email":"user{i}@example.com","active":true}}"#)
        })
        .collect();
    Bytes::from(format!(r#"{{"output":{{"rows":[{}]}}}}"#, rows.join(",")))
}

async fn answer(request: Request, big: Bytes, binary: Bytes) -> Response {
    let path = request.uri().path().to_owned();
    let _ = axum::body::to_bytes(request.into_body(), 64 * 1024 * 1024).await;
    let (body, content_type) = if path.ends_with("/big-json") {
        (big, "application/json")
    } else if path.ends_with("/binary") {
        (binary, "application/octet-stream")
    } else {
        (small(), "application/json")
    };
    let mut response = Response::new(Body::from(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    println!(
        "{}",
        serde_json::json!({"url": format!("http://{}", listener.local_addr()?)})
    );
    let big = big_json();
    let binary = Bytes::from(vec![7u8; 10 * 1024 * 1024]);
    let app = Router::new()
        .fallback(move |request: Request| answer(request, big.clone(), binary.clone()));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut stdin = tokio::io::stdin();
    let mut buffer = [0u8; 64];
    while matches!(stdin.read(&mut buffer).await, Ok(n) if n > 0) {}
    Ok(())
}
