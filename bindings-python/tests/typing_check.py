"""Typical use of the package, checked by mypy --strict in test_stubs.py (never run)."""

from __future__ import annotations

from typing import Any

from paragon_connect import (
    AsyncPages,
    AsyncParagon,
    BadRequestError,
    NotFoundError,
    Pages,
    PaginationError,
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


def pages_and_many() -> None:
    paragon = Paragon()
    for member in paragon.paginate("slack", "/users.list", items="members", max_items=500):
        print(member["id"])
    pages: Pages = paragon.paginate(
        "custom.tasklab",
        "/projects",
        pagination={"type": "offset", "size": 100},
        items="projects",
    )
    print(next(pages))

    def next_page(page: Any) -> dict[str, Any] | None:
        return {"query": {"cursor": page["next"]}} if page["next"] else None

    print(list(paragon.paginate("custom.tasklab", "/tasks", pagination=next_page)))
    results: list[Any] = paragon.request_many(
        [("slack", "/users.list"), {"integration_type": "echo", "path": "/x", "user": "u1"}],
        concurrency=8,
    )
    for result in results:
        if isinstance(result, PaginationError):
            print(result.page)


async def async_pages_and_many() -> None:
    paragon = AsyncParagon()
    walk: AsyncPages = paragon.paginate("slack", "/users.list", items="members")
    async for member in walk:
        print(member)
    print(await paragon.request_many([("slack", "/users.list")], stop_on_error=True))
