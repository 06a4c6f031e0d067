"""The fake Paragon and its pytest fixture, from an installed wheel (no sandbox needed)."""

from paragon_connect.testing import FakeParagon


def test_the_fixture_serves_a_route(paragon_fake: FakeParagon) -> None:
    paragon_fake.route("slack", "POST", "/chat.postMessage").reply(json={"ok": True})
    paragon = paragon_fake.client(user="user-1")
    assert paragon.request("slack", "/chat.postMessage", method="POST", body={"channel": "C0"})
    paragon_fake.assert_called("slack", "POST", "/chat.postMessage", json={"channel": "C0"})
