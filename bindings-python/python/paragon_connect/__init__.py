"""Server-side SDK for Paragon's Connect API.

Call any integration's API (Slack, Salesforce, Google Drive, your custom integrations) on behalf
of your users through Paragon's proxy::

    from paragon_connect import Paragon

    paragon = Paragon(project_id="...", user_token="...")  # or PARAGON_* environment variables
    paragon.request("slack", "/chat.postMessage", method="POST",
                    body={"channel": "C0", "text": "hi"})   # -> {"ok": True, ...}

:class:`AsyncParagon` has the same methods for asyncio. A server acting for many users builds one
client from the project's signing key and calls ``paragon.user("user-id").request(...)``.
Errors are in :mod:`paragon_connect.errors`. Calls are logged on the logger
``paragon_connect`` (DEBUG for each attempt, WARNING for each retry and for giving up).
"""

import logging as _logging

from ._native import (
    AsyncParagon,
    AsyncStreamResponse,
    Paragon,
    StreamResponse,
    __version__,
    sign_user_token,
)
from ._pagination import AsyncPages, Pages
from ._types import (
    Download,
    Headers,
    RawResponse,
    RequestEvent,
    ResponseEvent,
    ResponseInfo,
    WithResponse,
)
from .errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    ConnectionError,
    DecodeError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    PaginationError,
    ParagonError,
    PermissionDeniedError,
    RateLimitError,
    TimeoutError,
    UnprocessableEntityError,
)

__all__ = [
    "APIStatusError",
    "AsyncPages",
    "AsyncParagon",
    "AsyncStreamResponse",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "ConnectionError",
    "DecodeError",
    "Download",
    "Headers",
    "InternalServerError",
    "InvalidRequestError",
    "NotFoundError",
    "Pages",
    "PaginationError",
    "Paragon",
    "ParagonError",
    "PermissionDeniedError",
    "RateLimitError",
    "RawResponse",
    "RequestEvent",
    "ResponseEvent",
    "ResponseInfo",
    "StreamResponse",
    "TimeoutError",
    "UnprocessableEntityError",
    "WithResponse",
    "__version__",
    "sign_user_token",
]

# A library's logger stays quiet until the application configures logging.
_logging.getLogger("paragon_connect").addHandler(_logging.NullHandler())
