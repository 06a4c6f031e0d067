//! A bounded soak: 100,000 calls at concurrency 64 against a sandbox process, 5% of them answered
//! first with an injected 503 (retried by the SDK). Checks that every call gets its own answer and
//! prints this process's memory after 10,000 and after all calls.
//!
//! `scripts/soak.sh` builds and runs it in release mode (`SOAK_CALLS` changes the count).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use paragon_connect::serde_json::Value;
use paragon_connect::{Client, RequestOptions, Response};

const CONCURRENCY: usize = 64;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let calls: usize = std::env::var("SOAK_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let sandbox_bin = std::env::var("PARAGON_SANDBOX_BIN")?;
    let mut sandbox = Command::new(sandbox_bin)
        .arg("--until-stdin-closes")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut ready = String::new();
    BufReader::new(sandbox.stdout.take().expect("stdout")).read_line(&mut ready)?;
    let ready: Value = paragon_connect::serde_json::from_str(&ready)?;
    let url = ready["url"].as_str().expect("url").to_owned();
    let project = ready["project_id"].as_str().expect("project").to_owned();
    let control = reqwest::Client::new();
    let token = control
        .get(format!("{url}/_sandbox/token?sub=soak"))
        .send()
        .await?
        .text()
        .await?;
    let client = Client::builder()
        .ignore_environment()
        .project_id(project)
        .user_token(token)
        .proxy_base_url(&url)
        // Injected failures cluster under concurrency; four retries ride them out.
        .max_retries(4)
        .build()?;

    let next = Arc::new(AtomicUsize::new(0));
    let lost = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, next, lost, control, url) = (
            client.clone(),
            next.clone(),
            lost.clone(),
            control.clone(),
            url.clone(),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let call = next.fetch_add(1, Ordering::Relaxed);
                if call >= calls {
                    return;
                }
                if call % 20 == 0 {
                    // Inject a failure that some call in flight will meet first.
                    let _ = control
                        .post(format!("{url}/_sandbox/replies"))
                        .header("content-type", "application/json")
                        .body(r#"{"status": 503}"#)
                        .send()
                        .await;
                }
                let answer = client
                    .request("echo", &format!("/call/{call}"), RequestOptions::new())
                    .await;
                let own = matches!(&answer, Ok(Response::Json(echo)) if echo["path"] == format!("/call/{call}"));
                if !own {
                    lost.fetch_add(1, Ordering::Relaxed);
                    eprintln!("call {call}: {answer:?}");
                }
            }
        }));
    }
    // Sample memory once 10,000 calls are done.
    while next.load(Ordering::Relaxed) < calls.min(10_000) + CONCURRENCY {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let rss_at_10k = rss_kib();
    for worker in workers {
        worker.await?;
    }
    let rss_at_end = rss_kib();
    let lost = lost.load(Ordering::Relaxed);
    println!(
        "{calls} calls, concurrency {CONCURRENCY}, 5% injected 503s: {lost} lost, {:.1} s, RSS {} MiB after 10,000 and {} MiB after {calls} (growth {:+.1} MiB)",
        started.elapsed().as_secs_f64(),
        rss_at_10k / 1024,
        rss_at_end / 1024,
        (rss_at_end as f64 - rss_at_10k as f64) / 1024.0,
    );
    drop(sandbox.stdin.take());
    let _ = sandbox.wait();
    if lost > 0 {
        std::process::exit(1);
    }
    Ok(())
}
