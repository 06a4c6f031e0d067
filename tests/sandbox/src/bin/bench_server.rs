//! `paragon-bench-server`: answers like Paragon's proxy as fast as it can, for `bench/`: no token
//! check, no recording. `.../big-json` gives about 1 MB of JSON, `.../binary` 10 MB of bytes,
//! anything else about 200 bytes of `{"output": ...}` JSON.
//!
//! It listens on plain HTTP, on HTTPS offering HTTP/2 and HTTP/1.1 (ALPN), and on HTTPS offering
//! HTTP/1.1 only, with a certificate from a private CA made for the run. `?latency_ms=N` on a call
//! delays its answer by N ms without holding up any other (a timer, not a blocked thread), as a
//! remote API's latency would. `GET .../__bench/connections` gives how many connections each kind
//! of listener has accepted, by protocol. Prints `{"url", "https_url", "https_h1_url", "ca_pem"}`
//! and stops when stdin closes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderValue, header};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use paragon_sandbox::tls::Pki;
use rustls::ServerConfig;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// The longest delay a call may ask for.
const MOST_LATENCY: Duration = Duration::from_secs(10);

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

/// Connections accepted over TLS, by the protocol ALPN settled on.
#[derive(Default)]
struct Connections {
    h2: AtomicU64,
    http1: AtomicU64,
}

impl Connections {
    fn opened(&self, alpn: Option<&[u8]>) {
        let count = match alpn {
            Some(b"h2") => &self.h2,
            _ => &self.http1,
        };
        count.fetch_add(1, Ordering::Relaxed);
    }

    fn json(&self) -> Bytes {
        Bytes::from(
            serde_json::json!({
                "https_h2": self.h2.load(Ordering::Relaxed),
                "https_http1": self.http1.load(Ordering::Relaxed),
            })
            .to_string(),
        )
    }
}

struct Answers {
    big: Bytes,
    binary: Bytes,
    connections: Connections,
}

/// `latency_ms` from the query string, capped.
fn latency(request: &Request) -> Option<Duration> {
    let query = request.uri().query()?;
    let value = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("latency_ms="))?;
    let millis: u64 = value.parse().ok()?;
    Some(Duration::from_millis(millis).min(MOST_LATENCY))
}

async fn answer(request: Request, answers: Arc<Answers>) -> Response {
    let path = request.uri().path().to_owned();
    let delay = latency(&request);
    let _ = axum::body::to_bytes(request.into_body(), 64 * 1024 * 1024).await;
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let (body, content_type) = if path.ends_with("/__bench/connections") {
        (answers.connections.json(), "application/json")
    } else if path.ends_with("/big-json") {
        (answers.big.clone(), "application/json")
    } else if path.ends_with("/binary") {
        (answers.binary.clone(), "application/octet-stream")
    } else {
        (small(), "application/json")
    };
    let mut response = Response::new(Body::from(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Serves `app` over TLS until the process ends; a failed handshake ends only its connection.
async fn serve_tls(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    app: Router,
    answers: Arc<Answers>,
) {
    let acceptor = TlsAcceptor::from(config);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (acceptor, app, answers) = (acceptor.clone(), app.clone(), answers.clone());
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(stream).await else {
                return;
            };
            answers
                .connections
                .opened(stream.get_ref().1.alpn_protocol());
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app))
                .await;
        });
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let local = || TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)));
    let (plain, https, https_h1) = (local().await?, local().await?, local().await?);
    let pki = Pki::new();
    let mut http1_only = (*pki.open).clone();
    http1_only.alpn_protocols = vec![b"http/1.1".to_vec()];
    println!(
        "{}",
        serde_json::json!({
            "url": format!("http://{}", plain.local_addr()?),
            "https_url": format!("https://{}", https.local_addr()?),
            "https_h1_url": format!("https://{}", https_h1.local_addr()?),
            "ca_pem": pki.ca_pem,
        })
    );
    let answers = Arc::new(Answers {
        big: big_json(),
        binary: Bytes::from(vec![7u8; 10 * 1024 * 1024]),
        connections: Connections::default(),
    });
    let state = answers.clone();
    let app = Router::new().fallback(move |request: Request| answer(request, state.clone()));
    tokio::spawn(serve_tls(
        https,
        pki.open.clone(),
        app.clone(),
        answers.clone(),
    ));
    tokio::spawn(serve_tls(
        https_h1,
        Arc::new(http1_only),
        app.clone(),
        answers,
    ));
    tokio::spawn(async move {
        let _ = axum::serve(plain, app).await;
    });
    let mut stdin = tokio::io::stdin();
    let mut buffer = [0u8; 64];
    while matches!(stdin.read(&mut buffer).await, Ok(n) if n > 0) {}
    Ok(())
}
