//! Recorded calls as a test reads them: which integration, method and path (without the proxy's
//! prefix), the query and body decoded, the user token shown as the user it stands for. And the
//! patterns that pick calls out (the same patterns choose a scripted route's calls).

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One call the fake received, decoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    /// The integration a proxy call went to (`slack`, `custom.tasklab`, `custom/<id>`); `None`
    /// for the user-scoped API (`/sdk/me`, `/sdk/credentials`, events, workflows).
    pub integration: Option<String>,
    pub method: String,
    /// The upstream path of a proxy call (`/chat.postMessage`), the API path otherwise
    /// (`/sdk/me`), without the query string.
    pub path: String,
    /// Query parameters in order, percent-decoded.
    pub query: Vec<(String, String)>,
    /// Headers in arrival order, names lower-case; `authorization` shows the user of a token
    /// (`Bearer <user token: user-1>`), never the token.
    pub headers: Vec<(String, String)>,
    /// The `sub` of the call's token (`None` without one, or for a token that is not a JWT).
    pub user: Option<String>,
    /// The body decoded by its content type: JSON, a form, multipart parts, or text.
    pub body: CallBody,
    /// The body as sent, base64-encoded.
    pub body_base64: String,
    /// Whether the fake finished answering (a cancelled call's client went away first).
    pub answered: bool,
}

/// A request body as a test reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum CallBody {
    Empty,
    Json(Value),
    Form(Vec<(String, String)>),
    Multipart(Vec<Part>),
    Text(String),
    /// Neither JSON, a form nor UTF-8 text: see `body_base64`.
    Bytes,
}

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub name: Option<String>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    /// The part's bytes, base64-encoded.
    pub data_base64: String,
}

impl Call {
    /// Decodes what came over the wire. `target` is the path and query as sent.
    pub(crate) async fn decode(
        method: &str,
        target: &str,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Call {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let (integration, path) = api_path(path);
        let authorization = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        let user = authorization.and_then(token_subject);
        let shown_headers = headers
            .iter()
            .map(|(name, value)| {
                let value = match *name == http::header::AUTHORIZATION {
                    true => shown_authorization(authorization, user.as_deref()),
                    false => String::from_utf8_lossy(value.as_bytes()).into_owned(),
                };
                (name.as_str().to_owned(), value)
            })
            .collect();
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        Call {
            integration,
            method: method.to_owned(),
            path,
            query: form_pairs(query.as_bytes()),
            headers: shown_headers,
            user,
            body: CallBody::decode(content_type, body).await,
            body_base64: STANDARD.encode(body),
            answered: false,
        }
    }

    /// Every value of a header (case-insensitive name).
    pub fn header_values(&self, name: &str) -> impl Iterator<Item = &str> {
        self.headers
            .iter()
            .filter(move |(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// `POST slack /chat.postMessage?a=1`: the call in one line, for messages.
    pub fn summary(&self) -> String {
        let query = match self.query.is_empty() {
            true => String::new(),
            false => {
                let pairs: Vec<String> = self
                    .query
                    .iter()
                    .map(|(key, value)| format!("{key}={value}"))
                    .collect();
                format!("?{}", pairs.join("&"))
            }
        };
        let body = match &self.body {
            CallBody::Json(value) => format!(" {}", truncated(&value.to_string())),
            _ => String::new(),
        };
        let target = match &self.integration {
            Some(integration) => format!("{integration} {}", self.path),
            None => self.path.clone(),
        };
        format!("{} {target}{query}{body}", self.method)
    }
}

fn truncated(text: &str) -> String {
    const LIMIT: usize = 200;
    match text.char_indices().nth(LIMIT) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}

impl CallBody {
    async fn decode(content_type: &str, body: &[u8]) -> CallBody {
        if body.is_empty() {
            return CallBody::Empty;
        }
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence == "application/json" || essence.ends_with("+json") {
            if let Ok(value) = serde_json::from_slice(body) {
                return CallBody::Json(value);
            }
        } else if essence == "application/x-www-form-urlencoded" {
            return CallBody::Form(form_pairs(body));
        } else if essence == "multipart/form-data"
            && let Some(parts) = multipart_parts(content_type, body).await
        {
            return CallBody::Multipart(parts);
        }
        match std::str::from_utf8(body) {
            Ok(text) => CallBody::Text(text.to_owned()),
            Err(_) => CallBody::Bytes,
        }
    }

    /// The body as JSON, when it was JSON.
    pub fn json(&self) -> Option<&Value> {
        match self {
            CallBody::Json(value) => Some(value),
            _ => None,
        }
    }
}

async fn multipart_parts(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let data = bytes::Bytes::copy_from_slice(body);
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(data) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    while let Some(field) = multipart.next_field().await.ok()? {
        let name = field.name().map(str::to_owned);
        let filename = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(|mime| mime.to_string());
        let data = field.bytes().await.ok()?;
        parts.push(Part {
            name,
            filename,
            content_type,
            data_base64: STANDARD.encode(&data),
        });
    }
    Some(parts)
}

/// `a=1&b=x%20y` as pairs, `+` read as a space (form encoding).
fn form_pairs(encoded: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(encoded)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

/// `/projects/<p>/sdk/proxy/slack/chat.postMessage` -> (`slack`, `/chat.postMessage`);
/// `/v2/projects/<p>/sdk/events/trigger` -> (none, `/sdk/events/trigger`).
fn api_path(path: &str) -> (Option<String>, String) {
    let path = path.strip_prefix("/v2").unwrap_or(path);
    let rest = path.strip_prefix("/projects/").unwrap_or(path);
    let rest = rest.split_once('/').map(|(_, rest)| rest).unwrap_or("");
    match rest.strip_prefix("sdk/proxy/") {
        Some(proxied) => {
            let (integration, path) = crate::split_integration(proxied);
            (Some(integration.to_owned()), path)
        }
        None => (None, format!("/{rest}")),
    }
}

/// The `sub` claim of a JWT bearer token, read without verifying it (a token the fake refused
/// is still shown by the user it claims).
pub(crate) fn token_subject(authorization: &str) -> Option<String> {
    let token = authorization.strip_prefix("Bearer ")?;
    let payload = token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims.get("sub")?.as_str().map(str::to_owned)
}

fn shown_authorization(authorization: Option<&str>, user: Option<&str>) -> String {
    match (authorization, user) {
        (_, Some(user)) => format!("Bearer <user token: {user}>"),
        (Some(value), None) if value.starts_with("Bearer ") => "Bearer <token>".to_owned(),
        _ => "<redacted>".to_owned(),
    }
}

/// Which calls a pattern picks: every field given must match, every field left out matches
/// anything. Used by scripted routes and by `assert_called`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallPattern {
    /// The integration, as the client names it (`slack`, `custom.tasklab`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<String>,
    /// Case-insensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathPattern>,
    /// Each parameter given must be in the query with this value (others may be there too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<BTreeMap<String, String>>,
    /// Each header given must be sent with this value (names case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// The JSON body equals this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// The JSON body holds this: objects may have more keys, at any depth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_includes: Option<Value>,
    /// The token's user (`sub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// A path: `"/chat.postMessage"` exactly, a glob (`"/files/*"`: `*` within one segment, `**`
/// across segments), or `{"regex": "^/files/[0-9]+$"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathPattern {
    Text(String),
    Regex { regex: String },
}

/// A pattern ready to match: its regular expression compiled once.
#[derive(Debug, Clone)]
pub struct CompiledPattern {
    pub pattern: CallPattern,
    path: Option<regex_lite::Regex>,
}

impl CallPattern {
    /// Checks the pattern: a regular expression that does not compile is named.
    pub fn compile(self) -> Result<CompiledPattern, String> {
        let path = match &self.path {
            None => None,
            Some(PathPattern::Text(text)) => Some(glob_regex(text)),
            Some(PathPattern::Regex { regex }) => Some(regex.clone()),
        };
        let path = path
            .map(|source| {
                regex_lite::Regex::new(&source)
                    .map_err(|error| format!("path pattern {source:?} is not valid: {error}"))
            })
            .transpose()?;
        Ok(CompiledPattern {
            pattern: self,
            path,
        })
    }

    /// `POST slack /chat.postMessage json={...}`: the pattern in one line, for messages.
    pub fn summary(&self) -> String {
        let mut words = vec![
            self.method
                .as_deref()
                .map(str::to_ascii_uppercase)
                .unwrap_or_else(|| "(any method)".to_owned()),
        ];
        words.push(
            self.integration
                .clone()
                .unwrap_or_else(|| "(any integration)".to_owned()),
        );
        words.push(match &self.path {
            None => "(any path)".to_owned(),
            Some(PathPattern::Text(text)) => text.clone(),
            Some(PathPattern::Regex { regex }) => format!("/{regex}/"),
        });
        if let Some(query) = &self.query {
            words.push(format!("query={}", serde_json::json!(query)));
        }
        if let Some(headers) = &self.headers {
            words.push(format!("headers={}", serde_json::json!(headers)));
        }
        if let Some(json) = &self.json {
            words.push(format!("json={}", truncated(&json.to_string())));
        }
        if let Some(json) = &self.json_includes {
            words.push(format!("json_includes={}", truncated(&json.to_string())));
        }
        if let Some(user) = &self.user {
            words.push(format!("user={user}"));
        }
        words.join(" ")
    }
}

/// An exact path or a glob as an anchored regular expression.
fn glob_regex(glob: &str) -> String {
    let mut source = String::from("^");
    let mut rest = glob;
    while let Some(at) = rest.find('*') {
        source.push_str(&regex_lite::escape(&rest[..at]));
        match rest[at..].starts_with("**") {
            true => {
                source.push_str(".*");
                rest = &rest[at + 2..];
            }
            false => {
                source.push_str("[^/]*");
                rest = &rest[at + 1..];
            }
        }
    }
    source.push_str(&regex_lite::escape(rest));
    source.push('$');
    source
}

impl CompiledPattern {
    pub fn matches(&self, call: &Call) -> bool {
        let pattern = &self.pattern;
        let same = |expected: &Option<String>, actual: Option<&str>| match expected {
            None => true,
            Some(expected) => actual == Some(expected.as_str()),
        };
        same(&pattern.integration, call.integration.as_deref())
            && pattern
                .method
                .as_ref()
                .is_none_or(|method| method.eq_ignore_ascii_case(&call.method))
            && self
                .path
                .as_ref()
                .is_none_or(|path| path.is_match(&call.path))
            && pattern.query.as_ref().is_none_or(|query| {
                query.iter().all(|(key, value)| {
                    call.query
                        .iter()
                        .any(|(sent_key, sent)| sent_key == key && sent == value)
                })
            })
            && pattern.headers.as_ref().is_none_or(|headers| {
                headers
                    .iter()
                    .all(|(name, value)| call.header_values(name).any(|sent| sent == value))
            })
            && pattern
                .json
                .as_ref()
                .is_none_or(|json| call.body.json() == Some(json))
            && pattern
                .json_includes
                .as_ref()
                .is_none_or(|json| call.body.json().is_some_and(|sent| includes(sent, json)))
            && same(&pattern.user, call.user.as_deref())
    }
}

/// Whether `sent` holds `wanted`: objects may have more keys, arrays and scalars are equal.
fn includes(sent: &Value, wanted: &Value) -> bool {
    match (sent, wanted) {
        (Value::Object(sent), Value::Object(wanted)) => wanted
            .iter()
            .all(|(key, value)| sent.get(key).is_some_and(|sent| includes(sent, value))),
        _ => sent == wanted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(path: &str, body: Value) -> Call {
        Call {
            integration: Some("slack".to_owned()),
            method: "POST".to_owned(),
            path: path.to_owned(),
            query: vec![("limit".to_owned(), "10".to_owned())],
            headers: vec![("x-trace".to_owned(), "t1".to_owned())],
            user: Some("user-1".to_owned()),
            body: CallBody::Json(body),
            body_base64: String::new(),
            answered: true,
        }
    }

    fn pattern(value: Value) -> CompiledPattern {
        serde_json::from_value::<CallPattern>(value)
            .unwrap()
            .compile()
            .unwrap()
    }

    #[test]
    fn paths_match_exactly_by_glob_or_by_regex() {
        let sent = call("/files/12/content", json!({}));
        assert!(pattern(json!({"path": "/files/12/content"})).matches(&sent));
        assert!(!pattern(json!({"path": "/files/12"})).matches(&sent));
        assert!(pattern(json!({"path": "/files/*/content"})).matches(&sent));
        assert!(!pattern(json!({"path": "/files/*"})).matches(&sent));
        assert!(pattern(json!({"path": "/files/**"})).matches(&sent));
        assert!(pattern(json!({"path": {"regex": "^/files/[0-9]+/"}})).matches(&sent));
        // A dot in a glob is a dot, not "any character".
        assert!(!pattern(json!({"path": "/chat.post"})).matches(&call("/chatXpost", json!({}))));
    }

    #[test]
    fn every_given_field_must_match() {
        let sent = call("/chat.postMessage", json!({"channel": "C0", "text": "hi"}));
        let all = json!({"integration": "slack", "method": "post", "path": "/chat.postMessage",
                         "query": {"limit": "10"}, "headers": {"X-Trace": "t1"}, "user": "user-1",
                         "json_includes": {"channel": "C0"}});
        assert!(pattern(all).matches(&sent));
        assert!(!pattern(json!({"integration": "hubspot"})).matches(&sent));
        assert!(!pattern(json!({"query": {"limit": "11"}})).matches(&sent));
        assert!(!pattern(json!({"headers": {"x-trace": "t2"}})).matches(&sent));
        assert!(!pattern(json!({"json": {"channel": "C0"}})).matches(&sent));
        assert!(pattern(json!({"json": {"text": "hi", "channel": "C0"}})).matches(&sent));
        assert!(!pattern(json!({"user": "user-2"})).matches(&sent));
    }

    #[test]
    fn a_bad_pattern_is_refused_with_its_reason() {
        let error = serde_json::from_value::<CallPattern>(json!({"path": {"regex": "("}}))
            .unwrap()
            .compile()
            .unwrap_err();
        assert!(error.contains("path pattern \"(\" is not valid"), "{error}");
        assert!(serde_json::from_value::<CallPattern>(json!({"pathh": "/x"})).is_err());
    }

    #[test]
    fn tokens_show_as_their_user() {
        let claims = URL_SAFE_NO_PAD.encode(br#"{"sub":"user-9","exp":1}"#);
        let authorization = format!("Bearer eyJhbGciOiJSUzI1NiJ9.{claims}.c2ln");
        assert_eq!(token_subject(&authorization).as_deref(), Some("user-9"));
        assert_eq!(
            shown_authorization(Some(&authorization), Some("user-9")),
            "Bearer <user token: user-9>"
        );
        assert_eq!(
            shown_authorization(Some("Bearer opaque"), None),
            "Bearer <token>"
        );
    }
}
