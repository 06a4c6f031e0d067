"""Every case of tests/conformance/*.json, through the sync and the async client, against the
sandbox over real HTTP (the same cases the Rust and Node suites run)."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import paragon_connect as pc
import pytest
from conftest import CONFORMANCE_DIR, Sandbox


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(CONFORMANCE_DIR.glob("*.json")):
        cases.extend(json.loads(path.read_text()))
    return cases


CASES = load_cases()

ERROR_CLASSES: dict[str, type[pc.ParagonError]] = {
    "config": pc.ConfigurationError,
    "invalid_request": pc.InvalidRequestError,
    "connection": pc.ConnectionError,
    "timeout": pc.TimeoutError,
    "decode": pc.DecodeError,
    "status": pc.APIStatusError,
}

STATUS_CLASSES: dict[int, type[pc.APIStatusError]] = {
    400: pc.BadRequestError,
    401: pc.AuthenticationError,
    403: pc.PermissionDeniedError,
    404: pc.NotFoundError,
    409: pc.ConflictError,
    422: pc.UnprocessableEntityError,
    429: pc.RateLimitError,
}


def fill(text: str, sandbox: Sandbox) -> str:
    return text.replace("{project_id}", sandbox.project_id).replace(
        "{tasklab_id}", sandbox.tasklab_id
    )


def filled(value: Any, sandbox: Sandbox) -> Any:
    return json.loads(fill(json.dumps(value), sandbox))


def token_for(sandbox: Sandbox, kind: str) -> str:
    if kind == "valid":
        return sandbox.token("conformance-user")
    if kind == "garbage":
        return "not-a-jwt"
    if kind == "expired":
        return sandbox.token("conformance-user", ttl=-60)
    if kind == "no_sub":
        return sandbox.token(None)
    if kind == "wrong_audience":
        return sandbox.token("conformance-user", aud="useparagon.com/another-project")
    if kind == "other_project":
        return sandbox.token("conformance-user", signer="other-project")
    raise AssertionError(f"unknown token kind {kind}")


def body_of(body: dict[str, Any]) -> Any:
    if "json" in body:
        return body["json"]
    if "text" in body:
        return body["text"]
    return base64.b64decode(body["base64"])


def call_arguments(call: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    options: dict[str, Any] = {}
    if "method" in call:
        options["method"] = call["method"]
    if "body" in call:
        options["body"] = body_of(call["body"])
    if "headers" in call:
        options["headers"] = [tuple(pair) for pair in call["headers"]]
    if "query" in call:
        options["query"] = [tuple(pair) for pair in call["query"]]
    if "selected_credential_id" in call:
        options["selected_credential_id"] = call["selected_credential_id"]
    if call.get("raw"):
        options["raw"] = True
    if "timeout_ms" in call:
        options["timeout"] = call["timeout_ms"] / 1000
    # One exchange per case unless the case is about retries.
    options["max_retries"] = call.get("max_retries", 0)
    if "idempotent" in call:
        options["idempotent"] = call["idempotent"]
    return call["integration"], call["path"], options


def same(want: Any, got: Any, what: str) -> None:
    """Equal values of equal JSON types (True is not 1, 1 is not 1.0)."""
    assert type(want) is type(got) or (isinstance(want, float) and isinstance(got, float)), (
        f"{what}: {got!r} is a {type(got).__name__}, expected {want!r}"
    )
    if isinstance(want, dict):
        assert list(want) == list(got), f"{what}: keys {list(got)} != {list(want)}"
        for key in want:
            same(want[key], got[key], f"{what}[{key!r}]")
    elif isinstance(want, list):
        assert len(want) == len(got), f"{what}: {got!r} != {want!r}"
        for index, (w, g) in enumerate(zip(want, got)):
            same(w, g, f"{what}[{index}]")
    else:
        assert want == got, f"{what}: {got!r} != {want!r}"


def contains(want: Any, got: Any, what: str) -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{what}: {got!r} is not an object"
        for key, value in want.items():
            assert key in got, f"{what}: no key {key!r} in {got!r}"
            contains(value, got[key], f"{what}[{key!r}]")
    else:
        same(want, got, what)


def check_bytes(want: dict[str, Any], got: bytes, what: str) -> None:
    if "empty" in want:
        assert got == b"", f"{what} is not empty"
    elif "json" in want:
        same(want["json"], json.loads(got), what)
    elif "text" in want:
        assert got.decode("utf-8", "replace") == want["text"], what
    else:
        assert got == base64.b64decode(want["base64"]), f"{what}: bytes differ"


def check_result(want: dict[str, Any], outcome: Any, error: BaseException | None) -> None:
    if "error" in want:
        expected = want["error"]
        assert error is not None, f"expected a {expected['kind']} error, got {outcome!r}"
        check_error(expected, error)
        return
    assert error is None, f"unexpected error: {error!r}"
    if "empty" in want:
        assert outcome is None
    elif "json" in want:
        same(want["json"], outcome, "result")
    elif "json_contains" in want:
        contains(want["json_contains"], outcome, "result")
    elif "text" in want:
        same(want["text"], outcome, "result")
    else:
        raw = want["raw"]
        assert isinstance(outcome, pc.RawResponse), f"expected a RawResponse, got {outcome!r}"
        assert outcome.status == raw["status"]
        for name, values in raw["headers"].items():
            assert outcome.headers.get_list(name) == values, f"raw header {name}"
        check_bytes(raw["body"], outcome.content, "raw body")


def check_error(expected: dict[str, Any], error: BaseException) -> None:
    cls = ERROR_CLASSES[expected["kind"]]
    assert isinstance(error, cls), f"expected {cls.__name__}, got {error!r}"
    if "attempts" in expected:
        assert getattr(error, "attempts", 1) == expected["attempts"], str(error)
    if "argument" in expected:
        assert isinstance(error, pc.InvalidRequestError)
        assert error.argument == expected["argument"], str(error)
    if isinstance(error, pc.APIStatusError):
        status = expected.get("status", error.status)
        assert error.status == status
        assert type(error) is STATUS_CLASSES.get(
            status, pc.InternalServerError if status >= 500 else pc.APIStatusError
        )
        for field in ("code", "message", "request_id"):
            if field in expected:
                assert getattr(error, field) == expected[field], field
        if "message_contains" in expected:
            assert expected["message_contains"] in error.message
        if "retry_after_ms" in expected:
            assert error.retry_after == expected["retry_after_ms"] / 1000
        for field in ("integration_status", "integration_response"):
            if field in expected:
                same(expected[field], getattr(error, field), field)
        if "body_json" in expected:
            same(expected["body_json"], error.body, "error body")


def check_wire(want: dict[str, Any] | None, sent: list[dict[str, Any]], token: str) -> None:
    if want is None:
        assert sent == [], f"nothing may be sent, but {len(sent)} request(s) were"
        return
    assert sent, "expected a request on the wire, got none"
    request = sent[0]  # with retries, the first attempt is the one described
    assert request["method"] == want["method"]
    assert request["target"] == want["target"]

    def values(name: str) -> list[str]:
        return [value for key, value in request["headers"] if key == name.lower()]

    for name, expected in want.get("headers", {}).items():
        if isinstance(expected, str):
            got = values(name)
            assert got[:1] == [expected.replace("{token}", token)], f"wire header {name}: {got}"
        else:
            assert values(name) == expected, f"wire header {name}"
    for name in want.get("absent_headers", []):
        assert values(name) == [], f"wire header {name} must not be sent"
    if "body" in want:
        check_bytes(want["body"], base64.b64decode(request["body_base64"]), "wire body")


def run_case(case: dict[str, Any], sandbox: Sandbox, mode: str) -> None:
    case = filled(case, sandbox)
    token = token_for(sandbox, case.get("token", "valid"))
    for reply in [case["reply"]] if "reply" in case else case.get("replies", []):
        sandbox.push_reply(reply)
    integration, path, options = call_arguments(case["call"])
    settings = sandbox.settings(user_token=token)
    outcome: Any = None
    error: BaseException | None = None
    try:
        if mode == "sync":
            with pc.Paragon(**settings) as paragon:
                outcome = paragon.request(integration, path, **options)
        else:

            async def call() -> Any:
                async with pc.AsyncParagon(**settings) as paragon:
                    return await paragon.request(integration, path, **options)

            outcome = asyncio.run(call())
    except pc.ParagonError as raised:
        error = raised
    try:
        check_result(case["result"], outcome, error)
        if "attempts" in case:
            assert len(sandbox.requests()) == case["attempts"], "sent a different number of times"
        if "wire" in case:
            check_wire(case["wire"], sandbox.requests(), token)
    except AssertionError as failure:
        # A failure report must not print the token.
        raise AssertionError(str(failure).replace(token, "<token>")) from None


def test_the_cases_are_all_there() -> None:
    names = [case["name"] for case in CASES]
    assert len(names) >= 80
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_sync(case: dict[str, Any], sandbox: Sandbox) -> None:
    run_case(case, sandbox, "sync")


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_async(case: dict[str, Any], sandbox: Sandbox) -> None:
    run_case(case, sandbox, "async")
