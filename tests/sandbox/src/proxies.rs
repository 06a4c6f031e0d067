//! Forward proxies for the tests of the client's `proxy` setting: an HTTP `CONNECT` proxy and a
//! SOCKS5 one (no authentication; `CONNECT` only), both on 127.0.0.1 and both refusing any
//! destination but 127.0.0.1, counting the tunnels they opened.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, copy_bidirectional};
use tokio::net::{TcpListener, TcpStream};

/// Tunnels opened so far, by kind.
#[derive(Default)]
pub(crate) struct Tunnels {
    pub(crate) connect: AtomicU64,
    pub(crate) socks5: AtomicU64,
}

/// Runs the `CONNECT` proxy on `listener`.
pub(crate) async fn serve_connect(listener: TcpListener, tunnels: Arc<Tunnels>) {
    while let Ok((client, _)) = listener.accept().await {
        let tunnels = tunnels.clone();
        tokio::spawn(async move {
            let mut client = BufReader::new(client);
            let mut line = String::new();
            if client.read_line(&mut line).await.is_err() {
                return;
            }
            // Headers up to the blank line (a `Proxy-Authorization` would be here).
            loop {
                let mut header = String::new();
                match client.read_line(&mut header).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) if header.trim().is_empty() => break,
                    Ok(_) => {}
                }
            }
            let mut words = line.split_whitespace();
            let (Some("CONNECT"), Some(authority)) = (words.next(), words.next()) else {
                let _ = client
                    .get_mut()
                    .write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
                    .await;
                return;
            };
            let Some(mut upstream) = connect_local(authority).await else {
                let _ = client
                    .get_mut()
                    .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
                    .await;
                return;
            };
            tunnels.connect.fetch_add(1, Ordering::SeqCst);
            if client
                .get_mut()
                .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                .await
                .is_ok()
            {
                let _ = copy_bidirectional(&mut client, &mut upstream).await;
            }
        });
    }
}

/// Runs the SOCKS5 proxy on `listener` (RFC 1928: no authentication, `CONNECT` to an IPv4
/// address or a domain name).
pub(crate) async fn serve_socks5(listener: TcpListener, tunnels: Arc<Tunnels>) {
    while let Ok((mut client, _)) = listener.accept().await {
        let tunnels = tunnels.clone();
        tokio::spawn(async move {
            let Some(mut upstream) = socks5_handshake(&mut client).await else {
                return;
            };
            tunnels.socks5.fetch_add(1, Ordering::SeqCst);
            let _ = copy_bidirectional(&mut client, &mut upstream).await;
        });
    }
}

async fn socks5_handshake(client: &mut TcpStream) -> Option<TcpStream> {
    let mut greeting = [0u8; 2];
    client.read_exact(&mut greeting).await.ok()?;
    let mut methods = vec![0u8; usize::from(greeting[1])];
    client.read_exact(&mut methods).await.ok()?;
    if greeting[0] != 5 || !methods.contains(&0) {
        let _ = client.write_all(&[5, 0xFF]).await;
        return None;
    }
    client.write_all(&[5, 0]).await.ok()?;
    let mut request = [0u8; 4];
    client.read_exact(&mut request).await.ok()?;
    let host = match request[3] {
        1 => {
            let mut address = [0u8; 4];
            client.read_exact(&mut address).await.ok()?;
            Ipv4Addr::from(address).to_string()
        }
        3 => {
            let mut length = [0u8; 1];
            client.read_exact(&mut length).await.ok()?;
            let mut name = vec![0u8; usize::from(length[0])];
            client.read_exact(&mut name).await.ok()?;
            String::from_utf8(name).ok()?
        }
        _ => return None,
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port).await.ok()?;
    let authority = format!("{host}:{}", u16::from_be_bytes(port));
    let upstream = if request[1] == 1 {
        connect_local(&authority).await
    } else {
        None
    };
    let reply: u8 = if upstream.is_some() { 0 } else { 2 };
    client
        .write_all(&[5, reply, 0, 1, 127, 0, 0, 1, 0, 0])
        .await
        .ok()?;
    upstream
}

/// A connection to `authority` when it names this machine's 127.0.0.1 (or `localhost`).
async fn connect_local(authority: &str) -> Option<TcpStream> {
    let (host, port) = authority.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    if host != "127.0.0.1" && host != "localhost" {
        return None;
    }
    TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .ok()
}
