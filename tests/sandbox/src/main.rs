//! `paragon-sandbox [--port N] [--until-stdin-closes]`: runs the sandbox on 127.0.0.1 and prints
//! one JSON line, `{"url": "http://127.0.0.1:PORT", "project_id": "...", "https_url": ...,
//! "mtls_url": ..., "ca_pem": ..., "client_cert_pem": ..., "client_key_pem": ...,
//! "connect_proxy_url": ..., "socks5_proxy_url": ...}`, once it accepts connections. With `--until-stdin-closes` it stops when its standard input closes, so a test
//! process that dies cannot leave it running.

use std::net::SocketAddr;
use std::process::ExitCode;

use paragon_sandbox::{PROJECT_ID, Sandbox};
use tokio::io::AsyncReadExt;

const USAGE: &str = "usage: paragon-sandbox [--port N] [--until-stdin-closes]";

#[tokio::main]
async fn main() -> ExitCode {
    let mut port = 0u16;
    let mut until_stdin_closes = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|value| value.parse().ok()) {
                Some(value) => port = value,
                None => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--until-stdin-closes" => until_stdin_closes = true,
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let sandbox = match Sandbox::start_on(SocketAddr::from(([127, 0, 0, 1], port))).await {
        Ok(sandbox) => sandbox,
        Err(error) => {
            eprintln!("paragon-sandbox: cannot listen on 127.0.0.1:{port}: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{}",
        serde_json::json!({
            "url": sandbox.url(),
            "project_id": PROJECT_ID,
            "https_url": sandbox.https_url(),
            "mtls_url": sandbox.mtls_url(),
            "ca_pem": sandbox.ca_pem(),
            "client_cert_pem": sandbox.client_cert_pem(),
            "client_key_pem": sandbox.client_key_pem(),
            "connect_proxy_url": sandbox.connect_proxy_url(),
            "socks5_proxy_url": sandbox.socks5_proxy_url(),
        })
    );
    if !until_stdin_closes {
        // Run by a person: how to use it.
        eprintln!("{}", guide(sandbox.url()));
    }
    if until_stdin_closes {
        let mut stdin = tokio::io::stdin();
        let mut buffer = [0u8; 256];
        while matches!(stdin.read(&mut buffer).await, Ok(n) if n > 0) {}
    } else {
        let _ = tokio::signal::ctrl_c().await;
    }
    drop(sandbox);
    ExitCode::SUCCESS
}

/// What a person who started the sandbox needs to point a client at it and script it.
fn guide(url: &str) -> String {
    format!(
        "\
paragon-sandbox: a local Paragon at {url} (Ctrl-C stops it)

Point a client at it (a shell; the token is RS256-signed by the sandbox's test key):
  export PARAGON_PROJECT_ID={PROJECT_ID}
  export PARAGON_PROXY_BASE_URL={url} PARAGON_ZEUS_BASE_URL={url} PARAGON_HERMES_BASE_URL={url}
  export PARAGON_USER_TOKEN=$(curl -s '{url}/_sandbox/token?sub=user-1')
  (or, to sign tokens per user: export PARAGON_SIGNING_KEY=\"$(cat tests/keys/sandbox-signing-key.pem)\")

Integrations: slack, googledrive, custom.tasklab (also custom/<id> from {url}/_sandbox/info),
and echo (any path: answers with what it received).

Script the next proxied replies, one per POST, played in order:
  curl -X POST {url}/_sandbox/replies -H 'content-type: application/json' \\
    -d '{{\"status\": 503, \"headers\": [[\"retry-after\", \"1\"]], \"delay_ms\": 2000}}'
  fields: status, headers, body ({{\"json\": ...}} | {{\"text\": ...}} | {{\"base64\": ...}}),
  delay_ms, truncate_to, trickle_ms, generated_bytes, content_length
What it received: curl {url}/_sandbox/requests   Users and events: curl {url}/_sandbox/state"
    )
}
