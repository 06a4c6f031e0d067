"""docs/migrating.md's Python snippets: each runs against the sandbox, and the snippets of one
name (the code before and after moving to this package) give the same result."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import pytest
from conftest import REPO, Sandbox

DOC = REPO / "docs/migrating.md"
SNIPPET = re.compile(r"<!-- snippet: ([\w-]+) -->\n```(\w+)\n(.*?)\n```", re.S)


def snippets(language: str) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for name, lang, code in SNIPPET.findall(DOC.read_text()):
        if lang == language:
            groups[name].append(code)
    return dict(groups)


PYTHON = snippets("python")


def test_the_guide_has_python_snippets_before_and_after() -> None:
    assert {"post-a-message", "many-users", "list-files", "download-a-file"} <= set(PYTHON)
    assert all(len(PYTHON[name]) >= 2 for name in ("list-files", "download-a-file"))


@pytest.mark.parametrize("name", sorted(PYTHON))
def test_each_snippet_runs_and_before_and_after_agree(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    for variable in ("PARAGON_PROXY_BASE_URL", "PARAGON_ZEUS_BASE_URL", "PARAGON_HERMES_BASE_URL"):
        monkeypatch.setenv(variable, sandbox.url)
    monkeypatch.setenv(
        "PARAGON_SIGNING_KEY", (REPO / "tests/sandbox/keys/sandbox-signing-key.pem").read_text()
    )
    results: list[Any] = []
    for index, code in enumerate(PYTHON[name]):
        namespace: dict[str, Any] = {
            "project_id": sandbox.project_id,
            "user_token": sandbox.token(),
            "file_id": sandbox.drive_file_id,
        }
        source = code.replace("https://proxy.useparagon.com", sandbox.url)
        exec(compile(source, f"docs/migrating.md: {name} #{index + 1}", "exec"), namespace)
        results.append(namespace["result"])
    assert results[0], "a snippet's result is empty"
    assert all(result == results[0] for result in results), results
