"""Values the SDK returns: response headers and raw responses."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["Download", "Headers", "RawResponse"]


class Headers(Mapping[str, str]):
    """HTTP headers: names case-insensitive, repeated values kept in order.

    ``headers["set-cookie"]`` joins repeated values with ``", "``; :meth:`get_list` gives
    each value; :meth:`multi_items` every ``(name, value)`` pair as received.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items = [(name.lower(), value) for name, value in items]

    def get_list(self, name: str) -> list[str]:
        """Every value of ``name``, in order (empty when absent)."""
        name = name.lower()
        return [value for key, value in self._items if key == name]

    def multi_items(self) -> list[tuple[str, str]]:
        """Every ``(name, value)`` pair, names lower-case, repeated names kept."""
        return list(self._items)

    def __getitem__(self, name: str) -> str:
        values = self.get_list(name)
        if not values:
            raise KeyError(name)
        return ", ".join(values)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(key == name.lower() for key, _ in self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(key for key, _ in self._items))

    def __len__(self) -> int:
        return len(dict.fromkeys(key for key, _ in self._items))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return sorted(self._items) == sorted(other._items)
        if isinstance(other, Mapping):
            return dict(self.items()) == {str(k).lower(): v for k, v in other.items()}
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Headers, (self._items,))


class RawResponse:
    """A response exactly as it arrived: the answer to ``request(..., raw=True)``."""

    __slots__ = {
        "content": "The body's bytes, never decoded.",
        "headers": "The answer's headers (:class:`Headers`).",
        "status": "The answer's HTTP status.",
    }

    def __init__(self, status: int, headers: Headers, content: bytes) -> None:
        self.status = status
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        """The body decoded with the charset of ``Content-Type`` (UTF-8 by default; bytes that
        do not decode become U+FFFD)."""
        from ._native import decode_text

        return decode_text(self.content, self.headers.get("content-type"))

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.content)

    def __repr__(self) -> str:
        return f"<RawResponse [{self.status}] {len(self.content)} bytes>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (RawResponse, (self.status, self.headers, self.content))


class ResponseInfo:
    """What a successful call's answer carried besides its body: the second item of
    ``request(..., with_response=True)``. What is sent is the same as without it."""

    __slots__ = {
        "attempts": "How many times the call was sent (1 when it was not retried).",
        "elapsed": "Seconds from the call's start to its decoded answer, retries included.",
        "headers": "The answer's headers (:class:`Headers`).",
        "request_id": "Paragon's request id (``X-Paragon-Request-Id``, else ``X-Request-Id``), "
        "to quote to Paragon's support.",
        "status": "The answer's HTTP status.",
    }

    def __init__(
        self,
        status: int,
        headers: Headers,
        request_id: str | None,
        attempts: int,
        elapsed: float,
    ) -> None:
        self.status = status
        self.headers = headers
        self.request_id = request_id
        self.attempts = attempts
        self.elapsed = elapsed

    def __repr__(self) -> str:
        return (
            f"<ResponseInfo [{self.status}] request_id={self.request_id!r} "
            f"attempts={self.attempts} elapsed={self.elapsed:.3f}s>"
        )


class RequestEvent(NamedTuple):
    """What ``on_request`` is given as each attempt of a call is sent."""

    #: The HTTP method (upper-case).
    method: str
    #: The integration (``slack``); empty for Paragon's own endpoints.
    integration: str
    #: The call's path, without its query string (which may carry secrets).
    path: str
    #: Which attempt this is (1 for the first).
    attempt: int


class ResponseEvent(NamedTuple):
    """What ``on_response`` is given as each attempt of a call is answered (any status)."""

    #: The HTTP method (upper-case).
    method: str
    #: The integration (``slack``); empty for Paragon's own endpoints.
    integration: str
    #: The call's path, without its query string (which may carry secrets).
    path: str
    #: Which attempt this is (1 for the first).
    attempt: int
    #: The answer's HTTP status.
    status: int
    #: Seconds from sending this attempt to its answer's head.
    elapsed: float
    #: Paragon's request id, when the answer had one.
    request_id: str | None


class WithResponse(NamedTuple):
    """``data, response = paragon.request(..., with_response=True)``."""

    #: The decoded answer, as ``request()`` returns it.
    data: Any
    response: ResponseInfo


class Download:
    """A finished ``download()``: the file is complete at ``path``."""

    __slots__ = {
        "headers": "The answer's headers (:class:`Headers`).",
        "path": "Where the file is (:class:`pathlib.Path`).",
        "size": "Bytes written.",
        "status": "The answer's HTTP status.",
    }

    def __init__(
        self, status: int, headers: Headers, path: str | os.PathLike[str], size: int
    ) -> None:
        self.status = status
        self.headers = headers
        self.path = Path(path)
        self.size = size

    def __repr__(self) -> str:
        return f"<Download [{self.status}] {self.size} bytes to {str(self.path)!r}>"


def _big_int(digits: str) -> int:
    """An integer of any size from its decimal digits: ``int()`` refuses more than 4300 of them
    (CPython 3.11's guard against slow conversions), arithmetic does not."""
    negative = digits.startswith("-")
    digits = digits.lstrip("-")
    value = 0
    for start in range(0, len(digits), 4000):
        piece = digits[start : start + 4000]
        value = value * 10 ** len(piece) + int(piece)
    return -value if negative else value
