"""paragon_connect.testing: the fake Paragon users test their own code with, and its pytest
fixture (loaded through the package's pytest11 entry point, as in a user's project)."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import paragon_connect as pc
import pytest
from paragon_connect import Paragon
from paragon_connect.testing import Call, FakeParagon


def test_a_route_answers_as_the_integration_wrapped_as_paragon_does(
    paragon_fake: FakeParagon,
) -> None:
    paragon_fake.route("hubspot", "POST", "/crm/v3/objects/*").reply(
        json={"id": "51"}, status=201, headers={"x-hubspot-request": "r1"}
    )
    paragon = paragon_fake.client(user="user-1")
    assert paragon.request("hubspot", "/crm/v3/objects/contacts", method="POST") == {"id": "51"}
    raw = paragon.request("hubspot", "/crm/v3/objects/deals", method="POST", raw=True)
    assert (raw.status, raw.json(), raw.headers["x-hubspot-request"]) == (201, {"id": "51"}, "r1")
    # Another path is no route's, and hubspot is not a built-in: Paragon's 404, saying why.
    with pytest.raises(pc.NotFoundError) as missing:
        paragon.request("hubspot", "/crm/v3/objects/contacts/51")
    assert "no route matches GET hubspot /crm/v3/objects/contacts/51" in json.dumps(
        missing.value.body
    )


def test_patterns_match_method_path_query_headers_body_and_user(
    paragon_fake: FakeParagon,
) -> None:
    paragon_fake.route(path=re.compile(r"^/files/[0-9]+$")).reply(text="by regex")
    paragon_fake.route("slack", "get", "/users.list", query={"limit": "2"}).reply(json=["q"])
    paragon_fake.route("slack", headers={"X-Team": "billing"}).reply(json="by header")
    paragon_fake.route("slack", "POST", json_includes={"channel": "C9"}).reply(json="by body")
    paragon_fake.route("slack", user="user-2").reply(json="by user")
    paragon = paragon_fake.client(user="user-1")
    assert paragon.request("drive", "/files/12") == "by regex"
    assert paragon.request("slack", "/users.list", query={"limit": 2}) == ["q"]
    assert paragon.request("slack", "/any", headers={"x-team": "billing"}) == "by header"
    body = {"channel": "C9", "text": "hi"}
    assert paragon.request("slack", "/chat.postMessage", method="POST", body=body) == "by body"
    assert paragon_fake.client(user="user-2").request("slack", "/x") == "by user"
    # None of those: the built-in Slack-like API answers.
    assert paragon.request("slack", "/conversations.list")["ok"] is True


def test_a_sequence_plays_in_order_and_the_client_retries_through_it(
    paragon_fake: FakeParagon,
) -> None:
    route = paragon_fake.route("slack", "GET", "/conversations.list")
    route.reply(status=503, headers={"retry-after": "0"}).reply(json={"channels": []})
    paragon = paragon_fake.client(user="user-1")
    assert paragon.request("slack", "/conversations.list") == {"channels": []}
    assert route.call_count == 2
    assert paragon.request("slack", "/conversations.list") == {"channels": []}  # the last repeats
    # `times`: the newest route answers once, then steps aside for the older one.
    paragon_fake.route("slack", "GET", "/conversations.list", times=1).reply(json="once")
    assert paragon.request("slack", "/conversations.list") == "once"
    assert paragon.request("slack", "/conversations.list") == {"channels": []}


def test_errors_from_the_integration_and_from_paragon_raise_the_sdks_errors(
    paragon_fake: FakeParagon,
) -> None:
    paragon_fake.route("slack", path="/denied").reply(
        status=403, json={"ok": False, "error": "missing_scope"}
    )
    paragon_fake.route("slack", path="/expired").error(401, "Token expired.", code="4011")
    paragon_fake.route("slack", path="/gone").drop_connection()
    paragon_fake.route("slack", path="/slow").reply(json="late", delay=2)
    paragon = paragon_fake.client(user="user-1", max_retries=0)
    with pytest.raises(pc.PermissionDeniedError) as denied:
        paragon.request("slack", "/denied")
    assert denied.value.is_integration_error
    assert denied.value.integration_status == 403
    assert denied.value.integration_response == {"ok": False, "error": "missing_scope"}
    with pytest.raises(pc.AuthenticationError) as expired:
        paragon.request("slack", "/expired")
    assert (expired.value.message, expired.value.code) == ("Token expired.", "4011")
    with pytest.raises(pc.ConnectionError):
        paragon.request("slack", "/gone", method="POST")
    with pytest.raises(pc.TimeoutError):
        paragon.request("slack", "/slow", timeout=0.2)


def test_calls_are_recorded_decoded_and_never_show_the_token(paragon_fake: FakeParagon) -> None:
    token = paragon_fake.user_token("user-7")
    paragon = paragon_fake.client(user_token=token)
    paragon.request("echo", "/json?as_user=true", method="POST", body={"a": [1, 2]})
    paragon.request("echo", "/form", method="POST", form={"name": "a b", "n": 2})
    paragon.request(
        "echo", "/upload", method="POST", multipart={"file": ("a.txt", b"\x00\xff", "text/plain")}
    )
    paragon.get_user()
    sent_json, sent_form, sent_parts, me = paragon_fake.calls
    assert (sent_json.integration, sent_json.method, sent_json.path) == ("echo", "POST", "/json")
    assert sent_json.query == [("as_user", "true")] and sent_json.params == {"as_user": "true"}
    assert sent_json.json == {"a": [1, 2]} and sent_json.body == b'{"a":[1,2]}'
    assert sent_json.user == "user-7"
    assert sent_json.header("Authorization") == "Bearer <user token: user-7>"
    assert sent_form.form == [("name", "a b"), ("n", "2")]
    assert sent_parts.parts is not None
    (part,) = sent_parts.parts
    assert (part.name, part.filename, part.content_type, part.data) == (
        "file",
        "a.txt",
        "text/plain",
        b"\x00\xff",
    )
    assert (me.integration, me.path) == (None, "/sdk/me")
    assert token not in repr(paragon_fake.calls)


def test_assertions_name_the_pattern_and_list_the_calls(paragon_fake: FakeParagon) -> None:
    paragon = paragon_fake.client(user="user-1")
    paragon.request("slack", "/chat.postMessage", method="POST", body={"channel": "C0"})
    found = paragon_fake.assert_called("slack", "POST", "/chat.postMessage", json={"channel": "C0"})
    assert [type(call) for call in found] == [Call]
    paragon_fake.assert_called("slack", times=1)
    paragon_fake.assert_not_called("slack", "DELETE")
    with pytest.raises(AssertionError) as wrong:
        paragon_fake.assert_called("slack", "POST", "/chat.postMessage", json={"channel": "C1"})
    assert str(wrong.value) == (
        'expected a call matching POST slack /chat.postMessage json={"channel":"C1"}, got 0\n'
        "calls received (1):\n"
        '  POST slack /chat.postMessage {"channel":"C0"}'
    )
    with pytest.raises(AssertionError, match="expected 2 calls matching"):
        paragon_fake.assert_called("slack", times=2)
    with pytest.raises(AssertionError, match="expected 0 calls matching POST slack"):
        paragon_fake.assert_not_called("slack", "POST")
    assert len(paragon_fake.find_calls(path="/chat.*")) == 1


def test_the_user_api_has_state_a_test_sets_and_reads(paragon_fake: FakeParagon) -> None:
    paragon_fake.set_user("user-1", meta={"plan": "pro"}, credentials={"slack": []})
    paragon = paragon_fake.client(user="user-1")
    assert paragon.get_user()["meta"] == {"plan": "pro"}
    with pytest.raises(pc.BadRequestError, match="not connected"):
        paragon.request("slack", "/chat.postMessage", method="POST", body={})
    paragon.set_user_metadata({"seats": 3})
    paragon.send_event("Contact Created", {"id": 1})
    assert paragon_fake.users["user-1"]["meta"] == {"plan": "pro", "seats": 3}
    assert paragon_fake.events[0]["name"] == "Contact Created"
    paragon_fake.reset()
    assert paragon_fake.calls == [] and paragon_fake.users == {}


def test_env_points_code_that_reads_the_environment_at_the_fake(
    paragon_fake: FakeParagon, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PARAGON_USER_TOKEN", "PARAGON_SIGNING_KEY", "PARAGON_HOST"):
        monkeypatch.delenv(name, raising=False)
    for name, value in paragon_fake.env().items():
        monkeypatch.setenv(name, value)
    assert Paragon().user("user-3").request("echo", "/x")["headers"]
    assert paragon_fake.calls[-1].user == "user-3"
    monkeypatch.delenv("PARAGON_SIGNING_KEY")
    for name, value in paragon_fake.env(user="user-4").items():
        monkeypatch.setenv(name, value)
    Paragon().request("echo", "/y")
    assert paragon_fake.calls[-1].user == "user-4"


def test_tokens_are_verified_unless_any_token_is_accepted() -> None:
    with FakeParagon() as strict, FakeParagon(accept_any_token=True) as lenient:
        for fake, expected in ((strict, pc.AuthenticationError), (lenient, None)):
            paragon = fake.client(user_token="opaque-token-of-my-own")
            if expected is None:
                paragon.request("echo", "/x")
            else:
                with pytest.raises(expected):
                    paragon.request("echo", "/x")


def test_async_code_is_tested_the_same_way(paragon_fake: FakeParagon) -> None:
    paragon_fake.route("slack", "GET", "/users.list").reply(json={"members": ["a"]})

    async def main() -> object:
        async with paragon_fake.async_client(user="user-1") as paragon:
            return await paragon.request("slack", "/users.list")

    assert asyncio.run(main()) == {"members": ["a"]}
    paragon_fake.assert_called("slack", "GET", "/users.list", user="user-1")


def test_routes_load_from_the_file_the_cli_reads(paragon_fake: FakeParagon, tmp_path: Path) -> None:
    routes = tmp_path / "routes.json"
    routes.write_text(
        json.dumps(
            [
                {
                    "match": {"integration": "notion", "path": "/v1/search"},
                    "replies": [{"json": {"results": []}}],
                }
            ]
        )
    )
    assert paragon_fake.load_routes(routes) == 1
    assert paragon_fake.client(user="u").request("notion", "/v1/search") == {"results": []}


def test_wrong_routes_and_replies_are_refused_with_the_reason(paragon_fake: FakeParagon) -> None:
    with pytest.raises(ValueError, match="a path pattern starts with '/'"):
        paragon_fake.route("slack", "GET", "chat.postMessage")
    # Python's `re` has look-arounds; the fake's (Rust) regular expressions do not, and say so.
    with pytest.raises(ValueError, match="is not valid"):
        paragon_fake.route(path=re.compile("^/a(?=b)"))
    route = paragon_fake.route("slack")
    with pytest.raises(ValueError, match="one body"):
        route.reply(json={}, text="x")
    with pytest.raises(ValueError, match="42 is not an HTTP status"):
        route.reply(status=42)
    with pytest.raises(ValueError, match="not a header name"):
        route.reply(headers={"bad name": "x"})
    closed = FakeParagon()
    closed.close()
    closed.close()
    with pytest.raises(ValueError, match="closed"):
        closed.route("slack")


def test_the_fixture_is_a_pytest_plugin_of_the_installed_package(tmp_path: Path) -> None:
    # A project of a user's: no conftest, only the package installed.
    (tmp_path / "test_app.py").write_text(
        "def test_it(paragon_fake):\n"
        "    paragon_fake.route('slack').reply(json='hi')\n"
        "    assert paragon_fake.client(user='u').request('slack', '/x') == 'hi'\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
