"""Hooks and OpenTelemetry: what an application's instrumentation sees of each call."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Sandbox
from opentelemetry import context, trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.util._once import Once
from paragon_connect import (
    AsyncParagon,
    ConfigurationError,
    InternalServerError,
    NotFoundError,
    Paragon,
    RequestEvent,
    ResponseEvent,
)


def _reset_tracer_provider() -> None:
    # What OpenTelemetry's own test utilities do: the global provider can be set once otherwise.
    trace._TRACER_PROVIDER_SET_ONCE = Once()  # type: ignore[attr-defined]
    trace._TRACER_PROVIDER = None  # type: ignore[attr-defined]


@contextlib.contextmanager
def _tracing(provider: TracerProvider) -> Iterator[InMemorySpanExporter]:
    """`provider` as the global tracer provider, its finished spans in the exporter given."""
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    _reset_tracer_provider()
    trace.set_tracer_provider(provider)
    try:
        yield exporter
    finally:
        provider.shutdown()
        _reset_tracer_provider()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    with _tracing(TracerProvider()) as exporter:
        yield exporter


@pytest.fixture
def sampled_out() -> Iterator[InMemorySpanExporter]:
    with _tracing(TracerProvider(sampler=ALWAYS_OFF)) as exporter:
        yield exporter


def test_sampled_out_a_call_or_a_batch_sends_its_context_and_makes_no_span(
    sandbox: Sandbox, sampled_out: InMemorySpanExporter
) -> None:
    paragon = Paragon(**sandbox.settings())
    paragon.request("echo", "/one")
    results = paragon.request_many(
        [("echo", "/a"), ("googledrive", "/files/nope"), ("echo", "/b")], concurrency=2
    )
    assert isinstance(results[1], NotFoundError) and not isinstance(results[0], Exception)
    assert sampled_out.get_finished_spans() == ()
    requests = sandbox.requests()
    assert len(requests) == 4
    for request in requests:
        # The sampling decision travels on: the flags' sampled bit is off.
        traceparent = dict(request["headers"])["traceparent"]
        assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}", traceparent)
        assert int(traceparent[-2:], 16) & 1 == 0, traceparent


def sent_headers(sandbox: Sandbox, index: int = -1) -> dict[str, str]:
    return dict(sandbox.requests()[index]["headers"])


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    finished = exporter.get_finished_spans()
    assert len(finished) == 1, [span.name for span in finished]
    return finished[0]


def test_each_call_is_one_client_span_child_of_the_callers_and_propagated(
    sandbox: Sandbox, spans: InMemorySpanExporter
) -> None:
    paragon = Paragon(**sandbox.settings())
    tracer = trace.get_tracer("the-application")
    with tracer.start_as_current_span("handle-request") as parent:
        paragon.request("slack", "/chat.postMessage?token=s3cr3t", method="POST", body={"a": 1})
    finished = spans.get_finished_spans()
    assert [span.name for span in finished] == ["POST slack", "handle-request"]
    span = finished[0]
    assert span.kind is SpanKind.CLIENT
    assert span.parent is not None and span.parent.span_id == parent.get_span_context().span_id
    attributes = dict(span.attributes or {})
    assert attributes["http.request.method"] == "POST"
    assert attributes["http.response.status_code"] == 200
    assert attributes["paragon.integration"] == "slack"
    assert attributes["server.address"] == "127.0.0.1"
    assert attributes["url.full"] == (
        f"{sandbox.url}/projects/{sandbox.project_id}/sdk/proxy/slack/chat.postMessage"
        "?token=REDACTED"
    )
    assert "s3cr3t" not in repr(attributes)
    assert span.status.status_code is StatusCode.UNSET
    context_ = span.get_span_context()
    assert context_ is not None
    expected = f"00-{context_.trace_id:032x}-{context_.span_id:016x}-{context_.trace_flags:02x}"
    assert sent_headers(sandbox)["traceparent"] == expected


def test_a_retried_call_that_fails_is_one_span_with_its_error(
    sandbox: Sandbox, spans: InMemorySpanExporter
) -> None:
    paragon = Paragon(**sandbox.settings())
    sandbox.push_reply({"status": 503, "headers": [["retry-after", "0"]]})
    sandbox.push_reply({"status": 404, "body": {"json": {"message": "no such file"}}})
    with pytest.raises(NotFoundError):
        paragon.request("googledrive", "/files/missing")
    span = only_span(spans)
    attributes = dict(span.attributes or {})
    assert attributes["http.response.status_code"] == 404
    assert attributes["error.type"] == "404"
    assert attributes["http.request.resend_count"] == 1
    assert span.status.status_code is StatusCode.ERROR
    assert "no such file" in (span.status.description or "")
    # Both attempts carried the one span's context.
    first, second = (sent_headers(sandbox, i)["traceparent"] for i in (0, 1))
    assert first == second


def test_a_callers_own_traceparent_is_kept(sandbox: Sandbox, spans: InMemorySpanExporter) -> None:
    own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    Paragon(**sandbox.settings()).request("echo", "/x", headers={"traceparent": own})
    assert sent_headers(sandbox)["traceparent"] == own
    assert len(spans.get_finished_spans()) == 1


def test_async_calls_are_children_of_the_awaiting_tasks_span(
    sandbox: Sandbox, spans: InMemorySpanExporter
) -> None:
    tracer = trace.get_tracer("the-application")

    async def main() -> None:
        async with AsyncParagon(**sandbox.settings()) as paragon:

            async def one(name: str) -> None:
                with tracer.start_as_current_span(name):
                    await paragon.request("echo", f"/{name}")

            await asyncio.gather(one("first"), one("second"))

    asyncio.run(main())
    by_name = {span.name: span for span in spans.get_finished_spans()}
    assert set(by_name) == {"GET echo", "first", "second"}
    clients = [span for span in spans.get_finished_spans() if span.name == "GET echo"]
    parents = {span.parent.span_id for span in clients if span.parent is not None}
    assert parents == {
        by_name["first"].get_span_context().span_id,  # type: ignore[union-attr]
        by_name["second"].get_span_context().span_id,  # type: ignore[union-attr]
    }


def test_a_cancelled_call_ends_its_span_as_cancelled(
    sandbox: Sandbox, spans: InMemorySpanExporter
) -> None:
    sandbox.push_reply({"status": 200, "delay_ms": 5000})

    async def main() -> None:
        paragon = AsyncParagon(**sandbox.settings())
        task = asyncio.create_task(paragon.request("echo", "/slow"))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    # Ended on the events thread, as the cancelled task's span is dropped.
    for _ in range(100):
        if spans.get_finished_spans():
            break
        threading.Event().wait(0.05)
    span = only_span(spans)
    assert dict(span.attributes or {})["error.type"] == "cancelled"
    assert span.status.status_code is StatusCode.ERROR


def test_streams_and_downloads_are_spans_too(
    sandbox: Sandbox, spans: InMemorySpanExporter, tmp_path: Any
) -> None:
    paragon = Paragon(**sandbox.settings())
    path = f"/files/{sandbox.drive_file_id}?alt=media"
    with paragon.stream("googledrive", path) as response:
        response.read()
    paragon.download("googledrive", path, to=tmp_path / "file.pdf")
    finished = spans.get_finished_spans()
    assert [span.name for span in finished] == ["GET googledrive", "GET googledrive"]
    for span in finished:
        assert dict(span.attributes or {})["http.response.status_code"] == 200
    assert all("traceparent" in dict(r["headers"]) for r in sandbox.requests())


def test_each_page_is_one_client_span_with_its_number(
    sandbox: Sandbox, spans: InMemorySpanExporter
) -> None:
    tracer = trace.get_tracer("the-application")
    with tracer.start_as_current_span("sync-walk") as parent:
        pages = list(Paragon(**sandbox.settings()).paginate("slack", "/users.list"))
    assert len(pages) >= 2
    finished = [span for span in spans.get_finished_spans() if span.name == "GET slack"]
    assert [dict(span.attributes or {})["paragon.page"] for span in finished] == list(
        range(1, len(pages) + 1)
    )
    for index, span in enumerate(finished):
        assert span.kind is SpanKind.CLIENT
        assert span.parent is not None and span.parent.span_id == parent.get_span_context().span_id
        assert dict(span.attributes or {})["http.response.status_code"] == 200
        context_ = span.get_span_context()
        assert context_ is not None
        assert f"-{context_.span_id:016x}-" in sent_headers(sandbox, index)["traceparent"]

    async def walk() -> list[ReadableSpan]:
        spans.clear()
        with tracer.start_as_current_span("async-walk"):
            async for _ in AsyncParagon(**sandbox.settings()).paginate("slack", "/users.list"):
                pass
        return list(spans.get_finished_spans())

    names = [span.name for span in asyncio.run(walk())]
    assert names == ["GET slack"] * len(pages) + ["async-walk"]


def test_a_page_that_fails_ends_its_span_with_the_error(
    sandbox: Sandbox, spans: InMemorySpanExporter
) -> None:
    pagination = {"type": "cursor", "cursor": "next", "param": "cursor"}
    walk = Paragon(**sandbox.settings(), max_retries=0).paginate(
        "custom.tasklab", "/tasks/failing", pagination=pagination
    )
    with pytest.raises(InternalServerError):
        list(walk)
    finished = spans.get_finished_spans()
    assert [span.status.status_code for span in finished] == [
        StatusCode.UNSET,
        StatusCode.UNSET,
        StatusCode.ERROR,
    ]
    assert dict(finished[2].attributes or {})["paragon.page"] == 3


def test_request_many_is_one_span_and_each_call_a_client_span_under_it(
    sandbox: Sandbox, spans: InMemorySpanExporter
) -> None:
    slow = ("custom.tasklab", "/tasks/slow", {"query": {"cursor": "c3", "delay_ms": 300}})
    calls: list[tuple[str, str] | tuple[str, str, dict[str, Any]]] = [
        ("echo", "/a"),
        slow,
        ("googledrive", "/files/nope"),
        ("echo", "/b"),
    ]
    tracer = trace.get_tracer("the-application")
    with tracer.start_as_current_span("handle-request") as parent:
        results = Paragon(**sandbox.settings()).request_many(calls, concurrency=2)
    assert isinstance(results[2], NotFoundError)
    finished = {span.name: span for span in spans.get_finished_spans()}
    batch = finished["request_many"]
    assert batch.kind is SpanKind.INTERNAL
    assert batch.parent is not None and batch.parent.span_id == parent.get_span_context().span_id
    assert dict(batch.attributes or {}) == {
        "paragon.calls": 4,
        "paragon.concurrency": 2,
        "paragon.failed": 1,
    }
    batch_context = batch.get_span_context()
    assert batch_context is not None
    children = [
        span
        for span in spans.get_finished_spans()
        if span.parent is not None and span.parent.span_id == batch_context.span_id
    ]
    assert sorted(span.name for span in children) == [
        "GET custom.tasklab",
        "GET echo",
        "GET echo",
        "GET googledrive",
    ]
    for span in children:
        assert span.kind is SpanKind.CLIENT
        assert batch.start_time is not None and span.start_time is not None
        assert batch.end_time is not None and span.end_time is not None
        assert batch.start_time <= span.start_time <= span.end_time <= batch.end_time
        took = (span.end_time - span.start_time) / 1e9
        if span.name == "GET custom.tasklab":
            assert took >= 0.3, "the call's own time, as the core recorded it"
        else:
            assert took < 0.3
        failed = span.name == "GET googledrive"
        assert (span.status.status_code is StatusCode.ERROR) is failed
    # Every call carried the batch's context.
    expected = f"-{batch_context.span_id:016x}-"
    assert all(expected in dict(r["headers"])["traceparent"] for r in sandbox.requests())


def test_async_request_many_spans_are_children_of_the_awaiting_task(
    sandbox: Sandbox, spans: InMemorySpanExporter
) -> None:
    async def main() -> None:
        with trace.get_tracer("the-application").start_as_current_span("task"):
            await AsyncParagon(**sandbox.settings()).request_many([("echo", "/a")] * 3)

    asyncio.run(main())
    *calls, batch, task = spans.get_finished_spans()
    assert [span.name for span in calls] == ["GET echo"] * 3
    assert (batch.name, task.name) == ("request_many", "task")
    batch_context, task_context = batch.get_span_context(), task.get_span_context()
    assert batch_context is not None and task_context is not None
    assert batch.parent is not None and batch.parent.span_id == task_context.span_id
    assert all(
        span.parent is not None and span.parent.span_id == batch_context.span_id for span in calls
    )


def test_without_a_tracer_provider_nothing_is_added(sandbox: Sandbox) -> None:
    # The API alone (no SDK provider set) makes no span, so there is no context to send.
    Paragon(**sandbox.settings()).request("echo", "/x")
    assert "traceparent" not in sent_headers(sandbox)


def test_a_tracer_that_fails_does_not_fail_the_call(
    sandbox: Sandbox, spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken(SimpleSpanProcessor):
        def on_end(self, span: ReadableSpan) -> None:
            raise RuntimeError("exporter down")

    reported: list[BaseException | None] = []
    monkeypatch.setattr("sys.unraisablehook", lambda info: reported.append(info.exc_value))
    provider = trace.get_tracer_provider()
    provider.add_span_processor(Broken(InMemorySpanExporter()))  # type: ignore[attr-defined]
    assert Paragon(**sandbox.settings()).request("echo", "/x") is not None
    assert [str(error) for error in reported] == ["exporter down"]


def test_hooks_see_each_attempt_before_the_call_returns(sandbox: Sandbox) -> None:
    events: list[RequestEvent | ResponseEvent] = []
    threads: set[str] = set()

    def record(event: RequestEvent | ResponseEvent) -> None:
        threads.add(threading.current_thread().name)
        events.append(event)

    token = sandbox.token()
    paragon = Paragon(**sandbox.settings(user_token=token), on_request=record, on_response=record)
    sandbox.push_reply({"status": 503, "headers": [["retry-after", "0"]]})
    paragon.request("echo", "/hooked?secret=s3cr3t", method="GET")
    # No waiting: every hook of the call has run when it returns.
    assert [type(event).__name__ for event in events] == [
        "RequestEvent",
        "ResponseEvent",
        "RequestEvent",
        "ResponseEvent",
    ]
    assert events[0] == RequestEvent("GET", "echo", "/hooked", 1)
    answered = events[1]
    assert isinstance(answered, ResponseEvent)
    assert (answered.status, answered.attempt, answered.path) == (503, 1, "/hooked")
    assert answered.elapsed > 0
    last = events[3]
    assert isinstance(last, ResponseEvent) and (last.status, last.attempt) == (200, 2)
    assert threading.current_thread().name not in threads
    assert token not in repr(events) and "s3cr3t" not in repr(events)


def test_hooks_run_for_async_calls_and_copies_keep_them(sandbox: Sandbox) -> None:
    seen: list[int] = []
    paragon = AsyncParagon(
        **sandbox.settings(), on_response=lambda event: seen.append(event.status)
    )

    async def main() -> None:
        await paragon.request("echo", "/a")
        await paragon.with_options(timeout=5).request("echo", "/b")
        await paragon.get_user()

    asyncio.run(main())
    assert seen == [200, 200, 200]


def test_each_page_waits_for_its_hooks(sandbox: Sandbox) -> None:
    seen: list[int] = []

    def slow(event: ResponseEvent) -> None:
        time.sleep(0.05)  # hooks run on another thread: a page must not overtake them
        seen.append(event.status)

    paragon = Paragon(**sandbox.settings(), on_response=slow)
    pages = 0
    for _ in paragon.paginate("slack", "/users.list"):
        pages += 1
        assert len(seen) == pages
    assert pages >= 2

    async def walk() -> int:
        async_paragon = AsyncParagon(**sandbox.settings(), on_response=slow)
        walked = 0
        async for _ in async_paragon.paginate("slack", "/users.list"):
            walked += 1
            assert len(seen) == pages + walked
        return walked

    assert asyncio.run(walk()) == pages


def test_a_hook_that_raises_is_reported_and_the_call_still_succeeds(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[BaseException | None] = []
    monkeypatch.setattr("sys.unraisablehook", lambda info: reported.append(info.exc_value))

    def broken(event: RequestEvent) -> None:
        raise ValueError("hook failed")

    answer = Paragon(**sandbox.settings(), on_request=broken).request("echo", "/x")
    assert answer is not None
    assert [str(error) for error in reported] == ["hook failed"]


def test_a_hook_may_call_paragon_itself(sandbox: Sandbox) -> None:
    calls: list[str] = []
    paragon: Paragon

    def nested(event: ResponseEvent) -> None:
        if event.path == "/outer":
            calls.append(str(paragon.request("echo", "/inner")))

    paragon = Paragon(**sandbox.settings(), on_response=nested)
    paragon.request("echo", "/outer")
    assert len(calls) == 1


@pytest.mark.parametrize("hook", ["not a function", 42, b"bytes"])
def test_a_hook_that_is_not_a_function_is_refused(sandbox: Sandbox, hook: Any) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Paragon(**sandbox.settings(), on_request=hook)
    assert raised.value.setting == "on_request"
    assert "must be a function taking one event, not" in str(raised.value)


def test_a_hook_that_blocks_delays_its_call_a_little_and_never_hangs_it(sandbox: Sandbox) -> None:
    release = threading.Event()
    ran: list[int] = []

    def stuck(event: ResponseEvent) -> None:
        release.wait(30)
        ran.append(event.status)

    paragon = Paragon(**sandbox.settings(), on_response=stuck)
    started = time.monotonic()
    try:
        assert paragon.request("echo", "/x") is not None
        # Returned while the hook is still stuck (after the SDK's bounded wait for it).
        assert not release.is_set() and ran == []
        assert time.monotonic() - started < 10
    finally:
        release.set()
    for _ in range(100):
        if ran:
            break
        time.sleep(0.05)
    assert ran == [200]


def test_a_coroutine_hook_is_refused(sandbox: Sandbox) -> None:
    async def hook(event: RequestEvent) -> None:
        pass

    with pytest.raises(ConfigurationError, match="not a coroutine function"):
        AsyncParagon(**sandbox.settings(), on_response=hook)


def test_spans_and_hooks_leave_no_context_behind(
    sandbox: Sandbox, spans: InMemorySpanExporter
) -> None:
    before = context.get_current()
    Paragon(**sandbox.settings(), on_request=lambda event: None).request("echo", "/x")
    assert context.get_current() == before
