//! The fake Paragon both packages ship for their users' tests (`paragon_connect.testing`,
//! `paragon-connect/testing`): the sandbox, started on its own I/O thread, driven with JSON so a
//! binding only passes text through. Every rule of it (what a reply or a pattern may say, how
//! calls are matched, what an assertion's message lists) lives here and in the sandbox crate.
//! A fake may also record its calls' exchanges with the real Paragon, or replay them
//! ([`CassetteOptions`]).

mod cassette;

use std::net::SocketAddr;

use base64::Engine as _;
use paragon_sandbox::{CallPattern, Options, PathPattern, Reply, ReplyBody, RouteSpec, Sandbox};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::runtime::Runtime;

use crate::Client;
use cassette::Cassette;
pub use cassette::{CassetteOptions, Mode};
pub use paragon_sandbox::{PROJECT_ID, SIGNING_KEY_PEM};

/// How a fake starts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FakeOptions {
    /// The port on 127.0.0.1 (0 or none: a free one).
    #[serde(default)]
    pub port: u16,
    /// Accept any Bearer token, not only those signed with [`SIGNING_KEY_PEM`].
    #[serde(default)]
    pub accept_any_token: bool,
    /// Record the calls' exchanges with the real Paragon to a file, or answer from one.
    #[serde(default)]
    pub cassette: Option<CassetteOptions>,
}

/// A running fake Paragon on 127.0.0.1. Dropping it (or [`FakeParagon::close`]) stops it.
pub struct FakeParagon {
    sandbox: Option<Sandbox>,
    url: String,
    runtime: Option<Runtime>,
    cassette: Option<Cassette>,
}

/// What a test got wrong in a route, a reply or a pattern; or an assertion that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeError {
    /// A spec that cannot be used: what is wrong with it.
    Invalid(String),
    /// `check_called` found other calls than expected: the message lists those received.
    NotCalled(String),
    /// A cassette's calls went wrong: a replayed call matched no exchange (or one was not
    /// played when that was checked), or a recorded call could not reach the upstream.
    Cassette(String),
}

impl std::fmt::Display for FakeError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FakeError::Invalid(message)
            | FakeError::NotCalled(message)
            | FakeError::Cassette(message) => formatter.write_str(message),
        }
    }
}

impl std::error::Error for FakeError {}

fn invalid(what: &str, error: impl std::fmt::Display) -> FakeError {
    FakeError::Invalid(format!("{what}: {error}"))
}

fn parse<T: for<'de> Deserialize<'de>>(what: &str, text: &str) -> Result<T, FakeError> {
    serde_json::from_str(text).map_err(|error| invalid(what, error))
}

impl FakeParagon {
    /// Starts a fake from JSON options (`{"port": 0, "accept_any_token": false}`).
    pub fn start(options: &str) -> Result<FakeParagon, FakeError> {
        FakeParagon::start_with(options, None)
    }

    /// Starts a fake from JSON options, which may name a cassette
    /// (`"cassette": {"path": ..., "mode": "record" | "replay", "secret_headers": [...],
    /// "match_on": [...]}`, see [`CassetteOptions`]); a recording sends the calls no route answers
    /// on to `upstream`, a client for the real Paragon.
    pub fn start_with(options: &str, upstream: Option<Client>) -> Result<FakeParagon, FakeError> {
        let options: FakeOptions = parse("fake options", options)?;
        let cassette = match &options.cassette {
            Some(cassette) => Some(Cassette::open(cassette, upstream)?),
            None if upstream.is_some() => {
                return Err(FakeError::Invalid(
                    "an upstream is for recording a cassette".to_owned(),
                ));
            }
            None => None,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("paragon-connect-fake")
            .enable_all()
            .build()
            .map_err(|error| invalid("could not start the fake's thread", error))?;
        let address = SocketAddr::from(([127, 0, 0, 1], options.port));
        let sandbox = runtime
            .block_on(Sandbox::start_with(
                address,
                Options {
                    accept_any_token: options.accept_any_token,
                    forward: cassette.as_ref().map(Cassette::forwarder),
                    ..Options::fake()
                },
            ))
            .map_err(|error| invalid(&format!("cannot listen on {address}"), error))?;
        Ok(FakeParagon {
            url: sandbox.url().to_owned(),
            sandbox: Some(sandbox),
            runtime: Some(runtime),
            cassette,
        })
    }

    /// Ends the fake's cassette, if it has one: a recording is written to its file (and fails
    /// when some call could not be recorded), a replay fails when a call matched no exchange.
    /// The fake goes on answering.
    pub fn finish_cassette(&self) -> Result<(), FakeError> {
        self.sandbox()?;
        self.cassette.as_ref().map_or(Ok(()), Cassette::finish)
    }

    /// Fails unless every exchange of a replayed cassette was played.
    pub fn check_all_played(&self) -> Result<(), FakeError> {
        self.sandbox()?;
        match &self.cassette {
            Some(cassette) => cassette.check_all_played(),
            None => Err(FakeError::Invalid(
                "this fake replays no cassette".to_owned(),
            )),
        }
    }

    fn sandbox(&self) -> Result<&Sandbox, FakeError> {
        self.sandbox
            .as_ref()
            .ok_or_else(|| FakeError::Invalid("this fake Paragon is closed".to_owned()))
    }

    /// `http://127.0.0.1:<port>`: the base URL of every Paragon service it fakes.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A valid one-hour token for `user`, signed with [`SIGNING_KEY_PEM`].
    pub fn user_token(&self, user: &str) -> Result<String, FakeError> {
        Ok(self.sandbox()?.user_token(user))
    }

    /// Adds a route from JSON (`{"match": {...}, "replies": [...], "times": n}`, see
    /// [`reply_from_spec`] and [`pattern_from_spec`]) and gives its id.
    pub fn add_route(&self, pattern: &str, times: Option<u64>) -> Result<u64, FakeError> {
        let pattern = pattern_from_spec(&parse("a route's match", pattern)?)?;
        self.sandbox()?
            .add_route(RouteSpec {
                pattern,
                replies: Vec::new(),
                times,
            })
            .map_err(FakeError::Invalid)
    }

    /// Adds a reply (JSON, see [`reply_from_spec`]) to route `route`'s sequence.
    pub fn add_reply(&self, route: u64, reply: &str) -> Result<(), FakeError> {
        let reply = reply_from_spec(&parse("a reply", reply)?)?;
        self.sandbox()?
            .add_route_reply(route, reply)
            .map_err(FakeError::Invalid)
    }

    /// Adds the routes of a `routes.json` (a list of sandbox [`RouteSpec`]s, or of
    /// `{"match": ..., "replies": [<reply spec>...], "times": n}`).
    pub fn add_routes_file(&self, text: &str) -> Result<usize, FakeError> {
        let routes: Vec<Map<String, Value>> = parse("routes", text)?;
        for (index, route) in routes.iter().enumerate() {
            let what = |error: FakeError| FakeError::Invalid(format!("route {index}: {error}"));
            if let Some(unknown) = route
                .keys()
                .find(|key| !matches!(key.as_str(), "match" | "replies" | "times"))
            {
                return Err(what(FakeError::Invalid(format!(
                    "unknown field {unknown:?} (expected match, replies, times)"
                ))));
            }
            let pattern = route.get("match").cloned().unwrap_or(json!({}));
            let times = match route.get("times") {
                None | Some(Value::Null) => None,
                Some(times) => Some(times.as_u64().ok_or_else(|| {
                    what(FakeError::Invalid("times is a whole number".to_owned()))
                })?),
            };
            let id = self.add_route(&pattern.to_string(), times).map_err(what)?;
            let replies = match route.get("replies") {
                None => Vec::new(),
                Some(Value::Array(replies)) => replies.clone(),
                Some(_) => return Err(what(FakeError::Invalid("replies is a list".to_owned()))),
            };
            for reply in replies {
                self.add_reply(id, &reply.to_string()).map_err(what)?;
            }
        }
        Ok(routes.len())
    }

    /// Queues a reply (JSON) for the next proxy call, before any route.
    pub fn queue_reply(&self, reply: &str) -> Result<(), FakeError> {
        let reply = reply_from_spec(&parse("a reply", reply)?)?;
        self.sandbox()?.push_reply(reply);
        Ok(())
    }

    /// How many calls route `route` answered.
    pub fn route_calls(&self, route: u64) -> Result<u64, FakeError> {
        self.sandbox()?
            .route_calls(route)
            .map_err(FakeError::Invalid)
    }

    /// The calls received (a JSON list of the sandbox's `Call`), oldest first; only those a
    /// pattern (JSON) matches when one is given.
    pub fn calls(&self, pattern: Option<&str>) -> Result<String, FakeError> {
        let sandbox = self.sandbox()?;
        let calls = match pattern {
            None => sandbox.calls(),
            Some(pattern) => sandbox
                .calls_matching(pattern_from_spec(&parse("a call pattern", pattern)?)?)
                .map_err(FakeError::Invalid)?,
        };
        Ok(serde_json::to_string(&calls).unwrap_or_default())
    }

    /// The calls a pattern (JSON) matches when there are `times` of them (at least one when
    /// `None`), else [`FakeError::NotCalled`] naming the pattern and listing what was received.
    pub fn check_called(&self, pattern: &str, times: Option<usize>) -> Result<String, FakeError> {
        let pattern = pattern_from_spec(&parse("a call pattern", pattern)?)?;
        let calls = self
            .sandbox()?
            .check_called(pattern, times)
            .map_err(FakeError::NotCalled)?;
        Ok(serde_json::to_string(&calls).unwrap_or_default())
    }

    /// Creates or changes a user (JSON `{"meta": {...}, "credentials": {"slack": ["id"]}}`).
    pub fn update_user(&self, user: &str, update: &str) -> Result<(), FakeError> {
        let update = parse("a user update", update)?;
        self.sandbox()?.update_user(user, update);
        Ok(())
    }

    /// Users (metadata, connected accounts), workflow triggers and events received, as JSON.
    pub fn state(&self) -> Result<String, FakeError> {
        Ok(serde_json::to_string(&self.sandbox()?.state()).unwrap_or_default())
    }

    /// Forgets routes, queued replies, calls, users and events.
    pub fn reset(&self) -> Result<(), FakeError> {
        self.sandbox()?.reset();
        Ok(())
    }

    /// Stops the fake (again: nothing).
    pub fn close(&mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            let _guard = self.runtime.as_ref().map(Runtime::enter);
            drop(sandbox);
        }
        if let Some(runtime) = self.runtime.take() {
            // Never blocks, even when the last reference goes away inside an async context.
            runtime.shutdown_background();
        }
    }
}

impl Drop for FakeParagon {
    fn drop(&mut self) {
        self.close();
    }
}

/// A call pattern as the packages write it: `integration`, `method`, `path` (exact or glob),
/// `path_regex`, `query` and `headers` (objects of text), `json`, `json_includes`, `user`.
pub fn pattern_from_spec(spec: &Value) -> Result<CallPattern, FakeError> {
    let Value::Object(fields) = spec else {
        return Err(FakeError::Invalid("a call pattern is an object".to_owned()));
    };
    let mut fields = fields.clone();
    if let Some(regex) = fields.remove("path_regex") {
        if fields.contains_key("path") {
            return Err(FakeError::Invalid(
                "give path or path_regex, not both".to_owned(),
            ));
        }
        fields.insert("path".to_owned(), json!({"regex": regex}));
    }
    let pattern: CallPattern = serde_json::from_value(Value::Object(fields))
        .map_err(|error| invalid("a call pattern", error))?;
    if let Some(PathPattern::Text(path)) = &pattern.path
        && !path.starts_with('/')
    {
        return Err(FakeError::Invalid(format!(
            "a path pattern starts with '/', not {path:?}"
        )));
    }
    Ok(pattern)
}

/// A reply as the packages write it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplySpec {
    status: Option<u16>,
    json: Option<Value>,
    text: Option<String>,
    body_base64: Option<String>,
    /// An object, or a list of `[name, value]` pairs (repeated names kept).
    headers: Option<Value>,
    /// Seconds to wait before answering (or milliseconds, `delay_ms`, as Node counts time).
    delay: Option<f64>,
    delay_ms: Option<f64>,
    /// Send the reply as it is instead of as the integration's answer that Paragon wraps.
    #[serde(default)]
    raw: bool,
    #[serde(default)]
    drop_connection: bool,
    /// A Paragon error (not the integration's): `{"status", "message", "code", "meta"}`.
    error: Option<ErrorSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorSpec {
    status: u16,
    message: Option<String>,
    code: Option<String>,
    meta: Option<Value>,
}

/// A reply from JSON: `status` (200), one of `json`, `text` or `body_base64`, `headers`,
/// `delay` (seconds) or `delay_ms`, and `raw` (sent as is; otherwise it is the integration's answer, which
/// the fake wraps as Paragon does); or `error` (Paragon's own error body), or `drop_connection`.
pub fn reply_from_spec(spec: &Value) -> Result<Reply, FakeError> {
    let spec: ReplySpec =
        serde_json::from_value(spec.clone()).map_err(|error| invalid("a reply", error))?;
    let bodies = [
        spec.json.is_some(),
        spec.text.is_some(),
        spec.body_base64.is_some(),
    ];
    if bodies.iter().filter(|given| **given).count() > 1 {
        return Err(FakeError::Invalid(
            "a reply has one body: json, text or bytes".to_owned(),
        ));
    }
    let status = match (&spec.error, spec.status) {
        (Some(_), Some(_)) => {
            return Err(FakeError::Invalid(
                "an error reply gives its status inside error".to_owned(),
            ));
        }
        (Some(error), None) => error.status,
        (None, status) => status.unwrap_or(200),
    };
    if !(100..=999).contains(&status) {
        return Err(FakeError::Invalid(format!(
            "{status} is not an HTTP status"
        )));
    }
    let mut reply = Reply::json(status, Value::Null);
    reply.body = match (&spec.error, spec.json, spec.text, spec.body_base64) {
        (Some(_), Some(_), _, _) | (Some(_), _, Some(_), _) | (Some(_), _, _, Some(_)) => {
            return Err(FakeError::Invalid(
                "an error reply has no other body".to_owned(),
            ));
        }
        (Some(error), None, None, None) => {
            let mut body = json!({
                "message": error.message.clone().unwrap_or_else(|| default_message(status)),
                "status": status,
                "meta": error.meta.clone().unwrap_or(json!({})),
            });
            if let Some(code) = &error.code {
                body["code"] = json!(code);
            }
            Some(ReplyBody::Json(body))
        }
        (None, Some(value), None, None) => Some(ReplyBody::Json(value)),
        (None, None, Some(text), None) => Some(ReplyBody::Text(text)),
        (None, None, None, Some(data)) => {
            base64::engine::general_purpose::STANDARD
                .decode(&data)
                .map_err(|error| invalid("body_base64", error))?;
            Some(ReplyBody::Base64(data))
        }
        _ => None,
    };
    reply.headers = match spec.headers {
        None => Vec::new(),
        Some(headers) => headers_from_spec(&headers)?,
    };
    let delay = match (spec.delay, spec.delay_ms) {
        (Some(_), Some(_)) => {
            return Err(FakeError::Invalid(
                "give delay or delay_ms, not both".to_owned(),
            ));
        }
        (Some(seconds), None) => Some(("delay", "seconds", seconds, seconds)),
        (None, Some(ms)) => Some(("delay_ms", "milliseconds", ms, ms / 1000.0)),
        (None, None) => None,
    };
    if let Some((name, unit, given, seconds)) = delay {
        let delay = crate::config::duration_from_seconds(seconds)
            .map_err(|_| invalid(name, format!("{given} is not a number of {unit}")))?;
        reply.delay_ms = delay.as_millis().try_into().unwrap_or(u64::MAX);
    }
    reply.drop_connection = spec.drop_connection;
    reply.upstream = !spec.raw && spec.error.is_none() && !spec.drop_connection;
    Ok(reply)
}

fn default_message(status: u16) -> String {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or("Error")
        .to_owned()
}

fn headers_from_spec(headers: &Value) -> Result<Vec<(String, String)>, FakeError> {
    let text = |value: &Value| match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => Ok(number.to_string()),
        other => Err(FakeError::Invalid(format!(
            "a header value is text, not {other}"
        ))),
    };
    let pairs: Vec<(String, String)> = match headers {
        Value::Object(map) => map
            .iter()
            .map(|(name, value)| Ok((name.clone(), text(value)?)))
            .collect::<Result<_, FakeError>>()?,
        Value::Array(pairs) => pairs
            .iter()
            .map(|pair| match pair.as_array().map(Vec::as_slice) {
                Some([Value::String(name), value]) => Ok((name.clone(), text(value)?)),
                _ => Err(FakeError::Invalid(format!(
                    "a header is a [name, value] pair, not {pair}"
                ))),
            })
            .collect::<Result<_, FakeError>>()?,
        other => {
            return Err(FakeError::Invalid(format!(
                "headers are an object or a list of pairs, not {other}"
            )));
        }
    };
    for (name, value) in &pairs {
        http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| FakeError::Invalid(format!("{name:?} is not a header name")))?;
        http::HeaderValue::from_str(value)
            .map_err(|_| FakeError::Invalid(format!("header {name}: {value:?} is not a value")))?;
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_the_integrations_answer_unless_raw_or_an_error() {
        let reply =
            reply_from_spec(&json!({"json": {"ok": true}, "headers": {"x-a": "1"}, "delay": 0.25}))
                .unwrap();
        assert!(reply.upstream);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.delay_ms, 250);
        assert_eq!(reply.headers, [("x-a".to_owned(), "1".to_owned())]);
        assert!(!reply_from_spec(&json!({"raw": true})).unwrap().upstream);
        let error = reply_from_spec(&json!({"error": {"status": 401, "code": "4011"}})).unwrap();
        assert!(!error.upstream);
        assert_eq!(
            error.body,
            Some(ReplyBody::Json(
                json!({"message": "Unauthorized", "status": 401, "meta": {}, "code": "4011"})
            ))
        );
    }

    #[test]
    fn a_wrong_reply_or_pattern_says_what_is_wrong() {
        for (spec, problem) in [
            (json!({"json": 1, "text": "x"}), "one body"),
            (json!({"status": 42}), "42 is not an HTTP status"),
            (json!({"delay": -1}), "delay: -1 is not a number of seconds"),
            (
                json!({"delay_ms": -1}),
                "delay_ms: -1 is not a number of milliseconds",
            ),
            (json!({"delay": 1, "delay_ms": 1}), "not both"),
            (json!({"headers": {"bad name": "x"}}), "not a header name"),
            (json!({"jsn": {}}), "unknown field `jsn`"),
            (
                json!({"error": {"status": 500}, "status": 500}),
                "inside error",
            ),
            (json!({"body_base64": "%%"}), "body_base64"),
        ] {
            let error = reply_from_spec(&spec).unwrap_err().to_string();
            assert!(error.contains(problem), "{spec}: {error}");
        }
        for (spec, problem) in [
            (json!({"path": "chat"}), "starts with '/'"),
            (json!({"path": "/a", "path_regex": "b"}), "not both"),
            (json!({"metod": "GET"}), "unknown field `metod`"),
        ] {
            let error = pattern_from_spec(&spec).unwrap_err().to_string();
            assert!(error.contains(problem), "{spec}: {error}");
        }
    }

    #[test]
    fn a_routes_file_names_the_route_that_is_wrong() {
        let mut fake = FakeParagon::start("{}").unwrap();
        let routes = r#"[{"match": {"path": "/a"}, "replies": [{"json": 1}]},
                         {"match": {"path": "/b"}, "replies": [{"stauts": 1}]}]"#;
        let error = fake.add_routes_file(routes).unwrap_err().to_string();
        assert!(
            error.starts_with("route 1: a reply: unknown field `stauts`"),
            "{error}"
        );
        fake.close();
        assert!(fake.reset().is_err());
    }
}
