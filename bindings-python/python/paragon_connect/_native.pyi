"""Type stubs of the compiled module (checked against it by tests/test_stubs.py)."""

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, TypeAlias, overload

from ._types import RawResponse

__version__: str

#: A request body: JSON-compatible values are sent as JSON, ``str`` as text, bytes as they are.
Body: TypeAlias = (
    Mapping[str, Any] | Sequence[Any] | str | bytes | bytearray | memoryview | int | float | bool
) | None
#: Headers: a mapping, or ``(name, value)`` pairs to repeat a name.
HeadersArg: TypeAlias = Mapping[str, str] | Sequence[tuple[str, str]]
QueryValue: TypeAlias = str | int | float | bool | Sequence[str | int | float | bool]
#: Query parameters: a mapping, or ``(name, value)`` pairs; a list value repeats the name.
QueryArg: TypeAlias = Mapping[str, QueryValue] | Sequence[tuple[str, QueryValue]]

class Paragon:
    """A Paragon Connect client for one user, for threads and plain (non-async) code.

    Every setting not given is read from the environment (``PARAGON_PROJECT_ID``,
    ``PARAGON_USER_TOKEN``, ``PARAGON_HOST``, ``PARAGON_PROXY_BASE_URL``,
    ``PARAGON_ZEUS_BASE_URL``, ``PARAGON_HERMES_BASE_URL``). Timeouts are in seconds (connect 10,
    total 60 by default). Safe to share between threads; calls release the GIL while waiting.
    """

    def __init__(
        self,
        *,
        project_id: str | None = None,
        user_token: str | None = None,
        host: str | None = None,
        proxy_base_url: str | None = None,
        zeus_base_url: str | None = None,
        hermes_base_url: str | None = None,
        default_headers: HeadersArg | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        allow_insecure_http: bool = False,
    ) -> None: ...
    @overload
    def request(
        self,
        integration_type: str,
        path: str,
        *,
        method: str | None = None,
        body: Body = None,
        headers: HeadersArg | None = None,
        query: QueryArg | None = None,
        selected_credential_id: str | None = None,
        raw: Literal[False] = False,
        timeout: float | None = None,
    ) -> Any: ...
    @overload
    def request(
        self,
        integration_type: str,
        path: str,
        *,
        method: str | None = None,
        body: Body = None,
        headers: HeadersArg | None = None,
        query: QueryArg | None = None,
        selected_credential_id: str | None = None,
        raw: Literal[True],
        timeout: float | None = None,
    ) -> RawResponse: ...
    @property
    def project_id(self) -> str: ...
    def close(self) -> None: ...
    def __enter__(self) -> Paragon: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

class AsyncParagon:
    """A Paragon Connect client for one user, for asyncio (and uvloop) code.

    The same settings as :class:`Paragon`. Cancelling the task awaiting a call stops the request.
    """

    def __init__(
        self,
        *,
        project_id: str | None = None,
        user_token: str | None = None,
        host: str | None = None,
        proxy_base_url: str | None = None,
        zeus_base_url: str | None = None,
        hermes_base_url: str | None = None,
        default_headers: HeadersArg | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        allow_insecure_http: bool = False,
    ) -> None: ...
    @overload
    async def request(
        self,
        integration_type: str,
        path: str,
        *,
        method: str | None = None,
        body: Body = None,
        headers: HeadersArg | None = None,
        query: QueryArg | None = None,
        selected_credential_id: str | None = None,
        raw: Literal[False] = False,
        timeout: float | None = None,
    ) -> Any: ...
    @overload
    async def request(
        self,
        integration_type: str,
        path: str,
        *,
        method: str | None = None,
        body: Body = None,
        headers: HeadersArg | None = None,
        query: QueryArg | None = None,
        selected_credential_id: str | None = None,
        raw: Literal[True],
        timeout: float | None = None,
    ) -> RawResponse: ...
    @property
    def project_id(self) -> str: ...
    async def close(self) -> None: ...
    async def __aenter__(self) -> AsyncParagon: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
