//! Fake third-party APIs behind the proxy: Slack-like, Drive-like, a TaskLab custom integration,
//! and an echo that sends back what it received (paginated APIs are in `pages`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};

/// The custom integration TaskLab's id (`/sdk/proxy/custom/<id>/...` reaches it as well as
/// `custom.tasklab`).
pub const TASKLAB_INTEGRATION_ID: &str = "fb243b75-35e7-46b3-ba6c-967ccebeb449";

/// The id of the one binary file the Drive-like API serves.
pub const DRIVE_FILE_ID: &str = "1aBcDeFile";

/// The Drive file's bytes: a PDF header, every byte value 0..=255 64 times over, a PDF trailer.
/// Non-UTF-8 on purpose, so any text decoding on the way shows.
pub fn drive_file_bytes() -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    for _ in 0..64 {
        bytes.extend(0..=255u8);
    }
    bytes.extend_from_slice(b"\n%%EOF\n");
    bytes
}

/// What a fake upstream API answered.
pub(crate) struct UpstreamReply {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

impl UpstreamReply {
    pub(crate) fn json(status: StatusCode, value: Value) -> UpstreamReply {
        UpstreamReply {
            status,
            content_type: "application/json; charset=utf-8",
            headers: Vec::new(),
            body: Bytes::from(value.to_string()),
        }
    }
}

/// One call as an upstream API sees it.
pub(crate) struct UpstreamCall<'a> {
    pub method: &'a Method,
    /// The upstream path, with a leading `/` (or a full URL after it).
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

impl UpstreamCall<'_> {
    pub(crate) fn query_param(&self, name: &str) -> Option<String> {
        self.query?.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then(|| value.to_owned())
        })
    }

    pub(crate) fn json_body(&self) -> Option<Value> {
        serde_json::from_slice(self.body).ok()
    }
}

/// The answer of the upstream API behind `integration`, or `None` when the sandbox has none.
pub(crate) async fn call(integration: &str, request: &UpstreamCall<'_>) -> Option<UpstreamReply> {
    if let Some(reply) = crate::pages::call(integration, request).await {
        return Some(reply);
    }
    match integration {
        "slack" => Some(slack(request)),
        "googledrive" if request.path.starts_with("/upload/") => Some(upload(request).await),
        "googledrive" => Some(google_drive(request)),
        "custom.tasklab" => Some(tasklab(request)),
        id if id == format!("custom/{TASKLAB_INTEGRATION_ID}") => Some(tasklab(request)),
        "echo" => Some(echo(request)),
        _ => None,
    }
}

fn slack(request: &UpstreamCall) -> UpstreamReply {
    let reply = match (request.method.as_str(), request.path) {
        ("POST", "/chat.postMessage") => {
            let body = request.json_body().unwrap_or(Value::Null);
            match (body.get("channel"), body.get("text")) {
                (Some(channel), Some(text)) => json!({
                    "ok": true,
                    "channel": channel,
                    "ts": "1700000000.000100",
                    "message": {"type": "message", "text": text, "bot_id": "B0SANDBOX"}
                }),
                (None, _) => json!({"ok": false, "error": "channel_not_found"}),
                (Some(_), None) => json!({"ok": false, "error": "no_text"}),
            }
        }
        ("GET", "/conversations.list") => json!({
            "ok": true,
            "channels": [
                {"id": "C0GENERAL", "name": "general", "is_channel": true},
                {"id": "C0RANDOM", "name": "random", "is_channel": true}
            ]
        }),
        _ => json!({"ok": false, "error": "unknown_method"}),
    };
    UpstreamReply::json(StatusCode::OK, reply)
}

fn google_drive(request: &UpstreamCall) -> UpstreamReply {
    let files = [
        json!({"id": DRIVE_FILE_ID, "name": "Quarterly report.pdf", "mimeType": "application/pdf"}),
        json!({"id": "2xYzNotes", "name": "Notes.txt", "mimeType": "text/plain"}),
        json!({"id": "3dEfSheet", "name": "Budget", "mimeType": "application/vnd.google-apps.spreadsheet"}),
    ];
    let path = request.path.trim_end_matches('/');
    if let Some(sheet) = path.strip_prefix("/https://sheets.googleapis.com/v4/spreadsheets/") {
        return UpstreamReply::json(
            StatusCode::OK,
            json!({"spreadsheetId": sheet, "host": "sheets.googleapis.com"}),
        );
    }
    if path == "/files" {
        let page_size = request
            .query_param("pageSize")
            .and_then(|size| size.parse::<usize>().ok())
            .unwrap_or(100);
        let page: Vec<Value> = files.iter().take(page_size).cloned().collect();
        return UpstreamReply::json(
            StatusCode::OK,
            json!({"kind": "drive#fileList", "files": page}),
        );
    }
    if let Some(id) = path.strip_prefix("/files/") {
        let Some(file) = files.iter().find(|file| file["id"] == id) else {
            return UpstreamReply::json(
                StatusCode::NOT_FOUND,
                json!({"error": {"code": 404, "message": format!("File not found: {id}."), "status": "NOT_FOUND"}}),
            );
        };
        if request.query_param("alt").as_deref() == Some("media") && id == DRIVE_FILE_ID {
            let body = Bytes::from(drive_file_bytes());
            return UpstreamReply {
                status: StatusCode::OK,
                content_type: "application/pdf",
                headers: vec![
                    (
                        "content-disposition",
                        "attachment; filename=\"Quarterly report.pdf\"".to_owned(),
                    ),
                    ("x-goog-stored-content-length", body.len().to_string()),
                ],
                body,
            };
        }
        return UpstreamReply::json(StatusCode::OK, file.clone());
    }
    UpstreamReply::json(
        StatusCode::NOT_FOUND,
        json!({"error": {"code": 404, "message": "Not Found"}}),
    )
}

fn tasklab(request: &UpstreamCall) -> UpstreamReply {
    match (request.method.as_str(), request.path) {
        ("POST", "/notifications") => {
            let title = request
                .json_body()
                .and_then(|body| body.get("title").cloned())
                .unwrap_or(Value::Null);
            UpstreamReply::json(
                StatusCode::CREATED,
                json!({"id": "ntf_0001", "title": title, "status": "sent"}),
            )
        }
        ("GET", "/tasks") => UpstreamReply::json(
            StatusCode::OK,
            json!([{"id": "task_1", "title": "Ship the SDK", "done": false}]),
        ),
        _ => UpstreamReply::json(
            StatusCode::NOT_FOUND,
            json!({"error": "no such TaskLab endpoint"}),
        ),
    }
}

/// Method, path, query, headers and body exactly as received; the body as text when it is UTF-8,
/// and always as base64.
fn echo(request: &UpstreamCall) -> UpstreamReply {
    let mut headers = serde_json::Map::new();
    // Paragon takes its own Authorization header; the upstream API never sees the user token.
    for name in request
        .headers
        .keys()
        .filter(|name| *name != http::header::AUTHORIZATION)
    {
        let values: Vec<Value> = request
            .headers
            .get_all(name)
            .iter()
            .map(|value| Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect();
        headers.insert(name.as_str().to_owned(), Value::Array(values));
    }
    UpstreamReply::json(
        StatusCode::OK,
        json!({
            "method": request.method.as_str(),
            "path": request.path,
            "query": request.query,
            "headers": headers,
            "body": std::str::from_utf8(request.body).ok(),
            "body_base64": STANDARD.encode(request.body),
        }),
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Drive-like uploads: `/upload/files` takes any body and answers its size, SHA-256 and type;
/// `/upload/multipart` reads a `multipart/form-data` body with a real parser (multer) and answers
/// each part's name, file name, type, size and SHA-256 (and text when it is text).
async fn upload(request: &UpstreamCall<'_>) -> UpstreamReply {
    let content_type = request
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if request.path == "/upload/files" {
        return UpstreamReply::json(
            StatusCode::OK,
            json!({"size": request.body.len(), "sha256": sha256_hex(request.body), "content_type": content_type}),
        );
    }
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return UpstreamReply::json(
            StatusCode::BAD_REQUEST,
            json!({"error": "not multipart/form-data"}),
        );
    };
    let body = Bytes::copy_from_slice(request.body);
    let mut multipart = multer::Multipart::new(
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) }),
        boundary,
    );
    let mut parts = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().map(str::to_owned);
                let filename = field.file_name().map(str::to_owned);
                let part_type = field.content_type().map(|mime| mime.to_string());
                match field.bytes().await {
                    Ok(data) => parts.push(json!({
                        "name": name,
                        "filename": filename,
                        "content_type": part_type,
                        "size": data.len(),
                        "sha256": sha256_hex(&data),
                        "text": std::str::from_utf8(&data).ok(),
                    })),
                    Err(error) => {
                        return UpstreamReply::json(
                            StatusCode::BAD_REQUEST,
                            json!({"error": error.to_string()}),
                        );
                    }
                }
            }
            Ok(None) => break,
            Err(error) => {
                return UpstreamReply::json(
                    StatusCode::BAD_REQUEST,
                    json!({"error": error.to_string()}),
                );
            }
        }
    }
    UpstreamReply::json(StatusCode::OK, json!({"parts": parts}))
}
