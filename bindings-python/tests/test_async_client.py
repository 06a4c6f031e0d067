"""The asyncio client against the sandbox, under asyncio's own loop and uvloop (twin of
test_sync_client.py)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import paragon_connect as pc
import pytest
from conftest import Sandbox, drive_file_bytes
from paragon_connect import AsyncParagon

T = TypeVar("T")
Runner = Callable[[Callable[[], Coroutine[Any, Any, T]]], T]


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Runner[Any]:
    """Runs a coroutine function to completion on a new loop of the kind under test."""

    def runner(main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        if request.param == "uvloop":
            import uvloop

            return uvloop.run(main())
        return asyncio.run(main())

    return runner


def with_client(
    sandbox: Sandbox, body: Callable[[AsyncParagon], Awaitable[T]]
) -> Callable[[], Coroutine[Any, Any, T]]:
    async def main() -> T:
        async with AsyncParagon(**sandbox.settings()) as paragon:
            return await body(paragon)

    return main


def test_slack_message_returns_the_unwrapped_output(sandbox: Sandbox, run: Runner[Any]) -> None:
    async def body(paragon: AsyncParagon) -> Any:
        return await paragon.request(
            "slack", "/chat.postMessage", method="POST", body={"channel": "C0", "text": "hi"}
        )

    sent = run(with_client(sandbox, body))
    assert sent["ok"] is True
    assert sent["message"]["text"] == "hi"


def test_query_dict_with_numbers(sandbox: Sandbox, run: Runner[Any]) -> None:
    async def body(paragon: AsyncParagon) -> Any:
        return await paragon.request("googledrive", "/files", query={"pageSize": 10})

    files = run(with_client(sandbox, body))
    assert len(files["files"]) == 3
    assert sandbox.requests()[0]["target"].endswith("/googledrive/files?pageSize=10")


def test_a_binary_file_downloads_intact(sandbox: Sandbox, run: Runner[Any]) -> None:
    async def body(paragon: AsyncParagon) -> Any:
        return await paragon.request(
            "googledrive", f"/files/{sandbox.drive_file_id}/?alt=media", raw=True
        )

    raw = run(with_client(sandbox, body))
    assert isinstance(raw, pc.RawResponse)
    assert raw.content == drive_file_bytes()
    assert raw.headers["content-type"] == "application/pdf"


def test_a_404_is_caught_as_not_found(sandbox: Sandbox, run: Runner[Any]) -> None:
    async def body(paragon: AsyncParagon) -> Any:
        try:
            await paragon.request("googledrive", "/files/does-not-exist")
        except pc.NotFoundError as error:
            return error
        return None

    error = run(with_client(sandbox, body))
    assert isinstance(error, pc.NotFoundError)
    assert error.status == 404
    assert error.is_integration_error is True


def test_invalid_input_raises_at_await_and_sends_nothing(
    sandbox: Sandbox, run: Runner[Any]
) -> None:
    async def body(paragon: AsyncParagon) -> list[BaseException]:
        raised: list[BaseException] = []
        for call in (
            paragon.request("slack", "/../me"),
            paragon.request("slack", "/x", body={"a": {1}}),
            paragon.request("slack", "/x", headers={"X": "a\r\nb"}),
            paragon.request("slack", "/x", timeout=-1),
        ):
            try:
                await call
            except (pc.ParagonError, TypeError, ValueError) as error:
                raised.append(error)
        return raised

    raised = run(with_client(sandbox, body))
    assert [type(error) for error in raised] == [pc.InvalidRequestError] * 4
    assert [error.argument for error in raised] == ["path", "body", "headers", "timeout"]  # type: ignore[attr-defined]
    assert sandbox.requests() == []


def test_exact_numbers_and_unicode_cross_both_ways(sandbox: Sandbox, run: Runner[Any]) -> None:
    payload = {"big": 10**40, "neg": -(2**70), "f": 0.1, "text": "Grüße 🚀"}
    sandbox.push_reply({"body": {"json": {"output": payload}}})

    async def body(paragon: AsyncParagon) -> Any:
        return await paragon.request("echo", "/x", method="POST", body=payload)

    assert run(with_client(sandbox, body)) == payload
    wire = json.loads(base64.b64decode(sandbox.requests()[0]["body_base64"]))
    assert wire == payload


def test_ten_megabyte_body(sandbox: Sandbox, run: Runner[Any]) -> None:
    blob = os.urandom(10 * 1024 * 1024)

    async def body(paragon: AsyncParagon) -> Any:
        return await paragon.request("echo", "/upload", method="PUT", body=blob, raw=True)

    raw = run(with_client(sandbox, body))
    assert base64.b64decode(raw.json()["body_base64"]) == blob


def test_many_concurrent_calls_on_one_client(sandbox: Sandbox, run: Runner[Any]) -> None:
    async def body(paragon: AsyncParagon) -> list[Any]:
        return await asyncio.gather(
            *(
                paragon.request(
                    "slack",
                    "/chat.postMessage",
                    method="POST",
                    body={"channel": "C0", "text": str(i)},
                )
                for i in range(300)
            )
        )

    answers = run(with_client(sandbox, body))
    assert [answer["message"]["text"] for answer in answers] == [str(i) for i in range(300)]


def test_calls_are_coroutines_that_start_when_awaited(sandbox: Sandbox, run: Runner[Any]) -> None:
    async def body(paragon: AsyncParagon) -> list[Any]:
        call = paragon.request(
            "slack", "/chat.postMessage", method="POST", body={"channel": "C0", "text": "a"}
        )
        assert asyncio.iscoroutine(call)
        await asyncio.sleep(0.2)
        assert sandbox.requests() == []  # created, not awaited: nothing sent
        first = await asyncio.create_task(call)
        with pytest.raises(RuntimeError, match="already awaited"):
            await call
        async with asyncio.TaskGroup() as group:
            second = group.create_task(
                paragon.request(
                    "slack", "/chat.postMessage", method="POST", body={"channel": "C0", "text": "b"}
                )
            )
        return [first["message"]["text"], second.result()["message"]["text"]]

    assert run(with_client(sandbox, body)) == ["a", "b"]
    assert len(sandbox.requests()) == 2


def test_an_unawaited_call_is_dropped_without_sending(sandbox: Sandbox, run: Runner[Any]) -> None:
    async def body(paragon: AsyncParagon) -> Any:
        paragon.request(
            "slack", "/chat.postMessage", method="POST", body={"channel": "C0", "text": "never"}
        )
        return await paragon.request("slack", "conversations.list")

    assert run(with_client(sandbox, body))["ok"] is True
    assert [request["target"].rsplit("/", 1)[-1] for request in sandbox.requests()] == [
        "conversations.list"
    ]


def test_event_loops_in_several_threads_share_one_client(sandbox: Sandbox) -> None:
    import threading

    paragon = AsyncParagon(**sandbox.settings())
    answers: dict[int, list[str]] = {}

    async def calls(worker: int) -> list[str]:
        sent = await asyncio.gather(
            *(
                paragon.request(
                    "slack",
                    "/chat.postMessage",
                    method="POST",
                    body={"channel": "C0", "text": f"{worker}-{i}"},
                )
                for i in range(50)
            )
        )
        return [answer["message"]["text"] for answer in sent]

    def worker(index: int) -> None:
        # A new loop per round too: each one gets its own wake-up channel.
        answers[index] = asyncio.run(calls(index)) + asyncio.run(calls(index))

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(4):
        assert answers[index] == [f"{index}-{i}" for i in range(50)] * 2


def test_calls_overlap(sandbox: Sandbox, run: Runner[Any]) -> None:
    for _ in range(8):
        sandbox.push_reply({"delay_ms": 300, "body": {"json": {"output": "slow"}}})

    async def body(paragon: AsyncParagon) -> list[Any]:
        return await asyncio.gather(*(paragon.request("echo", "/slow") for _ in range(8)))

    assert run(with_client(sandbox, body)) == ["slow"] * 8
    assert len({request["peer"] for request in sandbox.requests()}) == 8


def test_cancelling_the_task_stops_the_request(sandbox: Sandbox, run: Runner[Any]) -> None:
    sandbox.push_reply({"delay_ms": 1500, "body": {"json": {"output": "late"}}})

    async def body(paragon: AsyncParagon) -> Any:
        task = asyncio.ensure_future(paragon.request("echo", "/slow"))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # Past the moment the sandbox would have answered, had the connection stayed open.
        await asyncio.sleep(1.6)
        # The same client goes on working.
        return await paragon.request("slack", "conversations.list")

    assert run(with_client(sandbox, body))["ok"] is True
    slow, after = sandbox.requests()
    # The request was aborted in Rust: its connection closed, so the sandbox dropped its
    # handler before answering.
    assert slow["answered"] is False
    assert after["answered"] is True


def test_wait_for_timeout_cancels_cleanly(sandbox: Sandbox, run: Runner[Any]) -> None:
    sandbox.push_reply({"delay_ms": 5000, "body": {"json": {"output": "late"}}})

    async def body(paragon: AsyncParagon) -> str:
        try:
            await asyncio.wait_for(paragon.request("echo", "/slow"), 0.2)
        except asyncio.TimeoutError:
            return "timed out"
        return "answered"

    assert run(with_client(sandbox, body)) == "timed out"


def test_the_sdk_timeout_is_a_timeout_error(sandbox: Sandbox, run: Runner[Any]) -> None:
    sandbox.push_reply({"delay_ms": 3000, "body": {"json": {"output": "late"}}})

    async def body(paragon: AsyncParagon) -> BaseException | None:
        try:
            await paragon.request("echo", "/slow", timeout=0.2, max_retries=0)
        except pc.TimeoutError as error:
            return error
        return None

    error = run(with_client(sandbox, body))
    assert isinstance(error, TimeoutError)  # the builtin too
    assert error.timeout == pytest.approx(0.2)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_the_client_works_in_a_forked_child(sandbox: Sandbox) -> None:
    paragon = AsyncParagon(**sandbox.settings())

    async def call() -> Any:
        return await paragon.request("slack", "conversations.list")

    assert asyncio.run(call())["ok"] is True
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(writer, json.dumps(asyncio.run(call())["ok"]).encode())
        except BaseException as error:
            os.write(writer, repr(error).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        report = pipe.read()
    os.waitpid(pid, 0)
    assert report == "true"


def test_repr_never_shows_the_token(sandbox: Sandbox) -> None:
    token = sandbox.token()
    paragon = AsyncParagon(**sandbox.settings(user_token=token))
    assert token not in repr(paragon)
    assert repr(paragon).startswith("AsyncParagon(project_id=")


def test_event_loops_that_end_leave_no_descriptors_behind(sandbox: Sandbox) -> None:
    # Each loop gets a wake-up socket pair on first use; it must go with the loop.
    paragon = AsyncParagon(**sandbox.settings())

    async def call() -> Any:
        return await paragon.request("slack", "conversations.list")

    asyncio.run(call())
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(50):
        asyncio.run(call())
    # Other tests' connections may close meanwhile; 50 leaked pairs would be 100 more.
    assert len(os.listdir("/proc/self/fd")) <= before + 4


def test_a_loop_without_add_reader_is_woken_another_way(sandbox: Sandbox) -> None:
    # Windows' proactor loop has no add_reader: the calls must still finish.
    class NoReaderLoop(asyncio.SelectorEventLoop):
        def add_reader(self, *args: Any) -> None:
            raise NotImplementedError

    paragon = AsyncParagon(**sandbox.settings())

    async def calls() -> list[Any]:
        return await asyncio.gather(
            *(paragon.request("slack", "conversations.list") for _ in range(20))
        )

    loop = NoReaderLoop()
    try:
        answers = loop.run_until_complete(asyncio.wait_for(calls(), 10))
    finally:
        loop.close()
    assert [answer["ok"] for answer in answers] == [True] * 20
