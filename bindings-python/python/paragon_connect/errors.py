"""Every exception the SDK raises: one tree rooted at :class:`ParagonError`.

``except ParagonError`` catches them all. :class:`APIStatusError` and its subclasses mean Paragon
(or the upstream API through it) answered with a non-2xx status; they carry everything it sent.
"""

from __future__ import annotations

import builtins
from typing import Any

from ._types import Headers

__all__ = [
    "APIStatusError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "ConnectionError",
    "DecodeError",
    "InternalServerError",
    "InvalidRequestError",
    "NotFoundError",
    "PaginationError",
    "ParagonError",
    "PermissionDeniedError",
    "RateLimitError",
    "TimeoutError",
    "UnprocessableEntityError",
]


def _restore(cls: type[ParagonError], description: str, state: dict[str, Any]) -> ParagonError:
    error = cls.__new__(cls)
    Exception.__init__(error, description)
    error.__dict__.update(state)
    return error


class ParagonError(Exception):
    """Base class of every error raised by paragon_connect."""

    #: What went wrong, in one sentence.
    message: str

    def __init__(self, description: str, **details: Any) -> None:
        super().__init__(description)
        self.message = description
        for name, value in details.items():
            setattr(self, name, value)

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from the message and attributes (OSError subclasses would otherwise pickle
        # their arguments the OSError way and lose the attributes).
        return (_restore, (type(self), str(self), dict(self.__dict__)))


class ConfigurationError(ParagonError, ValueError, TypeError):
    """The client's settings are missing, malformed or of the wrong type (nothing was sent)."""

    #: The setting at fault, e.g. ``"project_id"``.
    setting: str


class InvalidRequestError(ParagonError, ValueError, TypeError):
    """A call's arguments cannot be sent as given: a bad value or a value of the wrong type
    (nothing was sent). It is also a ``ValueError`` and a ``TypeError``, as Python's own argument
    checks raise."""

    #: The argument at fault: ``"path"``, ``"integration_type"``, ``"headers"``, ...
    argument: str


class _CallError(ParagonError):
    """An error that happened while making a call."""

    method: str
    integration_type: str
    #: The path as passed to ``request()``.
    path: str
    #: How many times the call was sent (more than 1 when it was retried).
    attempts: int
    #: Which page of a ``paginate()`` walk the call fetched (1 for the first), else None.
    page: int | None


class ConnectionError(_CallError, builtins.ConnectionError):
    """Paragon could not be reached, or the connection broke before an answer arrived."""


class TimeoutError(_CallError, builtins.TimeoutError):
    """The connect or total timeout ran out."""

    #: The limit that ran out, in seconds.
    timeout: float


class DecodeError(_CallError):
    """An answer arrived but its body could not be read (cut short, bad gzip, ...)."""

    status: int


class PaginationError(_CallError):
    """A ``paginate()`` walk cannot go on: page :attr:`page` repeated a cursor (the walk would
    loop), linked outside the integration, or lacked the items asked for. The pages before it
    were given."""


class APIStatusError(_CallError):
    """Paragon or the upstream API answered with a status outside 2xx."""

    status: int
    #: Paragon's message, as the browser SDK shows it (``str(error)`` says more).
    message: str
    #: Paragon's error code (``"7210"``, ...), when the body carried one.
    code: str | None
    #: The body: parsed JSON, else text, else ``None`` when empty.
    body: Any
    #: The body's bytes, exactly as received.
    content: bytes
    headers: Headers
    request_id: str | None
    #: Seconds the server asked to wait (``Retry-After``), when it said.
    retry_after: float | None
    #: True when Paragon says the upstream API failed (``meta.isIntegrationError``).
    is_integration_error: bool
    #: The upstream API's own status when it failed (``meta.status``), else None.
    integration_status: int | None
    #: The upstream API's own answer when it failed (``meta.response``), else None.
    integration_response: Any


class BadRequestError(APIStatusError):
    """400 Bad Request."""


class AuthenticationError(APIStatusError):
    """401: the user token is missing, invalid, expired or for another project."""


class PermissionDeniedError(APIStatusError):
    """403: the token's permissions do not allow the call."""


class NotFoundError(APIStatusError):
    """404 Not Found."""


class ConflictError(APIStatusError):
    """409 Conflict."""


class UnprocessableEntityError(APIStatusError):
    """422 Unprocessable Entity."""


class RateLimitError(APIStatusError):
    """429 Too Many Requests; ``retry_after`` says how long to wait when the server said."""


class InternalServerError(APIStatusError):
    """A 5xx status."""
