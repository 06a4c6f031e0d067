//! A local server that answers like Paragon's Connect API, for the SDK's tests and demo.
//!
//! It checks Bearer tokens as Paragon does (RS256 JWTs against the sandbox's public key), routes
//! `/projects/{project}/sdk/proxy/{integration}/...` to fake upstream APIs (see [`upstreams`]),
//! wraps their JSON in `{"output": ...}` unless `X-Paragon-Use-Raw-Response` asks for the raw
//! answer, and records every request it gets so tests can assert on what went over the wire.
//! Tests can also script the next replies ([`Reply`]) or routes that answer matching calls
//! ([`RouteSpec`]), and read the calls decoded ([`Call`]). The same routes are served over HTTPS
//! (a private CA made at start, see [`tls`]), over HTTPS requiring a client certificate, and
//! reached through a `CONNECT` and a SOCKS5 proxy ([`proxies`]).
//!
//! The packages ship it as their fake Paragon (`paragon_connect.testing`,
//! `paragon-connect/testing`, `paragon-connect fake`): [`Sandbox::start_with`] and
//! [`Options::fake`] start only the plain-HTTP listener, in milliseconds.
//!
//! In Rust: `let sandbox = Sandbox::start().await?;`. From other languages: run the
//! `paragon-sandbox` binary, read its first stdout line (`{"url": ..., "project_id": ...}`) and
//! use the `/_sandbox/...` control endpoints (see [`router`]).

mod auth;
mod calls;
mod forward;
mod pages;
mod proxies;
mod record;
mod reply;
mod routes;
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

pub use auth::{SIGNING_KEY_PEM, Signer, TokenClaims};
pub use calls::{Call, CallBody, CallPattern, Part, PathPattern};
pub use forward::{Forward, ForwardAnswer, Forwarded, Forwarder};
pub use record::RecordedRequest;
pub use reply::{Reply, ReplyBody};
pub use routes::RouteSpec;
pub use upstreams::{DRIVE_FILE_ID, TASKLAB_INTEGRATION_ID, drive_file_bytes};
pub use user_api::{
    DRIVE_INTEGRATION_ID, ProjectState, SLACK_INTEGRATION_ID, User, UserUpdate, WORKFLOW_ID,
};

/// The one project the sandbox hosts.
pub const PROJECT_ID: &str = "19d0c3a8-5b2e-4f6a-9d1c-7e8f90a1b012";

/// Largest request body the sandbox reads.
const MAX_BODY: usize = 256 * 1024 * 1024;

/// How a sandbox starts.
#[derive(Debug, Clone)]
pub struct Options {
    /// Also serve HTTPS, mutual TLS and the two proxies (see [`Sandbox::https_url`]).
    pub secure_listeners: bool,
    /// Accept any Bearer token, not only those the sandbox's key signed (the user is the
    /// token's `sub` when it is a JWT, `anonymous` otherwise).
    pub accept_any_token: bool,
    /// Answers every call that no scripted reply or route answers, in place of the fake
    /// upstreams and the user API (after the token is checked).
    pub forward: Option<Forwarder>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            secure_listeners: true,
            accept_any_token: false,
            forward: None,
        }
    }
}

impl Options {
    /// What the packages' fake Paragon starts: the plain-HTTP listener only.
    pub fn fake() -> Options {
        Options {
            secure_listeners: false,
            ..Options::default()
        }
    }
}

struct SandboxState {
    keys: auth::Keys,
    accept_any_token: bool,
    forward: Option<Forwarder>,
    requests: Mutex<Vec<RecordedRequest>>,
    replies: Mutex<VecDeque<Reply>>,
    routes: Mutex<routes::Routes>,
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

    /// The user a call's token stands for, or why it is refused.
    fn verify(&self, authorization: Option<&str>, project: &str) -> Result<auth::Verified, String> {
        let verified = self.keys.verify(authorization, project);
        match (verified, authorization) {
            (Err(_), Some(bearer)) if self.accept_any_token && bearer.starts_with("Bearer ") => {
                Ok(auth::Verified {
                    user: calls::token_subject(bearer).unwrap_or_else(|| "anonymous".to_owned()),
                    permissions: None,
                })
            }
            (verified, _) => verified,
        }
    }

    fn routes(&self) -> MutexGuard<'_, routes::Routes> {
        self.routes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The HTTPS, mutual-TLS and proxy listeners of a sandbox started with them.
struct Secure {
    https_url: String,
    mtls_url: String,
    connect_proxy_url: String,
    socks5_proxy_url: String,
    pki: tls::Pki,
}

/// A running sandbox on 127.0.0.1. Dropping it stops the server.
pub struct Sandbox {
    url: String,
    /// The other listeners (see [`Sandbox::https_url`] and the rest), when started.
    secure: Option<Secure>,
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
        Sandbox::start_with(addr, Options::default()).await
    }

    /// Starts a sandbox on `addr` (port 0: a free one), on the current tokio runtime.
    pub async fn start_with(addr: SocketAddr, options: Options) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind(addr).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(SandboxState {
            keys: auth::Keys::load(),
            accept_any_token: options.accept_any_token,
            forward: options.forward,
            requests: Mutex::new(Vec::new()),
            replies: Mutex::new(VecDeque::new()),
            routes: Mutex::default(),
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
        let mut others = Vec::new();
        let secure = match options.secure_listeners {
            true => Some(Sandbox::start_secure(&state, app, &mut others).await?),
            false => None,
        };
        Ok(Sandbox {
            url,
            secure,
            state,
            shutdown: Some(shutdown),
            others,
        })
    }

    async fn start_secure(
        state: &Arc<SandboxState>,
        app: Router,
        tasks: &mut Vec<JoinHandle<()>>,
    ) -> std::io::Result<Secure> {
        let local = || TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)));
        let (https, mtls, connect, socks5) = (
            local().await?,
            local().await?,
            local().await?,
            local().await?,
        );
        let port = |listener: &TcpListener| listener.local_addr().map(|addr| addr.port());
        let secure = Secure {
            https_url: format!("https://localhost:{}", port(&https)?),
            mtls_url: format!("https://localhost:{}", port(&mtls)?),
            connect_proxy_url: format!("http://127.0.0.1:{}", port(&connect)?),
            socks5_proxy_url: format!("socks5://127.0.0.1:{}", port(&socks5)?),
            pki: tls::Pki::new(),
        };
        tasks.extend([
            tokio::spawn(tls::serve(https, secure.pki.open.clone(), app.clone())),
            tokio::spawn(tls::serve(mtls, secure.pki.mutual.clone(), app)),
            tokio::spawn(proxies::serve_connect(connect, state.tunnels.clone())),
            tokio::spawn(proxies::serve_socks5(socks5, state.tunnels.clone())),
        ]);
        Ok(secure)
    }

    fn secure(&self) -> &Secure {
        self.secure
            .as_ref()
            .expect("this sandbox was started without its HTTPS and proxy listeners")
    }

    /// `https://localhost:<port>`: the same services over TLS (HTTP/2 or HTTP/1.1 by ALPN),
    /// with a certificate from [`Sandbox::ca_pem`].
    pub fn https_url(&self) -> &str {
        &self.secure().https_url
    }

    /// The same again, requiring a client certificate from the sandbox's CA
    /// ([`Sandbox::client_cert_pem`]).
    pub fn mtls_url(&self) -> &str {
        &self.secure().mtls_url
    }

    /// The private CA that signed the sandbox's certificates, as PEM.
    pub fn ca_pem(&self) -> &str {
        &self.secure().pki.ca_pem
    }

    /// A client certificate the mutual-TLS listener accepts, and its key, as PEM.
    pub fn client_cert_pem(&self) -> &str {
        &self.secure().pki.client_cert_pem
    }

    pub fn client_key_pem(&self) -> &str {
        &self.secure().pki.client_key_pem
    }

    /// `http://127.0.0.1:<port>`: an HTTP `CONNECT` proxy that reaches only 127.0.0.1.
    pub fn connect_proxy_url(&self) -> &str {
        &self.secure().connect_proxy_url
    }

    /// `socks5://127.0.0.1:<port>`: a SOCKS5 proxy that reaches only 127.0.0.1.
    pub fn socks5_proxy_url(&self) -> &str {
        &self.secure().socks5_proxy_url
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

    /// Queues a reply for the next authorised proxy call (before any route).
    pub fn push_reply(&self, reply: Reply) {
        self.state.replies().push_back(reply);
    }

    /// Adds a route; its id adds replies later ([`Sandbox::add_route_reply`]). A pattern that
    /// cannot match (a bad regular expression) is refused with the reason.
    pub fn add_route(&self, route: RouteSpec) -> Result<u64, String> {
        self.state.routes().add(route)
    }

    pub fn add_route_reply(&self, route: u64, reply: Reply) -> Result<(), String> {
        self.state.routes().add_reply(route, reply)
    }

    /// How many calls route `route` answered.
    pub fn route_calls(&self, route: u64) -> Result<u64, String> {
        self.state.routes().served(route)
    }

    /// Every call received so far, decoded, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.state
            .requests()
            .iter()
            .map(|request| request.call.clone())
            .collect()
    }

    /// The calls `pattern` matches, oldest first.
    pub fn calls_matching(&self, pattern: CallPattern) -> Result<Vec<Call>, String> {
        let pattern = pattern.compile()?;
        Ok(self
            .calls()
            .into_iter()
            .filter(|call| pattern.matches(call))
            .collect())
    }

    /// The calls `pattern` matches when there are `times` of them (any number but none when
    /// `times` is `None`); otherwise a message naming the pattern and listing the calls received.
    pub fn check_called(
        &self,
        pattern: CallPattern,
        times: Option<usize>,
    ) -> Result<Vec<Call>, String> {
        let summary = pattern.summary();
        let matched = self.calls_matching(pattern)?;
        let expected = match times {
            Some(times) if matched.len() == times => return Ok(matched),
            None if !matched.is_empty() => return Ok(matched),
            Some(1) => "1 call".to_owned(),
            Some(times) => format!("{times} calls"),
            None => "a call".to_owned(),
        };
        Err(format!(
            "expected {expected} matching {summary}, got {}\n{}",
            matched.len(),
            self.received()
        ))
    }

    /// The calls received, one per line (the last 20), for messages.
    fn received(&self) -> String {
        const SHOWN: usize = 20;
        let calls = self.calls();
        if calls.is_empty() {
            return "no calls were received".to_owned();
        }
        let skipped = calls.len().saturating_sub(SHOWN);
        let mut lines = vec![format!("calls received ({}):", calls.len())];
        if skipped > 0 {
            lines.push(format!("  ... {skipped} earlier"));
        }
        lines.extend(
            calls[skipped..]
                .iter()
                .map(|call| format!("  {}", call.summary())),
        );
        lines.join("\n")
    }

    /// Creates or changes a user: metadata merged, connected accounts replaced per integration.
    pub fn update_user(&self, user: &str, update: UserUpdate) {
        self.state.users().update_user(user, update);
    }

    /// Forgets routes, queued replies, recorded calls, users and events.
    pub fn reset(&self) {
        self.state.routes().clear();
        self.state.replies().clear();
        self.state.requests().clear();
        *self.state.users() = ProjectState::default();
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
/// - `POST|DELETE /_sandbox/routes`: add a [`RouteSpec`] (JSON; answers `{"id": n}`), or forget
///   every route;
/// - `GET /_sandbox/calls`: the calls received, decoded (JSON list of [`Call`]);
/// - `GET /_sandbox/state`: users, their metadata and accounts, triggers and events received;
/// - `GET /_sandbox/tunnels`: `{"connect": n, "socks5": n}`, the tunnels the proxies opened;
/// - `/projects/{project}/sdk/me`, `/sdk/integrations`, `/sdk/credentials`, `/sdk/triggers/{id}`
///   and `/v2/projects/{project}/sdk/events/trigger`: the user-scoped API (see [`user_api`]);
/// - `GET /_sandbox/signing-key`: the test key (PEM) a client signs the sandbox's tokens with;
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
        .route("/_sandbox/routes", post(add_route).delete(clear_routes))
        .route("/_sandbox/calls", get(list_calls))
        .route("/_sandbox/token", get(token))
        .route("/_sandbox/signing-key", get(signing_key))
        .route("/_sandbox/state", get(show_state))
        .route("/_sandbox/tunnels", get(show_tunnels))
        .fallback(paragon)
        .with_state(state)
}

async fn signing_key() -> &'static str {
    SIGNING_KEY_PEM
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

async fn add_route(
    State(state): State<Arc<SandboxState>>,
    Json(route): Json<RouteSpec>,
) -> Response {
    match state.routes().add(route) {
        Ok(id) => Json(json!({"id": id})).into_response(),
        Err(reason) => (StatusCode::BAD_REQUEST, reason).into_response(),
    }
}

async fn clear_routes(State(state): State<Arc<SandboxState>>) -> StatusCode {
    state.routes().clear();
    StatusCode::NO_CONTENT
}

async fn list_calls(State(state): State<Arc<SandboxState>>) -> Json<Vec<Call>> {
    Json(
        state
            .requests()
            .iter()
            .map(|request| request.call.clone())
            .collect(),
    )
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
    let call = Call::decode(parts.method.as_str(), target, &parts.headers, &body).await;
    let index = {
        let mut requests = state.requests();
        requests.push(RecordedRequest::new(
            peer,
            parts.version,
            parts.method.as_str(),
            target,
            &parts.headers,
            &body,
            call.clone(),
        ));
        requests.len() - 1
    };
    let response = answer(&state, &parts, &body, &call).await;
    // Not reached when the client goes away first: hyper drops this future with the connection.
    if let Some(request) = state.requests().get_mut(index) {
        request.answered = true;
        request.call.answered = true;
    }
    response
}

async fn answer(
    state: &SandboxState,
    parts: &http::request::Parts,
    body: &[u8],
    call: &Call,
) -> Response {
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
    let verified = match state.verify(authorization, project) {
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
        if let Some(forward) = &state.forward {
            return forwarded(forward, parts, body, call).await;
        }
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
    // A forwarded call's account is the real Paragon's to check.
    if state.forward.is_none()
        && let Some(refused) = user_api::refuse_credential(
            &mut state.users(),
            &verified.user,
            integration,
            &parts.headers,
        )
    {
        return refused;
    }

    let scripted = state.replies().pop_front();
    let routed = || state.routes().answer(call);
    if let Some(reply) = scripted.or_else(routed) {
        if !reply.upstream || reply.drop_connection {
            return reply.render().await;
        }
        reply.wait().await;
        let (body, default_type) = reply.body_bytes();
        let content_type = reply
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| default_type.unwrap_or("application/json").to_owned());
        let headers = reply
            .headers
            .into_iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("content-type"))
            .collect();
        let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
        return as_paragon_answers(&parts.headers, status, &content_type, headers, body);
    }

    if let Some(forward) = &state.forward {
        return forwarded(forward, parts, body, call).await;
    }
    let upstream_call = upstreams::UpstreamCall {
        method: &parts.method,
        path: &upstream_path,
        query: parts.uri.query(),
        headers: &parts.headers,
        body,
    };
    let Some(upstream) = upstreams::call(integration, &upstream_call).await else {
        return paragon_error(
            StatusCode::NOT_FOUND,
            &format!("Integration {integration} is not enabled for this project."),
            json!({"fake": format!(
                "no route matches {}; routes: [{}]",
                call.summary(),
                state.routes().summaries().join(", ")
            )}),
        );
    };
    let headers = upstream
        .headers
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    as_paragon_answers(
        &parts.headers,
        upstream.status,
        upstream.content_type,
        headers,
        upstream.body,
    )
}

/// The answer of `options.forward` to a call, sent as it is.
async fn forwarded(
    forward: &Forwarder,
    parts: &http::request::Parts,
    body: &[u8],
    call: &Call,
) -> Response {
    let target = parts
        .uri
        .path_and_query()
        .map(|target| target.as_str())
        .unwrap_or("/");
    let answer = forward
        .0
        .forward(Forwarded {
            call: call.clone(),
            method: parts.method.clone(),
            target: target.to_owned(),
            headers: parts.headers.clone(),
            body: bytes::Bytes::copy_from_slice(body),
        })
        .await;
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = answer.status;
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// What Paragon's proxy sends for an integration's answer: the answer itself when the call asked
/// for it raw, else a success's body in `{"output": ...}` or Paragon's integration error.
fn as_paragon_answers(
    request_headers: &http::HeaderMap,
    status: StatusCode,
    content_type: &str,
    headers: Vec<(String, String)>,
    body: bytes::Bytes,
) -> Response {
    let raw = request_headers
        .get("x-paragon-use-raw-response")
        .is_some_and(|value| value == "1" || value == "true");
    if raw {
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = status;
        let response_headers = response.headers_mut();
        if let Ok(content_type) = HeaderValue::from_str(content_type) {
            response_headers.insert(header::CONTENT_TYPE, content_type);
        }
        for (name, value) in headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                response_headers.append(name, value);
            }
        }
        return response;
    }
    let is_json = content_type.starts_with("application/json");
    let upstream_value = if is_json {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    } else {
        Value::String(String::from_utf8_lossy(&body).into_owned())
    };
    if status.is_success() {
        return (status, Json(json!({"output": upstream_value}))).into_response();
    }
    paragon_error(
        status,
        "The integration's API returned an error.",
        json!({"isIntegrationError": true, "status": status.as_u16(), "response": upstream_value}),
    )
}

/// `slack/chat.postMessage` -> (`slack`, `/chat.postMessage`);
/// `custom/<id>/notifications` -> (`custom/<id>`, `/notifications`).
pub(crate) fn split_integration(proxied: &str) -> (&str, String) {
    let split_at = match proxied.strip_prefix("custom/") {
        Some(rest) => rest.find('/').map(|at| at + "custom/".len()),
        None => proxied.find('/'),
    };
    match split_at {
        Some(at) => (&proxied[..at], proxied[at..].to_owned()),
        None => (proxied, "/".to_owned()),
    }
}

/// What a person who started the sandbox (or `paragon-connect fake`) needs to point a client at
/// it and script it.
pub fn guide(url: &str) -> String {
    format!(
        "\
A fake Paragon at {url} (Ctrl-C stops it)

Point a client at it (a shell; the token is RS256-signed by the sandbox's test key):
  export PARAGON_PROJECT_ID={PROJECT_ID}
  export PARAGON_PROXY_BASE_URL={url} PARAGON_ZEUS_BASE_URL={url} PARAGON_HERMES_BASE_URL={url}
  export PARAGON_USER_TOKEN=$(curl -s '{url}/_sandbox/token?sub=user-1')
  (or, to sign tokens per user: export PARAGON_SIGNING_KEY=\"$(curl -s {url}/_sandbox/signing-key)\")

Integrations: slack, googledrive, custom.tasklab (also custom/<id> from {url}/_sandbox/info),
and echo (any path: answers with what it received).

Script replies for matching calls (newest route first; replies in order, the last repeating):
  curl -X POST {url}/_sandbox/routes -H 'content-type: application/json' \\
    -d '{{\"match\": {{\"integration\": \"hubspot\", \"path\": \"/crm/v3/*\"}},
         \"replies\": [{{\"upstream\": true, \"body\": {{\"json\": {{\"results\": []}}}}}}]}}'
  match: integration, method, path (exact, glob, or {{\"regex\": ...}}), query, headers, json,
  json_includes, user; \"upstream\": true wraps a reply as Paragon wraps an integration's answer
Or queue the next proxied replies, sent as they are, one per POST:
  curl -X POST {url}/_sandbox/replies -H 'content-type: application/json' \\
    -d '{{\"status\": 503, \"headers\": [[\"retry-after\", \"1\"]], \"delay_ms\": 2000}}'
  fields: status, headers, body ({{\"json\": ...}} | {{\"text\": ...}} | {{\"base64\": ...}}),
  delay_ms, truncate_to, trickle_ms, generated_bytes, content_length, drop_connection, upstream
What it received: curl {url}/_sandbox/calls   Users and events: curl {url}/_sandbox/state"
    )
}
