"""TLS trust, client certificates and proxies, over real TLS to the sandbox's HTTPS listeners
(a private CA the sandbox makes when it starts) and through its CONNECT and SOCKS5 proxies."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import paragon_connect as pc
import pytest
from conftest import Sandbox
from paragon_connect import AsyncParagon, Paragon


def at(sandbox: Sandbox, base: str, **overrides: Any) -> dict[str, Any]:
    return sandbox.settings(
        proxy_base_url=base, zeus_base_url=base, hermes_base_url=base, max_retries=0, **overrides
    )


def test_a_private_ca_is_refused_until_trusted(sandbox: Sandbox, tmp_path: Path) -> None:
    with pytest.raises(pc.ConnectionError, match="UnknownIssuer"):
        Paragon(**at(sandbox, sandbox.https_url)).request("echo", "/tls")
    assert sandbox.requests() == []

    Paragon(**at(sandbox, sandbox.https_url, ca_certs=sandbox.ca_pem)).request("echo", "/tls")
    assert sandbox.requests()[-1]["version"] == "HTTP/2.0"

    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(sandbox.ca_pem)
    only = at(sandbox, sandbox.https_url, ca_certs=ca_file, use_system_roots=False)
    Paragon(**only).request("echo", "/tls")
    assert len(sandbox.requests()) == 2


def test_requests_ca_bundle_is_honoured_as_requests_does(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(sandbox.ca_pem)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    Paragon(**at(sandbox, sandbox.https_url)).request("echo", "/tls")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with pytest.raises(pc.ConfigurationError, match=r"REQUESTS_CA_BUNDLE.*cannot read"):
        Paragon(**at(sandbox, sandbox.https_url))


def test_mutual_tls_with_a_client_certificate(sandbox: Sandbox, tmp_path: Path) -> None:
    asyncio.run(mutual_tls(sandbox, tmp_path))


async def mutual_tls(sandbox: Sandbox, tmp_path: Path) -> None:
    anonymous = AsyncParagon(**at(sandbox, sandbox.mtls_url, ca_certs=sandbox.ca_pem))
    with pytest.raises(pc.ConnectionError):
        await anonymous.request("echo", "/tls")
    key = tmp_path / "client.key"
    key.write_text(sandbox.client_key_pem)
    identified = AsyncParagon(
        **at(
            sandbox,
            sandbox.mtls_url,
            ca_certs=sandbox.ca_pem,
            client_cert=sandbox.client_cert_pem,
            client_key=key,
        )
    )
    await identified.request("echo", "/tls")
    assert len(sandbox.requests()) == 1


def test_calls_go_through_the_proxy_given_or_none(sandbox: Sandbox) -> None:
    trusted = at(sandbox, sandbox.https_url, ca_certs=sandbox.ca_pem)
    Paragon(**trusted, proxy=sandbox.connect_proxy_url).request("echo", "/tls")
    assert sandbox.tunnels() == {"connect": 1, "socks5": 0}
    Paragon(**trusted, proxy=sandbox.socks5_proxy_url).request("echo", "/tls")
    assert sandbox.tunnels() == {"connect": 1, "socks5": 1}
    Paragon(**trusted, proxy=False).request("echo", "/tls")
    assert sandbox.tunnels() == {"connect": 1, "socks5": 1}
    assert len(sandbox.requests()) == 3


def test_the_environments_proxy_is_not_used_for_loopback(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy that would refuse: the call only succeeds because loopback bypasses it.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    Paragon(**at(sandbox, sandbox.https_url, ca_certs=sandbox.ca_pem)).request("echo", "/tls")
    assert sandbox.tunnels() == {"connect": 0, "socks5": 0}


@pytest.mark.parametrize(
    ("settings", "setting", "says"),
    [
        ({"ca_certs": "/nonexistent/paragon/ca.pem"}, "ca_certs", "cannot read"),
        ({"ca_certs": 42}, "ca_certs", "must be str"),
        ({"use_system_roots": False}, "use_system_roots", "no ca_certs"),
        ({"client_key": "KEY"}, "client_cert", "required"),
        ({"proxy": True}, "proxy", "False for none"),
        ({"proxy": "ftp://user:hunter2@proxy.example"}, "proxy", "socks5://"),
    ],
)
def test_bad_settings_are_named_without_secrets(
    sandbox: Sandbox, settings: dict[str, Any], setting: str, says: str
) -> None:
    with pytest.raises(pc.ConfigurationError) as raised:
        Paragon(**sandbox.settings(**settings))
    assert raised.value.setting == setting
    assert says in str(raised.value)
    assert "hunter2" not in str(raised.value) and "hunter2" not in repr(raised.value)


def test_an_empty_system_store_falls_back_to_the_bundled_roots(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A slim container: no CA certificates where the system's would be.
    (tmp_path / "empty.pem").write_text("")
    (tmp_path / "certs").mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "empty.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "certs"))
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    client = Paragon(**at(sandbox, sandbox.https_url))
    # It starts, and verifies: Mozilla's roots do not include the sandbox's private CA.
    with pytest.raises(pc.ConnectionError, match="UnknownIssuer"):
        client.request("echo", "/tls")
    Paragon(**at(sandbox, sandbox.https_url, ca_certs=sandbox.ca_pem)).request("echo", "/tls")
    assert len(sandbox.requests()) == 1


def test_connection_settings(sandbox: Sandbox) -> None:
    trusted = at(sandbox, sandbox.https_url, ca_certs=sandbox.ca_pem)
    Paragon(**trusted, http2="never").request("echo", "/tls")
    Paragon(**trusted, http2="auto", tcp_keepalive=30).request("echo", "/tls")
    fresh = Paragon(**sandbox.settings(pool_max_idle_per_host=0, pool_idle_timeout=5))
    fresh.request("echo", "/a")
    fresh.request("echo", "/b")
    recorded = sandbox.requests()
    assert [r["version"] for r in recorded[:2]] == ["HTTP/1.1", "HTTP/2.0"]
    assert recorded[2]["peer"] != recorded[3]["peer"]
    for settings, setting in [
        ({"http2": "sometimes"}, "http2"),
        ({"pool_max_idle_per_host": -1}, "pool_max_idle_per_host"),
        ({"pool_idle_timeout": 0}, "pool_idle_timeout"),
    ]:
        with pytest.raises(pc.ConfigurationError) as raised:
            Paragon(**sandbox.settings(**settings))
        assert raised.value.setting == setting
