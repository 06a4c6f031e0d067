//! The product document's examples through the SDK, printing what was sent and what came back.
//!
//! With `PARAGON_PROJECT_ID` and `PARAGON_USER_TOKEN` set, it calls Paragon's cloud (or the
//! services `PARAGON_HOST` / `PARAGON_*_BASE_URL` name); otherwise it starts the local sandbox.

use paragon_connect::http::HeaderMap;
use paragon_connect::serde_json::json;
use paragon_connect::{Body, Client, Error, RequestOptions, Response};
use paragon_sandbox::{DRIVE_FILE_ID, Sandbox, TASKLAB_INTEGRATION_ID, drive_file_bytes};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let configured = ["PARAGON_PROJECT_ID", "PARAGON_USER_TOKEN"]
        .iter()
        .all(|name| std::env::var(name).is_ok_and(|value| !value.is_empty()));
    // Kept alive until the end of main: dropping it stops the server.
    let sandbox;
    let client = if configured {
        println!("Using Paragon at the PARAGON_* settings in the environment.\n");
        Client::from_env()?
    } else {
        sandbox = Sandbox::start().await?;
        println!("Started the local Paragon sandbox at {}.\n", sandbox.url());
        Client::builder()
            .ignore_environment()
            .project_id(sandbox.project_id())
            .user_token(sandbox.user_token("demo-user"))
            .proxy_base_url(sandbox.url())
            .build()?
    };

    show(
        &client,
        "1. Send a Slack message (POST with a JSON body)",
        "slack",
        "/chat.postMessage",
        RequestOptions::new().method("POST").body(json!({
            "channel": "CXXXXXXX0",
            "text": "This message was sent with Paragon Connect :exploding_head:"
        })),
    )
    .await;

    show(
        &client,
        "2. Call a custom integration by name",
        "custom.tasklab",
        "/notifications",
        RequestOptions::new()
            .method("POST")
            .body(json!({"title": "This notification was created from your app"})),
    )
    .await;

    show(
        &client,
        "3. The same custom integration by its id",
        &format!("custom/{TASKLAB_INTEGRATION_ID}"),
        "/tasks",
        RequestOptions::new(),
    )
    .await;

    let downloaded = show(
        &client,
        "4. Download a file from Google Drive (raw response)",
        "googledrive",
        &format!("/files/{DRIVE_FILE_ID}/?alt=media"),
        RequestOptions::new().raw(true),
    )
    .await;
    if let Some(Response::Raw(raw)) = downloaded
        && !configured
    {
        let intact = raw.body.as_ref() == drive_file_bytes().as_slice();
        println!("   bytes intact: {}\n", if intact { "yes" } else { "NO" });
    }

    show(
        &client,
        "5. A failing call: the error keeps status, message and body",
        "googledrive",
        "/files/does-not-exist",
        RequestOptions::new(),
    )
    .await;
    Ok(())
}

/// Prepares the call, prints the request, sends it and prints the answer.
async fn show(
    client: &Client,
    title: &str,
    integration: &str,
    path: &str,
    options: RequestOptions,
) -> Option<Response> {
    println!("{title}");
    let body = options.body.clone();
    let prepared = match client.prepare(integration, path, options) {
        Ok(prepared) => prepared,
        Err(error) => {
            println!("   refused before sending: {error}\n");
            return None;
        }
    };
    println!("   -> {} {}", prepared.method(), prepared.url());
    print_headers("      ", prepared.headers());
    match body {
        Some(Body::Json(value)) => println!("      body: {value}"),
        Some(Body::Text(text)) => println!("      body: {text}"),
        Some(Body::Bytes(bytes)) => println!("      body: {} bytes", bytes.len()),
        Some(Body::File(path)) => println!("      body: the file {}", path.display()),
        Some(Body::Form(fields)) => println!("      body: a form of {} fields", fields.len()),
        Some(Body::Multipart(parts)) => println!("      body: {} multipart parts", parts.len()),
        Some(Body::Stream(_)) => println!("      body: a stream"),
        None => {}
    }
    match client.send(prepared).await {
        Ok(response) => {
            match &response {
                Response::Empty => println!("   <- (empty)"),
                Response::Json(value) => println!("   <- {value}"),
                Response::Text(text) => println!("   <- text: {text}"),
                Response::JsonText(text) => println!("   <- {text}"),
                Response::Raw(raw) => {
                    println!("   <- {} raw, {} bytes", raw.status, raw.body.len());
                    print_headers("      ", &raw.headers);
                    let head: Vec<String> = raw
                        .body
                        .iter()
                        .take(16)
                        .map(|b| format!("{b:02x}"))
                        .collect();
                    println!("      first bytes: {}", head.join(" "));
                }
            }
            println!();
            Some(response)
        }
        Err(Error::Status(status)) => {
            println!("   <- error {}: {}", status.status, status.message);
            println!(
                "      (the whole body is kept: {} bytes)\n",
                status.body.len()
            );
            None
        }
        Err(error) => {
            println!("   <- error: {error}\n");
            None
        }
    }
}

fn print_headers(indent: &str, headers: &HeaderMap) {
    for (name, value) in headers {
        let shown = if value.is_sensitive() {
            "[redacted]".to_owned()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        println!("{indent}{name}: {shown}");
    }
}
