"""The ``paragon-connect`` command, run as a user runs it, against the sandbox."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import REPO, Sandbox, drive_file_bytes
from paragon_connect import NotFoundError, Paragon

#: The command pip installed beside the interpreter.
COMMAND = Path(sys.executable).parent / "paragon-connect"


def cli(
    sandbox: Sandbox, args: list[str], token: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PARAGON_PROJECT_ID": sandbox.project_id,
        "PARAGON_USER_TOKEN": token,
        "PARAGON_PROXY_BASE_URL": sandbox.url,
        "PARAGON_ZEUS_BASE_URL": sandbox.url,
        "PARAGON_HERMES_BASE_URL": sandbox.url,
        **extra,
    }
    return subprocess.run([str(COMMAND), *args], env=env, capture_output=True, text=True)


def test_request_prints_what_request_returns_and_exits_0(sandbox: Sandbox) -> None:
    token = sandbox.token()
    body = {"channel": "C0", "text": "from the command line"}
    run = cli(sandbox, ["request", "slack", "/chat.postMessage", "-d", json.dumps(body)], token)
    assert run.returncode == 0, run.stderr
    # Piped: compact JSON, one line.
    assert run.stdout.count("\n") == 1
    expected: Any = Paragon(**sandbox.settings(user_token=token)).request(
        "slack", "/chat.postMessage", method="POST", body=body
    )
    assert json.loads(run.stdout) == expected
    sent = sandbox.requests()[0]
    assert sent["method"] == "POST"
    assert json.loads(base64.b64decode(sent["body_base64"])) == body


def test_a_failed_call_exits_1_and_a_usage_error_2(sandbox: Sandbox) -> None:
    token = sandbox.token()
    sandbox.push_reply({"status": 404, "body": {"json": {"message": f"nothing for {token}"}}})
    failed = cli(sandbox, ["request", "echo", "/missing"], token)
    assert failed.returncode == 1
    assert failed.stdout == ""
    assert failed.stderr == "paragon-connect: 404 Not Found nothing for [redacted]\n"
    wrong = cli(sandbox, ["request", "echo", "/x", "--bogus"], token)
    assert wrong.returncode == 2
    assert wrong.stderr.startswith('paragon-connect: unknown option "--bogus"\nusage:')


def test_raw_output_to_a_file_and_a_signed_token(sandbox: Sandbox, tmp_path: Path) -> None:
    token = sandbox.token()
    file = tmp_path / "file.pdf"
    path = f"/files/{sandbox.drive_file_id}/?alt=media"
    run = cli(sandbox, ["request", "googledrive", path, "--raw", "-o", str(file)], token)
    assert run.returncode == 0, run.stderr
    assert file.read_bytes() == drive_file_bytes()

    key = (REPO / "tests/sandbox/keys/sandbox-signing-key.pem").read_text()
    signed = cli(sandbox, ["token", "--user", "cli-user"], "", PARAGON_SIGNING_KEY=key)
    assert signed.returncode == 0, signed.stderr
    made = signed.stdout.strip()
    payload = json.loads(base64.urlsafe_b64decode(made.split(".")[1] + "=="))
    assert payload["sub"] == "cli-user"
    assert cli(sandbox, ["request", "echo", "/who"], made).returncode == 0
    as_user = cli(sandbox, ["request", "echo", "/u", "--user", "u7"], "", PARAGON_SIGNING_KEY=key)
    assert as_user.returncode == 0, as_user.stderr


def test_python_dash_m_is_the_same_command() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "paragon_connect", "--version"], capture_output=True, text=True
    )
    assert run.returncode == 0
    assert run.stdout.startswith("paragon-connect ")


def test_fake_serves_a_routes_file_until_ctrl_c(tmp_path: Path) -> None:
    routes = tmp_path / "routes.json"
    routes.write_text(
        json.dumps(
            [
                {
                    "match": {"integration": "hubspot", "method": "GET", "path": "/crm/v3/*"},
                    "replies": [{"json": {"results": [{"id": "1"}]}}],
                }
            ]
        )
    )
    fake = subprocess.Popen(
        [str(COMMAND), "fake", "--routes", str(routes)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake.stdout is not None
        ready = json.loads(fake.stdout.readline())
        token = subprocess.run(
            [str(COMMAND), "token", "--user", "user-1"],
            env={
                **os.environ,
                "PARAGON_PROJECT_ID": ready["project_id"],
                "PARAGON_SIGNING_KEY": (
                    REPO / "tests/sandbox/keys/sandbox-signing-key.pem"
                ).read_text(),
            },
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        paragon = Paragon(
            project_id=ready["project_id"],
            user_token=token,
            proxy_base_url=ready["url"],
            zeus_base_url=ready["url"],
            hermes_base_url=ready["url"],
        )
        assert paragon.request("hubspot", "/crm/v3/objects") == {"results": [{"id": "1"}]}
    finally:
        fake.send_signal(2)  # Ctrl-C
        _, guide = fake.communicate(timeout=10)
    assert fake.returncode == 0
    # The guide says how to point a client at it and script it.
    assert f"export PARAGON_PROXY_BASE_URL={ready['url']}" in guide
    assert "/_sandbox/routes" in guide


def test_fake_refuses_a_wrong_routes_file_naming_the_route(tmp_path: Path) -> None:
    routes = tmp_path / "routes.json"
    routes.write_text(json.dumps([{"match": {"path": "/a"}, "replies": [{"jsonn": 1}]}]))
    run = subprocess.run(
        [str(COMMAND), "fake", "--routes", str(routes)], capture_output=True, text=True, timeout=10
    )
    assert run.returncode == 2
    assert f"--routes {routes}: route 0: a reply: unknown field `jsonn`" in run.stderr
    missing = subprocess.run(
        [str(COMMAND), "fake", "--port", "http"], capture_output=True, text=True, timeout=10
    )
    assert missing.returncode == 2
    assert 'paragon-connect: --port takes a port number, not "http"' in missing.stderr


def test_fake_records_from_the_environments_paragon_and_replays_until_ctrl_c(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    cassette = tmp_path / "cassette.json"
    real = {
        "PARAGON_PROJECT_ID": sandbox.project_id,
        "PARAGON_USER_TOKEN": sandbox.token(),
        "PARAGON_PROXY_BASE_URL": sandbox.url,
        "PARAGON_ZEUS_BASE_URL": sandbox.url,
        "PARAGON_HERMES_BASE_URL": sandbox.url,
    }

    def serve(option: str, env: dict[str, str]) -> tuple[int, str, list[Any]]:
        fake = subprocess.Popen(
            [str(COMMAND), "fake", option, str(cassette)],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert fake.stdout is not None
            url = json.loads(fake.stdout.readline())["url"]
            key = (REPO / "tests/sandbox/keys/sandbox-signing-key.pem").read_text()
            paragon = Paragon(
                project_id=sandbox.project_id,
                signing_key=key,
                proxy_base_url=url,
                zeus_base_url=url,
                hermes_base_url=url,
                max_retries=0,
            ).user("user-1")
            got: list[Any] = [paragon.request("slack", "/conversations.list")]
            if option == "--replay":
                try:
                    paragon.request("slack", "/users.list")
                except NotFoundError as error:
                    got.append(type(error).__name__)
        finally:
            fake.send_signal(2)  # Ctrl-C
            _, errors = fake.communicate(timeout=10)
        return fake.returncode, errors, got

    code, _, recorded = serve("--record", real)
    assert code == 0
    assert real["PARAGON_USER_TOKEN"] not in cassette.read_text()
    sandbox.stop()
    code, errors, replayed = serve("--replay", {})
    assert replayed == [*recorded, "NotFoundError"]
    assert code == 1
    assert "1 call(s) matched no exchange" in errors
    assert "GET slack /users.list" in errors
