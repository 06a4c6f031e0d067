"""Type stubs of the compiled module (checked against it by tests/test_stubs.py)."""

from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from os import PathLike
from types import TracebackType
from typing import Any, Generic, Literal, TypeAlias, TypedDict, TypeVar, overload

from typing_extensions import Self, Unpack

from ._pagination import AsyncPages, Pages
from ._types import Download, Headers, RawResponse, RequestEvent, ResponseEvent, WithResponse

__version__: str

#: A request body: JSON-compatible values are sent as JSON, ``str`` as text, bytes as they are,
#: a path (``pathlib.Path``) as the file, streamed from disk.
Body: TypeAlias = (
    Mapping[str, Any]
    | Sequence[Any]
    | str
    | bytes
    | bytearray
    | memoryview
    | PathLike[str]
    | int
    | float
    | bool
) | None
#: Headers: a mapping, or ``(name, value)`` pairs to repeat a name.
HeadersArg: TypeAlias = Mapping[str, str] | Sequence[tuple[str, str]]
QueryValue: TypeAlias = str | int | float | bool | Sequence[str | int | float | bool]
#: A Paragon User Token, or a function (sync, or async for AsyncParagon) returning one; it is
#: called before every request, with the user id when the client came from ``.user(id)``.
UserToken: TypeAlias = (
    str | Callable[[], str] | Callable[[str], str] | Callable[..., Awaitable[str]]
)
#: A url-encoded form: a mapping or pairs of text, numbers or booleans.
FormArg: TypeAlias = Mapping[str, QueryValue] | Sequence[tuple[str, QueryValue]]
PartContent: TypeAlias = str | bytes | bytearray | memoryview | PathLike[str]
#: A multipart part: text, bytes, a file path, or ``(filename, content[, content_type])``.
PartArg: TypeAlias = PartContent | tuple[str, PartContent] | tuple[str, PartContent, str]
MultipartArg: TypeAlias = Mapping[str, PartArg] | Sequence[tuple[str, PartArg]]
#: Query parameters: a mapping, or ``(name, value)`` pairs; a list value repeats the name.
QueryArg: TypeAlias = Mapping[str, QueryValue] | Sequence[tuple[str, QueryValue]]

class _TargetOptions(TypedDict, total=False):
    """The options of every proxy call (``request``, ``stream``, ``download``)."""

    method: str | None
    headers: HeadersArg | None
    query: QueryArg | None
    selected_credential_id: str | None
    timeout: float | None
    deadline: float | None
    max_retries: int | None

class _SendOptions(_TargetOptions, total=False):
    """The options of a call that may send a body (``request``, ``stream``)."""

    body: Body
    idempotent: bool | None

class _CallOptions(_SendOptions, total=False):
    """The options of ``request`` besides ``raw``."""

    form: FormArg | None
    multipart: MultipartArg | None

#: Where a walk's next page is: a preset's name (``"slack"``, ``"github"``, ...), a description
#: (``{"type": "cursor", "cursor": "next_cursor", "param": "cursor"}``, ``{"type": "link"}``,
#: ``{"type": "offset", "size": 100}``), or a function given each page that returns ``None``
#: (no more pages) or ``{"path": ..., "query": {...}, "body": ...}`` for the next one.
PaginationArg: TypeAlias = (
    str
    | Mapping[str, Any]
    | Callable[[Any], Mapping[str, Any] | None]
    | Callable[[Any], Awaitable[Mapping[str, Any] | None]]
)
#: One call of ``request_many``: ``{"integration_type": ..., "path": ..., "user": ..., **options}``
#: or ``(integration_type, path)`` / ``(integration_type, path, options)``.
ManyCallArg: TypeAlias = Mapping[str, Any] | tuple[str, str] | tuple[str, str, Mapping[str, Any]]

class _PageOptions(_SendOptions, total=False):
    """The options of ``paginate``: a call's, and the walk's own."""

    pagination: PaginationArg | None
    items: str | None
    max_pages: int | None
    max_items: int | None

_Value = TypeVar("_Value")
_Raw = TypeVar("_Raw")
_Text = TypeVar("_Text")
_Saved = TypeVar("_Saved")
_Stream = TypeVar("_Stream")
_Meta = TypeVar("_Meta")
_Done = TypeVar("_Done")
_Pages = TypeVar("_Pages")
_Many = TypeVar("_Many")

class _Client(Generic[_Value, _Raw, _Text, _Saved, _Stream, _Done, _Meta, _Pages, _Many]):
    """What :class:`Paragon` and :class:`AsyncParagon` share: one definition, in which a call's
    result type is a parameter (the value itself for ``Paragon``, a coroutine giving it for
    ``AsyncParagon``).

    Every setting not given is read from the environment (``PARAGON_PROJECT_ID``,
    ``PARAGON_USER_TOKEN``, ``PARAGON_SIGNING_KEY``, ``PARAGON_HOST``, ``PARAGON_PROXY_BASE_URL``,
    ``PARAGON_ZEUS_BASE_URL``, ``PARAGON_HERMES_BASE_URL``). Times are in seconds: ``timeout`` for
    each attempt (60), ``connect_timeout`` (10), ``deadline`` for a call with its retries (none).
    Failed calls are retried ``max_retries`` times (2) when that cannot repeat a side effect; a
    ``Retry-After`` longer than ``max_retry_after`` (60) fails at once. A setting of the wrong
    type or value raises :class:`ConfigurationError`, a call's argument
    :class:`InvalidRequestError`, before anything is sent.

    TLS and proxies: ``ca_certs`` (PEM text or a PEM file's path) adds certificate authorities to
    the system's (only those with ``use_system_roots=False``); ``REQUESTS_CA_BUNDLE``, when set
    and ``ca_certs`` is not, replaces them as in requests. ``client_cert`` and ``client_key``
    (PEM text or paths) show a client certificate to servers that require one (mutual TLS).
    ``proxy`` is a proxy URL (``http://``, ``https://``, ``socks5://``, ``socks5h://``) or
    ``False`` for none; not given, the environment's (``HTTPS_PROXY``, ``NO_PROXY``) is used, never
    for services on loopback.

    Connections: ``pool_max_idle_per_host`` (no limit; 0 keeps none), ``pool_idle_timeout`` (90),
    ``tcp_keepalive`` (15), ``http2`` (``"auto"``: HTTP/2 when the server offers it over TLS;
    ``"always"``; ``"never"``).

    Hooks: ``on_request(RequestEvent)`` as each attempt is sent, ``on_response(ResponseEvent)`` as
    each is answered (any status), on the SDK's events thread, in order; a call returns once its
    hooks have run (waiting 2 s at most for one that blocks). What a hook raises goes to
    ``sys.unraisablehook`` and never fails the call.
    With ``opentelemetry-api`` installed, each proxy call is a client span (see the README).
    """

    def __init__(
        self,
        *,
        project_id: str | None = None,
        user_token: UserToken | None = None,
        signing_key: str | None = None,
        host: str | None = None,
        proxy_base_url: str | None = None,
        zeus_base_url: str | None = None,
        hermes_base_url: str | None = None,
        default_headers: HeadersArg | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        token_lifetime: float | None = None,
        token_audience: bool | None = None,
        token_claims: Mapping[str, Any] | None = None,
        permissions: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
        max_retry_after: float | None = None,
        deadline: float | None = None,
        max_response_bytes: int | None = None,
        allow_insecure_http: bool | None = None,
        ca_certs: str | PathLike[str] | None = None,
        use_system_roots: bool | None = None,
        client_cert: str | PathLike[str] | None = None,
        client_key: str | PathLike[str] | None = None,
        proxy: str | Literal[False] | None = None,
        pool_max_idle_per_host: int | None = None,
        pool_idle_timeout: float | None = None,
        tcp_keepalive: float | None = None,
        http2: Literal["auto", "always", "never"] | None = None,
        on_request: Callable[[RequestEvent], object] | None = None,
        on_response: Callable[[ResponseEvent], object] | None = None,
    ) -> None: ...
    @overload
    def request(
        self,
        integration_type: str,
        path: str,
        *,
        raw: Literal[False] | None = None,
        with_response: Literal[False] | None = None,
        **options: Unpack[_CallOptions],
    ) -> _Value:
        """Calls ``path`` of the integration's API through Paragon's proxy, as the user, and
        returns the answer decoded as the browser SDK decodes it."""
    @overload
    def request(
        self,
        integration_type: str,
        path: str,
        *,
        raw: Literal[True],
        with_response: Literal[False] | None = None,
        **options: Unpack[_CallOptions],
    ) -> _Raw:
        """With ``raw=True``: the answer's status, headers and bytes, untouched."""
    @overload
    def request(
        self,
        integration_type: str,
        path: str,
        *,
        raw: bool | None = None,
        with_response: Literal[True],
        **options: Unpack[_CallOptions],
    ) -> _Meta:
        """With ``with_response=True``: ``(data, response)``, the decoded answer and its
        :class:`ResponseInfo` (status, headers, request id, attempts, elapsed time)."""
    def stream(self, integration_type: str, path: str, **options: Unpack[_SendOptions]) -> _Stream:
        """Calls ``path`` and gives the answer once its head arrives (``with`` for ``Paragon``,
        ``async with`` for ``AsyncParagon``)."""
    def paginate(self, integration_type: str, path: str, **options: Unpack[_PageOptions]) -> _Pages:
        """Walks the pages of ``path``: each page as ``request()`` gives it, or with ``items``
        (``"members"``, ``"data.items"``, ``"."`` for a page that is a list) each item.
        ``pagination`` says where the next page is (the integration's preset when not given);
        ``max_pages`` and ``max_items`` stop early. A repeated cursor, an ignored offset or a
        link outside the integration raises :class:`PaginationError`; a page's own failure is
        its usual error, its ``page`` attribute saying which page."""
    def request_many(
        self,
        calls: Iterable[ManyCallArg],
        *,
        concurrency: int | None = None,
        stop_on_error: bool | None = None,
    ) -> _Many:
        """Makes many calls with at most ``concurrency`` (16) in flight; a list in the order of
        ``calls``, each the call's value or its exception (``stop_on_error=True`` raises the
        first instead and sends no more)."""
    def download(
        self,
        integration_type: str,
        path: str,
        *,
        to: str | PathLike[str],
        progress: Callable[[int, int | None], object] | None = None,
        **options: Unpack[_TargetOptions],
    ) -> _Saved:
        """Downloads ``path`` into the file ``to`` atomically, reporting ``progress``."""
    def user(self, user_id: str) -> Self:
        """A client acting for ``user_id`` (tokens signed with the signing key), sharing this
        one's settings and connections."""
    def get_user(self) -> _Value:
        """The user and their connected integrations."""
    def set_user_metadata(self, meta: Mapping[str, Any]) -> _Value:
        """Sets the user's metadata (``Name``, ``Email``, ...); returns the user."""
    def list_integrations(self) -> _Value:
        """The project's integrations (ids, types, custom names)."""
    def integration_id(self, integration_type: str) -> _Text:
        """The id of an integration type (``custom.tasklab`` -> its UUID), from the cached list."""
    def get_account(
        self, integration_type: str, *, include_account_auth: bool | None = None
    ) -> _Value:
        """The user's connected account for an integration."""
    def uninstall_integration(
        self, integration_type: str, *, selected_credential_id: str | None = None
    ) -> _Value:
        """Disconnects the user from an integration (or one of its accounts)."""
    def trigger_workflow(
        self,
        workflow_id: str,
        *,
        body: Body = None,
        query: QueryArg | None = None,
        headers: HeadersArg | None = None,
        selected_credential_id: str | None = None,
        selected_configuration_id: str | None = None,
    ) -> _Value:
        """Triggers a workflow that has a request trigger."""
    def send_event(self, name: str, payload: Mapping[str, Any] | None = None) -> _Value:
        """Sends an App Event."""
    @property
    def user_id(self) -> str | None:
        """The user this client acts for, when it came from ``user(id)``."""
    @property
    def project_id(self) -> str:
        """The Paragon project this client calls."""
    def with_options(
        self,
        *,
        timeout: float | None = None,
        deadline: float | None = None,
        max_retries: int | None = None,
        max_retry_after: float | None = None,
        max_response_bytes: int | None = None,
        default_headers: HeadersArg | None = None,
    ) -> Self:
        """A copy of this client with some per-call settings changed (``default_headers``
        replace the client's of the same name), sharing its connections, credentials and
        user."""
    def close(self) -> _Done:
        """Releases pooled connections (the client opens new ones if used again)."""

class Paragon(
    _Client[
        Any,
        RawResponse,
        str,
        Download,
        "StreamResponse",
        None,
        WithResponse,
        Pages,
        list[Any],
    ]
):
    """A Paragon Connect client, for threads and plain (non-async) code. Safe to share between
    threads; calls release the GIL while waiting."""

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

class AsyncParagon(
    _Client[
        Coroutine[Any, Any, Any],
        Coroutine[Any, Any, RawResponse],
        Coroutine[Any, Any, str],
        Coroutine[Any, Any, Download],
        "AsyncStreamContext",
        Coroutine[Any, Any, None],
        Coroutine[Any, Any, WithResponse],
        AsyncPages,
        Coroutine[Any, Any, list[Any]],
    ]
):
    """A Paragon Connect client, for asyncio (and uvloop) code: the same settings and methods as
    :class:`Paragon`, each call a coroutine. Cancelling the task awaiting a call stops the
    request."""

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

class PageWalk:
    """A walk through pages, driven by :class:`Pages` / :class:`AsyncPages`."""

    def next_page(self) -> Any:
        """``(data, items)`` of the next page, or ``None`` at the end (awaitable for async)."""
    def set_next(self, next: Any) -> None:
        """What the pagination function returned for the last page."""

def run_cli(args: Sequence[str]) -> int:
    """The ``paragon-connect`` command with ``args``; gives its exit code."""

def sign_user_token(
    signing_key: str,
    project_id: str,
    user_id: str,
    *,
    lifetime: float | None = None,
    audience: bool | None = None,
    claims: Mapping[str, Any] | None = None,
    permissions: Mapping[str, Any] | None = None,
) -> str:
    """Signs a Paragon User Token (RS256) for ``user_id``, for a front end that needs one
    (``lifetime`` in seconds, one hour unless given)."""

def decode_text(content: bytes, content_type: str | None = None) -> str:
    """``content`` decoded with the charset ``content_type`` names (UTF-8 by default)."""

def error_classes() -> list[tuple[str, str | None, list[str]]]:
    """``(name, parent, attributes)`` of every exception class, from the core's table."""

class StreamResponse:
    """A 2xx answer whose body is read as it arrives."""

    @property
    def status(self) -> int:
        """The answer's HTTP status."""
    @property
    def headers(self) -> Headers:
        """The answer's headers (repeated names kept, case-insensitive lookup)."""
    @property
    def content_length(self) -> int | None:
        """``Content-Length`` when the server sent one."""
    def iter_bytes(self, chunk_size: int | None = None) -> ByteIterator:
        """The body as it arrives, in pieces of ``chunk_size`` bytes when given."""
    def read(self) -> bytes:
        """The rest of the body (at most ``max_response_bytes``)."""
    def close(self) -> None:
        """Stops reading and releases the connection."""
    def __enter__(self) -> StreamResponse: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

class ByteIterator(Iterator[bytes]):
    """The pieces of a streamed body (``StreamResponse.iter_bytes``)."""

    def __iter__(self) -> ByteIterator: ...
    def __next__(self) -> bytes: ...

class AsyncStreamResponse:
    """A 2xx answer whose body is read as it arrives (asyncio)."""

    @property
    def status(self) -> int:
        """The answer's HTTP status."""
    @property
    def headers(self) -> Headers:
        """The answer's headers (repeated names kept, case-insensitive lookup)."""
    @property
    def content_length(self) -> int | None:
        """``Content-Length`` when the server sent one."""
    def aiter_bytes(self, chunk_size: int | None = None) -> AsyncByteIterator:
        """The body as it arrives, in pieces of ``chunk_size`` bytes when given."""
    async def aread(self) -> bytes:
        """The rest of the body (at most ``max_response_bytes``)."""
    async def aclose(self) -> None:
        """Stops reading and releases the connection."""

class AsyncByteIterator(AsyncIterator[bytes]):
    """The pieces of a streamed body (``AsyncStreamResponse.aiter_bytes``)."""

    def __aiter__(self) -> AsyncByteIterator: ...
    async def __anext__(self) -> bytes: ...
    async def _next_piece(self) -> bytes: ...

class AsyncStreamContext:
    """What ``AsyncParagon.stream`` returns: use it with ``async with``."""

    async def __aenter__(self) -> AsyncStreamResponse: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

class FakeServer:
    """The core's fake Paragon, driven with JSON text (see :mod:`paragon_connect.testing`)."""

    def __init__(self, options: str, upstream: Paragon | AsyncParagon | None = None) -> None: ...
    @property
    def url(self) -> str: ...
    @property
    def project_id(self) -> str: ...
    @property
    def signing_key(self) -> str: ...
    def user_token(self, user: str) -> str: ...
    def add_route(self, pattern: str, times: int | None = None) -> int: ...
    def add_reply(self, route: int, reply: str) -> None: ...
    def add_routes_file(self, text: str) -> int: ...
    def queue_reply(self, reply: str) -> None: ...
    def route_calls(self, route: int) -> int: ...
    def calls(self, pattern: str | None = None) -> str: ...
    def check_called(self, pattern: str, times: int | None = None) -> str: ...
    def update_user(self, user: str, update: str) -> None: ...
    def state(self) -> str: ...
    def reset(self) -> None: ...
    def finish_cassette(self) -> None: ...
    def check_all_played(self) -> None: ...
    def close(self) -> None: ...
