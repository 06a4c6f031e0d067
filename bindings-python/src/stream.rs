//! Streamed answers for Python: `StreamResponse` (sync: `iter_bytes()`, `read()`) and
//! `AsyncStreamResponse` (`aiter_bytes()`, `aread()`). Chunks are read from the core's
//! `ResponseStream` on the shared runtime, one at a time, so a slow reader holds one chunk.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use paragon_connect::ResponseStream;
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use tokio::sync::Mutex;

use crate::convert::headers_to_python;
use crate::errors::to_py_err;
use crate::runtime::{Spawned, wait};

/// The body being read, and bytes of a chunk not handed out yet (for `chunk_size`).
struct Body {
    stream: Option<ResponseStream>,
    pending: BytesMut,
}

/// The body, and the most of it a reader may hold at once (the core's `memory_limit`).
#[derive(Clone)]
struct SharedBody {
    body: Arc<Mutex<Body>>,
    memory_limit: u64,
}

fn shared(stream: ResponseStream) -> SharedBody {
    SharedBody {
        memory_limit: stream.memory_limit(),
        body: Arc::new(Mutex::new(Body {
            stream: Some(stream),
            pending: BytesMut::new(),
        })),
    }
}

/// The next piece of the body: the next chunk as it came, or exactly `size` bytes (less at the
/// end); `None` at the end or once closed.
async fn next_piece(
    body: SharedBody,
    size: Option<usize>,
) -> paragon_connect::Result<Option<Bytes>> {
    let mut body = body.body.lock().await;
    loop {
        let Body { stream, pending } = &mut *body;
        match size {
            Some(size) if pending.len() >= size => {
                return Ok(Some(pending.split_to(size).freeze()));
            }
            // Bytes held back by an earlier fixed-size read come first.
            None if !pending.is_empty() => return Ok(Some(pending.split().freeze())),
            _ => {}
        }
        let chunk = match stream {
            Some(stream) => stream.next_chunk().await?,
            None => None,
        };
        match (chunk, size) {
            (Some(chunk), None) => return Ok(Some(chunk)),
            (Some(chunk), Some(_)) => pending.extend_from_slice(&chunk),
            (None, _) => {
                *stream = None;
                return Ok((!pending.is_empty()).then(|| pending.split().freeze()));
            }
        }
    }
}

/// The rest of the body in memory, by the core's rule (refused past `max_response_bytes`).
async fn read_rest(body: SharedBody) -> paragon_connect::Result<Bytes> {
    let mut body = body.body.lock().await;
    let pending = body.pending.split();
    let Some(stream) = body.stream.take() else {
        return Ok(pending.freeze());
    };
    let rest = stream.read_all().await?.body;
    if pending.is_empty() {
        return Ok(rest);
    }
    let mut all = pending;
    all.extend_from_slice(&rest);
    Ok(all.freeze())
}

/// `chunk_size`, checked by the core's rule.
fn check_size(body: &SharedBody, chunk_size: Option<usize>) -> PyResult<Option<usize>> {
    let Some(size) = chunk_size else {
        return Ok(None);
    };
    paragon_connect::check_piece_size(size as u64, body.memory_limit)
        .map_err(|error| Python::attach(|py| to_py_err(py, error.into())))?;
    Ok(Some(size))
}

/// What both response classes show: status, headers, length.
fn head(py: Python<'_>, stream: &ResponseStream) -> PyResult<(u16, Py<PyAny>, Option<u64>)> {
    Ok((
        stream.status.as_u16(),
        headers_to_python(py, &stream.headers)?.unbind(),
        stream.content_length(),
    ))
}

/// A 2xx answer whose body is read as it arrives (`Paragon.stream`). Use it in a `with` block.
#[pyclass(module = "paragon_connect", frozen)]
pub struct StreamResponse {
    /// The answer's HTTP status.
    #[pyo3(get)]
    status: u16,
    /// The answer's headers (`Headers`: repeated names kept, case-insensitive lookup).
    #[pyo3(get)]
    headers: Py<PyAny>,
    /// The body's length, when the server announced it.
    #[pyo3(get)]
    content_length: Option<u64>,
    body: SharedBody,
}

impl StreamResponse {
    pub fn new(py: Python<'_>, stream: ResponseStream) -> PyResult<Self> {
        let (status, headers, content_length) = head(py, &stream)?;
        Ok(StreamResponse {
            status,
            headers,
            content_length,
            body: shared(stream),
        })
    }
}

#[pymethods]
impl StreamResponse {
    /// Iterates over the body: chunks as they arrive, or of `chunk_size` bytes.
    #[pyo3(signature = (chunk_size=None))]
    fn iter_bytes(&self, chunk_size: Option<usize>) -> PyResult<ByteIterator> {
        Ok(ByteIterator {
            body: self.body.clone(),
            chunk_size: check_size(&self.body, chunk_size)?,
        })
    }

    /// The rest of the body.
    fn read<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let body = self.body.clone();
        let bytes = wait(py, read_rest(body))?.map_err(|error| to_py_err(py, error))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Stops reading and drops the connection.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let body = self.body.clone();
        wait(py, async move { body.body.lock().await.stream = None })
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_info: &Bound<'_, pyo3::types::PyTuple>,
    ) -> PyResult<()> {
        self.close(py)
    }

    fn __repr__(&self) -> String {
        format!("<StreamResponse [{}]>", self.status)
    }
}

/// The iterator of `StreamResponse.iter_bytes()`.
#[pyclass(module = "paragon_connect", frozen)]
pub struct ByteIterator {
    body: SharedBody,
    chunk_size: Option<usize>,
}

#[pymethods]
impl ByteIterator {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let piece = wait(py, next_piece(self.body.clone(), self.chunk_size))?
            .map_err(|error| to_py_err(py, error))?;
        match piece {
            Some(piece) => Ok(PyBytes::new(py, &piece)),
            None => Err(PyStopIteration::new_err(())),
        }
    }
}

/// A 2xx answer whose body is read as it arrives (`AsyncParagon.stream`).
#[pyclass(module = "paragon_connect", frozen)]
pub struct AsyncStreamResponse {
    /// The answer's HTTP status.
    #[pyo3(get)]
    status: u16,
    /// The answer's headers (`Headers`: repeated names kept, case-insensitive lookup).
    #[pyo3(get)]
    headers: Py<PyAny>,
    /// The body's length, when the server announced it.
    #[pyo3(get)]
    content_length: Option<u64>,
    body: SharedBody,
}

impl AsyncStreamResponse {
    /// Drops the connection (for `async with ... stream()` leaving its block).
    pub async fn close_now(&self) {
        self.body.body.lock().await.stream = None;
    }

    pub fn new(py: Python<'_>, stream: ResponseStream) -> PyResult<Self> {
        let (status, headers, content_length) = head(py, &stream)?;
        Ok(AsyncStreamResponse {
            status,
            headers,
            content_length,
            body: shared(stream),
        })
    }
}

#[pymethods]
impl AsyncStreamResponse {
    /// Iterates asynchronously over the body: chunks as they arrive, or of `chunk_size` bytes.
    #[pyo3(signature = (chunk_size=None))]
    fn aiter_bytes(&self, chunk_size: Option<usize>) -> PyResult<AsyncByteIterator> {
        Ok(AsyncByteIterator {
            body: self.body.clone(),
            chunk_size: check_size(&self.body, chunk_size)?,
        })
    }

    /// The rest of the body.
    async fn aread(&self) -> PyResult<Py<PyAny>> {
        let bytes = Spawned::new(read_rest(self.body.clone()))?.await?;
        Python::attach(|py| match bytes {
            Ok(bytes) => Ok(PyBytes::new(py, &bytes).into_any().unbind()),
            Err(error) => Err(to_py_err(py, error)),
        })
    }

    /// Stops reading and drops the connection.
    async fn aclose(&self) -> PyResult<()> {
        self.body.body.lock().await.stream = None;
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!("<AsyncStreamResponse [{}]>", self.status)
    }
}

/// The iterator of `AsyncStreamResponse.aiter_bytes()`.
#[pyclass(module = "paragon_connect", frozen)]
pub struct AsyncByteIterator {
    body: SharedBody,
    chunk_size: Option<usize>,
}

#[pymethods]
impl AsyncByteIterator {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// An awaitable of the next piece (raising `StopAsyncIteration` at the end).
    fn __anext__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.call_method0("_next_piece")
    }

    async fn _next_piece(&self) -> PyResult<Py<PyAny>> {
        let piece = Spawned::new(next_piece(self.body.clone(), self.chunk_size))?.await?;
        Python::attach(|py| match piece {
            Ok(Some(piece)) => Ok(PyBytes::new(py, &piece).into_any().unbind()),
            Ok(None) => Err(PyStopAsyncIteration::new_err(())),
            Err(error) => Err(to_py_err(py, error)),
        })
    }
}
