//! The HTTP client a call is sent with: hyper's pooled client over [`Connector`], with gzip
//! answers decoded (unless raw) and redirects followed as [`crate::redirect`] allows. Nothing
//! else sits between a call and hyper: the URL is parsed once more (as the URI hyper sends), and
//! no request is cloned, no layer boxed.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{
    CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, PROXY_AUTHORIZATION,
    TRANSFER_ENCODING,
};
use http::{HeaderMap, Method, Request, StatusCode, Uri, Version};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tower_http::decompression::{Decompression, DecompressionBody};
use tower_service::Service;
use url::Url;

use crate::connector::{BoxError, Connector};
use crate::redirect::{MAX_REDIRECTS, may_follow};

/// How one HTTP client is set up.
pub(crate) struct HttpSettings {
    pub connector: Connector,
    pub decompress: bool,
    /// HTTP/2 without negotiating it (also over plain HTTP).
    pub http2_only: bool,
    pub max_idle_per_host: Option<usize>,
    pub idle_timeout: Option<Duration>,
    pub max_response_headers: usize,
}

pub(crate) struct HttpClient {
    client: Client<Connector, RequestBody>,
    connector: Connector,
    decompress: bool,
}

/// Why a request got no answer.
#[derive(Debug)]
pub(crate) struct SendError {
    /// The connection could not be made, so nothing was sent.
    pub connecting: bool,
    /// ... because the connect timeout ran out.
    pub connect_timed_out: bool,
    pub source: BoxError,
}

/// An answer whose head has arrived.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: AnswerBody,
}

/// An answer's body, read chunk by chunk (decoded when the client decompresses).
pub(crate) struct AnswerBody(DecompressionBody<Incoming>);

impl std::fmt::Debug for AnswerBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnswerBody")
    }
}

impl HttpClient {
    pub(crate) fn new(settings: HttpSettings) -> HttpClient {
        let mut builder = Client::builder(TokioExecutor::new());
        builder
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .http1_max_headers(settings.max_response_headers)
            .http2_only(settings.http2_only);
        if let Some(most) = settings.max_idle_per_host {
            builder.pool_max_idle_per_host(most);
        }
        if let Some(timeout) = settings.idle_timeout {
            builder.pool_idle_timeout(timeout);
        }
        HttpClient {
            client: builder.build(settings.connector.clone()),
            connector: settings.connector,
            decompress: settings.decompress,
        }
    }

    /// Sends `method url` with the headers `headers` makes (once per hop) and `body`, following
    /// the redirects a call may follow.
    pub(crate) async fn send(
        &self,
        method: &Method,
        url: &Url,
        headers: impl Fn() -> HeaderMap,
        mut body: RequestBody,
    ) -> Result<Answer, SendError> {
        let mut method = method.clone();
        let mut next: Option<Url> = None;
        let mut made_get = false;
        let mut hops = 0;
        loop {
            let at = next.as_ref().unwrap_or(url);
            let replay = body.replay();
            let mut sent = headers();
            if made_get {
                strip_body_headers(&mut sent);
            }
            let answer = self.send_once(&method, at, sent, body).await?;
            let Some(to) = redirect_target(&answer, at) else {
                return Ok(answer);
            };
            if hops == MAX_REDIRECTS || !may_follow(url, &to) {
                return Ok(answer);
            }
            // 301 and 302 turn a POST into a GET, 303 anything but HEAD (as browsers do); 307
            // and 308 send the same again, which a streamed body cannot be.
            let becomes_get = match answer.status.as_u16() {
                301 | 302 => method == Method::POST,
                303 => method != Method::HEAD && method != Method::GET,
                _ => false,
            };
            body = if becomes_get {
                method = Method::GET;
                made_get = true;
                RequestBody::Empty
            } else {
                match replay {
                    Some(body) => body,
                    None => return Ok(answer),
                }
            };
            next = Some(to);
            hops += 1;
        }
    }

    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        mut headers: HeaderMap,
        body: RequestBody,
    ) -> Result<Answer, SendError> {
        let uri = Uri::try_from(url.as_str()).map_err(|error| SendError {
            connecting: true,
            connect_timed_out: false,
            source: Box::new(error),
        })?;
        if let Some(authorization) = self.connector.forward_authorization(&uri) {
            headers.entry(PROXY_AUTHORIZATION).or_insert(authorization);
        }
        let mut request = Request::new(body);
        *request.method_mut() = method.clone();
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        let mut service = Decompression::new(&self.client).gzip(self.decompress);
        let response = service.call(request).await.map_err(|error| {
            let connecting = error.is_connect();
            SendError {
                connecting,
                connect_timed_out: connecting && timed_out(&error),
                source: Box::new(error),
            }
        })?;
        let (head, body) = response.into_parts();
        Ok(Answer {
            status: head.status,
            version: head.version,
            headers: head.headers,
            body: AnswerBody(body),
        })
    }
}

/// Where a 3xx answer sends the call, if it says.
fn redirect_target(answer: &Answer, at: &Url) -> Option<Url> {
    if !matches!(answer.status.as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = answer.headers.get(LOCATION)?.to_str().ok()?;
    at.join(location).ok()
}

/// A request turned into a GET carries no body, so nothing describing one.
fn strip_body_headers(headers: &mut HeaderMap) {
    for name in [
        CONTENT_TYPE,
        CONTENT_LENGTH,
        CONTENT_ENCODING,
        TRANSFER_ENCODING,
    ] {
        headers.remove(name);
    }
}

/// Whether the connect timeout (an `io::ErrorKind::TimedOut` in the causes) is why.
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        cause = error.source();
    }
    false
}

impl AnswerBody {
    /// The next chunk, `None` at the end (trailers are skipped).
    pub(crate) async fn chunk(&mut self) -> Result<Option<Bytes>, BoxError> {
        loop {
            match self.0.frame().await {
                None => return Ok(None),
                Some(Err(error)) => return Err(error),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        return Ok(Some(data));
                    }
                }
            }
        }
    }

    /// The body's length when it is known before reading (announced and not being decoded).
    pub(crate) fn exact_length(&self) -> Option<u64> {
        self.0.size_hint().exact()
    }
}

/// The body of one request.
pub(crate) enum RequestBody {
    Empty,
    /// Bytes in memory (taken when sent).
    Full(Option<Bytes>),
    /// Read as it goes (a file, a stream, a multipart form); its length, when known, is sent as
    /// `Content-Length` by the caller.
    Streamed(UnsyncBoxBody<Bytes, BoxError>),
}

impl RequestBody {
    /// A body read from `chunks` as it is sent.
    pub(crate) fn stream(
        chunks: impl futures_core::Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    ) -> RequestBody {
        use futures_util::StreamExt;
        let frames = chunks.map(|chunk| chunk.map(Frame::data).map_err(BoxError::from));
        RequestBody::Streamed(http_body_util::StreamBody::new(frames).boxed_unsync())
    }

    /// The same body for a redirect, when it can be sent again.
    fn replay(&self) -> Option<RequestBody> {
        match self {
            RequestBody::Empty => Some(RequestBody::Empty),
            RequestBody::Full(bytes) => Some(RequestBody::Full(bytes.clone())),
            RequestBody::Streamed(_) => None,
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            RequestBody::Empty => Poll::Ready(None),
            RequestBody::Full(bytes) => {
                Poll::Ready(bytes.take().map(|bytes| Ok(Frame::data(bytes))))
            }
            RequestBody::Streamed(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            RequestBody::Empty => true,
            RequestBody::Full(bytes) => bytes.is_none(),
            RequestBody::Streamed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RequestBody::Empty => SizeHint::with_exact(0),
            RequestBody::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |bytes| bytes.len() as u64))
            }
            RequestBody::Streamed(body) => body.size_hint(),
        }
    }
}
