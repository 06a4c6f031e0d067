"""Python clients side by side against paragon-bench-server (BENCH_URL): the same POST with a
small JSON body and a Bearer token, the answer parsed and `output` unwrapped. Prints one JSON
line per (client, case) with the median requests per second of three rounds."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

URL = os.environ["BENCH_URL"]
N = int(os.environ.get("BENCH_REQUESTS", "3000"))
PATH = "/projects/p/sdk/proxy/slack/chat.postMessage"
BODY = {"channel": "C0", "text": "hi"}
HEADERS = {"Authorization": "Bearer bench-token-not-checked", "Content-Type": "application/json"}


def report(client: str, case: str, rounds: list[float]) -> None:
    print(json.dumps({"language": "python", "client": client, "case": case, "rps": statistics.median(rounds)}))
    sys.stdout.flush()


def sync_rounds(call: Callable[[], Any], threads: int = 1) -> list[float]:
    for _ in range(200):
        call()
    rounds = []
    for _ in range(3):
        per_thread = N // threads

        def work() -> None:
            for _ in range(per_thread):
                call()

        started = time.perf_counter()
        workers = [threading.Thread(target=work) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        rounds.append(per_thread * threads / (time.perf_counter() - started))
    return rounds


async def async_rounds(call: Callable[[], Awaitable[Any]], concurrency: int) -> list[float]:
    async def worker(count: int) -> None:
        for _ in range(count):
            await call()

    await asyncio.gather(*(worker(200 // concurrency + 1) for _ in range(concurrency)))
    rounds = []
    for _ in range(3):
        per_worker = N // concurrency
        started = time.perf_counter()
        await asyncio.gather(*(worker(per_worker) for _ in range(concurrency)))
        rounds.append(per_worker * concurrency / (time.perf_counter() - started))
    return rounds


def sync_cases() -> None:
    import httpx
    import requests

    from paragon_connect import Paragon

    paragon = Paragon(project_id="p", user_token="bench-token-not-checked", proxy_base_url=URL)
    session = requests.Session()
    client = httpx.Client()
    calls = {
        "paragon-connect": lambda: paragon.request("slack", "/chat.postMessage", method="POST", body=BODY),
        "requests.Session": lambda: session.post(URL + PATH, json=BODY, headers=HEADERS).json()["output"],
        "httpx.Client": lambda: client.post(URL + PATH, json=BODY, headers=HEADERS).json()["output"],
    }
    for name, call in calls.items():
        report(name, "sync-sequential", sync_rounds(call))
    for name in ("paragon-connect", "requests.Session"):
        report(name, "sync-8-threads", sync_rounds(calls[name], threads=8))


async def async_cases(loop_name: str) -> None:
    import aiohttp
    import httpx

    from paragon_connect import AsyncParagon

    paragon = AsyncParagon(project_id="p", user_token="bench-token-not-checked", proxy_base_url=URL)

    async def call_paragon() -> Any:
        return await paragon.request("slack", "/chat.postMessage", method="POST", body=BODY)

    async with aiohttp.ClientSession() as session, httpx.AsyncClient() as client:

        async def call_aiohttp() -> Any:
            async with session.post(URL + PATH, json=BODY, headers=HEADERS) as response:
                return (await response.json())["output"]

        async def call_httpx() -> Any:
            return (await client.post(URL + PATH, json=BODY, headers=HEADERS)).json()["output"]

        calls = {"paragon-connect": call_paragon, "aiohttp": call_aiohttp, "httpx.AsyncClient": call_httpx}
        if loop_name == "uvloop":
            calls = {"paragon-connect (uvloop)": call_paragon}
        for name, call in calls.items():
            report(name, "async-sequential", await async_rounds(call, 1))
            report(name, "async-32", await async_rounds(call, 32))
            report(name, "async-256", await async_rounds(call, 256))


def crossing() -> None:
    """One call into Rust that sends nothing: refused at once for its path."""
    from paragon_connect import InvalidRequestError, Paragon

    paragon = Paragon(project_id="p", user_token="bench-token-not-checked", proxy_base_url=URL)
    count = 20000
    started = time.perf_counter()
    for _ in range(count):
        try:
            paragon.request("slack", "/../x")
        except InvalidRequestError:
            pass
    elapsed_us = (time.perf_counter() - started) / count * 1e6
    print(json.dumps({"language": "python", "client": "paragon-connect", "case": "crossing-us", "rps": elapsed_us}))


if __name__ == "__main__":
    crossing()
    sync_cases()
    asyncio.run(async_cases("asyncio"))
    import uvloop

    uvloop.run(async_cases("uvloop"))
