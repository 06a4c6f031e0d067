//! Runs every case in `tests/conformance/*.json` against a real sandbox over real HTTP: the call is
//! made through the SDK, then what the sandbox received and what the SDK returned are compared
//! with the case. All failing cases are reported together.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use paragon_connect::serde_json::{self, Value};
use paragon_connect::{Body, Error, ErrorKind, RequestOptions, Response};
use paragon_sandbox::{
    PROJECT_ID, RecordedRequest, Reply, Sandbox, Signer, TASKLAB_INTEGRATION_ID, TokenClaims,
};

fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/conformance")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

fn load_cases() -> Vec<Value> {
    let mut cases = Vec::new();
    for file in case_files() {
        let text = std::fs::read_to_string(&file)
            .expect("a case file")
            .replace("{project_id}", PROJECT_ID)
            .replace("{tasklab_id}", TASKLAB_INTEGRATION_ID);
        let Value::Array(file_cases) = serde_json::from_str(&text).expect("valid JSON") else {
            panic!("{} must hold a list of cases", file.display());
        };
        cases.extend(file_cases);
    }
    cases
}

#[tokio::test]
async fn every_conformance_case() {
    let cases = load_cases();
    assert!(cases.len() >= 80, "only {} cases found", cases.len());
    let mut names = std::collections::HashSet::new();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().expect("every case has a name");
        assert!(
            names.insert(name.to_owned()),
            "case name {name} is used twice"
        );
        if let Err(problem) = run_case(case).await {
            failures.push(format!("{name}: {problem}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

async fn run_case(case: &Value) -> Result<(), String> {
    let sandbox = Sandbox::start().await.map_err(|e| e.to_string())?;
    let token = token_for(&sandbox, case["token"].as_str().unwrap_or("valid"));
    // A failure report must not print the token.
    check_case(case, &sandbox, &token)
        .await
        .map_err(|problem| problem.replace(&token, "<token>"))
}

async fn check_case(case: &Value, sandbox: &Sandbox, token: &str) -> Result<(), String> {
    let client = support::builder_for(sandbox, "unused")
        .user_token(token)
        .build()
        .map_err(|e| format!("client: {e}"))?;
    let replies: Vec<Value> = match (case.get("reply"), case.get("replies")) {
        (Some(reply), _) => vec![reply.clone()],
        (None, Some(Value::Array(replies))) => replies.clone(),
        _ => Vec::new(),
    };
    for reply in replies {
        let reply: Reply = serde_json::from_value(reply).map_err(|e| format!("reply: {e}"))?;
        sandbox.push_reply(reply);
    }
    let call = &case["call"];
    let integration = call["integration"].as_str().ok_or("call.integration")?;
    let path = call["path"].as_str().ok_or("call.path")?;
    let outcome = client.request(integration, path, options(call)?).await;

    check_result(&case["result"], outcome)?;
    if let Some(attempts) = case["attempts"].as_u64() {
        let sent = sandbox.requests().len() as u64;
        if sent != attempts {
            return Err(format!(
                "the call was sent {sent} times, expected {attempts}"
            ));
        }
    }
    match case.get("wire") {
        None => Ok(()),
        Some(Value::Null) => match sandbox.requests().as_slice() {
            [] => Ok(()),
            sent => Err(format!(
                "nothing may be sent, but {} request(s) were",
                sent.len()
            )),
        },
        // With retries, the first attempt is the one described.
        Some(wire) => match sandbox.requests().as_slice() {
            [request, ..] => check_wire(wire, request, token),
            [] => Err("expected a request on the wire, got none".to_owned()),
        },
    }
}

fn token_for(sandbox: &Sandbox, kind: &str) -> String {
    let user = "conformance-user";
    let mut claims = TokenClaims::for_user(PROJECT_ID, user);
    match kind {
        "valid" => return sandbox.user_token(user),
        "garbage" => return "not-a-jwt".to_owned(),
        "expired" => claims.exp = Some(claims.iat - 60),
        "no_sub" => claims.sub = None,
        "wrong_audience" => claims.aud = Some("useparagon.com/another-project".to_owned()),
        "other_project" => return sandbox.mint(&claims, Signer::OtherProject),
        other => panic!("unknown token kind {other}"),
    }
    sandbox.mint(&claims, Signer::Sandbox)
}

fn pairs(value: &Value) -> Vec<(String, String)> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|pair| {
                    (
                        pair[0].as_str().unwrap_or_default().to_owned(),
                        pair[1].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn options(call: &Value) -> Result<RequestOptions, String> {
    let mut options = RequestOptions::new();
    options.method = call["method"].as_str().map(str::to_owned);
    options.body = match call.get("body") {
        None => None,
        Some(body) => Some(body_of(body)?),
    };
    options.headers = pairs(&call["headers"]);
    options.query = pairs(&call["query"]);
    options.selected_credential_id = call["selected_credential_id"].as_str().map(str::to_owned);
    options.raw = call["raw"].as_bool().unwrap_or(false);
    options.timeout = call["timeout_ms"].as_u64().map(Duration::from_millis);
    // One exchange per case unless the case is about retries.
    options.max_retries = Some(call["max_retries"].as_u64().unwrap_or(0) as u32);
    options.idempotent = call["idempotent"].as_bool();
    Ok(options)
}

fn body_of(body: &Value) -> Result<Body, String> {
    if let Some(json) = body.get("json") {
        return Ok(Body::Json(json.clone()));
    }
    if let Some(text) = body["text"].as_str() {
        return Ok(Body::Text(text.to_owned()));
    }
    if let Some(data) = body["base64"].as_str() {
        return Ok(Body::Bytes(
            STANDARD.decode(data).map_err(|e| e.to_string())?.into(),
        ));
    }
    Err(format!("unknown body {body}"))
}

fn check_result(expected: &Value, outcome: Result<Response, Error>) -> Result<(), String> {
    if let Some(expected_error) = expected.get("error") {
        return match outcome {
            Ok(response) => Err(format!("expected an error, got {response:?}")),
            Err(error) => check_error(expected_error, &error),
        };
    }
    let response = outcome.map_err(|error| format!("unexpected error: {error}"))?;
    match (expected, &response) {
        (e, Response::Empty) if e.get("empty").is_some() => Ok(()),
        (e, Response::Json(value)) if e.get("json").is_some() => same(&e["json"], value, "result"),
        (e, Response::Json(value)) if e.get("json_contains").is_some() => {
            contains(&e["json_contains"], value, "result")
        }
        (e, Response::Text(text)) if e.get("text").is_some() => {
            same(&e["text"], &Value::String(text.clone()), "result")
        }
        (e, Response::Raw(raw)) if e.get("raw").is_some() => {
            let e = &e["raw"];
            if e["status"].as_u64() != Some(u64::from(raw.status.as_u16())) {
                return Err(format!("raw status {} != {}", raw.status, e["status"]));
            }
            for (name, values) in e["headers"].as_object().into_iter().flatten() {
                let got: Vec<Value> = raw
                    .headers
                    .get_all(name.as_str())
                    .iter()
                    .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
                    .collect();
                same(values, &Value::Array(got), &format!("raw header {name}"))?;
            }
            check_bytes(&e["body"], &raw.body, "raw body")
        }
        _ => Err(format!("expected {expected}, got {response:?}")),
    }
}

fn check_error(expected: &Value, error: &Error) -> Result<(), String> {
    let kind = match error.kind() {
        ErrorKind::Config => "config",
        ErrorKind::InvalidRequest => "invalid_request",
        ErrorKind::Connection => "connection",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Status => "status",
        ErrorKind::Decode => "decode",
        ErrorKind::Pagination => "pagination",
    };
    if expected["kind"] != kind {
        return Err(format!(
            "expected a {} error, got {kind}: {error}",
            expected["kind"]
        ));
    }
    if let Some(argument) = expected["argument"].as_str() {
        let Error::InvalidRequest(invalid) = error else {
            unreachable!()
        };
        if invalid.argument != argument {
            return Err(format!(
                "error names {}, not {argument}: {error}",
                invalid.argument
            ));
        }
    }
    if let Some(attempts) = expected["attempts"].as_u64() {
        let made = error.call().map(|call| call.attempts()).unwrap_or(1) as u64;
        if made != attempts {
            return Err(format!(
                "the error says {made} attempts, expected {attempts}: {error}"
            ));
        }
    }
    if let Some(status) = error.as_status() {
        if let Some(code) = expected["status"].as_u64()
            && u64::from(status.status.as_u16()) != code
        {
            return Err(format!("status {} != {code}", status.status));
        }
        let optional = |v: &Option<String>| v.clone().map(Value::String).unwrap_or(Value::Null);
        for (field, got) in [
            ("code", optional(&status.code)),
            ("message", Value::String(status.message.clone())),
            ("request_id", optional(&status.request_id)),
        ] {
            if let Some(want) = expected.get(field) {
                same(want, &got, field)?;
            }
        }
        if let Some(fragment) = expected["message_contains"].as_str()
            && !status.message.contains(fragment)
        {
            return Err(format!("message {:?} lacks {fragment:?}", status.message));
        }
        if let Some(ms) = expected["retry_after_ms"].as_u64()
            && status.retry_after != Some(Duration::from_millis(ms))
        {
            return Err(format!("retry_after {:?} != {ms} ms", status.retry_after));
        }
        if let Some(want) = expected.get("integration_status") {
            let got = status.integration_status().map_or(Value::Null, Value::from);
            same(want, &got, "integration_status")?;
        }
        if let Some(want) = expected.get("integration_response") {
            let got = status.integration_response().unwrap_or(&Value::Null);
            same(want, got, "integration_response")?;
        }
        if let Some(body) = expected.get("body_json") {
            same(
                body,
                status.body_json.as_ref().unwrap_or(&Value::Null),
                "error body",
            )?;
        }
    }
    Ok(())
}

fn check_wire(expected: &Value, got: &RecordedRequest, token: &str) -> Result<(), String> {
    same(
        &expected["method"],
        &Value::String(got.method.clone()),
        "wire method",
    )?;
    same(
        &expected["target"],
        &Value::String(got.target.clone()),
        "wire target",
    )?;
    for (name, want) in expected["headers"].as_object().into_iter().flatten() {
        let values = got.header_values(name);
        match want {
            Value::String(first) => {
                let first = first.replace("{token}", token);
                if values.first() != Some(&first.as_str()) {
                    return Err(format!(
                        "wire header {name}: {values:?}, expected {first:?}"
                    ));
                }
            }
            _ => same(
                want,
                &serde_json::json!(values),
                &format!("wire header {name}"),
            )?,
        }
    }
    for name in expected["absent_headers"].as_array().into_iter().flatten() {
        let name = name.as_str().unwrap_or_default();
        if got.header(name).is_some() {
            return Err(format!("wire header {name} must not be sent"));
        }
    }
    match expected.get("body") {
        None => Ok(()),
        Some(body) => check_bytes(body, &got.body(), "wire body"),
    }
}

fn check_bytes(expected: &Value, got: &[u8], what: &str) -> Result<(), String> {
    if expected.get("empty").is_some() {
        return if got.is_empty() {
            Ok(())
        } else {
            Err(format!("{what} is not empty"))
        };
    }
    if let Some(json) = expected.get("json") {
        let parsed: Value =
            serde_json::from_slice(got).map_err(|e| format!("{what} is not JSON: {e}"))?;
        return same(json, &parsed, what);
    }
    if let Some(text) = expected["text"].as_str() {
        return same(
            &Value::String(text.to_owned()),
            &Value::String(String::from_utf8_lossy(got).into_owned()),
            what,
        );
    }
    if let Some(data) = expected["base64"].as_str() {
        let want = STANDARD.decode(data).map_err(|e| e.to_string())?;
        return if want == got {
            Ok(())
        } else {
            Err(format!(
                "{what}: {} bytes differ from the {} expected",
                got.len(),
                want.len()
            ))
        };
    }
    Err(format!("{what}: unknown expectation {expected}"))
}

fn same(want: &Value, got: &Value, what: &str) -> Result<(), String> {
    if want == got {
        Ok(())
    } else {
        Err(format!("{what}: got {got}, expected {want}"))
    }
}

/// `got` has everything `want` has: objects by subset, recursively; anything else exactly.
fn contains(want: &Value, got: &Value, what: &str) -> Result<(), String> {
    match (want, got) {
        (Value::Object(want), Value::Object(got)) => {
            for (key, value) in want {
                let inner = got
                    .get(key)
                    .ok_or_else(|| format!("{what}: no key {key}"))?;
                contains(value, inner, &format!("{what}.{key}"))?;
            }
            Ok(())
        }
        _ => same(want, got, what),
    }
}
