//! TLS trust, client certificates and proxies, over real TLS against the sandbox's HTTPS
//! listeners (a private CA made when the sandbox starts) and through its two proxies.

mod support;

use paragon_connect::{Client, ClientBuilder, ErrorKind, Http2, ProxySetting, RequestOptions};
use paragon_sandbox::Sandbox;

/// A client of the sandbox's services at `base` (its HTTPS or mutual-TLS URL).
fn builder_at(sandbox: &Sandbox, base: &str) -> ClientBuilder {
    Client::builder()
        .ignore_environment()
        .project_id(sandbox.project_id())
        .user_token(sandbox.user_token("user-1"))
        .proxy_base_url(base)
        .zeus_base_url(base)
        .hermes_base_url(base)
        .max_retries(0)
}

async fn call(client: &Client) -> paragon_connect::Result<paragon_connect::Response> {
    client.request("echo", "/tls", RequestOptions::new()).await
}

/// A file under the system's temporary directory, removed on drop.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("paragon-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }

    fn path(&self) -> String {
        self.0.to_string_lossy().into_owned()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn a_private_ca_is_refused_until_it_is_trusted() {
    let sandbox = Sandbox::start().await.unwrap();
    let untrusted = builder_at(&sandbox, sandbox.https_url()).build().unwrap();
    let error = call(&untrusted).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");
    assert!(error.to_string().contains("UnknownIssuer"), "{error}");
    assert!(sandbox.requests().is_empty());

    // As PEM text, added to the system's roots; HTTP/2 is negotiated.
    let trusted = builder_at(&sandbox, sandbox.https_url())
        .ca_certs(sandbox.ca_pem())
        .build()
        .unwrap();
    call(&trusted).await.unwrap();
    assert_eq!(sandbox.requests()[0].version, "HTTP/2.0");

    // As a file, and as the only root.
    let file = TempFile::new("ca.pem", sandbox.ca_pem());
    let only = builder_at(&sandbox, sandbox.https_url())
        .ca_certs(file.path())
        .use_system_roots(false)
        .build()
        .unwrap();
    call(&only).await.unwrap();
    assert_eq!(sandbox.requests().len(), 2);
}

#[tokio::test]
async fn a_server_requiring_a_client_certificate_gets_one() {
    let sandbox = Sandbox::start().await.unwrap();
    let anonymous = builder_at(&sandbox, sandbox.mtls_url())
        .ca_certs(sandbox.ca_pem())
        .build()
        .unwrap();
    let error = call(&anonymous).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection, "{error}");

    let key = TempFile::new("client-key.pem", sandbox.client_key_pem());
    let identified = builder_at(&sandbox, sandbox.mtls_url())
        .ca_certs(sandbox.ca_pem())
        .client_cert(sandbox.client_cert_pem())
        .client_key(key.path())
        .build()
        .unwrap();
    call(&identified).await.unwrap();
    assert_eq!(sandbox.requests().len(), 1);
}

#[tokio::test]
async fn calls_go_through_a_connect_or_socks5_proxy_when_given_one() {
    let sandbox = Sandbox::start().await.unwrap();
    for (proxy, tunnels) in [
        (sandbox.connect_proxy_url().to_owned(), (1, 0)),
        (sandbox.socks5_proxy_url().to_owned(), (1, 1)),
    ] {
        let client = builder_at(&sandbox, sandbox.https_url())
            .ca_certs(sandbox.ca_pem())
            .proxy(ProxySetting::Url(proxy))
            .build()
            .unwrap();
        call(&client).await.unwrap();
        assert_eq!(sandbox.tunnels(), tunnels);
    }
    // No proxy at all: straight to the server.
    let direct = builder_at(&sandbox, sandbox.https_url())
        .ca_certs(sandbox.ca_pem())
        .proxy(ProxySetting::Off)
        .build()
        .unwrap();
    call(&direct).await.unwrap();
    assert_eq!(sandbox.tunnels(), (1, 1));
    assert_eq!(sandbox.requests().len(), 3);
}

#[tokio::test]
async fn bad_tls_and_proxy_settings_name_themselves_and_hide_secrets() {
    let sandbox = Sandbox::start().await.unwrap();
    let missing = std::env::temp_dir().join("paragon-no-such-dir/ca.pem");
    let not_a_cert =
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    let key_text = sandbox.client_key_pem().to_owned();
    let cases: Vec<(ClientBuilder, &str, &str)> = vec![
        (
            Client::builder().ca_certs(missing.to_string_lossy()),
            "ca_certs",
            "cannot read",
        ),
        (
            Client::builder().ca_certs(not_a_cert),
            "ca_certs",
            "not valid",
        ),
        (
            Client::builder()
                .ca_certs("-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n"),
            "ca_certs",
            "no certificate",
        ),
        (
            Client::builder().use_system_roots(false),
            "use_system_roots",
            "no ca_certs",
        ),
        (
            Client::builder().client_cert(sandbox.client_cert_pem()),
            "client_key",
            "required",
        ),
        (
            Client::builder().client_key(key_text.clone()),
            "client_cert",
            "required",
        ),
        (
            // Key material without its PEM lines reads as a path; the error must not quote it.
            Client::builder()
                .client_cert(sandbox.client_cert_pem())
                .client_key(key_text.lines().nth(1).unwrap().to_owned()),
            "client_key",
            "cannot read the file it names",
        ),
        (
            // The CA's certificate with the client's key: they do not match.
            Client::builder()
                .client_cert(sandbox.ca_pem())
                .client_key(key_text.clone()),
            "client_key",
            "cannot be used",
        ),
        (
            Client::builder().proxy(ProxySetting::Url("ftp://user:hunter2@proxy.example".into())),
            "proxy",
            "socks5://",
        ),
        (
            Client::builder().proxy(ProxySetting::Url("not a url".into())),
            "proxy",
            "is not a URL",
        ),
    ];
    for (builder, setting, says) in cases {
        let error = builder
            .ignore_environment()
            .project_id(sandbox.project_id())
            .user_token(sandbox.user_token("user-1"))
            .proxy_base_url(sandbox.https_url())
            .build()
            .unwrap_err();
        let message = error.to_string();
        let debug = format!("{error:?}");
        assert_eq!(error.kind(), ErrorKind::Config, "{message}");
        assert!(
            message.contains(setting) && message.contains(says),
            "{setting}: {message}"
        );
        for secret in [
            "hunter2",
            "PRIVATE KEY",
            &key_text[40..80],
            key_text.lines().nth(1).unwrap(),
        ] {
            assert!(
                !message.contains(secret) && !debug.contains(secret),
                "{message}"
            );
        }
    }
}

#[test]
fn a_client_shows_no_proxy_password_in_debug() {
    let client = Client::builder()
        .ignore_environment()
        .project_id("19d0c3a8-5b2e-4f6a-9d1c-7e8f90a1b012")
        .user_token("t")
        .proxy(ProxySetting::Url(
            "http://user:hunter2@proxy.example:3128".into(),
        ))
        .build()
        .unwrap();
    let shown = format!("{client:?}");
    assert!(
        shown.contains("proxy.example") && !shown.contains("hunter2"),
        "{shown}"
    );
}

#[tokio::test]
async fn the_http_version_is_chosen_by_the_http2_setting() {
    let sandbox = Sandbox::start().await.unwrap();
    let over_tls = |http2| {
        builder_at(&sandbox, sandbox.https_url())
            .ca_certs(sandbox.ca_pem())
            .http2(http2)
            .build()
            .unwrap()
    };
    call(&over_tls(Http2::Never)).await.unwrap();
    call(&over_tls(Http2::Auto)).await.unwrap();
    // Prior knowledge: HTTP/2 also over plain HTTP.
    let plain = support::builder_for(&sandbox, "user-1")
        .http2(Http2::Always)
        .build()
        .unwrap();
    call(&plain).await.unwrap();
    let versions: Vec<String> = sandbox.requests().into_iter().map(|r| r.version).collect();
    assert_eq!(versions, ["HTTP/1.1", "HTTP/2.0", "HTTP/2.0"]);
    let error = Http2::from_setting("sometimes").unwrap_err();
    assert_eq!(error.setting, "http2");
}

#[tokio::test]
async fn http2_calls_beyond_what_one_connection_carries_open_more_connections() {
    let sandbox = Sandbox::start().await.unwrap();
    let client = builder_at(&sandbox, sandbox.https_url())
        .ca_certs(sandbox.ca_pem())
        .build()
        .unwrap();
    // The first answer says HTTP/2; then 250 calls at once: 100 per connection.
    call(&client).await.unwrap();
    let calls = (0..250).map(|_| call(&client));
    for answer in futures_util::future::join_all(calls).await {
        answer.unwrap();
    }
    let records = sandbox.requests();
    assert!(records.iter().all(|r| r.version == "HTTP/2.0"));
    let mut connections: Vec<&str> = records.iter().map(|r| r.peer.as_str()).collect();
    connections.sort();
    connections.dedup();
    // 100 calls per connection need 3 at least (one, without lanes); a connection hyper opens in
    // a race and leaves idle carries no call, so it is not counted.
    assert!(connections.len() >= 3, "{connections:?}");
}

#[tokio::test]
async fn the_pool_keeps_connections_as_set() {
    let sandbox = Sandbox::start().await.unwrap();
    let peers = |from: usize| -> Vec<String> {
        sandbox.requests()[from..]
            .iter()
            .map(|r| r.peer.clone())
            .collect()
    };
    let kept = support::client_for(&sandbox);
    call(&kept).await.unwrap();
    call(&kept).await.unwrap();
    let first = peers(0);
    assert_eq!(first[0], first[1], "the default pool reuses its connection");

    let none_kept = support::builder_for(&sandbox, "user-1")
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    call(&none_kept).await.unwrap();
    call(&none_kept).await.unwrap();
    let second = peers(2);
    assert_ne!(second[0], second[1], "no idle connection kept");

    let short = support::builder_for(&sandbox, "user-1")
        .pool_idle_timeout(std::time::Duration::from_millis(50))
        .build()
        .unwrap();
    call(&short).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    call(&short).await.unwrap();
    let third = peers(4);
    assert_ne!(third[0], third[1], "the idle connection expired");
}

#[tokio::test]
async fn with_options_overlays_per_call_settings_on_the_same_pool() {
    let sandbox = Sandbox::start().await.unwrap();
    let base = support::builder_for(&sandbox, "user-1")
        .default_header("x-a", "1")
        .build()
        .unwrap();
    let derived = base
        .with_options(Client::builder().default_header("x-a", "2").max_retries(0))
        .unwrap();
    call(&base).await.unwrap();
    call(&derived).await.unwrap();
    let sent = sandbox.requests();
    assert_eq!(sent[0].header("x-a"), Some("1"));
    assert_eq!(sent[1].header("x-a"), Some("2"));
    assert_eq!(sent[0].peer, sent[1].peer);
    let error = base
        .with_options(Client::builder().proxy(ProxySetting::Off))
        .err()
        .unwrap();
    assert!(error.to_string().contains("proxy"), "{error}");
}

/// A listener on 127.0.0.1 that takes every connection and never says a word (its address, and
/// the task holding the connections open: abort it to close them).
async fn silent_listener() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    (address, held)
}

/// The error of a call that must end as a connect timeout, well within its 20 s call timeout.
async fn connect_timeout_of(client: &Client, case: &str) -> paragon_connect::Error {
    let started = std::time::Instant::now();
    let error = call(client).await.unwrap_err();
    let paragon_connect::Error::Timeout(timeout) = &error else {
        panic!("{case}: {error:?}");
    };
    assert_eq!(
        timeout.phase,
        paragon_connect::TimeoutPhase::Connect,
        "{case}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{case}"
    );
    error
}

#[tokio::test]
async fn a_proxy_that_never_answers_is_a_connect_timeout_and_its_password_stays_hidden() {
    // Proxies that take the connection and then say nothing: an HTTP proxy never answering the
    // CONNECT, a SOCKS5 proxy never answering the greeting. The connect timeout covers the
    // proxy's handshake as it covers TLS's.
    let (address, held) = silent_listener().await;
    let sandbox = Sandbox::start().await.unwrap();
    for scheme in ["http", "socks5h"] {
        let client = builder_at(&sandbox, sandbox.https_url())
            .ca_certs(sandbox.ca_pem())
            .proxy(ProxySetting::Url(format!(
                "{scheme}://user:hunter2@{address}"
            )))
            .connect_timeout(std::time::Duration::from_millis(300))
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .unwrap();
        let error = connect_timeout_of(&client, scheme).await;
        for shown in [error.to_string(), format!("{error:?}")] {
            assert!(!shown.contains("hunter2"), "{scheme}: {shown}");
        }
    }
    assert!(sandbox.requests().is_empty());
    held.abort();
}

#[tokio::test]
async fn a_tls_handshake_that_never_finishes_is_a_connect_timeout() {
    // A server that takes the connection and never says a word: the TCP connect succeeds, the
    // TLS handshake waits, and the connect timeout covers it (nothing was sent).
    let (address, held) = silent_listener().await;
    let base = format!("https://{address}");
    let sandbox = Sandbox::start().await.unwrap();
    let client = builder_at(&sandbox, &base)
        .connect_timeout(std::time::Duration::from_millis(300))
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap();
    let error = connect_timeout_of(&client, "tls").await;
    assert!(error.to_string().contains("connecting"), "{error}");
    held.abort();
}
