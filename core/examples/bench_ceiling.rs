//! The Rust ceiling for `bench/`: the core driven directly, sequential and 32 and 256 concurrent,
//! against `paragon-bench-server` (its URL in `BENCH_URL`). Prints one JSON line per case.

use std::time::Instant;

use paragon_connect::serde_json::json;
use paragon_connect::{Client, RequestOptions, Response};

async fn call(client: &Client) {
    let options = RequestOptions::new()
        .method("POST")
        .body(json!({"channel": "C0", "text": "hi"}));
    let answer = client
        .request("slack", "/chat.postMessage", options)
        .await
        .expect("a call");
    assert!(matches!(answer, Response::Json(_)));
}

async fn run(client: &Client, total: usize, concurrency: usize) -> f64 {
    let started = Instant::now();
    let per_worker = total / concurrency;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..per_worker {
                    call(&client).await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a worker");
    }
    (per_worker * concurrency) as f64 / started.elapsed().as_secs_f64()
}

/// The allocator and the runtime the Python and Node packages use, so that this is their ceiling.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    paragon_connect::io_runtime()
        .expect("the I/O runtime")
        .block_on(async {
            tokio::spawn(measure()).await.expect("the measurements");
        });
}

async fn measure() {
    let url = std::env::var("BENCH_URL").expect("BENCH_URL");
    let requests: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5000);
    let client = Client::builder()
        .ignore_environment()
        .project_id("p")
        .user_token("bench-token-not-checked")
        .proxy_base_url(url)
        .build()
        .expect("a client");
    run(&client, 500, 32).await; // warm-up
    for (case, concurrency) in [
        ("sequential", 1),
        ("concurrent-32", 32),
        ("concurrent-256", 256),
    ] {
        let mut rounds: Vec<f64> = Vec::new();
        for _ in 0..5 {
            rounds.push(run(&client, requests, concurrency).await);
        }
        rounds.sort_by(f64::total_cmp);
        println!(
            "{}",
            json!({"language": "rust", "client": "paragon-connect (core)", "case": case, "value": rounds[2], "unit": "req/s"})
        );
    }
}
