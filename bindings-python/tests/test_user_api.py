"""Server-side auth (tokens signed per user, token functions) and the user-scoped API, sync and
async, against the sandbox, which verifies every token cryptographically."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from typing import Any

import jwt
import paragon_connect as pc
import pytest
from conftest import REPO, Sandbox
from paragon_connect import AsyncParagon, Paragon

SIGNING_KEY = (REPO / "tests/sandbox/keys/sandbox-signing-key.pem").read_text()
PUBLIC_KEY = (REPO / "tests/sandbox/keys/sandbox-signing-key.pub.pem").read_text()
WORKFLOW_ID = "7f3b2a10-0000-4000-8000-00000000b001"


def project_settings(sandbox: Sandbox, **overrides: Any) -> dict[str, Any]:
    settings = sandbox.settings(signing_key=SIGNING_KEY, **overrides)
    del settings["user_token"]
    return settings


def state(sandbox: Sandbox) -> Any:
    with urllib.request.urlopen(sandbox.url + "/_sandbox/state") as reply:
        return json.loads(reply.read())


def sent_token(sandbox: Sandbox, index: int) -> str:
    headers = dict(sandbox.requests()[index]["headers"])
    return str(headers["authorization"]).removeprefix("Bearer ")


def verified_claims(token: str, sandbox: Sandbox) -> dict[str, Any]:
    """Claims checked by PyJWT, an independent implementation, against the public key."""
    return dict(
        jwt.decode(
            token,
            PUBLIC_KEY,
            algorithms=["RS256"],
            audience=f"useparagon.com/{sandbox.project_id}",
        )
    )


def test_tokens_signed_per_user_verify_with_pyjwt(sandbox: Sandbox) -> None:
    paragon = Paragon(**project_settings(sandbox, token_lifetime=600))
    alice = paragon.user("alice")
    assert alice.user_id == "alice"
    assert "alice" in repr(alice) and "BEGIN" not in repr(alice)
    assert alice.request("slack", "conversations.list")["ok"] is True
    assert alice.request("slack", "conversations.list")["ok"] is True
    paragon.user("bob").request("slack", "conversations.list")
    assert sent_token(sandbox, 0) == sent_token(sandbox, 1), "alice's token is reused"
    claims = verified_claims(sent_token(sandbox, 0), sandbox)
    assert claims["sub"] == "alice"
    assert claims["exp"] - claims["iat"] == 600
    assert verified_claims(sent_token(sandbox, 2), sandbox)["sub"] == "bob"


def test_sign_user_token_for_a_front_end(sandbox: Sandbox) -> None:
    token = pc.sign_user_token(
        SIGNING_KEY.replace("\n", "\\n"),
        sandbox.project_id,
        "user-9",
        permissions={"integration:slack": True},
        claims={"team": "blue"},
    )
    claims = verified_claims(token, sandbox)
    assert claims["sub"] == "user-9"
    assert claims["team"] == "blue"
    assert claims["urn:useparagon:connect:permissions"] == {"integration:slack": True}


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("not a key", "not a PEM key"),
        (PUBLIC_KEY, "public key"),
        (
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----",
            "encrypted",
        ),
        ("-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----", "not an RSA key"),
    ],
)
def test_a_bad_key_fails_when_the_client_is_built(key: str, problem: str) -> None:
    with pytest.raises(pc.ConfigurationError, match=problem) as caught:
        Paragon(project_id="p", signing_key=key)
    assert caught.value.setting == "signing_key"
    assert "MII" not in str(caught.value)


def test_a_project_client_needs_a_user(sandbox: Sandbox) -> None:
    paragon = Paragon(**project_settings(sandbox))
    with pytest.raises(pc.InvalidRequestError, match="user") as caught:
        paragon.request("slack", "/x")
    assert caught.value.argument == "user"
    assert sandbox.requests() == []
    with pytest.raises(pc.ConfigurationError):
        Paragon(**sandbox.settings()).user("someone")
    # User ids are bounded (each is kept in the token cache and every token).
    assert paragon.user("u" * 512).user_id == "u" * 512
    for too_long in ("u" * 513, "é" * 257):
        with pytest.raises(pc.InvalidRequestError, match="at most 512") as caught:
            paragon.user(too_long)
        assert caught.value.argument == "user"


def test_permissions_narrow_a_user(sandbox: Sandbox) -> None:
    carol = Paragon(**project_settings(sandbox, permissions={"integration:slack": True})).user(
        "carol"
    )
    assert carol.request("slack", "conversations.list")["ok"] is True
    with pytest.raises(pc.PermissionDeniedError) as caught:
        carol.request("googledrive", "/files")
    assert caught.value.code == "7210"


def test_a_token_function_is_called_before_every_request(sandbox: Sandbox) -> None:
    calls: list[str | None] = []

    def token(user: str | None = None) -> str:
        calls.append(user)
        return sandbox.token(user or "default-user")

    paragon = Paragon(**sandbox.settings(user_token=token))
    paragon.request("slack", "conversations.list")
    paragon.user("dave").request("slack", "conversations.list")
    assert calls == [None, "dave"]
    assert verified_claims(sent_token(sandbox, 1), sandbox)["sub"] == "dave"


def test_an_async_token_function_with_the_async_client(sandbox: Sandbox) -> None:
    async def token() -> str:
        await asyncio.sleep(0)
        return await asyncio.to_thread(sandbox.token, "erin")

    async def main() -> Any:
        async with AsyncParagon(**sandbox.settings(user_token=token)) as paragon:
            return await paragon.request("slack", "conversations.list")

    assert asyncio.run(main())["ok"] is True
    assert verified_claims(sent_token(sandbox, 0), sandbox)["sub"] == "erin"
    with pytest.raises(pc.InvalidRequestError, match="needs AsyncParagon"):
        Paragon(**sandbox.settings(user_token=token)).request("slack", "conversations.list")


def test_a_slow_sync_token_function_stalls_only_its_own_call(sandbox: Sandbox) -> None:
    token = sandbox.token()

    def slow_token() -> str:
        time.sleep(1.0)  # a slow identity provider
        return token

    async def main() -> tuple[list[float], Any]:
        slow = AsyncParagon(**sandbox.settings(user_token=slow_token, max_retries=0))
        fast = AsyncParagon(**sandbox.settings(user_token=token, max_retries=0))
        waiting = asyncio.ensure_future(slow.request("slack", "conversations.list"))
        await asyncio.sleep(0.1)
        took = []
        for _ in range(3):
            started = time.perf_counter()
            assert (await fast.request("slack", "conversations.list"))["ok"] is True
            took.append(time.perf_counter() - started)
        return took, await waiting

    took, slow_answer = asyncio.run(main())
    # Other calls go on meanwhile (on the I/O thread the first one waited out the whole second;
    # its own timeout could not even fire, the timer being on the blocked thread).
    assert max(took) < 0.5, took
    assert slow_answer["ok"] is True


def test_a_failing_token_function_is_reported(sandbox: Sandbox) -> None:
    def token() -> str:
        raise RuntimeError("identity provider down")

    with pytest.raises(pc.InvalidRequestError, match="identity provider down"):
        Paragon(**sandbox.settings(user_token=token)).request("slack", "/x")
    assert sandbox.requests() == []


def test_expired_and_foreign_tokens_are_authentication_errors(sandbox: Sandbox) -> None:
    for token in (sandbox.token("x", ttl=-5), sandbox.token("x", signer="other-project")):
        with pytest.raises(pc.AuthenticationError):
            Paragon(**sandbox.settings(user_token=token)).request("slack", "/x")


def test_user_api_sync(sandbox: Sandbox) -> None:
    frank = Paragon(**project_settings(sandbox)).user("frank")
    assert frank.get_user()["integrations"]["slack"]["credentialId"] == "cred-slack-1"
    assert frank.set_user_metadata({"Name": "Frank"})["meta"] == {"Name": "Frank"}
    assert len(frank.list_integrations()) == 3
    assert frank.integration_id("custom.tasklab") == sandbox.tasklab_id
    # By id, the custom integration answers as by name.
    by_id = frank.request(f"custom/{frank.integration_id('custom.tasklab')}", "/tasks")
    assert by_id == frank.request("custom.tasklab", "/tasks")
    account = frank.get_account("slack", include_account_auth=True)
    assert account["accountAuth"]["accessToken"] == "sandbox-access-token-cred-slack-1"
    with pytest.raises(pc.NotFoundError):
        frank.uninstall_integration("slack", selected_credential_id="cred-nope")
    frank.uninstall_integration("slack", selected_credential_id="cred-slack-2")
    frank.uninstall_integration("custom.tasklab")
    assert state(sandbox)["users"]["frank"]["credentials"]["slack"] == ["cred-slack-1"]
    assert state(sandbox)["users"]["frank"]["credentials"]["custom.tasklab"] == []
    run = frank.trigger_workflow(
        WORKFLOW_ID,
        body={"order": 42},
        query={"dry": True},
        selected_credential_id="cred-slack-1",
        selected_configuration_id="config-9",
    )
    assert run == {"executionId": "exec-1"}
    trigger = state(sandbox)["triggers"][0]
    assert (trigger["body"], trigger["query"], trigger["configuration"]) == (
        {"order": 42},
        "dry=true",
        "config-9",
    )
    with pytest.raises(pc.NotFoundError):
        frank.trigger_workflow("no-such-workflow")
    frank.send_event("Contact Created", {"email": "a@example.com"})
    assert state(sandbox)["events"] == [
        {"user": "frank", "name": "Contact Created", "payload": {"email": "a@example.com"}}
    ]
    with pytest.raises(pc.InvalidRequestError):
        frank.send_event("", {})
    with pytest.raises(TypeError):
        frank.set_user_metadata(["not", "a", "dict"])  # type: ignore[arg-type]


def test_the_user_api_checks_credentials_as_request_does(sandbox: Sandbox) -> None:
    frank = Paragon(**project_settings(sandbox)).user("frank")
    frank.get_user()
    before = state(sandbox)["users"]["frank"]["credentials"]
    refusals = [
        lambda: frank.uninstall_integration("slack", selected_credential_id=""),
        lambda: frank.trigger_workflow(WORKFLOW_ID, selected_credential_id="a\nb"),
        lambda: frank.trigger_workflow(
            WORKFLOW_ID,
            headers={"X-Paragon-Credential": "cred-1"},
            selected_credential_id="cred-2",
        ),
    ]
    for refused in refusals:
        with pytest.raises(pc.InvalidRequestError) as caught:
            refused()
        assert caught.value.argument == "selected_credential_id"  # type: ignore[attr-defined]
    # Nothing was uninstalled or triggered.
    assert state(sandbox)["users"]["frank"]["credentials"] == before
    assert state(sandbox)["triggers"] == []


def test_user_api_async(sandbox: Sandbox) -> None:
    async def main() -> None:
        async with AsyncParagon(**project_settings(sandbox)) as paragon:
            gina = paragon.user("gina")
            assert (await gina.get_user())["id"] == "gina"
            assert (await gina.set_user_metadata({"Email": "g@example.com"}))["meta"] == {
                "Email": "g@example.com"
            }
            assert len(await gina.list_integrations()) == 3
            assert await gina.integration_id("custom.tasklab") == sandbox.tasklab_id
            assert "accountAuth" not in await gina.get_account("googledrive")
            await gina.uninstall_integration("googledrive")
            with pytest.raises(pc.BadRequestError, match="not connected"):
                await gina.request("googledrive", "/files")
            assert await gina.trigger_workflow(WORKFLOW_ID) == {"executionId": "exec-1"}
            await gina.send_event("Deal Won", {"amount": 10**20})

    asyncio.run(main())
    assert state(sandbox)["events"][0]["payload"] == {"amount": 10**20}
    assert state(sandbox)["users"]["gina"]["credentials"]["googledrive"] == []
