"""Typical use of the package, checked by mypy --strict in test_stubs.py (never run)."""

from __future__ import annotations

from typing import Any

from paragon_connect import (
    AsyncParagon,
    BadRequestError,
    NotFoundError,
    Paragon,
    RawResponse,
    RequestEvent,
    ResponseEvent,
)


def sync_use() -> None:
    with Paragon(project_id="p", user_token="t", timeout=30) as paragon:
        sent: Any = paragon.request(
            "slack", "/chat.postMessage", method="POST", body={"channel": "C0", "text": "hi"}
        )
        print(sent["ok"])
        raw: RawResponse = paragon.request("googledrive", "/files/x", raw=True)
        data: bytes = raw.content
        status: int = raw.status
        values: list[str] = raw.headers.get_list("set-cookie")
        print(data, status, values)
        try:
            paragon.request("googledrive", "/files", query={"pageSize": 10}, headers=[("X", "1")])
        except NotFoundError as error:
            code: str | None = error.code
            print(error.status, code, error.request_id, error.retry_after)


async def async_use() -> None:
    async with AsyncParagon() as paragon:
        files: Any = await paragon.request("googledrive", "/files", query={"pageSize": 10})
        raw: RawResponse = await paragon.request("googledrive", "/files/x", raw=True)
        print(files, raw.text)
    await paragon.close()


def hooks_and_integration_errors() -> None:
    durations: list[float] = []

    def sent(event: RequestEvent) -> None:
        print(event.method, event.integration, event.path, event.attempt)

    def answered(event: ResponseEvent) -> None:
        durations.append(event.elapsed)
        print(event.status, event.request_id)

    paragon = Paragon(on_request=sent, on_response=answered)
    try:
        paragon.request("slack", "/chat.postMessage", method="POST", body={})
    except BadRequestError as error:
        if error.is_integration_error:
            upstream: int | None = error.integration_status
            print(upstream, error.integration_response)
