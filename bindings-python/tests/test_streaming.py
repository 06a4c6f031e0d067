"""Streamed answers and downloads to files, sync and async, against generated sandbox bodies."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import paragon_connect as pc
import pytest
from conftest import Sandbox
from paragon_connect import AsyncParagon, Paragon


def pattern(length: int) -> bytes:
    """The sandbox's generated body: 64 KiB chunks of ``i % 251``."""
    chunk = bytes(i % 251 for i in range(65536))
    return (chunk * (length // 65536 + 1))[:length]


def generated(size: int, announced: bool = True) -> dict[str, Any]:
    return {"generated_bytes": size, "content_length": announced}


def test_stream_iterates_the_body(client: Paragon, sandbox: Sandbox) -> None:
    size = 3 * 1024 * 1024 + 5
    sandbox.push_reply(generated(size))
    with client.stream("googledrive", "/files/big") as response:
        assert response.status == 200
        assert response.content_length == size
        chunks = list(response.iter_bytes())
    assert len(chunks) > 1
    assert b"".join(chunks) == pattern(size)
    assert dict(sandbox.requests()[0]["headers"])["x-paragon-use-raw-response"] == "1"


def test_stream_in_fixed_chunks_then_read_the_rest(client: Paragon, sandbox: Sandbox) -> None:
    sandbox.push_reply(generated(200_000, announced=False))
    with client.stream("googledrive", "/files/big") as response:
        assert response.content_length is None
        pieces = response.iter_bytes(chunk_size=1000)
        first = [next(pieces) for _ in range(3)]
        assert [len(piece) for piece in first] == [1000, 1000, 1000]
        rest = response.read()
    assert b"".join(first) + rest == pattern(200_000)


def test_stream_errors_are_raised_before_the_body(client: Paragon, sandbox: Sandbox) -> None:
    sandbox.push_reply({"status": 404, "body": {"json": {"message": "File not found."}}})
    with pytest.raises(pc.NotFoundError):
        client.stream("googledrive", "/files/missing", max_retries=0)


def test_download_writes_the_file_and_reports_progress(
    client: Paragon, sandbox: Sandbox, tmp_path: Path
) -> None:
    size = 2 * 1024 * 1024
    sandbox.push_reply(generated(size))
    seen: list[tuple[int, int | None]] = []
    done = client.download(
        "googledrive",
        "/files/big?alt=media",
        to=tmp_path / "report.bin",
        progress=lambda sofar, total: seen.append((sofar, total)),
    )
    assert isinstance(done, pc.Download)
    assert done.path == tmp_path / "report.bin"
    assert (done.status, done.size) == (200, size)
    assert (tmp_path / "report.bin").read_bytes() == pattern(size)
    assert seen[-1] == (size, size)
    assert [sofar for sofar, _ in seen] == sorted(sofar for sofar, _ in seen)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.bin"]


def test_a_failed_download_leaves_the_old_file(
    client: Paragon, sandbox: Sandbox, tmp_path: Path
) -> None:
    target = tmp_path / "report.bin"
    target.write_bytes(b"previous")
    sandbox.push_reply({"body": {"text": "x" * 100_000}, "truncate_to": 40_000})
    with pytest.raises(pc.DecodeError):
        client.download("googledrive", "/files/x", to=target, max_retries=0)
    sandbox.push_reply({"status": 404})
    with pytest.raises(pc.NotFoundError):
        client.download("googledrive", "/files/x", to=target, max_retries=0)
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.bin"]
    with pytest.raises(pc.InvalidRequestError):
        client.download("googledrive", "/files/x", to=tmp_path / "missing" / "x.bin")


def test_a_progress_callback_that_raises_stops_the_download(
    client: Paragon, sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.push_reply({"generated_bytes": 4 * 1024 * 1024, "content_length": True})

    def progress(done: int, total: int | None) -> None:
        raise KeyError("the caller's own bug")

    with pytest.raises(KeyError, match="own bug"):
        client.download("googledrive", "/files/big", to=tmp_path / "big.bin", progress=progress)
    assert list(tmp_path.iterdir()) == []


def test_reading_a_stream_whole_keeps_to_max_response_bytes(sandbox: Sandbox) -> None:
    client = Paragon(**sandbox.settings(max_response_bytes=1024 * 1024))
    sandbox.push_reply({"generated_bytes": 3 * 1024 * 1024})
    with client.stream("googledrive", "/files/big") as response:
        with pytest.raises(pc.DecodeError, match="max_response_bytes"):
            response.read()
    sandbox.push_reply({"generated_bytes": 3 * 1024 * 1024})
    with client.stream("googledrive", "/files/big") as response:
        with pytest.raises(pc.InvalidRequestError, match="chunk_size") as caught:
            response.iter_bytes(chunk_size=2 * 1024 * 1024)
        assert caught.value.argument == "chunk_size"  # type: ignore[attr-defined]
        # Chunk by chunk, the whole body still arrives.
        assert sum(len(piece) for piece in response.iter_bytes()) == 3 * 1024 * 1024
    sandbox.push_reply({"generated_bytes": 10})
    with client.stream("googledrive", "/files/big") as response:
        with pytest.raises(pc.InvalidRequestError, match="at least 1"):
            response.iter_bytes(chunk_size=0)


def test_a_download_never_replaces_what_is_not_a_regular_file(
    client: Paragon, sandbox: Sandbox, tmp_path: Path
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "folder").mkdir()
    (tmp_path / "real.bin").write_bytes(b"kept")
    (tmp_path / "link").symlink_to(tmp_path / "real.bin")
    for name, problem in [
        ("pipe", "not a regular file"),
        ("folder", "not a regular file"),
        ("link", "symbolic link"),
    ]:
        with pytest.raises(pc.InvalidRequestError, match=problem) as caught:
            client.download("googledrive", "/files/x", to=tmp_path / name)
        assert caught.value.argument == "to"
    assert fifo.is_fifo() and (tmp_path / "link").is_symlink()
    assert (tmp_path / "real.bin").read_bytes() == b"kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "link", "pipe", "real.bin"]
    assert sandbox.requests() == []


def test_async_stream_and_download(sandbox: Sandbox, tmp_path: Path) -> None:
    size = 1024 * 1024 + 3

    async def main() -> tuple[bytes, bytes, pc.Download]:
        async with AsyncParagon(**sandbox.settings()) as paragon:
            sandbox.push_reply(generated(size))
            async with paragon.stream("googledrive", "/files/big") as response:
                assert response.status == 200
                streamed = b"".join([chunk async for chunk in response.aiter_bytes()])
            sandbox.push_reply(generated(size, announced=False))
            async with paragon.stream("googledrive", "/files/big") as response:
                fixed = [chunk async for chunk in response.aiter_bytes(chunk_size=4096)]
                assert {len(chunk) for chunk in fixed[:-1]} == {4096}
                read = b"".join(fixed)
            sandbox.push_reply(generated(size))
            done = await paragon.download("googledrive", "/files/big", to=tmp_path / "a.bin")
            return streamed, read, done

    streamed, read, done = asyncio.run(main())
    assert streamed == pattern(size)
    assert read == pattern(size)
    assert done.size == size
    assert (tmp_path / "a.bin").read_bytes() == pattern(size)
