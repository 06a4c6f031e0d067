"""Fixtures: a fresh sandbox process per test, and clients pointed at it."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from paragon_connect import AsyncParagon, Paragon

REPO = Path(__file__).resolve().parents[2]
SANDBOX_BIN = Path(os.environ.get("PARAGON_SANDBOX_BIN", REPO / "target/debug/paragon-sandbox"))
CONFORMANCE_DIR = REPO / "tests/conformance"


class Sandbox:
    """A running `paragon-sandbox` process and its control endpoints."""

    def __init__(self) -> None:
        if not SANDBOX_BIN.exists():
            raise RuntimeError(f"{SANDBOX_BIN} is missing: run `cargo build -p paragon-sandbox`")
        # The sandbox exits when its stdin closes, so a crashed test run cannot leave it behind.
        self.process = subprocess.Popen(
            [str(SANDBOX_BIN), "--until-stdin-closes"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        ready = json.loads(self.process.stdout.readline())
        self.url: str = ready["url"]
        self.project_id: str = ready["project_id"]
        # HTTPS (a private CA made by the sandbox), mutual TLS, and two proxies.
        self.https_url: str = ready["https_url"]
        self.mtls_url: str = ready["mtls_url"]
        self.ca_pem: str = ready["ca_pem"]
        self.client_cert_pem: str = ready["client_cert_pem"]
        self.client_key_pem: str = ready["client_key_pem"]
        self.connect_proxy_url: str = ready["connect_proxy_url"]
        self.socks5_proxy_url: str = ready["socks5_proxy_url"]
        info = self._get("/_sandbox/info")
        self.tasklab_id: str = info["tasklab_integration_id"]
        self.drive_file_id: str = info["drive_file_id"]

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path) as reply:
            return json.loads(reply.read())

    def token(self, sub: str | None = "user-1", **params: str | int) -> str:
        query = dict(params)
        if sub is not None:
            query["sub"] = sub
        with urllib.request.urlopen(
            f"{self.url}/_sandbox/token?{urllib.parse.urlencode(query)}"
        ) as reply:
            return str(reply.read().decode())

    def tunnels(self) -> dict[str, int]:
        """Tunnels the sandbox's CONNECT and SOCKS5 proxies opened so far."""
        return dict(self._get("/_sandbox/tunnels"))

    def requests(self) -> list[dict[str, Any]]:
        return list(self._get("/_sandbox/requests"))

    def push_reply(self, reply: dict[str, Any]) -> None:
        request = urllib.request.Request(
            self.url + "/_sandbox/replies",
            data=json.dumps(reply).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(request).close()

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def settings(self, **overrides: Any) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "project_id": self.project_id,
            "user_token": self.token(),
            "proxy_base_url": self.url,
            "zeus_base_url": self.url,
            "hermes_base_url": self.url,
        }
        settings.update(overrides)
        return settings


def drive_file_bytes() -> bytes:
    """The sandbox Drive file: a PDF header, bytes 0..255 64 times, a PDF trailer."""
    return b"%PDF-1.4\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    running = Sandbox()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[Paragon]:
    with Paragon(**sandbox.settings()) as paragon:
        yield paragon


@pytest.fixture
def async_client(sandbox: Sandbox) -> AsyncParagon:
    return AsyncParagon(**sandbox.settings())


@pytest.fixture(autouse=True)
def _no_paragon_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests set PARAGON_* variables themselves; none leak in from the shell."""
    for name in list(os.environ):
        if name.startswith("PARAGON_") and name != "PARAGON_SANDBOX_BIN":
            monkeypatch.delenv(name)
