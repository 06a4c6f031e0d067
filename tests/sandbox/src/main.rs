//! `paragon-sandbox [--port N] [--until-stdin-closes]`: runs the sandbox on 127.0.0.1 and prints
//! one JSON line, `{"url": "http://127.0.0.1:PORT", "project_id": "...", "https_url": ...,
//! "mtls_url": ..., "ca_pem": ..., "client_cert_pem": ..., "client_key_pem": ...,
//! "connect_proxy_url": ..., "socks5_proxy_url": ...}`, once it accepts connections. With `--until-stdin-closes` it stops when its standard input closes, so a test
//! process that dies cannot leave it running.

use std::net::SocketAddr;
use std::process::ExitCode;

use paragon_sandbox::{PROJECT_ID, Sandbox, guide};
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
