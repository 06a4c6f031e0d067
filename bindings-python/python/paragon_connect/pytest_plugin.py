"""The pytest plugin installed with the package (entry point ``pytest11``): the
``paragon_fake`` fixture, a fresh :class:`~paragon_connect.testing.FakeParagon` per test, for
sync and async tests alike::

    def test_posts(paragon_fake):
        paragon_fake.route("slack", "POST", "/chat.postMessage").reply(json={"ok": True})
        post_summary(paragon_fake.client(user="user-1"))
        paragon_fake.assert_called("slack", "POST", "/chat.postMessage")

For code that builds its own client from the environment::

    def test_from_env(paragon_fake, monkeypatch):
        for name, value in paragon_fake.env(user="user-1").items():
            monkeypatch.setenv(name, value)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .testing import FakeParagon


@pytest.fixture
def paragon_fake() -> Iterator[FakeParagon]:
    """A fake Paragon on a free port of 127.0.0.1, stopped after the test."""
    with FakeParagon() as fake:
        yield fake
