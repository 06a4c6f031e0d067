//! Record and replay ("cassettes"): a fake that sends the calls it gets on to the real Paragon
//! and writes each exchange to a JSON file, and a fake that answers from that file. Tests keep
//! the fake's own tokens either way; the real credentials stay in the recording process.
//!
//! What a cassette never holds: the `Authorization` header (neither the fake's token nor the
//! upstream's), the value of any header named like a credential (cookies, keys, tokens, secrets,
//! signatures, sessions, anything with "auth") or listed in `secret_headers`, and any occurrence
//! of an upstream token in an answer's headers or body. The signing key never leaves the process.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use paragon_sandbox::{Call, CallBody, Forward, ForwardAnswer, Forwarded};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::FakeError;
use crate::Client;
use crate::connector::BoxError;
use crate::error::CallSite;
use crate::http_client::RequestBody;
use crate::log::may_be_secret;
use crate::secret::Secret;

/// The `paragon_connect_cassette` value of the files this version writes and reads.
const FORMAT: u64 = 1;

/// What a scrubbed value is written as.
const SCRUBBED: &str = "<scrubbed>";

/// Headers that belong to one connection, or that the HTTP client sets itself.
const NOT_FORWARDED: [&str; 11] = [
    "host",
    "authorization",
    "content-length",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    // Asked for nothing so that answers are recorded as they read, not compressed.
    "accept-encoding",
];

/// A cassette file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CassetteFile {
    paragon_connect_cassette: u64,
    exchanges: Vec<Exchange>,
}

/// One call and the answer it got.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exchange {
    request: RecordedCall,
    response: RecordedAnswer,
}

/// A call as a cassette keeps it: the fake's decoded [`Call`], scrubbed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordedCall {
    integration: Option<String>,
    method: String,
    path: String,
    #[serde(default)]
    query: Vec<(String, String)>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    headers: Vec<(String, String)>,
    body: CallBody,
    /// Only for a body that is not JSON, a form, multipart or text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body_base64: Option<String>,
}

/// An answer as sent to the client (Paragon's own body: `{"output": ...}` and all).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordedAnswer {
    status: u16,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    json: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body_base64: Option<String>,
}

/// How a fake uses a cassette (the `cassette` field of the fake's options).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CassetteOptions {
    pub path: PathBuf,
    pub mode: Mode,
    /// More header names whose values are written as `<scrubbed>` (case-insensitive).
    #[serde(default)]
    pub secret_headers: Vec<String>,
    /// What a replayed call must share with a recorded one: any of `integration`, `method`,
    /// `path`, `query`, `user`, `body` (all of them when not given).
    #[serde(default)]
    pub match_on: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Record,
    Replay,
}

/// The fields a replayed call is matched on.
#[derive(Debug, Clone, Copy)]
struct MatchOn {
    integration: bool,
    method: bool,
    path: bool,
    query: bool,
    user: bool,
    body: bool,
}

impl MatchOn {
    fn from_names(names: Option<&[String]>) -> Result<MatchOn, FakeError> {
        let Some(names) = names else {
            return Ok(MatchOn {
                integration: true,
                method: true,
                path: true,
                query: true,
                user: true,
                body: true,
            });
        };
        let mut on = MatchOn {
            integration: false,
            method: false,
            path: false,
            query: false,
            user: false,
            body: false,
        };
        for name in names {
            let field = match name.as_str() {
                "integration" => &mut on.integration,
                "method" => &mut on.method,
                "path" => &mut on.path,
                "query" => &mut on.query,
                "user" => &mut on.user,
                "body" => &mut on.body,
                other => {
                    return Err(FakeError::Invalid(format!(
                        "match_on: {other:?} is not one of integration, method, path, query, user, body"
                    )));
                }
            };
            *field = true;
        }
        Ok(on)
    }

    fn matches(&self, recorded: &RecordedCall, call: &RecordedCall) -> bool {
        let sorted = |query: &[(String, String)]| query.iter().cloned().collect::<BTreeSet<_>>();
        (!self.integration || recorded.integration == call.integration)
            && (!self.method || recorded.method.eq_ignore_ascii_case(&call.method))
            && (!self.path || recorded.path == call.path)
            && (!self.query || sorted(&recorded.query) == sorted(&call.query))
            && (!self.user || recorded.user == call.user)
            && (!self.body
                || (recorded.body == call.body && recorded.body_base64 == call.body_base64))
    }
}

/// Which header values a cassette keeps.
#[derive(Debug, Clone)]
struct Scrub {
    /// Lower-case.
    secret_headers: Vec<String>,
}

impl Scrub {
    fn new(secret_headers: &[String]) -> Result<Scrub, FakeError> {
        for name in secret_headers {
            http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                FakeError::Invalid(format!("secret_headers: {name:?} is not a header name"))
            })?;
        }
        Ok(Scrub {
            secret_headers: secret_headers
                .iter()
                .map(|name| name.to_ascii_lowercase())
                .collect(),
        })
    }

    fn is_secret(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        may_be_secret(&name) || self.secret_headers.contains(&name)
    }

    fn headers<'a>(
        &self,
        headers: impl Iterator<Item = (&'a str, String)>,
    ) -> Vec<(String, String)> {
        headers
            .filter(|(name, _)| {
                !name.eq_ignore_ascii_case("authorization")
                    && !name.eq_ignore_ascii_case("host")
                    && !name.eq_ignore_ascii_case("content-length")
            })
            .map(|(name, value)| {
                let value = match self.is_secret(name) {
                    true => SCRUBBED.to_owned(),
                    false => value,
                };
                (name.to_ascii_lowercase(), value)
            })
            .collect()
    }

    /// The values of the call's headers that a cassette scrubs.
    fn secret_values(&self, call: &Call) -> Vec<String> {
        call.headers
            .iter()
            .filter(|(name, _)| self.is_secret(name))
            .map(|(_, value)| value.clone())
            .collect()
    }

    fn call(&self, call: &Call) -> RecordedCall {
        RecordedCall {
            integration: call.integration.clone(),
            method: call.method.clone(),
            path: call.path.clone(),
            query: call.query.clone(),
            user: call.user.clone(),
            headers: self.headers(
                call.headers
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.clone())),
            ),
            body: call.body.clone(),
            body_base64: match call.body {
                CallBody::Bytes => Some(call.body_base64.clone()),
                _ => None,
            },
        }
    }
}

impl RecordedAnswer {
    /// The answer a client gets, from what the upstream sent, with `secrets` replaced in it
    /// (the upstream's token, and the scrubbed header values of the call, which an API may
    /// echo).
    fn new(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        scrub: &Scrub,
        secrets: &[String],
    ) -> Self {
        let headers = scrub.headers(headers.iter().filter_map(|(name, value)| {
            let kept = !NOT_FORWARDED.contains(&name.as_str());
            kept.then(|| {
                let value = String::from_utf8_lossy(value.as_bytes());
                (name.as_str(), scrubbed(secrets, &value))
            })
        }));
        let content_type = headers
            .iter()
            .find(|(name, _)| name == "content-type")
            .map(|(_, value)| value.to_ascii_lowercase())
            .unwrap_or_default();
        let encoded = headers.iter().any(|(name, _)| name == "content-encoding");
        let mut answer = RecordedAnswer {
            status: status.as_u16(),
            headers,
            json: None,
            text: None,
            body_base64: None,
        };
        match std::str::from_utf8(body) {
            Ok("") => {}
            Ok(text) if !encoded => {
                let text = scrubbed(secrets, text);
                let json = content_type.contains("json") || content_type.is_empty();
                // JSON is kept as JSON (readable in a diff) when it reads back byte for byte,
                // so that a raw call replays the very bytes recorded; else as text.
                match serde_json::from_str::<Value>(&text) {
                    Ok(value)
                        if json
                            && !value.is_null()
                            && serde_json::to_string(&value).is_ok_and(|again| again == text) =>
                    {
                        answer.json = Some(value)
                    }
                    _ => answer.text = Some(text),
                }
            }
            _ => answer.body_base64 = Some(STANDARD.encode(body)),
        }
        answer
    }

    fn forward_answer(&self) -> ForwardAnswer {
        let body = match (&self.json, &self.text, &self.body_base64) {
            (Some(value), _, _) => Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
            (None, Some(text), _) => Bytes::from(text.clone()),
            (None, None, Some(data)) => Bytes::from(STANDARD.decode(data).unwrap_or_default()),
            (None, None, None) => Bytes::new(),
        };
        ForwardAnswer {
            status: StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK),
            headers: self.headers.clone(),
            body,
        }
    }

    fn check(&self, index: usize) -> Result<(), FakeError> {
        let wrong = |problem: String| FakeError::Invalid(format!("exchange {index}: {problem}"));
        StatusCode::from_u16(self.status)
            .map_err(|_| wrong(format!("{} is not an HTTP status", self.status)))?;
        let bodies = [
            self.json.is_some(),
            self.text.is_some(),
            self.body_base64.is_some(),
        ];
        if bodies.iter().filter(|given| **given).count() > 1 {
            return Err(wrong(
                "an answer has one body: json, text or body_base64".to_owned(),
            ));
        }
        if let Some(data) = &self.body_base64 {
            STANDARD
                .decode(data)
                .map_err(|error| wrong(format!("body_base64: {error}")))?;
        }
        for (name, value) in &self.headers {
            http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| wrong(format!("{name:?} is not a header name")))?;
            HeaderValue::from_str(value)
                .map_err(|_| wrong(format!("header {name}: {value:?} is not a value")))?;
        }
        Ok(())
    }
}

/// `text` with every secret in it replaced (shorter ones than 8 bytes would match ordinary
/// text, and are not searched for).
fn scrubbed(secrets: &[String], text: &str) -> String {
    let mut text = text.to_owned();
    for secret in secrets.iter().filter(|secret| secret.len() >= 8) {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), SCRUBBED);
        }
    }
    text
}

/// A Paragon-shaped error answer the fake makes itself (the cassette's, not Paragon's).
fn fake_error(status: StatusCode, message: String) -> ForwardAnswer {
    let body = json!({"message": message, "status": status.as_u16(), "meta": {"fake": "cassette"}});
    ForwardAnswer {
        status,
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body: Bytes::from(body.to_string()),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A fake's cassette, recording or replaying.
pub(crate) enum Cassette {
    Record(Arc<Recorder>),
    Replay(Arc<Player>),
}

impl Cassette {
    /// Opens a cassette as `options` says: a recording needs `upstream`, a replay reads its file.
    pub(crate) fn open(
        options: &CassetteOptions,
        upstream: Option<Client>,
    ) -> Result<Cassette, FakeError> {
        let scrub = Scrub::new(&options.secret_headers)?;
        match (options.mode, upstream) {
            (Mode::Record, None) => Err(FakeError::Invalid(
                "recording a cassette needs the upstream: a client for the real Paragon".to_owned(),
            )),
            (Mode::Record, Some(upstream)) => {
                if options.match_on.is_some() {
                    return Err(FakeError::Invalid(
                        "match_on is for replaying a cassette".to_owned(),
                    ));
                }
                // Its own pool: the connections live on the fake's thread, which stops with it.
                let upstream = upstream
                    .with_fresh_pool()
                    .map_err(|error| FakeError::Invalid(format!("upstream: {error}")))?;
                Ok(Cassette::Record(Arc::new(Recorder {
                    upstream,
                    path: options.path.clone(),
                    scrub,
                    exchanges: Arc::default(),
                    failures: Arc::default(),
                })))
            }
            (Mode::Replay, Some(_)) => Err(FakeError::Invalid(
                "a replayed cassette has no upstream (it answers from the file)".to_owned(),
            )),
            (Mode::Replay, None) => {
                let match_on = MatchOn::from_names(options.match_on.as_deref())?;
                let exchanges = read(&options.path)?;
                Ok(Cassette::Replay(Arc::new(Player {
                    path: options.path.clone(),
                    scrub,
                    match_on,
                    played: Mutex::new(vec![false; exchanges.len()]),
                    exchanges,
                    unmatched: Mutex::default(),
                })))
            }
        }
    }

    /// The hook the sandbox calls for every call no route answers.
    pub(crate) fn forwarder(&self) -> paragon_sandbox::Forwarder {
        match self {
            Cassette::Record(recorder) => paragon_sandbox::Forwarder(recorder.clone()),
            Cassette::Replay(player) => paragon_sandbox::Forwarder(player.clone()),
        }
    }

    /// Ends the cassette: a recording is written (even when some calls failed, which are then
    /// the error); a replay fails when a call matched no exchange.
    pub(crate) fn finish(&self) -> Result<(), FakeError> {
        match self {
            Cassette::Record(recorder) => recorder.save(),
            Cassette::Replay(player) => player.check(false),
        }
    }

    /// A replay fails unless every exchange was played (a recording: nothing to check).
    pub(crate) fn check_all_played(&self) -> Result<(), FakeError> {
        match self {
            Cassette::Record(_) => Ok(()),
            Cassette::Replay(player) => player.check(true),
        }
    }
}

fn read(path: &Path) -> Result<Vec<Exchange>, FakeError> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|error| {
        FakeError::Invalid(format!(
            "cannot read the cassette {shown}: {error} (record it first)"
        ))
    })?;
    let file: CassetteFile = serde_json::from_str(&text)
        .map_err(|error| FakeError::Invalid(format!("the cassette {shown}: {error}")))?;
    if file.paragon_connect_cassette != FORMAT {
        return Err(FakeError::Invalid(format!(
            "the cassette {shown} is format {}; this version reads format {FORMAT}",
            file.paragon_connect_cassette
        )));
    }
    for (index, exchange) in file.exchanges.iter().enumerate() {
        exchange
            .response
            .check(index)
            .map_err(|error| FakeError::Invalid(format!("the cassette {shown}: {error}")))?;
    }
    Ok(file.exchanges)
}

/// Sends calls on to the real Paragon and keeps what they got.
pub(crate) struct Recorder {
    upstream: Client,
    path: PathBuf,
    scrub: Scrub,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
    /// Calls that could not be recorded, and why.
    failures: Arc<Mutex<Vec<String>>>,
}

impl Forward for Recorder {
    fn forward(
        &self,
        forwarded: Forwarded,
    ) -> std::pin::Pin<Box<dyn Future<Output = ForwardAnswer> + Send>> {
        let upstream = self.upstream.clone();
        let scrub = self.scrub.clone();
        let exchanges = self.exchanges.clone();
        let failures = self.failures.clone();
        Box::pin(async move {
            match send_upstream(&upstream, &forwarded).await {
                Ok((status, headers, body, token)) => {
                    let mut secrets = scrub.secret_values(&forwarded.call);
                    secrets.push(token.expose().to_owned());
                    let response = RecordedAnswer::new(status, &headers, &body, &scrub, &secrets);
                    // The client gets what the cassette holds, so a replay answers the same.
                    let answer = response.forward_answer();
                    let request = scrub.call(&forwarded.call);
                    lock(&exchanges).push(Exchange { request, response });
                    answer
                }
                Err(reason) => {
                    let line = format!("{}: {reason}", forwarded.call.summary());
                    lock(&failures).push(line.clone());
                    // Not a status a client retries: the test should see this at once.
                    fake_error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("The fake could not record {line}"),
                    )
                }
            }
        })
    }
}

/// Where the upstream answers the fake's `target` (`/projects/<fake project>/sdk/...`, as sent):
/// the proxy for `sdk/proxy/...`, hermes for workflow triggers and `/v2` events, zeus for the
/// rest, with the upstream's project; the path and query stay as they were sent.
fn upstream_url(settings: &crate::config::Settings, target: &str) -> Option<url::Url> {
    let (versioned, path) = match target.strip_prefix("/v2/") {
        Some(path) => (true, path),
        None => (false, target.strip_prefix('/')?),
    };
    let (_, rest) = path.strip_prefix("projects/")?.split_once('/')?;
    let service = if !versioned && rest.starts_with("sdk/proxy/") {
        &settings.proxy_base_url
    } else if versioned || rest.starts_with("sdk/triggers/") {
        &settings.hermes_base_url
    } else {
        &settings.zeus_base_url
    };
    let url = format!(
        "{}/{}projects/{}/{rest}",
        service.as_str().trim_end_matches('/'),
        if versioned { "v2/" } else { "" },
        settings.project_id
    );
    url::Url::parse(&url).ok()
}

/// Sends a call the fake got to the service of the upstream client that answers its path, with
/// the upstream's token for the call's user (or its one fixed token); gives the answer, whole.
async fn send_upstream(
    upstream: &Client,
    forwarded: &Forwarded,
) -> Result<(StatusCode, HeaderMap, Bytes, Secret), String> {
    let (settings, http) = upstream.raw_parts();
    let url = upstream_url(settings, &forwarded.target)
        .ok_or_else(|| format!("{} is not a Paragon path", forwarded.call.path))?;

    let call = &forwarded.call;
    let client = match &call.user {
        // A client holding one fixed token refuses other users: it is that token's user.
        Some(user) => upstream
            .user(user.clone())
            .unwrap_or_else(|_| upstream.clone()),
        None => upstream.clone(),
    };
    let site = CallSite::new(
        forwarded.method.clone(),
        call.integration.as_deref().unwrap_or(""),
        &call.path,
    );
    let token = client
        .token(&site, settings.timeout)
        .await
        .map_err(|error| error.to_string())?;
    let mut headers = HeaderMap::new();
    for (name, value) in &forwarded.headers {
        if !NOT_FORWARDED.contains(&name.as_str()) {
            headers.append(name.clone(), value.clone());
        }
    }
    let authorization = crate::config::authorization_header(&token)?;
    headers.insert(http::header::AUTHORIZATION, authorization);
    let reached = |error: BoxError| {
        let reason = crate::error::chain(error.as_ref());
        format!(
            "the upstream could not be reached: {}",
            token.scrub(&reason)
        )
    };
    let exchange = async {
        let sent = http
            .send(
                &forwarded.method,
                &url,
                || headers.clone(),
                RequestBody::Full(Some(forwarded.body.clone())),
            )
            .await
            .map_err(|error| reached(error.source))?;
        let status = sent.status;
        let mut answer = sent.body;
        // Read in pieces so that an answer past the limit is refused before it is all in memory.
        let limit = settings.max_response_bytes;
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) = answer.chunk().await.map_err(reached)? {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(format!(
                    "the answer is longer than max_response_bytes ({limit} bytes)"
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, sent.headers, body))
    };
    let (status, headers, body) = tokio::time::timeout(settings.timeout, exchange)
        .await
        .map_err(|_| format!("the upstream did not answer within {:?}", settings.timeout))??;
    let body = body.freeze();
    Ok((status, headers, body, token))
}

impl Recorder {
    /// Writes the cassette (a temporary file renamed over the old one, so a reader never sees
    /// half of it).
    fn save(&self) -> Result<(), FakeError> {
        let file = CassetteFile {
            paragon_connect_cassette: FORMAT,
            exchanges: lock(&self.exchanges).clone(),
        };
        let shown = self.path.display();
        let cannot = |error: std::io::Error| {
            FakeError::Invalid(format!("cannot write the cassette {shown}: {error}"))
        };
        if let Some(parent) = self
            .path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(cannot)?;
        }
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        let mut temporary = self.path.clone().into_os_string();
        temporary.push(".partial");
        std::fs::write(&temporary, text).map_err(cannot)?;
        std::fs::rename(&temporary, &self.path).map_err(cannot)?;
        let failures = lock(&self.failures);
        match failures.is_empty() {
            true => Ok(()),
            false => Err(FakeError::Cassette(format!(
                "{} call(s) could not be recorded in {shown}:\n  {}",
                failures.len(),
                failures.join("\n  ")
            ))),
        }
    }
}

/// Answers calls from a cassette, each exchange once, in the order recorded.
pub(crate) struct Player {
    path: PathBuf,
    scrub: Scrub,
    match_on: MatchOn,
    exchanges: Vec<Exchange>,
    played: Mutex<Vec<bool>>,
    /// Calls no exchange matched, in one line each.
    unmatched: Mutex<Vec<String>>,
}

impl Forward for Player {
    fn forward(
        &self,
        forwarded: Forwarded,
    ) -> std::pin::Pin<Box<dyn Future<Output = ForwardAnswer> + Send>> {
        let answer = self.answer(&forwarded.call);
        Box::pin(std::future::ready(answer))
    }
}

impl Player {
    fn answer(&self, call: &Call) -> ForwardAnswer {
        let recorded = self.scrub.call(call);
        let mut played = lock(&self.played);
        let found = self.exchanges.iter().enumerate().find(|(index, exchange)| {
            !played[*index] && self.match_on.matches(&exchange.request, &recorded)
        });
        if let Some((index, exchange)) = found {
            played[index] = true;
            return exchange.response.forward_answer();
        }
        drop(played);
        let summary = call.summary();
        lock(&self.unmatched).push(summary.clone());
        fake_error(
            StatusCode::NOT_FOUND,
            format!(
                "No unplayed exchange in the cassette {} matches {summary}.",
                self.path.display()
            ),
        )
    }

    fn check(&self, all_played: bool) -> Result<(), FakeError> {
        let shown = self.path.display();
        let mut problems = Vec::new();
        let unmatched = lock(&self.unmatched);
        if !unmatched.is_empty() {
            problems.push(format!(
                "{} call(s) matched no exchange in the cassette {shown} (record it again if the code changed):\n  {}",
                unmatched.len(),
                unmatched.join("\n  ")
            ));
        }
        if all_played {
            let played = lock(&self.played);
            let left: Vec<String> = self
                .exchanges
                .iter()
                .zip(played.iter())
                .filter(|(_, played)| !**played)
                .map(|(exchange, _)| exchange.request.summary())
                .collect();
            if !left.is_empty() {
                problems.push(format!(
                    "{} exchange(s) of the cassette {shown} were not played:\n  {}",
                    left.len(),
                    left.join("\n  ")
                ));
            }
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(FakeError::Cassette(problems.join("\n"))),
        }
    }
}

impl RecordedCall {
    fn summary(&self) -> String {
        let target = match &self.integration {
            Some(integration) => format!("{integration} {}", self.path),
            None => self.path.clone(),
        };
        format!("{} {target}", self.method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_path_goes_to_its_service_with_the_upstreams_project_as_sent() {
        let client = Client::builder()
            .project_id("real-project")
            .user_token("token-123456789")
            .proxy_base_url("https://proxy.example.test/base/")
            .zeus_base_url("https://zeus.example.test")
            .hermes_base_url("https://hermes.example.test")
            .build()
            .unwrap();
        let (settings, _) = client.raw_parts();
        for (target, expected) in [
            (
                "/projects/fake/sdk/proxy/slack/chat.postMessage?a=%20b&c",
                "https://proxy.example.test/base/projects/real-project/sdk/proxy/slack/chat.postMessage?a=%20b&c",
            ),
            (
                "/projects/fake/sdk/me",
                "https://zeus.example.test/projects/real-project/sdk/me",
            ),
            (
                "/projects/fake/sdk/triggers/w1",
                "https://hermes.example.test/projects/real-project/sdk/triggers/w1",
            ),
            (
                "/v2/projects/fake/sdk/events/trigger",
                "https://hermes.example.test/v2/projects/real-project/sdk/events/trigger",
            ),
        ] {
            assert_eq!(upstream_url(settings, target).unwrap().as_str(), expected);
        }
        assert!(upstream_url(settings, "/other").is_none());
    }

    #[test]
    fn answers_keep_no_secret_and_read_back_as_sent() {
        let scrub = Scrub::new(&["X-Team".to_owned()]).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("set-cookie", HeaderValue::from_static("sid=abc"));
        headers.insert("x-team", HeaderValue::from_static("team-1"));
        headers.insert("x-echo", HeaderValue::from_static("Bearer token-123456789"));
        headers.insert("content-length", HeaderValue::from_static("40"));
        let body = br#"{"output":{"b":1,"a":"token-123456789","n":1.50}}"#;
        let secrets = ["token-123456789".to_owned()];
        let answer = RecordedAnswer::new(StatusCode::OK, &headers, body, &scrub, &secrets);
        assert_eq!(
            answer.headers,
            [
                ("content-type", "application/json"),
                ("set-cookie", SCRUBBED),
                ("x-team", SCRUBBED),
                ("x-echo", "Bearer <scrubbed>"),
            ]
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
        );
        // Key order and numbers as the upstream wrote them.
        let expected = br#"{"output":{"b":1,"a":"<scrubbed>","n":1.50}}"#;
        assert!(answer.json.is_some());
        assert_eq!(answer.forward_answer().body, &expected[..]);
        // JSON that would not read back byte for byte is kept as text.
        let spaced = b"{\"output\": [1, 2]}\n";
        let answer = RecordedAnswer::new(StatusCode::OK, &headers, spaced, &scrub, &secrets);
        assert_eq!(answer.text.as_deref(), Some("{\"output\": [1, 2]}\n"));
        assert_eq!(answer.forward_answer().body, &spaced[..]);
    }
}
