//! A `multipart/form-data` body (RFC 7578), written as browsers write `FormData`: files streamed
//! from disk, its length known before it is sent.

use std::collections::VecDeque;

use bytes::Bytes;
use futures_util::StreamExt;
use http::HeaderValue;
use tokio_util::io::ReaderStream;

use crate::http_client::RequestBody;
use crate::request::{Part, PartData};

/// A form ready to send: its body, its `Content-Type` (with the boundary) and its length.
pub(crate) struct Form {
    pub body: RequestBody,
    pub content_type: HeaderValue,
    pub length: u64,
}

enum Piece {
    Bytes(Bytes),
    File(tokio::fs::File),
}

/// The form of `parts`, in order (each file opened now, so a retry sends it whole).
pub(crate) async fn form(parts: &[Part]) -> std::io::Result<Form> {
    let boundary = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    let mut pieces = VecDeque::new();
    let mut length = 0u64;
    let mut add = |piece: Piece, size: u64| {
        length += size;
        pieces.push_back(piece);
    };
    for part in parts {
        let (data, size, default_name, default_type) = match &part.data {
            PartData::Text(text) => {
                let bytes = Bytes::from(text.clone().into_bytes());
                let size = bytes.len() as u64;
                (Piece::Bytes(bytes), size, None, None)
            }
            // Bytes are a file to the receiver: named after their field unless named.
            PartData::Bytes(bytes) => (
                Piece::Bytes(bytes.clone()),
                bytes.len() as u64,
                Some(part.name.clone()),
                Some("application/octet-stream"),
            ),
            PartData::File(path) => {
                let file = tokio::fs::File::open(path).await?;
                let size = file.metadata().await?.len();
                let name = path
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned());
                (
                    Piece::File(file),
                    size,
                    name,
                    Some("application/octet-stream"),
                )
            }
        };
        let mut head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"",
            escaped(&part.name)
        );
        if let Some(filename) = part.filename.as_ref().or(default_name.as_ref()) {
            head.push_str(&format!("; filename=\"{}\"", escaped(filename)));
        }
        if let Some(content_type) = part.content_type.as_deref().or(default_type) {
            head.push_str(&format!("\r\nContent-Type: {content_type}"));
        }
        head.push_str("\r\n\r\n");
        let head = Bytes::from(head);
        add(Piece::Bytes(head.clone()), head.len() as u64);
        add(data, size);
        add(Piece::Bytes(Bytes::from_static(b"\r\n")), 2);
    }
    let end = Bytes::from(format!("--{boundary}--\r\n"));
    add(Piece::Bytes(end.clone()), end.len() as u64);
    let chunks = futures_util::stream::iter(pieces).flat_map(|piece| match piece {
        Piece::Bytes(bytes) => futures_util::stream::once(async move { Ok(bytes) }).boxed(),
        Piece::File(file) => ReaderStream::new(file).boxed(),
    });
    Ok(Form {
        body: RequestBody::stream(chunks),
        content_type: HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}"))
            .expect("a boundary of hex digits"),
        length,
    })
}

/// A name or file name in a quoted `Content-Disposition` parameter, escaped as browsers escape
/// them. Control characters (CR and LF among them) were refused when the call was checked; they
/// are escaped here too so that no part's text can ever end its header.
fn escaped(text: &str) -> String {
    text.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}
