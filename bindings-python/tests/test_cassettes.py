"""Cassettes: FakeParagon.recording sends calls on to a real Paragon (here a second sandbox
standing in for it) and writes the exchanges; FakeParagon.replaying answers from the file with
that Paragon gone."""

from __future__ import annotations

import base64
import json
import urllib.request
from pathlib import Path
from typing import Any

import paragon_connect as pc
import pytest
from conftest import Sandbox, drive_file_bytes
from paragon_connect import Paragon
from paragon_connect.testing import FakeParagon


def make_calls(paragon: Paragon) -> list[Any]:
    """The calls an application under test makes, and what it got."""
    results: list[Any] = [
        paragon.request(
            "slack", "/chat.postMessage", method="POST", body={"channel": "C0", "text": "hi"}
        ),
        paragon.request(
            "echo", "/search?b=2&a=1", headers={"X-Api-Key": "k-secret-123", "Cookie": "sid=s3cr3t"}
        ),
        paragon.request("googledrive", "/files/1aBcDeFile?alt=media", raw=True).content,
        paragon.get_user(),
    ]
    with pytest.raises(pc.NotFoundError) as missing:
        paragon.request("googledrive", "/files/nope")
    results.append((missing.value.status, missing.value.integration_status))
    return results


def sub_of(authorization: str) -> str:
    payload = authorization.removeprefix("Bearer ").split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def test_a_recording_replays_offline_with_the_same_results(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    cassette = tmp_path / "cassettes" / "calls.json"
    upstream = sandbox.settings()  # one fixed token for user-1, as a backend's env would give
    with FakeParagon.recording(cassette, upstream=upstream) as fake:
        recorded = make_calls(fake.client(user="user-1"))
        fake_token = fake.user_token("user-1")
    assert recorded[2] == drive_file_bytes()

    # The real Paragon got the upstream's token, never the fake's.
    got = [r for r in sandbox.requests() if "/sdk/" in r["target"]]
    assert len(got) == 5
    for request in got:
        authorization = dict(request["headers"])["authorization"]
        assert authorization == f"Bearer {upstream['user_token']}"
    text = cassette.read_text()
    for secret in (upstream["user_token"], fake_token, "k-secret-123", "s3cr3t"):
        assert secret not in text
    data = json.loads(text)
    assert data["paragon_connect_cassette"] == 1
    echo = data["exchanges"][1]
    assert echo["request"]["query"] == [["b", "2"], ["a", "1"]]
    headers = dict(echo["request"]["headers"])
    assert headers["x-api-key"] == headers["cookie"] == "<scrubbed>"
    assert "authorization" not in headers
    assert "body_base64" in data["exchanges"][2]["response"]  # the PDF's bytes

    sandbox.stop()  # Paragon is gone: the replay is offline
    with FakeParagon.replaying(cassette) as fake:
        assert make_calls(fake.client(user="user-1")) == recorded
        fake.assert_all_played()


def test_a_signing_key_upstream_signs_for_each_calls_user(sandbox: Sandbox, tmp_path: Path) -> None:
    with urllib.request.urlopen(sandbox.url + "/_sandbox/signing-key") as reply:
        key = reply.read().decode()
    upstream = Paragon(**sandbox.settings(user_token=None, signing_key=key))
    with FakeParagon.recording(tmp_path / "c.json", upstream=upstream) as fake:
        paragon = fake.client()
        for user in ("u-7", "u-8"):
            paragon.user(user).request("slack", "/conversations.list")
    users = [sub_of(dict(r["headers"])["authorization"]) for r in sandbox.requests()]
    assert users == ["u-7", "u-8"]
    exchanges = json.loads((tmp_path / "c.json").read_text())["exchanges"]
    assert [e["request"]["user"] for e in exchanges] == ["u-7", "u-8"]
    assert key.splitlines()[1] not in (tmp_path / "c.json").read_text()


def test_each_exchange_plays_once_in_order_and_an_unmatched_call_fails_the_test(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    cassette = tmp_path / "c.json"
    for n in (1, 2):
        sandbox.push_reply({"upstream": True, "body": {"json": {"n": n}}})
    with FakeParagon.recording(cassette, upstream=sandbox.settings()) as fake:
        paragon = fake.client(user="user-1")
        assert [paragon.request("hubspot", "/deals")["n"] for _ in range(2)] == [1, 2]
    sandbox.stop()

    fake = FakeParagon.replaying(cassette)
    paragon = fake.client(user="user-1", max_retries=0)
    assert [paragon.request("hubspot", "/deals")["n"] for _ in range(2)] == [1, 2]
    with pytest.raises(pc.NotFoundError) as third:
        paragon.request("hubspot", "/deals")
    assert "No unplayed exchange in the cassette" in third.value.message
    with pytest.raises(pc.NotFoundError):
        paragon.request("hubspot", "/deals", query={"page": "2"})
    with pytest.raises(AssertionError) as unmatched:
        fake.close()
    assert "2 call(s) matched no exchange" in str(unmatched.value)
    assert "GET hubspot /deals?page=2" in str(unmatched.value)
    fake.close()  # once is enough


def test_match_on_relaxes_matching_and_assert_all_played_lists_whats_left(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    cassette = tmp_path / "c.json"
    with FakeParagon.recording(cassette, upstream=sandbox.settings()) as fake:
        paragon = fake.client(user="user-1")
        paragon.request(
            "slack", "/chat.postMessage", method="POST", body={"channel": "C0", "text": "a"}
        )
        paragon.request("slack", "/conversations.list")
    sandbox.stop()
    with FakeParagon.replaying(cassette, match_on=["integration", "method", "path"]) as fake:
        paragon = fake.client(user="someone-else")
        sent = paragon.request("slack", "/chat.postMessage", method="POST", body={"channel": "C9"})
        assert sent["message"]["text"] == "a"  # the recorded answer, for another body and user
        with pytest.raises(
            AssertionError, match=r"1 exchange\(s\) .* not played:\n  GET slack /conversations.list"
        ):
            fake.assert_all_played()
        # The block's own exception is the one raised; a cassette complaint would hide it.
        with pytest.raises(ZeroDivisionError):
            with FakeParagon.replaying(cassette) as other:
                with pytest.raises(pc.NotFoundError):
                    other.client(user="user-1").request("slack", "/nope")
                raise ZeroDivisionError


def test_recording_failures_and_bad_cassettes_are_named(sandbox: Sandbox, tmp_path: Path) -> None:
    cassette = tmp_path / "c.json"
    unreachable = sandbox.settings(proxy_base_url="http://127.0.0.1:9", max_retries=0)
    fake = FakeParagon.recording(cassette, upstream=unreachable)
    with pytest.raises(pc.InternalServerError) as failed:
        fake.client(user="user-1", max_retries=0).request("slack", "/conversations.list")
    assert "could not record GET slack /conversations.list" in failed.value.message
    with pytest.raises(AssertionError, match="1 call\\(s\\) could not be recorded"):
        fake.close()
    assert json.loads(cassette.read_text())["exchanges"] == []

    # An upstream answer past the upstream's own limit is refused, not held whole.
    small = sandbox.settings(max_response_bytes=64)
    fake = FakeParagon.recording(cassette, upstream=small)
    with pytest.raises(pc.InternalServerError):
        fake.client(user="user-1", max_retries=0).request("slack", "/conversations.list")
    with pytest.raises(AssertionError, match=r"longer than max_response_bytes \(64 bytes\)"):
        fake.close()

    with pytest.raises(
        ValueError, match=r"cannot read the cassette .*missing.json.*record it first"
    ):
        FakeParagon.replaying(tmp_path / "missing.json")
    cassette.write_text('{"paragon_connect_cassette": 9, "exchanges": []}')
    with pytest.raises(ValueError, match="is format 9"):
        FakeParagon.replaying(cassette)
    with pytest.raises(ValueError, match='match_on: "headers" is not one of'):
        FakeParagon.replaying(cassette, match_on=["headers"])
    with pytest.raises(TypeError, match="secret_headers is a list of names, not 'x-team'"):
        FakeParagon.recording(cassette, upstream=small, secret_headers="x-team")
    with pytest.raises(TypeError, match="match_on is a list of names"):
        FakeParagon.replaying(cassette, match_on="path")
    with pytest.raises(TypeError, match="upstream is a Paragon or AsyncParagon client"):
        FakeParagon.recording(cassette, upstream=42)  # type: ignore[arg-type]
