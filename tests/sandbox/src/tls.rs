//! HTTPS for the sandbox: a private CA made when it starts (so no test trusts anything real), a
//! server certificate for `localhost` and `127.0.0.1` signed by it, offering HTTP/2 and
//! HTTP/1.1 by ALPN, and a client certificate for the listener that requires one (mutual TLS).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// The sandbox's certificates, as PEM for the clients under test.
pub struct Pki {
    /// The CA that signed everything: what a client must trust.
    pub ca_pem: String,
    /// A client certificate and its key, for the mutual-TLS listener.
    pub client_cert_pem: String,
    pub client_key_pem: String,
    /// Server configurations: any client, and only clients with a certificate from the CA.
    pub open: Arc<ServerConfig>,
    pub(crate) mutual: Arc<ServerConfig>,
}

impl Pki {
    /// A new CA and certificates (each run its own: nothing outlives the process).
    #[allow(clippy::new_without_default)]
    pub fn new() -> Pki {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "paragon-sandbox test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("a key"))
            .expect("the CA certificate");

        let leaf = |names: Vec<String>, usage: ExtendedKeyUsagePurpose| {
            let mut params = CertificateParams::new(names).expect("leaf parameters");
            params.extended_key_usages = vec![usage];
            let key = KeyPair::generate().expect("a key");
            let cert = params.signed_by(&key, &ca).expect("a leaf certificate");
            (cert, key)
        };
        let (server_cert, server_key) = leaf(
            vec!["localhost".into(), "127.0.0.1".into()],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let (client_cert, client_key) = leaf(
            vec!["sandbox-client".into()],
            ExtendedKeyUsagePurpose::ClientAuth,
        );

        let chain = vec![server_cert.der().clone()];
        let key = || PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        let builder = || {
            ServerConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
        };
        let mut open = builder()
            .with_no_client_auth()
            .with_single_cert(chain.clone(), key())
            .expect("the server certificate");
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from(ca.der().to_vec()))
            .expect("the CA as a root");
        let clients =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .expect("a client verifier");
        let mut mutual = builder()
            .with_client_cert_verifier(clients)
            .with_single_cert(chain, key())
            .expect("the server certificate");
        for config in [&mut open, &mut mutual] {
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        }
        Pki {
            ca_pem: ca.pem(),
            client_cert_pem: client_cert.pem(),
            client_key_pem: client_key.serialize_pem(),
            open: Arc::new(open),
            mutual: Arc::new(mutual),
        }
    }
}

/// Serves `app` over TLS on `listener` until the task is dropped; a failed handshake ends only
/// that connection.
pub(crate) async fn serve(listener: TcpListener, config: Arc<ServerConfig>, app: Router) {
    let acceptor = TlsAcceptor::from(config);
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(stream).await else {
                return;
            };
            let app = app.layer(axum::Extension(ConnectInfo::<SocketAddr>(peer)));
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app))
                .await;
        });
    }
}
