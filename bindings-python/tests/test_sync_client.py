"""The sync client against the sandbox: what a user does with it (twin of test_async_client.py)."""

from __future__ import annotations

import base64
import json
import logging
import os
import pickle
import signal
import sys
import threading
import time
from decimal import Decimal
from typing import Any

import paragon_connect as pc
import pytest
from conftest import Sandbox, drive_file_bytes
from paragon_connect import Paragon


def test_slack_message_returns_the_unwrapped_output(client: Paragon) -> None:
    sent = client.request(
        "slack", "/chat.postMessage", method="POST", body={"channel": "C0", "text": "hi"}
    )
    assert sent["ok"] is True
    assert sent["message"]["text"] == "hi"


def test_query_dict_with_numbers(client: Paragon, sandbox: Sandbox) -> None:
    files = client.request(
        "googledrive", "/files", query={"pageSize": 1, "shared": True, "ids": ["a", "b"]}
    )
    assert [file["id"] for file in files["files"]] == [sandbox.drive_file_id]
    target = sandbox.requests()[0]["target"]
    assert target.endswith("/googledrive/files?pageSize=1&shared=true&ids=a&ids=b")


def test_a_binary_file_downloads_intact(client: Paragon, sandbox: Sandbox) -> None:
    raw = client.request("googledrive", f"/files/{sandbox.drive_file_id}/?alt=media", raw=True)
    assert isinstance(raw, pc.RawResponse)
    assert raw.status == 200
    assert raw.content == drive_file_bytes()
    assert raw.headers["Content-Type"] == "application/pdf"
    assert "content-disposition" in raw.headers


def test_raw_response_text_json_and_repeated_headers(client: Paragon, sandbox: Sandbox) -> None:
    sandbox.push_reply(
        {
            "headers": [
                ["content-type", "application/json; charset=utf-8"],
                ["Set-Cookie", "a=1"],
                ["set-cookie", "b=2"],
            ],
            "body": {"text": '{"output": {"é": 1}}'},
        }
    )
    raw = client.request("echo", "/x", raw=True)
    assert raw.json() == {"output": {"é": 1}}
    assert raw.text == '{"output": {"é": 1}}'
    assert raw.headers.get_list("SET-COOKIE") == ["a=1", "b=2"]
    assert raw.headers["set-cookie"] == "a=1, b=2"
    assert pickle.loads(pickle.dumps(raw)).content == raw.content


def test_raw_text_honours_the_charset(client: Paragon, sandbox: Sandbox) -> None:
    latin = "Grüße".encode("latin-1")
    for content_type, text in [
        ('text/plain; charset="ISO-8859-1"', "Grüße"),
        ("text/plain", "Gr\ufffd\ufffde"),
    ]:
        sandbox.push_reply(
            {
                "headers": [["content-type", content_type]],
                "body": {"base64": base64.b64encode(latin).decode()},
            }
        )
        assert client.request("echo", "/x", raw=True).text == text


def test_a_404_is_caught_as_not_found(client: Paragon) -> None:
    with pytest.raises(pc.NotFoundError) as caught:
        client.request("googledrive", "/files/does-not-exist")
    error = caught.value
    assert error.status == 404
    assert error.is_integration_error is True
    assert error.body["meta"]["response"]["error"]["code"] == 404
    # The upstream's own status and answer, without digging into the body.
    assert error.integration_status == 404
    assert error.integration_response == error.body["meta"]["response"]
    assert json.loads(error.content) == error.body
    assert (error.method, error.integration_type, error.path) == (
        "GET",
        "googledrive",
        "/files/does-not-exist",
    )
    assert str(error).startswith("GET googledrive /files/does-not-exist: Paragon answered 404")


def test_the_environment_configures_the_client(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARAGON_PROJECT_ID", sandbox.project_id)
    monkeypatch.setenv("PARAGON_USER_TOKEN", sandbox.token())
    monkeypatch.setenv("PARAGON_PROXY_BASE_URL", sandbox.url)
    with Paragon() as paragon:
        assert paragon.project_id == sandbox.project_id
        assert paragon.request("slack", "conversations.list")["ok"] is True


def test_missing_settings_are_configuration_errors() -> None:
    with pytest.raises(pc.ConfigurationError) as caught:
        Paragon(user_token="t-12345678")
    assert caught.value.setting == "project_id"
    assert isinstance(caught.value, ValueError)
    with pytest.raises(pc.ConfigurationError, match="timeout"):
        Paragon(project_id="p", user_token="t-12345678", timeout=0)
    with pytest.raises(pc.ConfigurationError, match="plain http"):
        Paragon(project_id="p", user_token="t-12345678", proxy_base_url="http://example.com")


def test_repr_and_errors_never_show_the_token(sandbox: Sandbox) -> None:
    token = sandbox.token()
    paragon = Paragon(**sandbox.settings(user_token=token))
    assert token not in repr(paragon)
    assert "redacted" in repr(paragon)
    sandbox.push_reply({"status": 401, "body": {"json": {"message": f"bad token {token}"}}})
    with pytest.raises(pc.AuthenticationError) as caught:
        paragon.request("echo", "/x")
    assert token not in str(caught.value)
    assert caught.value.message == "bad token [redacted]"


def test_the_user_agent_names_python(client: Paragon, sandbox: Sandbox) -> None:
    client.request("echo", "/x")
    agent = dict(sandbox.requests()[0]["headers"])["user-agent"]
    version = sys.version_info
    assert agent == (
        f"paragon-connect/{pc.__version__} "
        f"(python; CPython {version.major}.{version.minor}.{version.micro})"
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"a": {1, 2}}, r'body\["a"\] is of type set'),
        # A key that needs escaping is named escaped.
        ({'say "hi"\n': {1}}, r'body\["say \\"hi\\"\\n"\] is of type set'),
        ({"items": [1, 2, 3, object()]}, r'body\["items"\]\[3\] is of type object'),
        ({b"key": 1}, "key of type bytes"),
        ({1: "a"}, "key of type int"),
        ({"n": float("nan")}, r'body\["n"\] is NaN'),
        ({"n": [float("inf")]}, r'body\["n"\]\[0\] is inf'),
        ({"price": Decimal("1.10")}, "type Decimal"),
        ({"blob": b"\x00"}, r'body\["blob"\] is of type bytes'),
    ],
)
def test_non_json_bodies_are_refused_before_sending(
    client: Paragon, sandbox: Sandbox, body: Any, problem: str
) -> None:
    with pytest.raises((TypeError, ValueError), match=problem):
        client.request("echo", "/x", method="POST", body=body)
    assert sandbox.requests() == []


@pytest.mark.parametrize(
    "arguments",
    [{"body": "a\udcffb"}, {"body": {"name": "\ud800"}}, {"headers": {"X-A": "\udcff"}}],
)
def test_strings_utf8_cannot_carry_are_refused(
    client: Paragon, sandbox: Sandbox, arguments: dict[str, Any]
) -> None:
    with pytest.raises(UnicodeEncodeError):
        client.request("echo", "/x", method="POST", **arguments)
    with pytest.raises(UnicodeEncodeError):
        client.request("echo", "/files/\udcff")
    assert sandbox.requests() == []


def test_a_body_that_contains_itself_is_refused(client: Paragon, sandbox: Sandbox) -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contain itself"):
        client.request("echo", "/x", method="POST", body=loop)
    assert sandbox.requests() == []


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"headers": {"X-A": b"1"}}, r'headers\["X-A"\] must be a string, number, boolean'),
        ({"headers": "X-A: 1"}, "headers: must be a dict"),
        ({"query": {"a": None}}, r'query\["a"\] is None/null'),
        ({"query": {"a": float("nan")}}, "not a number"),
        ({"query": {"a": [[1]]}}, "nests a list"),
        ({"timeout": "5"}, "timeout: must be a number, not str"),
        ({"method": 1}, "method: must be str, not int"),
    ],
)
def test_malformed_arguments_are_invalid_requests(
    client: Paragon, sandbox: Sandbox, arguments: dict[str, Any], problem: str
) -> None:
    with pytest.raises(pc.InvalidRequestError, match=problem) as caught:
        client.request("echo", "/x", **arguments)
    # Also what Python's own argument checks raise, for code that catches those.
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, ValueError)
    assert caught.value.argument == next(iter(arguments))
    assert sandbox.requests() == []


def test_a_query_list_that_contains_itself_is_refused_not_a_crash(
    client: Paragon, sandbox: Sandbox
) -> None:
    selfish: list[Any] = [1]
    selfish.append(selfish)
    with pytest.raises(pc.InvalidRequestError, match="nests a list"):
        client.request("echo", "/x", query={"a": selfish})
    assert sandbox.requests() == []


def test_header_and_query_values_are_written_as_javascript_writes_them(
    client: Paragon, sandbox: Sandbox
) -> None:
    client.request(
        "echo",
        "/x",
        headers={"X-Int": 10**20, "X-Float": 2.0, "X-Flag": True},
        query={"a": [1, 2.5, False], "b": 1e21},
    )
    sent = sandbox.requests()[0]
    assert sent["target"].endswith("/echo/x?a=1&a=2.5&a=false&b=1e%2B21")
    headers = {name.lower(): value for name, value in sent["headers"]}
    assert (headers["x-int"], headers["x-float"], headers["x-flag"]) == (str(10**20), "2", "true")


def test_exact_numbers_and_unicode_cross_both_ways(client: Paragon, sandbox: Sandbox) -> None:
    body = {"big": 10**40, "neg": -(2**70), "f": 0.1, "tiny": 5e-324, "text": "Grüße 🚀 \u2028"}
    sandbox.push_reply({"body": {"json": {"output": body}}})
    answer = client.request("echo", "/x", method="POST", body=body)
    assert answer == body
    assert type(answer["big"]) is int and answer["big"] == 10**40
    sent = sandbox.requests()[0]
    wire = json.loads(base64.b64decode(sent["body_base64"]))
    assert wire == body


def test_a_body_changing_while_it_is_read_is_no_panic(client: Paragon, sandbox: Sandbox) -> None:
    body: dict[str, Any] = {}

    class Clearing(list):  # type: ignore[type-arg]
        def __iter__(self) -> Any:
            body.clear()
            return super().__iter__()

    body.update({"a": Clearing([1]), "b": 2})
    client.request("echo", "/x", method="POST", body=body)
    # The body as it was when the call was made is what is sent.
    sent = json.loads(base64.b64decode(sandbox.requests()[0]["body_base64"]))
    assert sent == {"a": [1], "b": 2}


def test_integers_longer_than_int_takes_arrive_whole(client: Paragon, sandbox: Sandbox) -> None:
    huge = "1" + "0" * 4999
    sandbox.push_reply(
        {
            "headers": [["content-type", "application/json"]],
            "body": {"text": f'{{"output": {{"n": {huge}, "m": -{huge}, "small": 7}}}}'},
        }
    )
    answer = client.request("echo", "/x")
    assert answer == {"n": 10**4999, "m": -(10**4999), "small": 7}


@pytest.mark.parametrize(
    "text",
    [
        ' \r\n\t[1, "two", {"three": 3.0}, null, true, -0.5e3] \n',
        '{"output":  [1, "two", {"three": 3.0}, null, true, -0.5e3]  }',
        '\n{"output": [1, "two", {"three": 3.0}, null, true, -500.0]}\n',
    ],
)
def test_json_answers_read_whole_whatever_whitespace_surrounds_them(
    client: Paragon, sandbox: Sandbox, text: str
) -> None:
    sandbox.push_reply({"headers": [["content-type", "application/json"]], "body": {"text": text}})
    assert client.request("echo", "/x") == [1, "two", {"three": 3.0}, None, True, -500.0]


@pytest.mark.parametrize(("depth", "accepted"), [(126, True), (127, False), (5000, False)])
def test_one_depth_line_for_json_answers(
    client: Paragon, sandbox: Sandbox, depth: int, accepted: bool
) -> None:
    # 127 levels counting Paragon's wrapper, as the core's value decoding draws it: deeper is a
    # DecodeError (once: not retried), never the text and never a RecursionError.
    nested = "[" * depth + "1" + "]" * depth
    sandbox.push_reply(
        {
            "headers": [["content-type", "application/json"]],
            "body": {"text": f'{{"output": {nested}, "note": "]]]"}}'},
        }
    )
    if accepted:
        answer = client.request("echo", "/x")
        for _ in range(depth):
            (answer,) = answer
        assert answer == 1
    else:
        with pytest.raises(pc.DecodeError, match="nested more than 127 levels"):
            client.request("echo", "/x")
    assert len(sandbox.requests()) == 1


def test_ten_megabyte_bodies_both_ways(client: Paragon, sandbox: Sandbox) -> None:
    blob = os.urandom(10 * 1024 * 1024)
    raw = client.request("echo", "/upload", method="PUT", body=blob, raw=True)
    assert base64.b64decode(raw.json()["body_base64"]) == blob
    big_json = {"rows": ["x" * 1000] * 10_000}
    answer = client.request("echo", "/rows", method="POST", body=big_json)
    assert json.loads(answer["body"]) == big_json


def test_threads_share_one_client_and_overlap(client: Paragon, sandbox: Sandbox) -> None:
    for _ in range(8):
        sandbox.push_reply({"delay_ms": 300, "body": {"json": {"output": "slow"}}})
    results: list[Any] = []

    def call() -> None:
        results.append(client.request("echo", "/slow"))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["slow"] * 8
    # Calls that waited one after another would have reused one connection; overlapping calls
    # (the GIL released while waiting) needed one each.
    peers = {request["peer"] for request in sandbox.requests()}
    assert len(peers) == 8


def test_many_threads_many_calls(client: Paragon) -> None:
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            for call in range(25):
                answer = client.request(
                    "slack",
                    "/chat.postMessage",
                    method="POST",
                    body={"channel": "C0", "text": f"{index}-{call}"},
                )
                assert answer["message"]["text"] == f"{index}-{call}"
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


class Interrupted(Exception):
    pass


def test_a_signal_interrupts_a_waiting_call(client: Paragon, sandbox: Sandbox) -> None:
    sandbox.push_reply({"delay_ms": 1500, "body": {"json": {"output": "late"}}})

    def on_alarm(signum: int, frame: Any) -> None:
        raise Interrupted

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        with pytest.raises(Interrupted):
            client.request("echo", "/slow")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    time.sleep(1.6)  # past the moment the sandbox would have answered
    # The client is still usable after the interruption.
    assert client.request("slack", "conversations.list")["ok"] is True
    slow, after = sandbox.requests()
    assert slow["answered"] is False, "the interrupted request went on in the background"
    assert after["answered"] is True


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_the_client_works_in_a_forked_child(client: Paragon) -> None:
    assert client.request("slack", "conversations.list")["ok"] is True
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave without running pytest's teardown
        try:
            answer = client.request("slack", "conversations.list")
            os.write(writer, json.dumps(answer["ok"]).encode())
        except BaseException as error:
            os.write(writer, repr(error).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        report = pipe.read()
    os.waitpid(pid, 0)
    assert report == "true"
    # And the parent carries on with its own pool.
    assert client.request("slack", "conversations.list")["ok"] is True


def test_close_and_context_manager(sandbox: Sandbox) -> None:
    with Paragon(**sandbox.settings()) as paragon:
        assert paragon.request("slack", "conversations.list")["ok"] is True
    # A closed client opens new connections when used again (as requests.Session does).
    assert paragon.request("slack", "conversations.list")["ok"] is True
    paragon.close()


def test_debug_logging_shows_calls_but_never_the_token(sandbox: Sandbox) -> None:
    import subprocess

    token = sandbox.token()
    env = {
        **os.environ,
        "PARAGON_LOG": "debug",
        "PARAGON_PROJECT_ID": sandbox.project_id,
        "PARAGON_USER_TOKEN": token,
        "PARAGON_PROXY_BASE_URL": sandbox.url,
    }
    sandbox.push_reply({"status": 503})
    script = (
        "import paragon_connect as pc\n"
        "client = pc.Paragon()\n"
        "client.request('echo', '/x?secret=1', headers={'Cookie': 'sid=cookie-value',"
        " 'X-Api-Key': 'api-key-value', 'X-Trace': 'trace-1'})\n"
        "try:\n"
        "    client.request('echo', '/y', headers={'Authorization': 'Bearer callers-own-token'})\n"
        "except pc.AuthenticationError:\n"
        "    pass\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    log = result.stderr
    assert f"paragon-connect: GET {sandbox.url}/projects/" in log
    assert "GET echo /x: attempt 1 answered 503 in" in log
    assert "GET echo /x: attempt 1 failed" in log and "retrying in" in log
    assert "GET echo /x: attempt 2 answered 200 in" in log
    assert "authorization: [redacted]" in log
    assert token not in log
    assert "secret=1" not in log
    # The caller's own credentials are redacted too; other headers are shown.
    for secret in ("callers-own-token", "cookie-value", "api-key-value"):
        assert secret not in log
    assert "x-trace: trace-1" in log
    assert log.count("authorization: [redacted]") == log.count("authorization:") == 3


def test_calls_are_logged_on_the_paragon_connect_logger(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    token = sandbox.token()
    paragon = Paragon(**sandbox.settings(user_token=token))
    sandbox.push_reply({"status": 503, "headers": [["retry-after", "0"]], "body": {"json": {}}})
    with caplog.at_level(logging.DEBUG, logger="paragon_connect"):
        paragon.request("echo", "/logged?secret=s3cr3t", headers={"X-Api-Key": "own-h3ader"})
        # Records come from the logging thread, in order: wait for the last one.
        deadline = time.monotonic() + 5
        while len(caplog.records) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
    records = [r for r in caplog.records if r.name == "paragon_connect"]
    events = [(r.levelname, r.paragon_event, r.paragon_attempt) for r in records]  # type: ignore[attr-defined]
    assert events == [
        ("DEBUG", "sending", 1),
        ("DEBUG", "answered", 1),
        ("WARNING", "retrying", 1),
        ("DEBUG", "sending", 2),
        ("DEBUG", "answered", 2),
    ]
    retry = records[2]
    assert retry.paragon_status is None and retry.paragon_delay is not None  # type: ignore[attr-defined]
    assert records[1].paragon_status == 503  # type: ignore[attr-defined]
    assert records[0].paragon_path == "/logged"  # type: ignore[attr-defined]
    for record in records:
        shown = record.getMessage() + repr(record.__dict__)
        assert token not in shown and "s3cr3t" not in shown and "own-h3ader" not in shown


def test_with_response_gives_the_answers_metadata_and_sends_the_same(sandbox: Sandbox) -> None:
    token = sandbox.token()
    paragon = Paragon(**sandbox.settings(user_token=token))
    sandbox.push_reply({"status": 503, "headers": [["retry-after", "0"]], "body": {"json": {}}})
    sandbox.push_reply(
        {
            "headers": [["x-paragon-request-id", f"req-1-{token}"], ["x-extra", "yes"]],
            "body": {"json": {"output": {"ok": True}}},
        }
    )
    data, response = paragon.request("echo", "/meta", with_response=True)
    assert data == {"ok": True}
    assert isinstance(response, pc.ResponseInfo)
    assert (response.status, response.attempts) == (200, 2)
    assert response.headers["x-extra"] == "yes"
    assert response.request_id is not None and response.request_id.startswith("req-1-")
    assert token not in response.request_id and token not in repr(response)
    assert 0 < response.elapsed < 10
    paragon.request("echo", "/meta")
    sent = sandbox.requests()
    # The same request either way.
    assert [r["target"] for r in sent] == [sent[0]["target"]] * 3
    assert {k: v for k, v in sent[1]["headers"]} == {k: v for k, v in sent[2]["headers"]}
    with pytest.raises(pc.InvalidRequestError, match="with_response"):
        paragon.request("echo", "/meta", with_response="yes")  # type: ignore[call-overload]


def test_with_options_changes_per_call_settings_and_shares_the_pool(sandbox: Sandbox) -> None:
    base = Paragon(**sandbox.settings(default_headers={"X-A": "1"}))
    derived = base.with_options(max_retries=0, default_headers={"X-A": "2", "X-B": "3"})
    assert isinstance(derived, Paragon)
    base.request("echo", "/base")
    derived.request("echo", "/derived")
    first, second = sandbox.requests()
    headers = [dict(r["headers"]) for r in (first, second)]
    assert (headers[0]["x-a"], headers[0].get("x-b")) == ("1", None)
    assert (headers[1]["x-a"], headers[1]["x-b"]) == ("2", "3")
    assert first["peer"] == second["peer"]  # one pool
    sandbox.push_reply({"status": 503, "headers": [["retry-after", "0"]], "body": {"json": {}}})
    with pytest.raises(pc.InternalServerError):
        derived.request("echo", "/once")
    assert len(sandbox.requests()) == 3
    with pytest.raises(pc.ConfigurationError) as raised:
        base.with_options(timeout=-1)
    assert raised.value.setting == "timeout"


def test_a_blocked_logging_handler_does_not_hold_up_calls(sandbox: Sandbox) -> None:
    release = threading.Event()

    class Blocked(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.DEBUG)
            self.records: list[logging.LogRecord] = []

        def emit(self, record: logging.LogRecord) -> None:
            release.wait(10)
            self.records.append(record)

    handler = Blocked()
    logger = logging.getLogger("paragon_connect")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        paragon = Paragon(**sandbox.settings(timeout=2))
        started = time.monotonic()
        for _ in range(20):
            paragon.request("echo", "/quick")
        # The handler is stuck on the first record; the calls did not wait for it.
        assert time.monotonic() - started < 5
        assert handler.records == []
        release.set()
        deadline = time.monotonic() + 5
        while len(handler.records) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(handler.records) == 40  # a sending and an answered record per call
    finally:
        release.set()
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
