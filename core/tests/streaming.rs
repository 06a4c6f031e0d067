//! Streamed answers and downloads to files, against the sandbox's generated bodies.

mod support;

use std::sync::Mutex;
use std::time::Duration;

use paragon_connect::serde_json::json;
use paragon_connect::{ErrorKind, RequestOptions, StatusClass};
use paragon_sandbox::{Reply, Sandbox};

/// The sandbox's generated body: 64 KiB chunks of `i % 251`.
fn pattern(length: usize) -> Vec<u8> {
    (0..length).map(|k| ((k % 65536) % 251) as u8).collect()
}

fn generated(bytes: u64, announced: bool) -> Reply {
    let mut reply = Reply::json(200, json!(null));
    reply.body = None;
    reply.generated_bytes = Some(bytes);
    reply.content_length = announced;
    reply
}

#[tokio::test]
async fn a_stream_gives_the_body_chunk_by_chunk() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    for announced in [true, false] {
        sandbox.push_reply(generated(5 * 1024 * 1024 + 7, announced));
        let mut stream = client
            .stream("googledrive", "/files/big", RequestOptions::new())
            .await
            .unwrap();
        assert_eq!(stream.status, 200);
        assert_eq!(
            stream.content_length(),
            announced.then_some(5 * 1024 * 1024 + 7)
        );
        let mut body = Vec::new();
        let mut chunks = 0;
        while let Some(chunk) = stream.next_chunk().await.unwrap() {
            body.extend_from_slice(&chunk);
            chunks += 1;
        }
        assert!(chunks > 1);
        assert_eq!(body, pattern(5 * 1024 * 1024 + 7));
    }
    let sent = sandbox.requests();
    assert_eq!(sent[0].header("x-paragon-use-raw-response"), Some("1"));
}

#[tokio::test]
async fn a_download_lands_whole_and_reports_progress() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let folder = tempfile_dir();
    let to = folder.join("report.bin");
    sandbox.push_reply(generated(3 * 1024 * 1024, true));
    let seen = Mutex::new(Vec::new());
    let progress = |done: u64, total: Option<u64>| {
        seen.lock().unwrap().push((done, total));
        std::ops::ControlFlow::Continue(())
    };
    let download = client
        .download(
            "googledrive",
            "/files/big?alt=media",
            RequestOptions::new(),
            &to,
            Some(&progress),
        )
        .await
        .unwrap();
    assert_eq!(download.bytes, 3 * 1024 * 1024);
    assert_eq!(std::fs::read(&to).unwrap(), pattern(3 * 1024 * 1024));
    let seen = seen.into_inner().unwrap();
    assert!(seen.windows(2).all(|pair| pair[0].0 < pair[1].0));
    assert_eq!(seen.last(), Some(&(3 * 1024 * 1024, Some(3 * 1024 * 1024))));
    assert_eq!(leftovers(&folder), ["report.bin"]);
    std::fs::remove_dir_all(&folder).unwrap();
}

#[tokio::test]
async fn a_failed_download_leaves_nothing_half_written() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::builder_for(&sandbox, "u")
        .max_retries(0)
        .build()
        .unwrap();
    let folder = tempfile_dir();
    let to = folder.join("report.bin");
    std::fs::write(&to, b"the previous version").unwrap();

    let mut cut = Reply::json(200, json!({"output": "x".repeat(100_000)}));
    cut.truncate_to = Some(50_000);
    sandbox.push_reply(cut);
    let error = client
        .download("googledrive", "/files/x", RequestOptions::new(), &to, None)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode, "{error}");

    sandbox.push_reply(Reply::json(404, json!({"message": "File not found."})));
    let error = client
        .download("googledrive", "/files/x", RequestOptions::new(), &to, None)
        .await
        .unwrap_err();
    assert_eq!(
        error.as_status().map(|status| status.class()),
        Some(StatusClass::NotFound)
    );

    assert_eq!(std::fs::read(&to).unwrap(), b"the previous version");
    assert_eq!(leftovers(&folder), ["report.bin"]);

    // A folder that cannot take the file is refused before anything is sent.
    let error = client
        .download(
            "googledrive",
            "/files/x",
            RequestOptions::new(),
            &folder.join("missing/x.bin"),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert_eq!(sandbox.requests().len(), 2);
    std::fs::remove_dir_all(&folder).unwrap();
}

#[tokio::test]
async fn a_progress_callback_can_stop_a_download() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let folder = tempfile_dir();
    sandbox.push_reply(generated(4 * 1024 * 1024, true));
    let stop = |_: u64, _: Option<u64>| std::ops::ControlFlow::Break(());
    let error = client
        .download(
            "googledrive",
            "/files/big",
            RequestOptions::new(),
            &folder.join("big.bin"),
            Some(&stop),
        )
        .await
        .unwrap_err();
    match error {
        paragon_connect::Error::InvalidRequest(invalid) => assert_eq!(invalid.argument, "progress"),
        other => panic!("{other}"),
    }
    assert!(leftovers(&folder).is_empty());
}

#[tokio::test]
async fn a_stalled_stream_times_out_per_chunk() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::builder_for(&sandbox, "u")
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let mut slow = Reply::json(200, json!({"output": "abc"}));
    slow.trickle_ms = Some(1000);
    sandbox.push_reply(slow);
    let mut stream = client
        .stream("echo", "/x", RequestOptions::new())
        .await
        .unwrap();
    let error = stream.next_chunk().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
}

fn tempfile_dir() -> std::path::PathBuf {
    let folder = std::env::temp_dir().join(format!("paragon-connect-test-{:016x}", fastrand_u64()));
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

fn fastrand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

fn leftovers(folder: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
