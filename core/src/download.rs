//! Downloads: an answer's body written to a file atomically (a temporary file beside it, renamed
//! into place once complete).

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use http::{HeaderMap, StatusCode};
use tokio::io::AsyncWriteExt;

use crate::client::Client;
use crate::error::{CallSite, DecodeError, Error, InvalidRequestError, Result};
use crate::request::RequestOptions;

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
/// It returns `Break` to stop the download (the caller's callback failed): the call then fails
/// with an `InvalidRequestError` for `progress` and leaves no file behind.
pub type Progress<'a> = &'a (dyn Fn(u64, Option<u64>) -> ControlFlow<()> + Send + Sync);

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

/// Refuses a destination that exists and is not a regular file: renaming over it would replace a
/// directory entry the caller did not mean (a FIFO, a device, a socket) or the symlink itself
/// rather than the file it points to.
fn check_target(to: &Path) -> Result<(), InvalidRequestError> {
    match std::fs::symlink_metadata(to) {
        Ok(metadata) if metadata.file_type().is_symlink() => Err(InvalidRequestError::new(
            "to",
            format!(
                "{} is a symbolic link; pass the path it points to (a download replaces the file it names)",
                to.display()
            ),
        )),
        Ok(metadata) if !metadata.is_file() => Err(InvalidRequestError::new(
            "to",
            format!(
                "{} exists and is not a regular file; a download only creates or replaces files",
                to.display()
            ),
        )),
        _ => Ok(()),
    }
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
        check_target(to)?;
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
            if let Some(progress) = progress
                && progress(stream.received(), total).is_break()
            {
                return Err(InvalidRequestError::new(
                    "progress",
                    "the progress callback failed, so the download stopped",
                )
                .into());
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
