//! Answers read as they arrive: a body streamed chunk by chunk, and downloads written to a file
//! atomically (a temporary file renamed into place once complete).

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};
use tokio::io::AsyncWriteExt;

use crate::client::Client;
use crate::error::{
    CallSite, DecodeError, Error, InvalidRequestError, Result, TimeoutError, TimeoutPhase, chain,
};
use crate::request::RequestOptions;
use crate::response::RawResponse;

/// A 2xx answer whose body is read as it arrives.
#[derive(Debug)]
pub struct ResponseStream {
    pub status: StatusCode,
    /// Every header, repeated ones kept.
    pub headers: HeaderMap,
    pub(crate) call: CallSite,
    pub(crate) response: reqwest::Response,
    /// The longest wait for one chunk.
    pub(crate) idle_timeout: Duration,
    pub(crate) received: u64,
}

impl ResponseStream {
    /// The body's length, when the server announced it.
    pub fn content_length(&self) -> Option<u64> {
        self.headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse().ok())
    }

    /// Bytes read so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The next chunk of the body, or `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>> {
        let next = match tokio::time::timeout(self.idle_timeout, self.response.chunk()).await {
            Ok(next) => next,
            Err(_) => {
                return Err(Error::Timeout(Box::new(TimeoutError {
                    call: self.call.clone(),
                    phase: TimeoutPhase::Response,
                    after: self.idle_timeout,
                })));
            }
        };
        match next {
            Ok(Some(chunk)) => {
                self.received += chunk.len() as u64;
                Ok(Some(chunk))
            }
            Ok(None) => Ok(None),
            Err(error) => {
                let error = error.without_url();
                Err(Error::Decode(Box::new(DecodeError {
                    call: self.call.clone(),
                    status: self.status,
                    reason: chain(&error),
                    source: Some(Box::new(error)),
                })))
            }
        }
    }

    /// The rest of the body in memory.
    pub async fn read_all(mut self) -> Result<RawResponse> {
        let mut body = BytesMut::new();
        while let Some(chunk) = self.next_chunk().await? {
            body.extend_from_slice(&chunk);
        }
        Ok(RawResponse {
            status: self.status,
            headers: self.headers,
            body: body.freeze(),
        })
    }
}

/// A finished download.
#[derive(Debug, Clone, PartialEq)]
pub struct Download {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// Where the body now is.
    pub path: PathBuf,
    pub bytes: u64,
}

/// Told the bytes received so far and the total when the server announced it.
pub type Progress<'a> = &'a (dyn Fn(u64, Option<u64>) + Send + Sync);

/// A temporary file beside the destination (so the final rename stays on one file system),
/// removed unless kept.
struct PartFile {
    path: PathBuf,
    kept: bool,
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn write_error(call: &CallSite, status: StatusCode, to: &Path, error: std::io::Error) -> Error {
    Error::Decode(Box::new(DecodeError {
        call: call.clone(),
        status,
        reason: format!("could not write to {}: {error}", to.display()),
        source: Some(Box::new(error)),
    }))
}

impl Client {
    /// Streams `path` into the file `to`: written to a temporary file beside it and renamed into
    /// place once complete, so `to` never holds half a file (a failure leaves it as it was).
    /// `progress` is told the bytes so far after each chunk.
    pub async fn download(
        &self,
        integration_type: &str,
        path: &str,
        options: RequestOptions,
        to: &Path,
        progress: Option<Progress<'_>>,
    ) -> Result<Download> {
        let name = to.file_name().ok_or_else(|| {
            InvalidRequestError::new("to", format!("{} is not a file path", to.display()))
        })?;
        let directory = match to.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut part = PartFile {
            path: directory.join(format!(
                ".{}.{:016x}.part",
                name.to_string_lossy(),
                fastrand::u64(..)
            )),
            kept: false,
        };
        // Checked before anything is sent: the folder must take a new file.
        let mut file = tokio::fs::File::create(&part.path).await.map_err(|error| {
            InvalidRequestError::new(
                "to",
                format!("cannot write in {}: {error}", directory.display()),
            )
        })?;
        let mut stream = self.stream(integration_type, path, options).await?;
        let total = stream.content_length();
        while let Some(chunk) = stream.next_chunk().await? {
            file.write_all(&chunk)
                .await
                .map_err(|error| write_error(&stream.call, stream.status, to, error))?;
            if let Some(progress) = progress {
                progress(stream.received(), total);
            }
        }
        let finish = async {
            file.flush().await?;
            file.sync_all().await?;
            drop(file);
            tokio::fs::rename(&part.path, to).await
        };
        finish
            .await
            .map_err(|error| write_error(&stream.call, stream.status, to, error))?;
        part.kept = true;
        Ok(Download {
            status: stream.status,
            headers: stream.headers,
            path: to.to_path_buf(),
            bytes: stream.received,
        })
    }
}
