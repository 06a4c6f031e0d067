"""The product document's examples from Python: a sync server and an asyncio one.

With PARAGON_PROJECT_ID and PARAGON_USER_TOKEN set it calls Paragon's cloud; otherwise it starts
the local sandbox (the binary named by PARAGON_SANDBOX_BIN).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import urllib.request
from typing import Any

from paragon_connect import AsyncParagon, NotFoundError, Paragon

DRIVE_FILE_ID = "1aBcDeFile"
SLACK_MESSAGE = {
    "channel": "CXXXXXXX0",
    "text": "This message was sent with Paragon Connect :exploding_head:",
}


def settings() -> tuple[dict[str, Any], subprocess.Popen[str] | None]:
    """Client settings: the environment's, or a freshly started sandbox's."""
    if os.environ.get("PARAGON_PROJECT_ID") and os.environ.get("PARAGON_USER_TOKEN"):
        print("Using Paragon at the PARAGON_* settings in the environment.")
        return {}, None
    sandbox = subprocess.Popen(
        [os.environ["PARAGON_SANDBOX_BIN"], "--until-stdin-closes"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sandbox.stdout is not None
    ready = json.loads(sandbox.stdout.readline())
    with urllib.request.urlopen(f"{ready['url']}/_sandbox/token?sub=demo-user") as reply:
        token = reply.read().decode()
    print(f"Started the local Paragon sandbox at {ready['url']}.")
    return {
        "project_id": ready["project_id"],
        "user_token": token,
        "proxy_base_url": ready["url"],
    }, sandbox


def sync_server(options: dict[str, Any]) -> None:
    print("\n-- sync: Paragon --")
    with Paragon(**options) as paragon:
        sent = paragon.request("slack", "/chat.postMessage", method="POST", body=SLACK_MESSAGE)
        print("slack chat.postMessage ->", sent)
        created = paragon.request(
            "custom.tasklab",
            "/notifications",
            method="POST",
            body={"title": "This notification was created from your app"},
        )
        print("custom.tasklab /notifications ->", created)
        file = paragon.request("googledrive", f"/files/{DRIVE_FILE_ID}/?alt=media", raw=True)
        print(
            f"googledrive file -> {file.status}, {file.headers['content-type']},",
            f"{len(file.content)} bytes, starts {file.content[:9]!r}",
        )
        try:
            paragon.request("googledrive", "/files/does-not-exist")
        except NotFoundError as error:
            print(f"missing file -> NotFoundError {error.status}: {error.message[:80]}")


async def async_server(options: dict[str, Any]) -> None:
    print("\n-- asyncio: AsyncParagon --")
    async with AsyncParagon(**options) as paragon:
        sent, files = await asyncio.gather(
            paragon.request("slack", "/chat.postMessage", method="POST", body=SLACK_MESSAGE),
            paragon.request("googledrive", "/files", query={"pageSize": 10}),
        )
        print("slack chat.postMessage ->", sent)
        print("googledrive /files ->", [file["name"] for file in files["files"]])


def main() -> None:
    options, sandbox = settings()
    try:
        sync_server(options)
        asyncio.run(async_server(options))
    finally:
        if sandbox is not None and sandbox.stdin is not None:
            sandbox.stdin.close()
            sandbox.wait()


if __name__ == "__main__":
    main()
