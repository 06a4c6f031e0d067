//! The fake Paragon the packages ship (the sandbox started with `Options::fake()`): scripted
//! routes, the calls decoded, tokens, users, seen through the real client over real HTTP.

mod support;

use std::net::SocketAddr;

use paragon_connect::serde_json::{Value, json};
use paragon_connect::{Body, ErrorKind, RequestOptions, Response};
use paragon_sandbox::{CallBody, CallPattern, Options, Reply, RouteSpec, Sandbox, UserUpdate};

async fn fake() -> Sandbox {
    Sandbox::start_with(SocketAddr::from(([127, 0, 0, 1], 0)), Options::fake())
        .await
        .unwrap()
}

fn route(value: Value) -> RouteSpec {
    paragon_connect::serde_json::from_value(value).unwrap()
}

fn upstream(status: u16, body: Value) -> Reply {
    let mut reply = Reply::json(status, body);
    reply.upstream = true;
    reply
}

#[tokio::test]
async fn a_route_answers_as_the_integration_and_paragon_wraps_it() {
    let fake = fake().await;
    let client = support::client_for(&fake);
    fake.add_route(route(json!({
        "match": {"integration": "hubspot", "method": "POST", "path": "/crm/v3/objects/*"},
        "replies": [{"upstream": true, "body": {"json": {"id": "51"}}, "status": 201}],
    })))
    .unwrap();
    let created = client
        .request(
            "hubspot",
            "/crm/v3/objects/contacts",
            RequestOptions::new()
                .method("POST")
                .body(json!({"email": "a@b.c"})),
        )
        .await
        .unwrap();
    assert_eq!(created.as_json(), Some(&json!({"id": "51"})));
    // Raw, the integration's own answer comes back untouched.
    let raw = client
        .request(
            "hubspot",
            "/crm/v3/objects/deals",
            RequestOptions::new().method("POST").raw(true),
        )
        .await
        .unwrap();
    let Response::Raw(raw) = raw else {
        panic!("a raw call gives a raw response: {raw:?}")
    };
    assert_eq!(raw.status, 201);
    assert_eq!(raw.body.as_ref(), br#"{"id":"51"}"#);
    // Another path is not this route's: no built-in hubspot, so Paragon's 404, naming why.
    let error = client
        .request("hubspot", "/owners", RequestOptions::new())
        .await
        .unwrap_err();
    let error = error.as_status().unwrap();
    assert_eq!(error.status, 404);
    let body = String::from_utf8_lossy(&error.body).into_owned();
    assert!(
        body.contains("no route matches GET hubspot /owners"),
        "{body}"
    );
}

#[tokio::test]
async fn a_sequence_plays_in_order_and_the_client_retries_through_it() {
    let fake = fake().await;
    let client = support::client_for(&fake);
    let id = fake
        .add_route(route(
            json!({"match": {"integration": "slack", "path": "/users.list"}}),
        ))
        .unwrap();
    let mut busy = Reply::json(503, json!({"message": "busy"}));
    busy.headers
        .push(("retry-after".to_owned(), "0".to_owned()));
    fake.add_route_reply(id, busy).unwrap();
    fake.add_route_reply(id, upstream(200, json!({"members": []})))
        .unwrap();
    let answer = client
        .request("slack", "/users.list", RequestOptions::new())
        .await
        .unwrap();
    assert_eq!(answer.as_json(), Some(&json!({"members": []})));
    assert_eq!(fake.route_calls(id), Ok(2));
    assert_eq!(fake.calls().len(), 2);
}

#[tokio::test]
async fn an_upstream_error_is_paragons_integration_error_and_a_dropped_connection_fails() {
    let fake = fake().await;
    let client = support::client_for(&fake);
    fake.add_route(RouteSpec {
        pattern: CallPattern {
            path: Some(paragon_sandbox::PathPattern::Text("/denied".to_owned())),
            ..CallPattern::default()
        },
        replies: vec![upstream(
            403,
            json!({"ok": false, "error": "missing_scope"}),
        )],
        times: None,
    })
    .unwrap();
    let error = client
        .request("slack", "/denied", RequestOptions::new())
        .await
        .unwrap_err();
    let error = error.as_status().unwrap();
    assert_eq!(error.status, 403);
    assert!(error.is_integration_error);
    assert_eq!(error.integration_status(), Some(403));
    assert_eq!(
        error.integration_response(),
        Some(&json!({"ok": false, "error": "missing_scope"}))
    );
    let mut dropped = Reply::json(200, json!(null));
    dropped.drop_connection = true;
    fake.add_route(RouteSpec {
        replies: vec![dropped],
        ..route(json!({"match": {"path": "/gone"}}))
    })
    .unwrap();
    let error = client
        .request(
            "slack",
            "/gone",
            RequestOptions::new().method("POST").max_retries(0),
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
}

#[tokio::test]
async fn calls_are_decoded_and_the_token_shows_as_its_user() {
    let fake = fake().await;
    let (client, token) = support::client_and_token(&fake);
    client
        .request(
            "slack",
            "/chat.postMessage?as_user=true",
            RequestOptions::new()
                .method("POST")
                .query("note", "a b&c")
                .body(json!({"channel": "C0", "text": "hi"})),
        )
        .await
        .unwrap();
    client
        .request(
            "echo",
            "/form",
            RequestOptions::new()
                .method("POST")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(Body::Bytes("a=1&b=x+y".into())),
        )
        .await
        .unwrap();
    let calls = fake.calls();
    assert_eq!(calls[0].integration.as_deref(), Some("slack"));
    assert_eq!(calls[0].path, "/chat.postMessage");
    assert_eq!(
        calls[0].query,
        [
            ("as_user".to_owned(), "true".to_owned()),
            ("note".to_owned(), "a b&c".to_owned())
        ]
    );
    assert_eq!(calls[0].user.as_deref(), Some("user-1"));
    assert_eq!(
        calls[0].body,
        CallBody::Json(json!({"channel": "C0", "text": "hi"}))
    );
    let authorization: Vec<&str> = calls[0].header_values("authorization").collect();
    assert_eq!(authorization, ["Bearer <user token: user-1>"]);
    let shown = paragon_connect::serde_json::to_string(&calls).unwrap();
    assert!(!shown.contains(&token));
    assert_eq!(
        calls[1].body,
        CallBody::Form(vec![
            ("a".to_owned(), "1".to_owned()),
            ("b".to_owned(), "x y".to_owned())
        ])
    );
}

#[tokio::test]
async fn check_called_names_the_pattern_and_lists_the_calls() {
    let fake = fake().await;
    let client = support::client_for(&fake);
    client
        .request(
            "slack",
            "/chat.postMessage",
            RequestOptions::new()
                .method("POST")
                .body(json!({"channel": "C0"})),
        )
        .await
        .unwrap();
    let pattern =
        |value: Value| -> CallPattern { paragon_connect::serde_json::from_value(value).unwrap() };
    let found = fake
        .check_called(
            pattern(json!({"integration": "slack", "method": "POST", "json": {"channel": "C0"}})),
            Some(1),
        )
        .unwrap();
    assert_eq!(found.len(), 1);
    let missing = fake
        .check_called(pattern(json!({"json": {"channel": "C9"}})), None)
        .unwrap_err();
    assert_eq!(
        missing,
        "expected a call matching (any method) (any integration) (any path) json={\"channel\":\"C9\"}, got 0\n\
         calls received (1):\n  POST slack /chat.postMessage {\"channel\":\"C0\"}"
    );
}

#[tokio::test]
async fn any_token_is_accepted_when_asked_and_users_can_be_set() {
    let strict = fake().await;
    let opaque = support::builder_for(&strict, "u")
        .user_token("not-a-jwt")
        .build()
        .unwrap();
    let refused = opaque
        .request("echo", "/x", RequestOptions::new())
        .await
        .unwrap_err();
    assert_eq!(refused.as_status().unwrap().status, 401);

    let lenient = Sandbox::start_with(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        Options {
            accept_any_token: true,
            ..Options::fake()
        },
    )
    .await
    .unwrap();
    let opaque = support::builder_for(&lenient, "u")
        .user_token("not-a-jwt")
        .build()
        .unwrap();
    opaque
        .request("echo", "/x", RequestOptions::new())
        .await
        .unwrap();
    // Not a JWT: no user to show.
    assert_eq!(lenient.calls()[0].user, None);

    let client = support::client_for(&lenient);
    lenient.update_user(
        "user-1",
        paragon_connect::serde_json::from_value::<UserUpdate>(
            json!({"meta": {"plan": "pro"}, "credentials": {"slack": []}}),
        )
        .unwrap(),
    );
    let error = client
        .request("slack", "/chat.postMessage", RequestOptions::new())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("not connected"), "{error}");
    assert_eq!(lenient.state().users["user-1"].meta["plan"], json!("pro"));
    lenient.reset();
    assert!(lenient.calls().is_empty());
    assert!(lenient.state().users.is_empty());
}
