//! A local server that answers like Paragon's Connect API, for the SDK's tests and demo.
//!
//! It checks Bearer tokens as Paragon does (RS256 JWTs against the sandbox's public key), routes
//! `/projects/{project}/sdk/proxy/{integration}/...` to fake upstream APIs (see [`upstreams`]),
//! wraps their JSON in `{"output": ...}` unless `X-Paragon-Use-Raw-Response` asks for the raw
//! answer, and records every request it gets so tests can assert on what went over the wire.
//! Tests can also script the next replies ([`Reply`]). The same routes are served over HTTPS
//! (a private CA made at start, see [`tls`]), over HTTPS requiring a client certificate, and
//! reached through a `CONNECT` and a SOCKS5 proxy ([`proxies`]).
//!
//! In Rust: `let sandbox = Sandbox::start().await?;`. From other languages: run the
//! `paragon-sandbox` binary, read its first stdout line (`{"url": ..., "project_id": ...}`) and
//! use the `/_sandbox/...` control endpoints (see [`router`]).

mod auth;
mod proxies;
mod record;
mod reply;
pub mod tls;
pub mod upstreams;
pub mod user_api;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Json;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use auth::{Signer, TokenClaims};
pub use record::RecordedRequest;
pub use reply::{Reply, ReplyBody};
pub use upstreams::{DRIVE_FILE_ID, TASKLAB_INTEGRATION_ID, drive_file_bytes};
pub use user_api::{DRIVE_INTEGRATION_ID, ProjectState, SLACK_INTEGRATION_ID, WORKFLOW_ID};

/// The one project the sandbox hosts.
pub const PROJECT_ID: &str = "19d0c3a8-5b2e-4f6a-9d1c-7e8f90a1b012";

/// Largest request body the sandbox reads.
const MAX_BODY: usize = 256 * 1024 * 1024;

struct SandboxState {
    keys: auth::Keys,
    requests: Mutex<Vec<RecordedRequest>>,
    replies: Mutex<VecDeque<Reply>>,
    users: Mutex<ProjectState>,
    tunnels: Arc<proxies::Tunnels>,
}

impl SandboxState {
    fn users(&self) -> MutexGuard<'_, ProjectState> {
        self.users
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn requests(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        self.requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn replies(&self) -> MutexGuard<'_, VecDeque<Reply>> {
        self.replies
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running sandbox on 127.0.0.1. Dropping it stops the server.
pub struct Sandbox {
    url: String,
    /// The addresses of the other listeners (see [`Sandbox::https_url`] and the rest).
    https_url: String,
    mtls_url: String,
    connect_proxy_url: String,
    socks5_proxy_url: String,
    pki: tls::Pki,
    state: Arc<SandboxState>,
    shutdown: Option<oneshot::Sender<()>>,
    /// The listeners other than the main one, stopped on drop.
    others: Vec<JoinHandle<()>>,
}

impl Sandbox {
    /// Starts a sandbox on a free port of 127.0.0.1, on the current tokio runtime.
    pub async fn start() -> std::io::Result<Sandbox> {
        Sandbox::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    pub async fn start_on(addr: SocketAddr) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind(addr).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(SandboxState {
            keys: auth::Keys::load(),
            requests: Mutex::new(Vec::new()),
            replies: Mutex::new(VecDeque::new()),
            users: Mutex::new(ProjectState::default()),
            tunnels: Arc::default(),
        });
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = router(state.clone());
        let main = app.clone();
        tokio::spawn(async move {
            let app = main.into_make_service_with_connect_info::<SocketAddr>();
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        let local = || TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)));
        let (https, mtls, connect, socks5) = (
            local().await?,
            local().await?,
            local().await?,
            local().await?,
        );
        let port = |listener: &TcpListener| listener.local_addr().map(|addr| addr.port());
        let https_url = format!("https://localhost:{}", port(&https)?);
        let mtls_url = format!("https://localhost:{}", port(&mtls)?);
        let connect_proxy_url = format!("http://127.0.0.1:{}", port(&connect)?);
        let socks5_proxy_url = format!("socks5://127.0.0.1:{}", port(&socks5)?);
        let pki = tls::Pki::new();
        let others = vec![
            tokio::spawn(tls::serve(https, pki.open.clone(), app.clone())),
            tokio::spawn(tls::serve(mtls, pki.mutual.clone(), app)),
            tokio::spawn(proxies::serve_connect(connect, state.tunnels.clone())),
            tokio::spawn(proxies::serve_socks5(socks5, state.tunnels.clone())),
        ];
        Ok(Sandbox {
            url,
            https_url,
            mtls_url,
            connect_proxy_url,
            socks5_proxy_url,
            pki,
            state,
            shutdown: Some(shutdown),
            others,
        })
    }

    /// `https://localhost:<port>`: the same services over TLS (HTTP/2 or HTTP/1.1 by ALPN),
    /// with a certificate from [`Sandbox::ca_pem`].
    pub fn https_url(&self) -> &str {
        &self.https_url
    }

    /// The same again, requiring a client certificate from the sandbox's CA
    /// ([`Sandbox::client_cert_pem`]).
    pub fn mtls_url(&self) -> &str {
        &self.mtls_url
    }

    /// The private CA that signed the sandbox's certificates, as PEM.
    pub fn ca_pem(&self) -> &str {
        &self.pki.ca_pem
    }

    /// A client certificate the mutual-TLS listener accepts, and its key, as PEM.
    pub fn client_cert_pem(&self) -> &str {
        &self.pki.client_cert_pem
    }

    pub fn client_key_pem(&self) -> &str {
        &self.pki.client_key_pem
    }

    /// `http://127.0.0.1:<port>`: an HTTP `CONNECT` proxy that reaches only 127.0.0.1.
    pub fn connect_proxy_url(&self) -> &str {
        &self.connect_proxy_url
    }

    /// `socks5://127.0.0.1:<port>`: a SOCKS5 proxy that reaches only 127.0.0.1.
    pub fn socks5_proxy_url(&self) -> &str {
        &self.socks5_proxy_url
    }

    /// Tunnels opened by the `CONNECT` and the SOCKS5 proxy so far.
    pub fn tunnels(&self) -> (u64, u64) {
        let tunnels = &self.state.tunnels;
        (
            tunnels.connect.load(Ordering::SeqCst),
            tunnels.socks5.load(Ordering::SeqCst),
        )
    }

    /// `http://127.0.0.1:<port>`: the base URL of every service (proxy, zeus, hermes).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn project_id(&self) -> &'static str {
        PROJECT_ID
    }

    /// A valid one-hour token for `user`.
    pub fn user_token(&self, user: &str) -> String {
        self.mint(&TokenClaims::for_user(PROJECT_ID, user), Signer::Sandbox)
    }

    /// A token with exactly these claims (expired, for another project, without `sub`, ...).
    pub fn mint(&self, claims: &TokenClaims, signer: Signer) -> String {
        self.state.keys.mint(claims, signer)
    }

    /// Every request received so far under `/projects/`, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests().clone()
    }

    /// Users, their metadata and accounts, and the triggers and events received.
    pub fn state(&self) -> ProjectState {
        self.state.users().clone()
    }

    /// Queues a reply for the next authorised proxy call.
    pub fn push_reply(&self, reply: Reply) {
        self.state.replies().push_back(reply);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        for task in &self.others {
            task.abort();
        }
    }
}

/// The sandbox's routes:
/// - `/projects/{project}/sdk/proxy/{integration}/{path}`: the proxy, any method;
/// - `GET /_sandbox/info`: project id and the fake upstreams' fixed ids;
/// - `GET|DELETE /_sandbox/requests`: the recorded requests (JSON list of [`RecordedRequest`]),
///   or forget them;
/// - `POST /_sandbox/replies`: queue a [`Reply`] (JSON) for the next proxy call;
/// - `GET /_sandbox/state`: users, their metadata and accounts, triggers and events received;
/// - `GET /_sandbox/tunnels`: `{"connect": n, "socks5": n}`, the tunnels the proxies opened;
/// - `/projects/{project}/sdk/me`, `/sdk/integrations`, `/sdk/credentials`, `/sdk/triggers/{id}`
///   and `/v2/projects/{project}/sdk/events/trigger`: the user-scoped API (see [`user_api`]);
/// - `GET /_sandbox/token?sub=<user>[&ttl=<seconds>][&aud=<audience>][&signer=other-project]`:
///   mint a token (test keys only).
fn router(state: Arc<SandboxState>) -> Router {
    Router::new()
        .route("/_sandbox/info", get(info))
        .route(
            "/_sandbox/requests",
            get(list_requests).delete(clear_requests),
        )
        .route("/_sandbox/replies", post(queue_reply))
        .route("/_sandbox/token", get(token))
        .route("/_sandbox/state", get(show_state))
        .route("/_sandbox/tunnels", get(show_tunnels))
        .fallback(paragon)
        .with_state(state)
}

async fn info() -> Json<Value> {
    Json(json!({
        "project_id": PROJECT_ID,
        "tasklab_integration_id": TASKLAB_INTEGRATION_ID,
        "drive_file_id": DRIVE_FILE_ID,
    }))
}

async fn list_requests(State(state): State<Arc<SandboxState>>) -> Json<Vec<RecordedRequest>> {
    Json(state.requests().clone())
}

async fn show_tunnels(State(state): State<Arc<SandboxState>>) -> Json<Value> {
    let tunnels = &state.tunnels;
    Json(json!({
        "connect": tunnels.connect.load(Ordering::SeqCst),
        "socks5": tunnels.socks5.load(Ordering::SeqCst),
    }))
}

async fn show_state(State(state): State<Arc<SandboxState>>) -> Json<ProjectState> {
    Json(state.users().clone())
}

async fn clear_requests(State(state): State<Arc<SandboxState>>) -> StatusCode {
    state.requests().clear();
    StatusCode::NO_CONTENT
}

async fn queue_reply(
    State(state): State<Arc<SandboxState>>,
    Json(reply): Json<Reply>,
) -> StatusCode {
    state.replies().push_back(reply);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct TokenQuery {
    sub: Option<String>,
    ttl: Option<i64>,
    aud: Option<String>,
    signer: Option<String>,
}

async fn token(
    State(state): State<Arc<SandboxState>>,
    Query(query): Query<TokenQuery>,
) -> Response {
    let now = auth::now();
    let claims = TokenClaims {
        sub: query.sub,
        iat: now,
        exp: Some(now + query.ttl.unwrap_or(3600)),
        aud: Some(
            query
                .aud
                .unwrap_or_else(|| format!("useparagon.com/{PROJECT_ID}")),
        ),
        extra: Default::default(),
    };
    let signer = match query.signer.as_deref() {
        Some("other-project") => Signer::OtherProject,
        _ => Signer::Sandbox,
    };
    state.keys.mint(&claims, signer).into_response()
}

/// A Paragon-shaped error body.
pub(crate) fn paragon_error(status: StatusCode, message: &str, meta: Value) -> Response {
    let body = json!({"message": message, "status": status.as_u16(), "meta": meta});
    (status, Json(body)).into_response()
}

async fn paragon(
    State(state): State<Arc<SandboxState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return paragon_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request body too large.",
            json!({}),
        );
    };
    let target = parts
        .uri
        .path_and_query()
        .map(|target| target.as_str())
        .unwrap_or("/");
    if !target.starts_with("/projects/") && !target.starts_with("/v2/projects/") {
        return paragon_error(StatusCode::NOT_FOUND, "Not found.", json!({}));
    }
    let index = {
        let mut requests = state.requests();
        requests.push(RecordedRequest::new(
            peer,
            parts.version,
            parts.method.as_str(),
            target,
            &parts.headers,
            &body,
        ));
        requests.len() - 1
    };
    let response = answer(&state, &parts, &body).await;
    // Not reached when the client goes away first: hyper drops this future with the connection.
    if let Some(request) = state.requests().get_mut(index) {
        request.answered = true;
    }
    response
}

async fn answer(state: &SandboxState, parts: &http::request::Parts, body: &[u8]) -> Response {
    let path = parts.uri.path();
    let (versioned, path) = match path.strip_prefix("/v2") {
        Some(path) => (true, path),
        None => (false, path),
    };
    let rest = &path["/projects/".len()..];
    let (project, rest) = rest.split_once('/').unwrap_or((rest, ""));
    if project != PROJECT_ID {
        return paragon_error(StatusCode::NOT_FOUND, "Project not found.", json!({}));
    }
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let verified = match state.keys.verify(authorization, project) {
        Ok(verified) => verified,
        Err(reason) => {
            return paragon_error(
                StatusCode::UNAUTHORIZED,
                &format!("Unauthorized: {reason}."),
                json!({}),
            );
        }
    };
    let Some(proxied) = rest.strip_prefix("sdk/proxy/").filter(|_| !versioned) else {
        return user_api::answer(
            &mut state.users(),
            &verified.user,
            versioned,
            &parts.method,
            rest,
            parts.uri.query(),
            &parts.headers,
            body,
        );
    };
    let (integration, upstream_path) = split_integration(proxied);
    if !verified.may_use(integration) {
        let body = json!({
            "message": format!("Insufficient permissions for integration:{integration}."),
            "code": "7210",
            "status": 403,
            "meta": {},
        });
        return (StatusCode::FORBIDDEN, Json(body)).into_response();
    }
    if let Some(refused) = user_api::refuse_credential(
        &mut state.users(),
        &verified.user,
        integration,
        &parts.headers,
    ) {
        return refused;
    }

    let scripted = state.replies().pop_front();
    if let Some(reply) = scripted {
        return reply.render().await;
    }

    let call = upstreams::UpstreamCall {
        method: &parts.method,
        path: &upstream_path,
        query: parts.uri.query(),
        headers: &parts.headers,
        body,
    };
    let Some(upstream) = upstreams::call(integration, &call).await else {
        return paragon_error(
            StatusCode::NOT_FOUND,
            &format!("Integration {integration} is not enabled for this project."),
            json!({}),
        );
    };
    let raw = parts
        .headers
        .get("x-paragon-use-raw-response")
        .is_some_and(|value| value == "1" || value == "true");
    if raw {
        let mut response = Response::new(Body::from(upstream.body));
        *response.status_mut() = upstream.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(upstream.content_type),
        );
        for (name, value) in upstream.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.append(name, value);
            }
        }
        return response;
    }
    let is_json = upstream.content_type.starts_with("application/json");
    let upstream_value = if is_json {
        serde_json::from_slice(&upstream.body).unwrap_or(Value::Null)
    } else {
        Value::String(String::from_utf8_lossy(&upstream.body).into_owned())
    };
    if upstream.status.is_success() {
        return (upstream.status, Json(json!({"output": upstream_value}))).into_response();
    }
    paragon_error(
        upstream.status,
        "The integration's API returned an error.",
        json!({"isIntegrationError": true, "status": upstream.status.as_u16(), "response": upstream_value}),
    )
}

/// `slack/chat.postMessage` -> (`slack`, `/chat.postMessage`);
/// `custom/<id>/notifications` -> (`custom/<id>`, `/notifications`).
fn split_integration(proxied: &str) -> (&str, String) {
    let split_at = match proxied.strip_prefix("custom/") {
        Some(rest) => rest.find('/').map(|at| at + "custom/".len()),
        None => proxied.find('/'),
    };
    match split_at {
        Some(at) => (&proxied[..at], proxied[at..].to_owned()),
        None => (proxied, "/".to_owned()),
    }
}
