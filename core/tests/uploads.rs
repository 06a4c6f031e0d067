//! Bodies from files, forms and multipart parts, checked by the sandbox's upload endpoints (a
//! real multipart parser reads them back).

mod support;

use paragon_connect::serde_json::{Value, json};
use paragon_connect::{Body, ErrorKind, Part, RequestOptions, Response};
use paragon_sandbox::{Reply, Sandbox};

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let folder = std::env::temp_dir().join(format!("paragon-upload-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn json_of(response: Response) -> Value {
    response.as_json().cloned().expect("a JSON answer")
}

#[tokio::test]
async fn a_file_is_streamed_whole_with_its_length_and_resent_on_retry() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    let path = temp_file("report.pdf", &bytes);
    sandbox.push_reply(Reply::json(503, json!({})));
    let answer = client
        .request(
            "googledrive",
            "/upload/files",
            RequestOptions::new()
                .method("PUT")
                .body(Body::File(path.clone()))
                .header("Content-Type", "application/pdf"),
        )
        .await
        .unwrap();
    let answer = json_of(answer);
    assert_eq!(answer["size"], 3_000_000);
    assert_eq!(answer["content_type"], "application/pdf");
    let sent = sandbox.requests();
    assert_eq!(sent.len(), 2, "retried after the 503");
    for request in &sent {
        assert_eq!(request.body(), bytes, "each attempt sends the whole file");
        assert_eq!(request.header("content-length"), Some("3000000"));
    }
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[tokio::test]
async fn a_file_that_changes_size_between_attempts_is_not_sent_cut_short() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let path = temp_file("growing.bin", &[1u8; 1000]);
    let mut slow_failure = Reply::json(503, json!({}));
    slow_failure.delay_ms = 300;
    sandbox.push_reply(slow_failure);
    let grower = {
        let path = path.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            std::fs::write(&path, [2u8; 1500]).unwrap();
        })
    };
    let error = client
        .request(
            "googledrive",
            "/upload/files",
            RequestOptions::new()
                .method("PUT")
                .body(Body::File(path.clone())),
        )
        .await
        .unwrap_err();
    grower.await.unwrap();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{error}");
    assert!(error.to_string().contains("changed size"), "{error}");
    assert_eq!(sandbox.requests().len(), 1, "the changed file was not sent");
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[tokio::test]
async fn a_missing_file_is_refused_before_sending() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let error = client
        .request(
            "googledrive",
            "/upload/files",
            RequestOptions::new()
                .method("POST")
                .body(Body::File("/no/such/file.bin".into())),
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert!(error.to_string().contains("/no/such/file.bin"), "{error}");
    assert!(sandbox.requests().is_empty());
}

#[tokio::test]
async fn a_form_is_url_encoded() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let fields = vec![
        ("channel".to_owned(), "C0".to_owned()),
        ("text".to_owned(), "a b&c=é".to_owned()),
    ];
    client
        .request(
            "echo",
            "/form",
            RequestOptions::new()
                .method("POST")
                .body(Body::Form(fields)),
        )
        .await
        .unwrap();
    let sent = &sandbox.requests()[0];
    assert_eq!(
        sent.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        String::from_utf8(sent.body()).unwrap(),
        "channel=C0&text=a+b%26c%3D%C3%A9"
    );
}

#[tokio::test]
async fn multipart_parts_are_read_back_by_a_real_parser() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let file_bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 256) as u8).collect();
    let path = temp_file("photo.png", &file_bytes);
    let parts = vec![
        Part::text("channels", "C0,C1"),
        Part::text("title", "Quarterly réport"),
        Part::bytes("notes", "notes.txt", b"plain notes".to_vec()).content_type("text/plain"),
        Part::file("file", &path).content_type("image/png"),
        // Names as browsers send them: UTF-8 and spaces as they are, a quote (which would end
        // the quoted string) as %22.
        Part::bytes("say \"hi\"", "Quarterly \"réport\".txt", b"q".to_vec()),
    ];
    let answer = client
        .request(
            "googledrive",
            "/upload/multipart",
            RequestOptions::new()
                .method("POST")
                .body(Body::Multipart(parts)),
        )
        .await
        .unwrap();
    let parts = json_of(answer)["parts"].clone();
    assert_eq!(parts[0]["name"], "channels");
    assert_eq!(parts[0]["text"], "C0,C1");
    assert_eq!(parts[1]["text"], "Quarterly réport");
    assert_eq!(parts[2]["filename"], "notes.txt");
    assert_eq!(parts[2]["content_type"], "text/plain");
    assert_eq!(parts[2]["text"], "plain notes");
    assert_eq!(parts[3]["filename"], "photo.png");
    assert_eq!(parts[3]["content_type"], "image/png");
    assert_eq!(parts[3]["size"], 200_000);
    assert_eq!(parts[4]["name"], "say %22hi%22");
    assert_eq!(parts[4]["filename"], "Quarterly %22réport%22.txt");
    assert_eq!(parts.as_array().unwrap().len(), 5);
    let sent = &sandbox.requests()[0];
    let length: usize = sent.header("content-length").unwrap().parse().unwrap();
    assert_eq!(length, sent.body().len());
    assert!(
        sent.header("content-type")
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );

    // The boundary is the SDK's to choose.
    let error = client
        .request(
            "googledrive",
            "/upload/multipart",
            RequestOptions::new()
                .method("POST")
                .header("Content-Type", "multipart/form-data")
                .body(Body::Multipart(vec![Part::text("a", "b")])),
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[tokio::test]
async fn a_stream_body_is_sent_as_it_comes_and_never_retried() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = support::client_for(&sandbox);
    let chunks: Vec<std::io::Result<bytes::Bytes>> = (0..50)
        .map(|i| Ok(bytes::Bytes::from(vec![i as u8; 10_000])))
        .collect();
    let stream = paragon_connect::OneShotStream::new(futures_util::stream::iter(chunks));
    let answer = client
        .request(
            "googledrive",
            "/upload/files",
            RequestOptions::new()
                .method("PUT")
                .body(Body::Stream(stream)),
        )
        .await
        .unwrap();
    assert_eq!(json_of(answer)["size"], 500_000);

    // A retryable failure is not retried: the stream was spent.
    sandbox.push_reply(Reply::json(503, json!({})));
    let stream = paragon_connect::OneShotStream::new(futures_util::stream::iter(vec![Ok(
        bytes::Bytes::from_static(b"once"),
    )]));
    let error = client
        .request(
            "googledrive",
            "/upload/files",
            RequestOptions::new()
                .method("PUT")
                .body(Body::Stream(stream)),
        )
        .await
        .unwrap_err();
    assert_eq!(error.as_status().unwrap().status, 503);
    assert_eq!(sandbox.requests().len(), 2);
}
