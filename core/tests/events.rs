//! A client's call events, as its event sink receives them: each attempt sent and answered, each
//! retry with its reason and delay, giving up; never a secret.

mod support;

use std::sync::{Arc, Mutex};

use paragon_connect::{CallEvent, EventKind, EventSink, Level, RequestOptions};
use paragon_sandbox::{Reply, Sandbox};
use serde_json::json;

#[derive(Default)]
struct Recorder {
    least: Option<Level>,
    events: Mutex<Vec<CallEvent>>,
}

impl EventSink for Recorder {
    fn wants(&self, level: Level) -> bool {
        self.least.is_none_or(|least| level >= least)
    }

    fn event(&self, event: CallEvent) {
        self.events.lock().unwrap().push(event);
    }
}

impl Recorder {
    fn taken(&self) -> Vec<CallEvent> {
        std::mem::take(&mut *self.events.lock().unwrap())
    }
}

#[tokio::test]
async fn a_retried_call_reports_each_attempt_and_the_retry() {
    let sandbox = Sandbox::start().await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let token = sandbox.user_token("user-1");
    let client = support::builder_for(&sandbox, "user-1")
        .user_token(token.clone())
        .event_sink(recorder.clone())
        .build()
        .unwrap();
    sandbox.push_reply(
        Reply::json(503, json!({"message": "busy"}))
            .with_header("retry-after", "0")
            .with_header("x-paragon-request-id", &format!("req-{token}")),
    );
    client
        .request("echo", "/items?secret=s3cr3t", RequestOptions::new())
        .await
        .unwrap();
    let events = recorder.taken();
    let kinds: Vec<(EventKind, u32)> = events.iter().map(|e| (e.kind, e.attempt)).collect();
    assert_eq!(
        kinds,
        [
            (EventKind::Sending, 1),
            (EventKind::Answered, 1),
            (EventKind::Retrying, 1),
            (EventKind::Sending, 2),
            (EventKind::Answered, 2),
        ]
    );
    assert_eq!(events[1].status, Some(503));
    assert_eq!(events[4].status, Some(200));
    assert_eq!(events[2].level, Level::Warning);
    assert!(events[2].reason.as_deref().unwrap().contains("503"));
    assert!(events[2].delay.is_some());
    assert_eq!(events[0].path, "/items");
    for event in &events {
        let shown = format!("{event} {event:?}");
        assert!(
            !shown.contains(&token) && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }
    // The request id, with the token echoed in it scrubbed.
    assert!(events[1].request_id.as_deref().unwrap().starts_with("req-"));
}

#[tokio::test]
async fn giving_up_is_a_warning_and_debug_events_are_not_made_unless_wanted() {
    let sandbox = Sandbox::start().await.unwrap();
    let recorder = Arc::new(Recorder {
        least: Some(Level::Warning),
        ..Recorder::default()
    });
    let client = support::builder_for(&sandbox, "user-1")
        .event_sink(recorder.clone())
        .build()
        .unwrap();
    for _ in 0..2 {
        sandbox.push_reply(Reply::json(503, json!({})).with_header("retry-after", "0"));
    }
    let error = client
        .request("echo", "/x", RequestOptions::new().max_retries(1))
        .await
        .unwrap_err();
    let events = recorder.taken();
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Retrying, EventKind::GaveUp], "{error}");
    assert_eq!(events[1].attempt, 2);
    assert!(events[1].to_string().contains("gave up after 2 attempts"));
}

#[tokio::test]
async fn request_with_meta_gives_status_headers_request_id_and_attempts() {
    let sandbox = Sandbox::start().await.unwrap();
    let (client, token) = support::client_and_token(&sandbox);
    sandbox.push_reply(Reply::json(503, json!({})).with_header("retry-after", "0"));
    sandbox.push_reply(
        Reply::json(200, json!({"output": {"ok": true}}))
            .with_header("x-paragon-request-id", &format!("req-{token}")),
    );
    let (response, meta) = client
        .request_with_meta("echo", "/meta", RequestOptions::new())
        .await
        .unwrap();
    assert_eq!(response.as_json(), Some(&json!({"ok": true})));
    assert_eq!((meta.status.as_u16(), meta.attempts), (200, 2));
    assert!(meta.request_id.as_deref().unwrap().starts_with("req-"));
    assert!(!meta.request_id.unwrap().contains(&token));
    assert!(meta.elapsed > std::time::Duration::ZERO);
}
