//! Fake paginated APIs, one per way of paging: each serves the same seven items, three per page
//! unless the call asks for another size, in the shape of the real API (Slack's cursors, Google's
//! page tokens, HubSpot's `paging.next.after`, Notion's POST body cursor, GitHub's and Shopify's
//! `Link` headers, Salesforce's `nextRecordsUrl`, Microsoft Graph's `@odata.nextLink`), plus
//! TaskLab endpoints that misbehave on purpose (a cursor that repeats, a failing page 3, a link
//! leaving the integration, slow pages, a page that fails once).

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use http::StatusCode;
use serde_json::{Value, json};

use crate::upstreams::{UpstreamCall, UpstreamReply};

/// How many items every paginated endpoint serves.
pub const PAGED_ITEMS: usize = 7;

const DEFAULT_PAGE_SIZE: usize = 3;

/// The runs (`run=` values) whose page already failed once (`/flaky-once`).
static FAILED_ONCE: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn item(index: usize) -> Value {
    json!({"id": format!("item-{}", index + 1), "n": index + 1})
}

/// The items from `offset`, at most `size`, and the offset after them when items remain.
fn window(offset: usize, size: usize) -> (Vec<Value>, Option<usize>) {
    let end = (offset + size).min(PAGED_ITEMS);
    let items = (offset.min(end)..end).map(item).collect();
    (items, (end < PAGED_ITEMS).then_some(end))
}

fn number(text: Option<String>, default: usize) -> usize {
    text.and_then(|text| text.parse().ok()).unwrap_or(default)
}

/// `c<offset>`: an opaque-looking cursor.
fn cursor_offset(cursor: Option<&str>) -> usize {
    cursor
        .and_then(|cursor| cursor.strip_prefix('c'))
        .and_then(|offset| offset.parse().ok())
        .unwrap_or(0)
}

fn ok(value: Value) -> UpstreamReply {
    UpstreamReply::json(StatusCode::OK, value)
}

fn with_link(mut reply: UpstreamReply, next: Option<String>) -> UpstreamReply {
    if let Some(next) = next {
        reply
            .headers
            .push(("link", format!("<{next}>; rel=\"next\"")));
    }
    reply
}

/// The path without a full-URL prefix: `/https://api.github.com/x` is `/x` on `api.github.com`.
fn on_host<'a>(path: &'a str, host: &str) -> Option<&'a str> {
    let prefix = format!("/https://{host}");
    match path.strip_prefix(&prefix) {
        Some(rest) => Some(rest),
        None if path.starts_with("/https://") || path.starts_with("/http://") => None,
        None => Some(path),
    }
}

/// The paginated answer of `integration` for this call, when it has one.
pub(crate) async fn call(integration: &str, request: &UpstreamCall<'_>) -> Option<UpstreamReply> {
    let size = |name: &str| number(request.query_param(name), DEFAULT_PAGE_SIZE);
    Some(match (integration, request.method.as_str()) {
        ("slack", "GET") if request.path == "/users.list" => {
            let (members, next) = window(
                cursor_offset(request.query_param("cursor").as_deref()),
                size("limit"),
            );
            let next_cursor = next.map(|next| format!("c{next}")).unwrap_or_default();
            ok(
                json!({"ok": true, "members": members, "response_metadata": {"next_cursor": next_cursor}}),
            )
        }
        ("googleCalendar", "GET") if request.path == "/calendars/primary/events" => {
            let (events, next) = window(
                cursor_offset(request.query_param("pageToken").as_deref()),
                size("maxResults"),
            );
            let mut answer = json!({"kind": "calendar#events", "items": events});
            if let Some(next) = next {
                answer["nextPageToken"] = json!(format!("c{next}"));
            }
            ok(answer)
        }
        ("hubspot", "GET") if request.path == "/crm/v3/objects/contacts" => {
            let (results, next) = window(number(request.query_param("after"), 0), size("limit"));
            let mut answer = json!({"results": results});
            if let Some(next) = next {
                answer["paging"] = json!({"next": {"after": next.to_string(), "link": format!("https://api.hubapi.com/crm/v3/objects/contacts?after={next}")}});
            }
            ok(answer)
        }
        ("notion", "POST") if request.path.starts_with("/v1/databases/") => {
            let body = request.json_body().unwrap_or(Value::Null);
            let offset = cursor_offset(body.get("start_cursor").and_then(Value::as_str));
            let page_size = body
                .get("page_size")
                .and_then(Value::as_u64)
                .map_or(DEFAULT_PAGE_SIZE, |size| size as usize);
            notion(window(offset, page_size))
        }
        ("notion", "GET") if request.path == "/v1/users" => notion(window(
            cursor_offset(request.query_param("start_cursor").as_deref()),
            size("page_size"),
        )),
        ("github", "GET") => {
            let path = on_host(request.path, "api.github.com")?;
            if path != "/repos/acme/app/issues" {
                return None;
            }
            let per_page = size("per_page");
            let page = number(request.query_param("page"), 1).max(1);
            let (issues, next) = window((page - 1) * per_page, per_page);
            let next = next.map(|_| {
                format!(
                    "https://api.github.com/repos/acme/app/issues?per_page={per_page}&page={}",
                    page + 1
                )
            });
            with_link(ok(Value::Array(issues)), next)
        }
        ("shopify", "GET") => {
            let path = on_host(request.path, "acme.myshopify.com")?;
            if path != "/admin/api/2024-01/products.json" {
                return None;
            }
            let limit = size("limit");
            let (products, next) = window(
                cursor_offset(request.query_param("page_info").as_deref()),
                limit,
            );
            let next = next.map(|next| {
                format!("https://acme.myshopify.com/admin/api/2024-01/products.json?limit={limit}&page_info=c{next}")
            });
            with_link(ok(json!({"products": products})), next)
        }
        ("salesforce", "GET") => {
            let offset = if request.path == "/services/data/v59.0/query" {
                0
            } else {
                let rest = request
                    .path
                    .strip_prefix("/services/data/v59.0/query/01gQ-")?;
                rest.parse().ok()?
            };
            let (records, next) = window(offset, DEFAULT_PAGE_SIZE);
            let mut answer =
                json!({"totalSize": PAGED_ITEMS, "done": next.is_none(), "records": records});
            if let Some(next) = next {
                answer["nextRecordsUrl"] = json!(format!("/services/data/v59.0/query/01gQ-{next}"));
            }
            ok(answer)
        }
        ("outlook", "GET") => {
            let path = on_host(request.path, "graph.microsoft.com")?;
            if path != "/v1.0/me/messages" {
                return None;
            }
            let top = size("$top");
            let (messages, next) = window(number(request.query_param("$skip"), 0), top);
            let mut answer = json!({"value": messages});
            if let Some(next) = next {
                answer["@odata.nextLink"] = json!(format!(
                    "https://graph.microsoft.com/v1.0/me/messages?$top={top}&$skip={next}"
                ));
            }
            ok(answer)
        }
        ("custom.tasklab", "GET") => return tasklab(request).await,
        _ => return None,
    })
}

fn notion((results, next): (Vec<Value>, Option<usize>)) -> UpstreamReply {
    ok(json!({
        "object": "list",
        "results": results,
        "next_cursor": next.map(|next| format!("c{next}")),
        "has_more": next.is_some(),
    }))
}

/// TaskLab's paginated endpoints: offsets, and the ones that misbehave.
async fn tasklab(request: &UpstreamCall<'_>) -> Option<UpstreamReply> {
    let cursor = request.query_param("cursor");
    let offset = cursor_offset(cursor.as_deref());
    let paged = |(items, next): (Vec<Value>, Option<usize>)| json!({"items": items, "next": next.map(|next| format!("c{next}"))});
    Some(match request.path {
        // Offset and limit, with the total.
        "/projects" => {
            let offset = number(request.query_param("offset"), 0);
            let (projects, _) = window(offset, number(request.query_param("limit"), 100));
            ok(json!({"projects": projects, "total": PAGED_ITEMS}))
        }
        // Page numbers (1, 2, ...) and a page size; the page is a list.
        "/projects/by-page" => {
            let per_page = number(request.query_param("per_page"), DEFAULT_PAGE_SIZE);
            let page = number(request.query_param("page"), 1).max(1);
            ok(Value::Array(window((page - 1) * per_page, per_page).0))
        }
        // An API that ignores the offset: every page is the first.
        "/projects/stuck" => ok(json!({"projects": window(0, DEFAULT_PAGE_SIZE).0})),
        // Cursor `c3` comes back again on page 2 and on: the walk would never end.
        "/tasks/looping" => ok(json!({"items": window(offset, DEFAULT_PAGE_SIZE).0, "next": "c3"})),
        // Page 3 fails.
        "/tasks/failing" if offset >= 2 * DEFAULT_PAGE_SIZE => UpstreamReply::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": "page 3 is broken"}),
        ),
        "/tasks/failing" => ok(paged(window(offset, DEFAULT_PAGE_SIZE))),
        // Page 2 answers 503 the first time it is asked for in each `run`.
        "/tasks/flaky-once" => {
            let run = request.query_param("run").unwrap_or_default();
            if offset > 0 {
                let mut failed = FAILED_ONCE.lock().unwrap_or_else(|p| p.into_inner());
                if failed.get_or_insert_with(HashSet::new).insert(run) {
                    return Some(UpstreamReply::json(
                        StatusCode::SERVICE_UNAVAILABLE,
                        json!({"error": "try again"}),
                    ));
                }
            }
            ok(paged(window(offset, DEFAULT_PAGE_SIZE)))
        }
        // Each page after the first takes `delay_ms`.
        "/tasks/slow" => {
            if offset > 0 {
                let delay = number(request.query_param("delay_ms"), 500) as u64;
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            ok(paged(window(offset, DEFAULT_PAGE_SIZE)))
        }
        // The next page's link points at another host (in the body and in a Link header); and a
        // next link that is not a URL, with a token in its user information and in its query.
        "/tasks/escaping" => {
            let next = "https://collector.example/steal?page=2".to_owned();
            with_link(
                ok(json!({
                    "items": window(0, DEFAULT_PAGE_SIZE).0,
                    "next_url": next,
                    "broken_next_url": "https://bot:upstream-s3cr3t@upstream example/next?access_token=upstream-s3cr3t",
                })),
                Some(next),
            )
        }
        // Relative next links in the body (`?cursor=c3`), and the bare cursor.
        "/tasks/relative" => {
            let (items, next) = window(offset, DEFAULT_PAGE_SIZE);
            ok(json!({
                "items": items,
                "next_url": next.map(|next| format!("?cursor=c{next}")),
                "next": next.map(|next| format!("c{next}")),
            }))
        }
        _ => return None,
    })
}
