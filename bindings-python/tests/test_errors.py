"""The exception tree: each core error kind and each status class reaches its own class, with its
attributes, and every class pickles."""

from __future__ import annotations

import builtins
import inspect
import os
import pickle
import socket
import subprocess
import sys
from typing import Any

import paragon_connect as pc
import pytest
from conftest import Sandbox
from paragon_connect import Paragon, _native

ALL_CLASSES = [getattr(pc.errors, name) for name in pc.errors.__all__]


def raised(call: Any) -> pc.ParagonError:
    with pytest.raises(pc.ParagonError) as caught:
        call()
    return caught.value


def test_every_class_is_exported_and_under_paragon_error() -> None:
    for cls in ALL_CLASSES:
        assert issubclass(cls, pc.ParagonError)
        assert getattr(pc, cls.__name__) is cls
    for refusal in (pc.InvalidRequestError, pc.ConfigurationError):
        assert issubclass(refusal, ValueError) and issubclass(refusal, TypeError)
    assert issubclass(pc.TimeoutError, builtins.TimeoutError)
    assert issubclass(pc.ConnectionError, builtins.ConnectionError)
    for status_class in (
        pc.BadRequestError,
        pc.AuthenticationError,
        pc.PermissionDeniedError,
        pc.NotFoundError,
        pc.ConflictError,
        pc.UnprocessableEntityError,
        pc.RateLimitError,
        pc.InternalServerError,
    ):
        assert issubclass(status_class, pc.APIStatusError)


def kinds_seen(
    sandbox: Sandbox, token: str | None = None
) -> dict[type[pc.ParagonError], pc.ParagonError]:
    """One real instance of every class, each produced the way a user would meet it."""
    seen: dict[type[pc.ParagonError], pc.ParagonError] = {}

    def keep(error: pc.ParagonError) -> None:
        seen[type(error)] = error

    keep(raised(lambda: Paragon(user_token="t-12345678")))
    token = token or sandbox.token()
    client = Paragon(**sandbox.settings(user_token=token, max_retries=0))
    keep(raised(lambda: client.request("slack", "/../me")))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    offline = Paragon(
        **sandbox.settings(user_token=token, proxy_base_url=f"http://127.0.0.1:{closed_port}")
    )
    keep(raised(lambda: offline.request("slack", "/x")))
    sandbox.push_reply({"delay_ms": 2000})
    keep(raised(lambda: client.request("echo", "/x", timeout=0.1)))
    sandbox.push_reply({"body": {"text": "truncated answer"}, "truncate_to": 3})
    keep(raised(lambda: client.request("echo", "/x")))
    for status in (400, 401, 403, 404, 409, 418, 422, 429, 500, 503):
        sandbox.push_reply(
            {
                "status": status,
                "headers": [["x-request-id", f"req-{status}"], ["retry-after", "2"]],
                "body": {"json": {"message": f"status {status}", "code": "0704"}},
            }
        )
        keep(raised(lambda: client.request("echo", "/x")))
    looping = {"type": "cursor", "cursor": "next", "param": "cursor"}
    keep(
        raised(
            lambda: list(client.paginate("custom.tasklab", "/tasks/looping", pagination=looping))
        )
    )
    return seen


def test_each_kind_reaches_its_own_class(sandbox: Sandbox) -> None:
    seen = kinds_seen(sandbox)
    assert set(seen) == set(ALL_CLASSES) - {pc.ParagonError}, "a class no error reaches"
    assert seen[pc.ConfigurationError].setting == "project_id"  # type: ignore[attr-defined]
    assert seen[pc.InvalidRequestError].argument == "path"  # type: ignore[attr-defined]
    assert seen[pc.TimeoutError].timeout == pytest.approx(0.1)  # type: ignore[attr-defined]
    assert seen[pc.DecodeError].status == 200  # type: ignore[attr-defined]
    rate_limited = seen[pc.RateLimitError]
    assert isinstance(rate_limited, pc.RateLimitError)
    assert rate_limited.retry_after == 2.0
    assert rate_limited.request_id == "req-429"
    assert rate_limited.code == "0704"
    assert rate_limited.message == "status 429"
    assert rate_limited.body == {"message": "status 429", "code": "0704"}
    assert rate_limited.headers["X-Request-Id"] == "req-429"
    assert type(seen[pc.APIStatusError]).__name__ == "APIStatusError"
    assert seen[pc.APIStatusError].status == 418  # type: ignore[attr-defined]


def own_annotations(cls: type) -> set[str]:
    return set(inspect.get_annotations(cls))


def test_classes_and_attributes_are_the_cores_table() -> None:
    """errors.py declares exactly the classes, parents and attributes of the core's table."""
    table = _native.error_classes()
    assert sorted(name for name, _, _ in table if not name.startswith("_")) == sorted(
        pc.errors.__all__
    )
    for name, parent, attributes in table:
        cls = getattr(pc.errors, name)
        if parent is not None:
            assert cls.__mro__[1] is getattr(pc.errors, parent), name
        inherited = set().union(*(own_annotations(base) for base in cls.__mro__[1:]))
        declared = own_annotations(cls) | inherited
        # ParagonError.message is Python's message of every exception, not a core attribute.
        assert declared - {"message"} == set(attributes) - {"message"}, name


def test_each_error_carries_exactly_its_class_attributes(sandbox: Sandbox) -> None:
    attributes = {name: set(names) for name, _, names in _native.error_classes()}
    for cls, error in kinds_seen(sandbox).items():
        assert set(vars(error)) == attributes[cls.__name__] | {"message"}, cls.__name__


def test_every_error_pickles_with_its_attributes(sandbox: Sandbox) -> None:
    for cls, error in kinds_seen(sandbox).items():
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is cls
        assert str(copy) == str(error)
        assert copy.__dict__.keys() == error.__dict__.keys()
        if isinstance(error, pc.APIStatusError):
            assert isinstance(copy, pc.APIStatusError)
            assert (copy.status, copy.body, copy.content) == (
                error.status,
                error.body,
                error.content,
            )
            assert copy.headers == error.headers


def test_no_message_or_repr_shows_the_token(sandbox: Sandbox) -> None:
    token = sandbox.token()
    errors = kinds_seen(sandbox, token)
    # A server that echoes the token back (as some do in 401 bodies) must not leak it either.
    sandbox.push_reply({"status": 401, "body": {"json": {"message": f"rejected {token}"}}})
    client = Paragon(**sandbox.settings(user_token=token))
    errors[pc.AuthenticationError] = raised(lambda: client.request("echo", "/x"))
    # Or in the request id, which messages show.
    sandbox.push_reply({"status": 500, "headers": [["x-request-id", f"id-{token}"]]})
    errors[pc.InternalServerError] = raised(lambda: client.request("echo", "/x"))
    assert errors[pc.InternalServerError].request_id == "id-[redacted]"  # type: ignore[attr-defined]
    for error in errors.values():
        assert token not in str(error)
        assert token not in repr(error)
        # What the server sent (body, bytes, headers) is kept as it came; the rest is scrubbed.
        assert token not in repr(
            {k: v for k, v in error.__dict__.items() if k not in ("body", "content", "headers")}
        )


def test_an_absurd_io_thread_count_is_a_configuration_error_not_an_abort() -> None:
    program = (
        "import paragon_connect as pc\n"
        "client = pc.Paragon(project_id='19d0c3a8-5b2e-4f6a-9d1c-7e8f90a1b012',"
        " user_token='t-12345678', proxy_base_url='http://127.0.0.1:9')\n"
        "try:\n"
        "    client.request('slack', '/x')\n"
        "except pc.ConfigurationError as error:\n"
        "    print(error.setting)\n"
    )
    environment = {**os.environ, "PARAGON_IO_THREADS": "100000"}
    done = subprocess.run(
        [sys.executable, "-c", program],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "PARAGON_IO_THREADS"
