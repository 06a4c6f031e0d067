//! Walks through pages and many calls at once, against a real sandbox over real HTTP: every case
//! of `tests/conformance/pages/cases.json` (the Python and Node suites run the same), then what
//! a case file cannot say (cancellation, retries and timeouts per page, custom strategies,
//! `request_many`).

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use paragon_connect::serde_json::{self, Value, json};
use paragon_connect::{
    Body, Client, Error, ErrorKind, FieldPath, ManyCall, NextPage, PageOptions, Pagination,
    RequestOptions, Response,
};
use paragon_sandbox::{PROJECT_ID, Sandbox};
use support::many_call as call;

fn page_cases() -> Vec<Value> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance/pages/cases.json");
    let text = std::fs::read_to_string(file)
        .expect("the page cases")
        .replace("{project_id}", PROJECT_ID);
    serde_json::from_str(&text).expect("valid JSON")
}

#[tokio::test]
async fn every_page_case() {
    let cases = page_cases();
    assert!(cases.len() >= 25, "only {} page cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().expect("a name");
        if let Err(problem) = run_page_case(case).await {
            failures.push(format!("{name}: {problem}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} page cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// What a walk gave: its items' ids, its pages, the first page, and the error that ended it.
struct Walk {
    items: Vec<String>,
    pages: usize,
    first_page: Option<Value>,
    error: Option<Error>,
}

async fn walk(client: &Client, case: &Value) -> Walk {
    let call = &case["call"];
    let mut options = RequestOptions::new();
    if let Some(method) = call["method"].as_str() {
        options = options.method(method);
    }
    if let Some(body) = call["body"].get("json") {
        options = options.body(Body::Json(body.clone()));
    }
    for pair in call["query"].as_array().into_iter().flatten() {
        options = options.query(pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
    }
    let mut outcome = Walk {
        items: Vec::new(),
        pages: 0,
        first_page: None,
        error: None,
    };
    let page_options = (|| {
        Ok::<_, Error>(PageOptions {
            pagination: match &case["pagination"] {
                Value::Null => None,
                described => Some(Pagination::from_json(described)?),
            },
            items: case["items"]
                .as_str()
                .map(|at| FieldPath::new("items", at))
                .transpose()?,
            max_pages: case["max_pages"].as_u64(),
            max_items: case["max_items"].as_u64(),
        })
    })();
    let started = page_options.and_then(|page_options| {
        client.paginate(
            call["integration"].as_str().unwrap(),
            call["path"].as_str().unwrap(),
            options,
            page_options,
        )
    });
    let mut pages = match started {
        Ok(pages) => pages,
        Err(error) => {
            outcome.error = Some(error);
            return outcome;
        }
    };
    loop {
        match pages.next_page().await {
            Ok(Some(page)) => {
                outcome.pages += 1;
                assert_eq!(page.number as usize, outcome.pages);
                if outcome.first_page.is_none() {
                    outcome.first_page = page.data.as_json().cloned();
                }
                for item in page.items.into_iter().flatten() {
                    outcome
                        .items
                        .push(item["id"].as_str().unwrap_or("?").to_owned());
                }
            }
            Ok(None) => return outcome,
            Err(error) => {
                outcome.error = Some(error);
                return outcome;
            }
        }
    }
}

fn contains(whole: &Value, part: &Value) -> bool {
    match (whole, part) {
        (Value::Object(whole), Value::Object(part)) => part
            .iter()
            .all(|(key, value)| whole.get(key).is_some_and(|found| contains(found, value))),
        _ => whole == part,
    }
}

async fn run_page_case(case: &Value) -> Result<(), String> {
    let sandbox = Sandbox::start().await.map_err(|e| e.to_string())?;
    let client = support::client_for(&sandbox);
    let walked = walk(&client, case).await;
    let result = &case["result"];
    if let Some(expected) = result.get("items") {
        let expected: Vec<String> = serde_json::from_value(expected.clone()).unwrap();
        if walked.items != expected {
            return Err(format!("items {:?}, expected {expected:?}", walked.items));
        }
    }
    if let Some(pages) = result["pages"].as_u64()
        && walked.pages as u64 != pages
    {
        return Err(format!("{} pages, expected {pages}", walked.pages));
    }
    if let Some(part) = result.get("first_page_contains")
        && !walked
            .first_page
            .as_ref()
            .is_some_and(|page| contains(page, part))
    {
        return Err(format!("first page {:?} lacks {part}", walked.first_page));
    }
    match (&walked.error, result.get("error")) {
        (None, None) => {}
        (Some(error), None) => return Err(format!("unexpected error: {error}")),
        (None, Some(expected)) => return Err(format!("no error, expected {expected}")),
        (Some(error), Some(expected)) => check_error(error, expected)?,
    }
    let sent = sandbox.requests();
    let targets: Vec<&str> = sent.iter().map(|request| request.target.as_str()).collect();
    let expected: Vec<&str> = case["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    if targets != expected {
        return Err(format!("sent {targets:#?}, expected {expected:#?}"));
    }
    if let Some(bodies) = case["bodies"].as_array() {
        for (request, expected) in sent.iter().zip(bodies) {
            let body: Value =
                serde_json::from_slice(&STANDARD.decode(&request.body_base64).unwrap())
                    .map_err(|e| format!("a body that is not JSON: {e}"))?;
            if &body != expected {
                return Err(format!("sent the body {body}, expected {expected}"));
            }
        }
    }
    Ok(())
}

fn check_error(error: &Error, expected: &Value) -> Result<(), String> {
    let kind = match error.kind() {
        ErrorKind::Config => "config",
        ErrorKind::InvalidRequest => "invalid_request",
        ErrorKind::Connection => "connection",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Status => "status",
        ErrorKind::Decode => "decode",
        ErrorKind::Pagination => "pagination",
    };
    let message = error.to_string();
    let wrong = |what: &str| Err(format!("{what} of the error: {message} ({kind})"));
    if expected["kind"] != kind {
        return wrong("kind");
    }
    if let Some(page) = expected["page"].as_u64()
        && error.call().and_then(|call| call.page) != Some(page as u32)
    {
        return wrong("page");
    }
    if let Some(status) = expected["status"].as_u64()
        && error
            .as_status()
            .map(|status| u64::from(status.status.as_u16()))
            != Some(status)
    {
        return wrong("status");
    }
    if let Some(argument) = expected["argument"].as_str()
        && !matches!(error, Error::InvalidRequest(invalid) if invalid.argument == argument)
    {
        return wrong("argument");
    }
    if let Some(part) = expected["message_contains"].as_str()
        && !message.contains(part)
    {
        return wrong("message");
    }
    if let Some(part) = expected["message_excludes"].as_str()
        && message.contains(part)
    {
        return wrong(&format!("message (it must not say {part:?})"));
    }
    Ok(())
}

fn items(at: &str) -> PageOptions {
    PageOptions {
        items: Some(FieldPath::new("items", at).unwrap()),
        ..PageOptions::default()
    }
}

fn cursor_pages() -> PageOptions {
    PageOptions {
        pagination: Some(
            Pagination::from_json(&json!({"type": "cursor", "cursor": "next", "param": "cursor"}))
                .unwrap(),
        ),
        ..items("items")
    }
}

#[tokio::test]
async fn a_failed_page_is_retried_as_any_call() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::builder_for(&sandbox, "user-1")
        .max_retry_after(Duration::from_millis(10))
        .build()
        .unwrap();
    let options = RequestOptions::new().query("run", "rust-retry");
    let mut pages = client
        .paginate(
            "custom.tasklab",
            "/tasks/flaky-once",
            options,
            cursor_pages(),
        )
        .unwrap();
    let mut read = 0;
    while let Some(page) = pages.next_page().await.unwrap() {
        if page.number == 2 {
            assert_eq!(page.meta.attempts, 2, "page 2 was answered 503 once");
        }
        read += page.items.unwrap().len();
    }
    assert_eq!(read, 7);
    assert_eq!(sandbox.requests().len(), 4);
}

#[tokio::test]
async fn timeouts_apply_per_page() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let options = RequestOptions::new()
        .query("delay_ms", "2000")
        .timeout(Duration::from_millis(300))
        .max_retries(0);
    let mut pages = client
        .paginate("custom.tasklab", "/tasks/slow", options, cursor_pages())
        .unwrap();
    assert!(pages.next_page().await.unwrap().is_some());
    let error = pages.next_page().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert_eq!(error.call().unwrap().page, Some(2));
    assert!(error.to_string().contains("(page 2)"), "{error}");
    assert!(
        pages.next_page().await.unwrap().is_none(),
        "the walk is over after its error"
    );
}

#[tokio::test]
async fn dropping_a_page_future_cancels_the_walk() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let options = RequestOptions::new().query("delay_ms", "5000");
    let mut pages = client
        .paginate("custom.tasklab", "/tasks/slow", options, cursor_pages())
        .unwrap();
    assert!(pages.next_page().await.unwrap().is_some());
    let waited = tokio::time::timeout(Duration::from_millis(200), pages.next_page()).await;
    assert!(waited.is_err(), "page 2 takes 5 s");
    drop(pages);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = sandbox.requests();
    assert_eq!(sent.len(), 2);
    assert!(!sent[1].answered, "page 2's call went away unanswered");
}

#[tokio::test]
async fn a_custom_strategy_is_told_each_next_page() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let options = PageOptions {
        pagination: Some(Pagination::Custom),
        ..items("items")
    };
    let mut pages = client
        .paginate(
            "custom.tasklab",
            "/tasks/failing",
            RequestOptions::new().query("team", "a"),
            options,
        )
        .unwrap();
    assert!(pages.is_custom());
    let mut read = Vec::new();
    while let Some(page) = pages.next_page().await.unwrap() {
        read.extend(page.items.unwrap());
        // The page is whole for the caller's function (its items are copied, not moved).
        let next = page.data.as_json().unwrap()["next"]
            .as_str()
            .map(str::to_owned);
        pages.set_next(next.filter(|next| next != "c6").map(|cursor| NextPage {
            query: vec![("cursor".into(), cursor)],
            ..NextPage::default()
        }));
    }
    assert_eq!(read.len(), 6);
    let targets: Vec<_> = sandbox
        .requests()
        .into_iter()
        .map(|request| request.target)
        .collect();
    assert!(
        targets[1].ends_with("/tasks/failing?team=a&cursor=c3"),
        "{targets:?}"
    );

    // The same next page twice stops the walk.
    let mut pages = client
        .paginate(
            "custom.tasklab",
            "/tasks/failing",
            RequestOptions::new(),
            PageOptions {
                pagination: Some(Pagination::Custom),
                ..items("items")
            },
        )
        .unwrap();
    let same = || {
        Some(NextPage {
            path: Some("/tasks/failing?cursor=c3".into()),
            ..NextPage::default()
        })
    };
    pages.next_page().await.unwrap().unwrap();
    pages.set_next(same());
    pages.next_page().await.unwrap().unwrap();
    pages.set_next(same());
    let error = pages.next_page().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Pagination);
    assert!(
        error
            .to_string()
            .contains("the same next page, as page 1 did"),
        "{error}"
    );
}

#[tokio::test]
async fn refusals_before_anything_is_sent() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let refused = |options: RequestOptions, page_options: PageOptions| match client.paginate(
        "slack",
        "/users.list",
        options,
        page_options,
    ) {
        Err(Error::InvalidRequest(invalid)) => format!("{}: {}", invalid.argument, invalid.reason),
        other => panic!("not refused: {other:?}"),
    };
    assert!(refused(RequestOptions::new().raw(true), PageOptions::default()).starts_with("raw: "));
    let max_items = PageOptions {
        max_items: Some(3),
        ..PageOptions::default()
    };
    assert!(refused(RequestOptions::new(), max_items).starts_with("max_items: "));
    let body_cursor = PageOptions {
        pagination: Some(
            Pagination::from_json(&json!({"type": "cursor", "cursor": "n", "field": "c"})).unwrap(),
        ),
        ..PageOptions::default()
    };
    let text_body = RequestOptions::new()
        .method("POST")
        .body(Body::Text("x".into()));
    assert!(refused(text_body, body_cursor).contains("JSON object"));
    assert!(
        refused(RequestOptions::new().method(""), PageOptions::default()).starts_with("method: ")
    );
    assert!(sandbox.requests().is_empty());
}

#[tokio::test]
async fn request_many_keeps_the_order_and_every_error() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let mut calls: Vec<ManyCall> = (0..20)
        .map(|index| ManyCall {
            options: RequestOptions::new().query("i", index.to_string()),
            ..call("echo", "/many")
        })
        .collect();
    calls[7] = call("googledrive", "/files/nope");
    let results = client.request_many(calls, 4, false).await.unwrap();
    assert_eq!(results.len(), 20);
    for (index, result) in results.iter().enumerate() {
        match (index, result) {
            (7, Err(error)) => assert_eq!(error.as_status().unwrap().status, 404),
            (_, Ok(Response::Json(echo))) => assert_eq!(echo["query"], format!("i={index}")),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn request_many_can_stop_at_the_first_error() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let mut calls: Vec<ManyCall> = (0..10).map(|_| call("echo", "/x")).collect();
    calls[0] = call("googledrive", "/files/nope");
    let error = client.request_many(calls, 1, true).await.unwrap_err();
    assert_eq!(error.as_status().unwrap().status, 404);
    assert_eq!(
        sandbox.requests().len(),
        1,
        "the calls after the error were not sent"
    );
}

#[tokio::test]
async fn request_many_refuses_a_bad_call_naming_it_before_sending() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let calls = vec![
        call("echo", "/a"),
        call("echo", "/a"),
        call("echo", "../me"),
    ];
    match client.request_many(calls, 2, false).await {
        Err(Error::InvalidRequest(invalid)) => assert_eq!(invalid.argument, "calls[2].path"),
        other => panic!("{other:?}"),
    }
    match client
        .request_many(vec![call("echo", "/a")], 0, false)
        .await
    {
        Err(Error::InvalidRequest(invalid)) => assert_eq!(invalid.argument, "concurrency"),
        other => panic!("{other:?}"),
    }
    assert!(sandbox.requests().is_empty());
}

#[tokio::test]
async fn request_many_holds_at_most_concurrency_calls_in_flight() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let slow = || ManyCall {
        options: RequestOptions::new()
            .query("cursor", "c3")
            .query("delay_ms", "300"),
        ..call("custom.tasklab", "/tasks/slow")
    };
    let started = Instant::now();
    let results = client
        .request_many((0..6).map(|_| slow()).collect(), 2, false)
        .await
        .unwrap();
    assert!(results.iter().all(Result::is_ok));
    // Three rounds of two: it cannot be done sooner with at most two at once.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );

    // Dropping the future stops the rest: only the first two were sent.
    let calls = (0..10).map(|_| slow()).collect();
    assert!(
        tokio::time::timeout(
            Duration::from_millis(150),
            client.request_many(calls, 2, false)
        )
        .await
        .is_err()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sandbox.requests().len(), 6 + 2);
}

#[tokio::test]
async fn request_many_calls_for_each_user() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = Client::builder()
        .ignore_environment()
        .project_id(sandbox.project_id())
        .signing_key(paragon_sandbox::SIGNING_KEY_PEM)
        .proxy_base_url(sandbox.url())
        .build()
        .unwrap();
    let calls = ["ana", "bo", "cy"]
        .iter()
        .map(|user| ManyCall {
            user: Some((*user).into()),
            ..call("echo", "/who")
        })
        .collect();
    let results = client.request_many(calls, 3, false).await.unwrap();
    assert!(results.iter().all(Result::is_ok));
    let mut users: Vec<String> = sandbox
        .requests()
        .into_iter()
        .map(|request| request.call.user.unwrap_or_default())
        .collect();
    users.sort();
    assert_eq!(users, ["ana", "bo", "cy"]);
}
