//! How a client reaches Paragon: the certificate authorities it trusts, the certificate it shows
//! (mutual TLS) and the proxy it goes through. Resolved once, with the environment, when a client
//! is built; the TLS configuration (its root store, the costly part of a cold start) is made once
//! and shared by every HTTP client the core makes for it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use url::Url;

use hyper_util::client::proxy::matcher::Matcher;

use crate::config::is_loopback;
use crate::connector::{Connector, ConnectorSettings};
use crate::error::ConfigError;
use crate::http_client::{HttpClient, HttpSettings};
use crate::secret::Secret;

/// How long an idle connection is kept, unless set (hyper-util's and reqwest's default).
const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// The TCP keep-alive interval, unless set.
const DEFAULT_TCP_KEEPALIVE: Duration = Duration::from_secs(15);

/// The transport settings as given (each PEM setting is PEM text or the path of a PEM file).
#[derive(Clone, Default)]
pub(crate) struct TransportSettings {
    pub ca_certs: Option<String>,
    pub use_system_roots: Option<bool>,
    pub client_cert: Option<String>,
    pub client_key: Option<Secret>,
    pub proxy: Option<ProxySetting>,
    pub pool: PoolSettings,
}

/// How connections are kept: `None` keeps the HTTP client's default (in the README).
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct PoolSettings {
    pub max_idle_per_host: Option<usize>,
    pub idle_timeout: Option<Duration>,
    pub tcp_keepalive: Option<Duration>,
    pub http2: Option<Http2>,
}

/// Which HTTP version a client speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Http2 {
    /// HTTP/2 when the server offers it over TLS (ALPN), HTTP/1.1 otherwise.
    #[default]
    Auto,
    /// HTTP/2 only, also over plain HTTP (prior knowledge).
    Always,
    /// HTTP/1.1 only.
    Never,
}

impl Http2 {
    /// The setting's value as the bindings pass it: `"auto"`, `"always"` or `"never"`.
    pub fn from_setting(value: &str) -> Result<Http2, ConfigError> {
        match value {
            "auto" => Ok(Http2::Auto),
            "always" => Ok(Http2::Always),
            "never" => Ok(Http2::Never),
            other => Err(ConfigError::new(
                "http2",
                format!("must be \"auto\", \"always\" or \"never\", not {other:?}"),
            )),
        }
    }
}

/// The `proxy` setting: a proxy URL, or no proxy at all (not even the environment's).
#[derive(Clone, PartialEq, Eq)]
pub enum ProxySetting {
    Url(String),
    Off,
}

impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxySetting::Url(url) => write!(f, "Url({:?})", redacted(url)),
            ProxySetting::Off => f.write_str("Off"),
        }
    }
}

/// Checked transport settings.
#[derive(Clone)]
pub(crate) struct Transport {
    roots: Roots,
    identity: Option<Identity>,
    proxy: Proxy,
    pool: PoolSettings,
}

/// The client certificate chain and its key, checked to match.
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Identity {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

#[derive(Clone)]
enum Roots {
    /// The system's (on Linux, `SSL_CERT_FILE`/`SSL_CERT_DIR` when set), with these added.
    System(Vec<CertificateDer<'static>>),
    /// Only these.
    Only(Vec<CertificateDer<'static>>),
}

#[derive(Clone)]
enum Proxy {
    /// The environment's (`HTTPS_PROXY`, `NO_PROXY`, ...; the system settings on macOS and
    /// Windows), unless every service is on loopback.
    Environment {
        all_loopback: bool,
    },
    Off,
    /// The proxy URL (with its credentials) and how it is shown.
    Given(String, String),
}

impl Transport {
    /// Checks `given`, reading `REQUESTS_CA_BUNDLE` (Python: replaces the roots, as requests
    /// does) or `NODE_EXTRA_CA_CERTS` (Node: adds to them, as Node does) through `env` when no
    /// `ca_certs` is given.
    pub(crate) fn resolve(
        given: TransportSettings,
        language: &str,
        services: &[&Url],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Transport, ConfigError> {
        let only = given.use_system_roots == Some(false);
        let roots = match (given.ca_certs, language) {
            (Some(pem), _) => {
                let certs = certificates("ca_certs", &pem)?;
                if only {
                    Roots::Only(certs)
                } else {
                    Roots::System(certs)
                }
            }
            (None, _) if only => {
                return Err(ConfigError::new(
                    "use_system_roots",
                    "is false but no ca_certs were given: no server could be trusted",
                ));
            }
            (None, "python") => match env("REQUESTS_CA_BUNDLE") {
                Some(path) => Roots::Only(certificates("REQUESTS_CA_BUNDLE", &path)?),
                None => Roots::System(Vec::new()),
            },
            (None, "node") => match env("NODE_EXTRA_CA_CERTS") {
                Some(path) => Roots::System(certificates("NODE_EXTRA_CA_CERTS", &path)?),
                None => Roots::System(Vec::new()),
            },
            (None, _) => Roots::System(Vec::new()),
        };
        let identity = identity(given.client_cert, given.client_key)?;
        let proxy = match given.proxy {
            None => Proxy::Environment {
                all_loopback: services.iter().all(|url| is_loopback(url)),
            },
            Some(ProxySetting::Off) => Proxy::Off,
            Some(ProxySetting::Url(url)) => {
                check_proxy(&url)?;
                let shown = redacted(&url);
                Proxy::Given(url, shown)
            }
        };
        Ok(Transport {
            roots,
            identity,
            proxy,
            pool: given.pool,
        })
    }

    /// The TLS configuration every HTTP client of one `Client` shares: the roots it trusts (the
    /// system's, or Mozilla's built in when the system has none, as in a slim container), the
    /// certificate it shows, and the protocols it offers (ALPN).
    pub(crate) fn tls_config(&self) -> Result<rustls::ClientConfig, ConfigError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = match &self.roots {
            Roots::Only(certs) => webpki_verifier(certs.iter().cloned(), &provider)?,
            Roots::System(extra) => match platform_verifier(extra, &provider) {
                Ok(verifier) => verifier,
                Err(_) => webpki_verifier(
                    webpki_root_certs::TLS_SERVER_ROOT_CERTS
                        .iter()
                        .cloned()
                        .chain(extra.iter().cloned()),
                    &provider,
                )?,
            },
        };
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| tls_error("ca_certs", error))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut config = match &self.identity {
            Some(identity) => builder
                .with_client_auth_cert(identity.chain.clone(), identity.key.clone_key())
                .map_err(|error| tls_error("client_key", error))?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = match self.pool.http2.unwrap_or_default() {
            Http2::Auto => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            Http2::Always => vec![b"h2".to_vec()],
            Http2::Never => vec![b"http/1.1".to_vec()],
        };
        Ok(config)
    }

    /// The HTTP client these settings make, speaking `tls` (a clone shares the verifier, its
    /// root store and the TLS session cache).
    pub(crate) fn http_client(
        &self,
        tls: &Arc<rustls::ClientConfig>,
        connect_timeout: Duration,
        decompress: bool,
        max_response_headers: usize,
    ) -> HttpClient {
        let proxies = match &self.proxy {
            Proxy::Environment { all_loopback: true } | Proxy::Off => None,
            Proxy::Environment {
                all_loopback: false,
            } => Some(Matcher::from_system()),
            Proxy::Given(url, _) => Some(Matcher::builder().all(url.clone()).build()),
        };
        let pool = self.pool;
        let connector = Connector::new(ConnectorSettings {
            tls: tls.clone(),
            proxies,
            connect_timeout,
            tcp_keepalive: Some(pool.tcp_keepalive.unwrap_or(DEFAULT_TCP_KEEPALIVE)),
        });
        HttpClient::new(HttpSettings {
            connector,
            decompress,
            http2_only: pool.http2 == Some(Http2::Always),
            max_idle_per_host: pool.max_idle_per_host,
            idle_timeout: Some(pool.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT)),
            max_response_headers,
        })
    }
}

/// The system's verifier (the OS's own on macOS and Windows), trusting `extra` too.
fn platform_verifier(
    extra: &[CertificateDer<'static>],
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, rustls::Error> {
    let provider = provider.clone();
    if extra.is_empty() {
        return Ok(Arc::new(rustls_platform_verifier::Verifier::new(provider)?));
    }
    #[cfg(not(target_os = "android"))]
    return Ok(Arc::new(
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra.iter().cloned(), provider)?,
    ));
    #[cfg(target_os = "android")]
    Err(rustls::Error::General(
        "extra roots are not supported on Android".to_owned(),
    ))
}

/// A verifier trusting exactly `roots` (each already checked as a trust anchor).
fn webpki_verifier(
    roots: impl Iterator<Item = CertificateDer<'static>>,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, ConfigError> {
    let mut store = rustls::RootCertStore::empty();
    store.add_parsable_certificates(roots);
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(store.into(), provider.clone())
            .build()
            .map_err(|error| ConfigError::new("ca_certs", format!("cannot be used: {error}")))?;
    Ok(verifier)
}

fn tls_error(setting: &'static str, error: rustls::Error) -> ConfigError {
    ConfigError::new(setting, format!("cannot be used: {error}"))
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (roots, added) = match &self.roots {
            Roots::System(extra) => ("system", extra.len()),
            Roots::Only(certs) => ("only given", certs.len()),
        };
        let proxy = match &self.proxy {
            Proxy::Environment { .. } => "environment".to_owned(),
            Proxy::Off => "off".to_owned(),
            Proxy::Given(_, shown) => shown.clone(),
        };
        f.debug_struct("Transport")
            .field("roots", &roots)
            .field("certificates_given", &added)
            .field("client_certificate", &self.identity.is_some())
            .field("proxy", &proxy)
            .field("pool", &self.pool)
            .finish()
    }
}

/// PEM text as given, or read from the file `value` names.
fn pem_bytes(setting: &'static str, value: &str) -> Result<Vec<u8>, ConfigError> {
    // Anywhere: `openssl pkcs12` writes "Bag Attributes" lines before the block, and key text
    // taken for a path would be quoted in the error.
    if value.contains("-----BEGIN") {
        return Ok(value.as_bytes().to_vec());
    }
    std::fs::read(value).map_err(|error| {
        // A key given as bare base64 (no PEM header) is not a path: never quote it.
        let shown = match setting {
            "client_key" => "the file it names".to_owned(),
            _ => format!("{value:?}"),
        };
        ConfigError::new(setting, format!("cannot read {shown}: {error}"))
    })
}

/// Every certificate in the PEM `value` (text or file), each checked as a trust anchor.
fn certificates(
    setting: &'static str,
    value: &str,
) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    parse_certificates(setting, &pem_bytes(setting, value)?)
}

fn parse_certificates(
    setting: &'static str,
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| ConfigError::new(setting, format!("holds malformed PEM: {error}")))?;
    if certs.is_empty() {
        return Err(ConfigError::new(
            setting,
            "holds no certificate (a PEM block starting -----BEGIN CERTIFICATE-----)",
        ));
    }
    for (index, cert) in certs.iter().enumerate() {
        rustls::RootCertStore::empty()
            .add(cert.clone())
            .map_err(|error| {
                ConfigError::new(
                    setting,
                    format!("certificate {} is not valid: {error}", index + 1),
                )
            })?;
    }
    Ok(certs)
}

/// The client certificate for mutual TLS: the chain and its key, which must come together and
/// match.
fn identity(cert: Option<String>, key: Option<Secret>) -> Result<Option<Identity>, ConfigError> {
    let (cert, key) = match (cert, key) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(ConfigError::new(
                "client_key",
                "is required with client_cert (the certificate's private key, PEM)",
            ));
        }
        (None, Some(_)) => {
            return Err(ConfigError::new(
                "client_cert",
                "is required with client_key (the certificate chain, PEM)",
            ));
        }
        (Some(cert), Some(key)) => (cert, key),
    };
    let pem = pem_bytes("client_cert", &cert)?;
    let chain = parse_certificates("client_cert", &pem)?;
    let key_pem = pem_bytes("client_key", key.expose())?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| {
        ConfigError::new(
            "client_key",
            "holds no private key (a PEM block starting -----BEGIN PRIVATE KEY-----, or an RSA or EC one)",
        )
    })?;
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    // Checked here so a key that does not match the certificate is named, not a start failure.
    rustls::sign::CertifiedKey::from_der(chain.clone(), key.clone_key(), &provider)
        .map_err(|error| ConfigError::new("client_key", format!("cannot be used: {error}")))?;
    Ok(Some(Identity { chain, key }))
}

/// Whether `url` names a proxy, or why not (never showing its password).
fn check_proxy(url: &str) -> Result<(), ConfigError> {
    let refuse = |reason: &str| {
        Err(ConfigError::new(
            "proxy",
            format!("{} {reason}", redacted(url)),
        ))
    };
    let Ok(parsed) = Url::parse(url) else {
        return refuse("is not a URL (e.g. http://proxy.internal:3128 or socks5://127.0.0.1:1080)");
    };
    if !matches!(parsed.scheme(), "http" | "https" | "socks5" | "socks5h") {
        return refuse("is not a proxy URL: use http://, https://, socks5:// or socks5h://");
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return refuse("names no host");
    }
    if url.parse::<http::Uri>().is_err() {
        return refuse("is not a usable proxy URL");
    }
    Ok(())
}

/// `url` with any password replaced, for messages and `Debug`.
fn redacted(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("[redacted]"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) if url.contains('@') => "the proxy URL".to_owned(),
        Err(_) => format!("{url:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &str = include_str!("../../tests/sandbox/keys/test-ca.pem");

    fn resolve(
        given: TransportSettings,
        language: &str,
        services: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Transport, ConfigError> {
        let services: Vec<Url> = services
            .iter()
            .map(|url| Url::parse(url).unwrap())
            .collect();
        let services: Vec<&Url> = services.iter().collect();
        let env = |name: &str| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        };
        Transport::resolve(given, language, &services, &env)
    }

    #[test]
    fn each_language_reads_its_own_ca_variable() {
        let env = [("REQUESTS_CA_BUNDLE", CA), ("NODE_EXTRA_CA_CERTS", CA)];
        let remote = ["https://proxy.example"];
        let python = resolve(TransportSettings::default(), "python", &remote, &env).unwrap();
        assert!(matches!(python.roots, Roots::Only(ref certs) if certs.len() == 1));
        let node = resolve(TransportSettings::default(), "node", &remote, &env).unwrap();
        assert!(matches!(node.roots, Roots::System(ref certs) if certs.len() == 1));
        let rust = resolve(TransportSettings::default(), "rust", &remote, &env).unwrap();
        assert!(matches!(rust.roots, Roots::System(ref certs) if certs.is_empty()));
        // A given ca_certs wins over the variable.
        let given = TransportSettings {
            ca_certs: Some(CA.to_owned()),
            ..TransportSettings::default()
        };
        let python = resolve(given, "python", &remote, &env).unwrap();
        assert!(matches!(python.roots, Roots::System(_)));
        // A variable naming a missing file is named in the error.
        let error = resolve(
            TransportSettings::default(),
            "node",
            &remote,
            &[("NODE_EXTRA_CA_CERTS", "/nonexistent/ca.pem")],
        )
        .err()
        .unwrap();
        assert_eq!(error.setting, "NODE_EXTRA_CA_CERTS");
    }

    #[test]
    fn the_environments_proxy_is_never_used_for_loopback_services() {
        let loopback = [
            "http://127.0.0.1:9/",
            "http://localhost:9/",
            "http://[::1]:9/",
        ];
        let transport = resolve(TransportSettings::default(), "rust", &loopback, &[]).unwrap();
        assert!(matches!(
            transport.proxy,
            Proxy::Environment { all_loopback: true }
        ));
        let mixed = ["http://127.0.0.1:9/", "https://zeus.example/"];
        let transport = resolve(TransportSettings::default(), "rust", &mixed, &[]).unwrap();
        assert!(matches!(
            transport.proxy,
            Proxy::Environment {
                all_loopback: false
            }
        ));
    }
}
