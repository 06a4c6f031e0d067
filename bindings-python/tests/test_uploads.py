"""Bodies from files, forms and multipart parts, sync and async; multipart bodies are read back
by python-multipart (and by the sandbox's own parser)."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import paragon_connect as pc
import pytest
from conftest import Sandbox
from paragon_connect import AsyncParagon, Paragon
from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header


def sent_body(sandbox: Sandbox, index: int = 0) -> tuple[dict[str, str], bytes]:
    request = sandbox.requests()[index]
    return dict(request["headers"]), base64.b64decode(request["body_base64"])


def parse_multipart(content_type: str, body: bytes) -> list[dict[str, Any]]:
    """Parts as python-multipart reads them: name, filename, content type, data."""
    _, params = parse_options_header(content_type)
    parts: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    header_name = b""

    def on_part_begin() -> None:
        current.clear()
        current.update(headers={}, data=b"")

    def on_header_field(data: bytes, start: int, end: int) -> None:
        nonlocal header_name
        header_name += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        nonlocal header_name
        current["headers"][header_name.decode().lower()] = data[start:end].decode()
        header_name = b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        current["data"] += data[start:end]

    def on_part_end() -> None:
        _, disposition = parse_options_header(current["headers"]["content-disposition"])
        parts.append(
            {
                "name": disposition[b"name"].decode(),
                "filename": disposition.get(b"filename", b"").decode() or None,
                "content_type": current["headers"].get("content-type"),
                "data": current["data"],
            }
        )

    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    parser.write(body)
    parser.finalize()
    return parts


def test_a_path_body_is_streamed_from_disk(
    client: Paragon, sandbox: Sandbox, tmp_path: Path
) -> None:
    data = bytes(i % 253 for i in range(2_000_000))
    (tmp_path / "report.pdf").write_bytes(data)
    sandbox.push_reply({"status": 503})
    answer = client.request(
        "googledrive",
        "/upload/files",
        method="PUT",
        body=tmp_path / "report.pdf",
        headers={"Content-Type": "application/pdf"},
    )
    assert answer["size"] == 2_000_000
    assert answer["content_type"] == "application/pdf"
    assert len(sandbox.requests()) == 2, "a file is resent whole after a retryable failure"
    for index in (0, 1):
        headers, body = sent_body(sandbox, index)
        assert body == data
        assert headers["content-length"] == "2000000"


def test_a_form_is_url_encoded(client: Paragon, sandbox: Sandbox) -> None:
    client.request("echo", "/form", method="POST", form={"text": "a b&c", "n": 3, "ok": True})
    headers, body = sent_body(sandbox)
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert body == b"text=a+b%26c&n=3&ok=true"


def test_multipart_parts_read_back_identically(
    client: Paragon, sandbox: Sandbox, tmp_path: Path
) -> None:
    image = bytes(range(256)) * 1000
    (tmp_path / "photo.png").write_bytes(image)
    answer = client.request(
        "googledrive",
        "/upload/multipart",
        method="POST",
        multipart={
            "channels": "C0,C1",
            "notes": ("notes.txt", b"plain notes", "text/plain"),
            "raw": b"\x00\x01",
            "file": ("photo.png", tmp_path / "photo.png", "image/png"),
        },
    )
    headers, body = sent_body(sandbox)
    parts = parse_multipart(headers["content-type"], body)
    assert [(p["name"], p["filename"], p["content_type"], p["data"]) for p in parts] == [
        ("channels", None, None, b"C0,C1"),
        ("notes", "notes.txt", "text/plain", b"plain notes"),
        ("raw", "raw", "application/octet-stream", b"\x00\x01"),
        ("file", "photo.png", "image/png", image),
    ]
    assert [part["name"] for part in answer["parts"]] == ["channels", "notes", "raw", "file"]


def test_upload_arguments_are_checked(client: Paragon, sandbox: Sandbox, tmp_path: Path) -> None:
    with pytest.raises(pc.InvalidRequestError, match=r"missing\.bin"):
        client.request("googledrive", "/upload/files", method="POST", body=tmp_path / "missing.bin")
    with pytest.raises(pc.InvalidRequestError, match="only one body, not body and form"):
        client.request("echo", "/x", method="POST", body="a", form={"b": "c"})
    with pytest.raises(pc.InvalidRequestError, match=r'multipart\["x"\]'):
        client.request("echo", "/x", method="POST", multipart={"x": 3})
    with pytest.raises(pc.InvalidRequestError, match="control character") as caught:
        client.request("echo", "/x", method="POST", multipart={"f": ("a\r\nX-Evil: 1.txt", b"x")})
    assert caught.value.argument == "body"
    assert sandbox.requests() == []


def test_async_uploads(sandbox: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")

    async def main() -> Any:
        async with AsyncParagon(**sandbox.settings()) as paragon:
            await paragon.request(
                "googledrive", "/upload/files", method="POST", body=tmp_path / "a.txt"
            )
            return await paragon.request(
                "googledrive",
                "/upload/multipart",
                method="POST",
                multipart=[("f", tmp_path / "a.txt")],
            )

    answer = asyncio.run(main())
    assert answer["parts"][0]["filename"] == "a.txt"
    assert answer["parts"][0]["text"] == "hello"


def test_an_iterator_body_is_streamed_once(client: Paragon, sandbox: Sandbox) -> None:
    def chunks() -> Any:
        for i in range(40):
            yield bytes([i]) * 10_000
        yield "tail"

    answer = client.request("googledrive", "/upload/files", method="PUT", body=chunks())
    assert answer["size"] == 400_004
    # A retryable failure is not retried: the iterator was spent.
    sandbox.push_reply({"status": 503})
    with pytest.raises(pc.InternalServerError) as caught:
        client.request("googledrive", "/upload/files", method="PUT", body=iter([b"once"]))
    assert caught.value.attempts == 1
    with pytest.raises(pc.ConnectionError, match="yielded int"):
        client.request("googledrive", "/upload/files", method="PUT", body=iter([1]))


def test_an_async_iterator_body_with_the_async_client(sandbox: Sandbox) -> None:
    async def chunks() -> Any:
        for i in range(10):
            await asyncio.sleep(0)
            yield bytes([i]) * 1000

    async def main() -> Any:
        async with AsyncParagon(**sandbox.settings()) as paragon:
            return await paragon.request(
                "googledrive", "/upload/files", method="PUT", body=chunks()
            )

    assert asyncio.run(main())["size"] == 10_000
    with pytest.raises(TypeError, match="needs AsyncParagon"):
        Paragon(**sandbox.settings()).request(
            "googledrive", "/upload/files", method="PUT", body=chunks()
        )
