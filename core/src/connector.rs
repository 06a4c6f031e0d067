//! How one connection is opened: straight to the server, through an HTTP proxy's CONNECT tunnel,
//! through a SOCKS5 proxy, or to an HTTP proxy that forwards plain-HTTP calls; then TLS with the
//! client's one configuration when the server's URL is `https`. The whole of it (proxy handshake
//! and TLS handshake included) is bounded by the connect timeout.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{HeaderValue, Uri};
use hyper_util::client::legacy::connect::proxy::{SocksV5, Tunnel};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tower_service::Service;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Opens the connections of one HTTP client. Cheap to clone (the pool clones it per connection).
#[derive(Clone)]
pub(crate) struct Connector {
    inner: Arc<Inner>,
}

struct Inner {
    tcp: HttpConnector,
    /// For the servers called (ALPN as the `http2` setting says).
    tls: TlsConnector,
    /// For an `https://` proxy: HTTP/1.1 only, since CONNECT is an HTTP/1.1 request.
    proxy_tls: TlsConnector,
    /// Which proxy, if any, a destination goes through.
    proxies: Option<Matcher>,
    connect_timeout: Duration,
}

/// How the connection settings are given to [`Connector::new`].
pub(crate) struct ConnectorSettings {
    pub tls: Arc<rustls::ClientConfig>,
    pub proxies: Option<Matcher>,
    pub connect_timeout: Duration,
    pub tcp_keepalive: Option<Duration>,
}

impl Connector {
    pub(crate) fn new(settings: ConnectorSettings) -> Connector {
        let mut tcp = HttpConnector::new();
        // The URIs are `https` too: TLS is done here, over whatever the route gave.
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_keepalive(settings.tcp_keepalive);
        let mut proxy_config = (*settings.tls).clone();
        proxy_config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Connector {
            inner: Arc::new(Inner {
                tcp,
                tls: TlsConnector::from(settings.tls),
                proxy_tls: TlsConnector::from(Arc::new(proxy_config)),
                proxies: settings.proxies,
                connect_timeout: settings.connect_timeout,
            }),
        }
    }

    /// The proxy `dst` goes through, if any.
    fn route(&self, dst: &Uri) -> Option<Intercept> {
        self.inner.proxies.as_ref()?.intercept(dst)
    }

    /// The `Proxy-Authorization` a plain-HTTP call to `dst` carries: such a call is sent to an
    /// HTTP proxy whole (absolute-form), not tunnelled, so the proxy's credentials go with it.
    pub(crate) fn forward_authorization(&self, dst: &Uri) -> Option<HeaderValue> {
        if dst.scheme_str() != Some("http") {
            return None;
        }
        let proxy = self.route(dst)?;
        match proxy.uri().scheme_str() {
            Some("http" | "https") => proxy.basic_auth().cloned(),
            _ => None,
        }
    }

    async fn connect(self, dst: Uri) -> Result<Conn, BoxError> {
        let Some(proxy) = self.route(&dst) else {
            return self.open(dst, false).await;
        };
        let https = dst.scheme_str() == Some("https");
        // The proxies' handshakes default a missing port to 443: give it always.
        let target: Uri = format!(
            "{}://{}:{}",
            if https { "https" } else { "http" },
            dst.host().ok_or("the URL has no host")?,
            dst.port_u16().unwrap_or(if https { 443 } else { 80 }),
        )
        .parse()?;
        let to_proxy = ToProxy(self.clone());
        let tunnelled = match proxy.uri().scheme_str() {
            Some(scheme @ ("socks5" | "socks5h")) => {
                let mut socks = SocksV5::new(proxy.uri().clone(), to_proxy)
                    // socks5h leaves the name to the proxy to resolve.
                    .local_dns(scheme == "socks5");
                if let Some((user, password)) = proxy.raw_auth() {
                    socks = socks.with_auth(user.to_owned(), password.to_owned());
                }
                socks.call(target).await.map_err(|error| {
                    format!("the SOCKS5 proxy {} refused: {error}", shown(proxy.uri()))
                })?
            }
            // A plain-HTTP call goes to the proxy itself, which forwards it.
            _ if !https => return self.open(proxy.uri().clone(), true).await,
            _ => {
                let mut tunnel = Tunnel::new(proxy.uri().clone(), to_proxy);
                if let Some(authorization) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(authorization.clone());
                }
                tunnel.call(target).await?
            }
        };
        let stream = tunnelled.io.into_inner();
        let stream = self.tls_over(&self.inner.tls, &dst, stream).await?;
        Ok(Conn::new(stream, false))
    }

    /// A connection to `dst` itself: TCP, then TLS when its scheme is `https`.
    async fn open(&self, dst: Uri, proxied: bool) -> Result<Conn, BoxError> {
        let tcp = self.inner.tcp.clone().call(dst.clone()).await?.into_inner();
        let stream = Stream::Tcp(tcp);
        if dst.scheme_str() != Some("https") {
            return Ok(Conn::new(stream, proxied));
        }
        let tls = if proxied {
            &self.inner.proxy_tls
        } else {
            &self.inner.tls
        };
        Ok(Conn::new(self.tls_over(tls, &dst, stream).await?, proxied))
    }

    async fn tls_over(
        &self,
        tls: &TlsConnector,
        dst: &Uri,
        stream: Stream,
    ) -> Result<Stream, BoxError> {
        let host = dst.host().ok_or("the URL has no host")?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host.to_owned())?;
        Ok(Stream::Tls(Box::new(tls.connect(name, stream).await?)))
    }
}

impl Service<Uri> for Connector {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let limit = self.inner.connect_timeout;
        let connecting = self.clone().connect(dst);
        Box::pin(async move {
            match tokio::time::timeout(limit, connecting).await {
                Ok(connected) => connected,
                Err(_) => Err(Box::new(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the connection was not made within connect_timeout",
                )) as BoxError),
            }
        })
    }
}

/// The proxy's own connection, for the CONNECT and SOCKS5 handshakes.
#[derive(Clone)]
struct ToProxy(Connector);

impl Service<Uri> for ToProxy {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, proxy: Uri) -> Self::Future {
        let connector = self.0.clone();
        Box::pin(async move {
            connector.open(proxy.clone(), true).await.map_err(|error| {
                format!("the proxy {} could not be reached: {error}", shown(&proxy)).into()
            })
        })
    }
}

/// A proxy's address without its credentials.
fn shown(proxy: &Uri) -> String {
    let host = proxy.host().unwrap_or("");
    match proxy.port_u16() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// A connection's bytes: TCP, or TLS over a connection (TLS over TLS through an `https` proxy's
/// tunnel).
pub(crate) enum Stream {
    Tcp(TcpStream),
    Tls(Box<TlsStream<Stream>>),
}

/// A connection as the HTTP client holds it.
pub(crate) struct Conn {
    io: TokioIo<Stream>,
    /// Whether this is an HTTP proxy's connection, to which plain-HTTP calls are forwarded.
    proxied: bool,
}

impl Conn {
    fn new(stream: Stream, proxied: bool) -> Conn {
        Conn {
            io: TokioIo::new(stream),
            proxied,
        }
    }
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        let connected = Connected::new().proxy(self.proxied);
        match self.io.inner() {
            Stream::Tls(tls) if tls.get_ref().1.alpn_protocol() == Some(b"h2") => {
                connected.negotiated_h2()
            }
            _ => connected,
        }
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Tcp(tcp) => tcp.is_write_vectored(),
            Stream::Tls(tls) => tls.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}
