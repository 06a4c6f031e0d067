"""paginate() and request_many() against the sandbox over real HTTP: every case of
tests/conformance/pages/cases.json through the sync and the async client (the Rust and Node suites
run the same), then custom functions, cancellation, retries and request_many's promises."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import paragon_connect as pc
import pytest
from conftest import CONFORMANCE_DIR, Sandbox

CASES: list[dict[str, Any]] = json.loads((CONFORMANCE_DIR / "pages/cases.json").read_text())

ERROR_CLASSES: dict[str, type[pc.ParagonError]] = {
    "invalid_request": pc.InvalidRequestError,
    "timeout": pc.TimeoutError,
    "status": pc.APIStatusError,
    "pagination": pc.PaginationError,
}


def walk_arguments(case: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    call = case["call"]
    options: dict[str, Any] = {}
    if "method" in call:
        options["method"] = call["method"]
    if "body" in call:
        options["body"] = call["body"]["json"]
    if "query" in call:
        options["query"] = [tuple(pair) for pair in call["query"]]
    for key in ("pagination", "items", "max_pages", "max_items"):
        if case.get(key) is not None:
            options[key] = case[key]
    return [call["integration"], call["path"]], options


def collect_sync(client: pc.Paragon, case: dict[str, Any]) -> tuple[list[Any], Exception | None]:
    arguments, options = walk_arguments(case)
    got: list[Any] = []
    try:
        for value in client.paginate(*arguments, **options):
            got.append(value)
    except pc.ParagonError as error:
        return got, error
    return got, None


def collect_async(
    client: pc.AsyncParagon, case: dict[str, Any]
) -> tuple[list[Any], Exception | None]:
    async def run() -> tuple[list[Any], Exception | None]:
        arguments, options = walk_arguments(case)
        got: list[Any] = []
        try:
            async for value in client.paginate(*arguments, **options):
                got.append(value)
        except pc.ParagonError as error:
            return got, error
        return got, None

    return asyncio.run(run())


def contains(whole: Any, part: Any) -> bool:
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(
            key in whole and contains(whole[key], value) for key, value in part.items()
        )
    return bool(whole == part)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_page_case(sandbox: Sandbox, case: dict[str, Any], mode: str) -> None:
    settings = sandbox.settings()
    if mode == "sync":
        got, error = collect_sync(pc.Paragon(**settings), case)
    else:
        got, error = collect_async(pc.AsyncParagon(**settings), case)
    result = case["result"]
    if case.get("items") is not None:
        assert [item["id"] for item in got] == result["items"]
    if "pages" in result:
        assert len(got) == result["pages"]
    if "first_page_contains" in result:
        assert contains(got[0], result["first_page_contains"]), got[0]
    expected = result.get("error")
    if expected is None:
        assert error is None, error
    else:
        assert isinstance(error, ERROR_CLASSES[expected["kind"]]), repr(error)
        if "page" in expected:
            assert error.page == expected["page"]  # type: ignore[attr-defined]
        if "status" in expected:
            assert error.status == expected["status"]  # type: ignore[attr-defined]
        if "argument" in expected:
            assert error.argument == expected["argument"]  # type: ignore[attr-defined]
        assert expected.get("message_contains", "") in str(error)
        if "message_excludes" in expected:
            assert expected["message_excludes"] not in str(error)
    sent = sandbox.requests()
    targets = [target.replace("{project_id}", sandbox.project_id) for target in case["targets"]]
    assert [request["target"] for request in sent] == targets
    for request, body in zip(sent, case.get("bodies", [])):
        assert json.loads(base64.b64decode(request["body_base64"])) == body


def test_a_function_says_where_the_next_page_is(client: pc.Paragon, sandbox: Sandbox) -> None:
    seen: list[Any] = []

    def next_page(page: dict[str, Any]) -> dict[str, Any] | None:
        seen.append(page)
        return {"query": {"cursor": page["next"]}} if page["next"] else None

    items = list(
        client.paginate("custom.tasklab", "/tasks/relative", pagination=next_page, items="items")
    )
    assert [item["n"] for item in items] == [1, 2, 3, 4, 5, 6, 7]
    # The function gets each page whole, items included.
    assert [len(page["items"]) for page in seen] == [3, 3, 1]
    targets = [request["target"].rsplit("/", 1)[1] for request in sandbox.requests()]
    assert targets == ["relative", "relative?cursor=c3", "relative?cursor=c6"]


def test_an_async_function_may_be_awaited(sandbox: Sandbox) -> None:
    async def next_page(page: dict[str, Any]) -> dict[str, Any] | None:
        await asyncio.sleep(0)
        return {"path": f"/tasks/relative{page['next_url']}"} if page["next_url"] else None

    async def run() -> list[Any]:
        client = pc.AsyncParagon(**sandbox.settings())
        walk = client.paginate("custom.tasklab", "/tasks/relative", pagination=next_page)
        return [page async for page in walk]

    assert len(asyncio.run(run())) == 3


def test_what_a_function_returns_is_checked(client: pc.Paragon) -> None:
    walk = client.paginate("custom.tasklab", "/tasks/relative", pagination=lambda page: 42)
    with pytest.raises(pc.InvalidRequestError, match="must return None/null"):
        next(walk)
    walk = client.paginate("custom.tasklab", "/tasks/relative", pagination=lambda page: {"x": 1})
    with pytest.raises(pc.InvalidRequestError, match='returned "x"'):
        next(walk)


def test_refusals_name_the_argument_before_anything_is_sent(
    client: pc.Paragon, sandbox: Sandbox
) -> None:
    refusals = [
        ({"pagination": "slak"}, "pagination", "not a preset"),
        ({"pagination": 3}, "pagination", "not int"),
        ({"pagination": {"type": "cursor"}}, "pagination", "needs one of"),
        ({"items": 3}, "items", "must be str"),
        ({"items": "a."}, "items", "not a field path"),
        ({"max_pages": 0}, "max_pages", "from 1"),
        ({"max_items": 2}, "max_items", "counts items"),
    ]
    for options, argument, words in refusals:
        with pytest.raises(pc.InvalidRequestError, match=words) as raised:
            client.paginate("slack", "/users.list", **options)
        assert raised.value.argument == argument
    assert sandbox.requests() == []


def test_leaving_the_loop_sends_nothing_more(client: pc.Paragon, sandbox: Sandbox) -> None:
    for member in client.paginate("slack", "/users.list", items="members"):
        assert member["id"] == "item-1"
        break
    assert len(sandbox.requests()) == 1


def test_cancelling_the_task_mid_walk_stops_the_page_in_flight(sandbox: Sandbox) -> None:
    async def run() -> None:
        client = pc.AsyncParagon(**sandbox.settings())
        walk = client.paginate(
            "custom.tasklab",
            "/tasks/slow",
            query={"delay_ms": 5000},
            pagination={"type": "cursor", "cursor": "next", "param": "cursor"},
            items="items",
        )
        got = [await walk.__anext__() for _ in range(3)]
        assert [item["n"] for item in got] == [1, 2, 3]
        task = asyncio.create_task(walk.__anext__())
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.2)

    asyncio.run(run())
    sent = sandbox.requests()
    assert len(sent) == 2
    assert not sent[1]["answered"], "page 2's call went away unanswered"


def test_each_page_is_retried_as_any_call(sandbox: Sandbox) -> None:
    client = pc.Paragon(**sandbox.settings(max_retry_after=0.01))
    items = list(
        client.paginate(
            "custom.tasklab",
            "/tasks/flaky-once",
            query={"run": "python"},
            pagination={"type": "cursor", "cursor": "next", "param": "cursor"},
            items="items",
        )
    )
    assert len(items) == 7
    assert len(sandbox.requests()) == 4, "page 2 was sent twice"


def test_request_many_gives_every_result_in_order(sandbox: Sandbox) -> None:
    calls: list[Any] = [
        {"integration_type": "echo", "path": "/many", "query": {"i": index}} for index in range(30)
    ]
    calls[5] = ("googledrive", "/files/nope")
    calls[6] = ("echo", "/x", {"method": "POST", "body": {"n": 6}})

    def check(results: list[Any]) -> None:
        assert len(results) == 30
        assert isinstance(results[5], pc.NotFoundError)
        assert results[5].path == "/files/nope"
        assert json.loads(results[6]["body"]) == {"n": 6}
        for index, result in enumerate(results):
            if index not in (5, 6):
                assert result["query"] == f"i={index}"

    check(pc.Paragon(**sandbox.settings()).request_many(calls, concurrency=8))

    async def run() -> list[Any]:
        return await pc.AsyncParagon(**sandbox.settings()).request_many(calls, concurrency=8)

    check(asyncio.run(run()))


def test_request_many_can_raise_the_first_error(client: pc.Paragon, sandbox: Sandbox) -> None:
    calls = [("googledrive", "/files/nope")] + [("echo", "/x")] * 9
    with pytest.raises(pc.NotFoundError):
        client.request_many(calls, concurrency=1, stop_on_error=True)
    assert len(sandbox.requests()) == 1


def test_request_many_refuses_a_bad_call_naming_it(client: pc.Paragon, sandbox: Sandbox) -> None:
    refusals = [
        ([("echo", "/a"), ("echo", "/b", {"headers": {"x": None}})], "calls[1].headers"),
        ([("echo", "/a"), {"path": "/b"}], "calls[1].integration_type"),
        ([{"integration_type": "echo", "path": "/b", "metod": "POST"}], "calls[0].calls"),
        ([("echo",)], "calls[0].calls"),
        # The tuple gives the path: its options may not give another.
        ([("echo", "/a", {"path": "/b"})], "calls[0].calls"),
        ("echo", "calls"),
    ]
    for calls, argument in refusals:
        with pytest.raises(pc.InvalidRequestError) as raised:
            client.request_many(calls)
        assert raised.value.argument == argument, raised.value
    with pytest.raises(pc.InvalidRequestError, match="from 1 to 10000"):
        client.request_many([("echo", "/a")], concurrency=0)
    assert sandbox.requests() == []


def test_request_many_holds_at_most_concurrency_in_flight(
    client: pc.Paragon, sandbox: Sandbox
) -> None:
    slow = ("custom.tasklab", "/tasks/slow", {"query": {"cursor": "c3", "delay_ms": 300}})
    started = time.monotonic()
    results = client.request_many([slow] * 6, concurrency=2)
    assert all(isinstance(result, dict) for result in results)
    # Three rounds of two calls cannot end sooner with at most two at once.
    assert time.monotonic() - started >= 0.9


def test_cancelling_request_many_stops_the_rest(sandbox: Sandbox) -> None:
    slow = ("custom.tasklab", "/tasks/slow", {"query": {"cursor": "c3", "delay_ms": 300}})

    async def run() -> None:
        client = pc.AsyncParagon(**sandbox.settings())
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.request_many([slow] * 10, concurrency=2), 0.15)
        await asyncio.sleep(0.5)

    asyncio.run(run())
    assert len(sandbox.requests()) == 2


def test_request_many_calls_for_each_user(sandbox: Sandbox) -> None:
    key = urllib_get(sandbox, "/_sandbox/signing-key")
    settings = sandbox.settings(user_token=None, signing_key=key)
    client = pc.Paragon(**settings)
    results = client.request_many(
        [{"integration_type": "echo", "path": "/who", "user": user} for user in ("ana", "bo")]
    )
    assert all(isinstance(result, dict) for result in results)
    users = sorted(request["call"]["user"] for request in sandbox.requests())
    assert users == ["ana", "bo"]


def urllib_get(sandbox: Sandbox, path: str) -> str:
    import urllib.request

    with urllib.request.urlopen(sandbox.url + path) as reply:
        return str(reply.read().decode())
