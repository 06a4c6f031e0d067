//! The Rust ceiling for `bench/`: the core driven directly, sequential and 32 and 256 concurrent,
//! against `paragon-bench-server` (its URL in `BENCH_URL`); then over HTTPS (`BENCH_HTTPS_URL`,
//! `BENCH_HTTPS_H1_URL`, trusting `BENCH_CA_FILE`) with `BENCH_LATENCY_MS` of latency at 32, 256
//! and 1,000 concurrent, with the CPU time per call. Prints one JSON line per case.

use std::time::{Duration, Instant};

use paragon_connect::serde_json::json;
use paragon_connect::{Client, RequestOptions, Response};

/// User plus system CPU time of this process so far.
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * fraction).round() as usize]
}

/// One round of `total` calls with `concurrency` in flight: calls/s, CPU per call, and each
/// call's time.
async fn timed_round(
    client: &Client,
    path: &str,
    total: usize,
    concurrency: usize,
) -> (f64, Duration, Vec<Duration>) {
    let per_worker = total / concurrency;
    let cpu_before = cpu_time();
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            let path = path.to_owned();
            tokio::spawn(async move {
                let mut times = Vec::with_capacity(per_worker);
                for _ in 0..per_worker {
                    let call_started = Instant::now();
                    call_path(&client, &path).await;
                    times.push(call_started.elapsed());
                }
                times
            })
        })
        .collect();
    let mut times = Vec::with_capacity(per_worker * concurrency);
    for worker in workers {
        times.extend(worker.await.expect("a worker"));
    }
    let calls = times.len();
    let rate = calls as f64 / started.elapsed().as_secs_f64();
    (rate, (cpu_time() - cpu_before) / calls as u32, times)
}

async fn call_path(client: &Client, path: &str) {
    let options = RequestOptions::new()
        .method("POST")
        .body(json!({"channel": "C0", "text": "hi"}));
    let answer = client
        .request("slack", path, options)
        .await
        .expect("a call");
    assert!(matches!(answer, Response::Json(_)));
}

/// Connections the bench server has accepted over TLS, by protocol.
async fn connections(plain: &Client) -> u64 {
    let answer = plain
        .request("slack", "/__bench/connections", RequestOptions::new())
        .await
        .expect("the connection counts");
    let Response::Json(counts) = answer else {
        panic!("the connection counts are JSON")
    };
    ["https_h2", "https_http1"]
        .iter()
        .map(|name| counts[name].as_u64().expect("a count"))
        .sum()
}

/// HTTPS with latency: calls/s against the latency-bound limit, CPU per call, the time each call
/// took beyond the latency, and the connections opened.
async fn production(plain: &Client) {
    let (Ok(ca_file), Ok(latency_ms)) = (
        std::env::var("BENCH_CA_FILE"),
        std::env::var("BENCH_LATENCY_MS").map(|ms| ms.parse::<u64>().expect("BENCH_LATENCY_MS")),
    ) else {
        return;
    };
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let latency = Duration::from_millis(latency_ms);
    let path = format!("/chat.postMessage?latency_ms={latency_ms}");
    for (protocol, variable) in [
        ("https-h1", "BENCH_HTTPS_H1_URL"),
        ("https-h2", "BENCH_HTTPS_URL"),
    ] {
        let url = std::env::var(variable).expect(variable);
        for concurrency in [32, 256, 1000] {
            let client = Client::builder()
                .ignore_environment()
                .project_id("p")
                .user_token("bench-token-not-checked")
                .proxy_base_url(url.clone())
                .ca_certs(&ca_file)
                .build()
                .expect("a client");
            let opened_before = connections(plain).await;
            // Enough calls for 20 latencies' worth of waiting each round.
            let total = concurrency * 20;
            timed_round(&client, &path, total / 4, concurrency).await; // warm-up
            let (mut rates, mut cpu, mut times) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..rounds {
                let (rate, cpu_per_call, round_times) =
                    timed_round(&client, &path, total, concurrency).await;
                rates.push(rate);
                cpu.push(cpu_per_call.as_secs_f64() * 1e6);
                times.extend(
                    round_times
                        .iter()
                        .map(|time| time.saturating_sub(latency).as_secs_f64() * 1e3),
                );
            }
            times.sort_by(f64::total_cmp);
            println!(
                "{}",
                json!({
                    "language": "rust", "client": "paragon-connect (core)",
                    "case": format!("{protocol} {concurrency}"), "value": median(&mut rates), "unit": "req/s",
                    "limit": concurrency as f64 / latency.as_secs_f64(),
                    "cpu_us": median(&mut cpu),
                    "p50_ms": percentile(&times, 0.5), "p99_ms": percentile(&times, 0.99),
                    "connections": connections(plain).await - opened_before,
                })
            );
        }
    }
}

async fn run(client: &Client, total: usize, concurrency: usize) -> f64 {
    let started = Instant::now();
    let per_worker = total / concurrency;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..per_worker {
                    call_path(&client, "/chat.postMessage").await;
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
    production(&client).await;
}
