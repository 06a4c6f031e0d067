"""Python clients side by side against paragon-bench-server (BENCH_URL): the same POST with a
small JSON body and a Bearer token, the answer parsed and `output` unwrapped; a 1 MB JSON and a
10 MB binary answer. Clients take turns round by round (so a slow spell of the machine hits them
all), and each prints the median of its rounds as one JSON line:
`{"language", "client", "case", "value", "unit"}`. `python_bench.py child ...` runs the
measurements that need a fresh process (import time, memory)."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

URL = os.environ["BENCH_URL"]
N = int(os.environ.get("BENCH_REQUESTS", "5000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
PATH = "/projects/p/sdk/proxy/slack/chat.postMessage"
BODY = {"channel": "C0", "text": "hi"}
TOKEN = "bench-token-not-checked"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
SIGNING_KEY = (
    Path(__file__).parent.parent / "tests/sandbox/keys/sandbox-signing-key.pem"
).read_text()


def report(
    client: str,
    case: str,
    value: float,
    unit: str = "req/s",
    extra: dict[str, Any] | None = None,
) -> None:
    line = {
        "language": "python",
        "client": client,
        "case": case,
        "value": value,
        "unit": unit,
        **(extra or {}),
    }
    print(json.dumps(line), flush=True)


def sync_rate(call: Callable[[], Any], count: int, threads: int = 1) -> float:
    per_thread = max(1, count // threads)

    def work() -> None:
        for _ in range(per_thread):
            call()

    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return per_thread * threads / (time.perf_counter() - started)


async def async_rate(
    call: Callable[[], Awaitable[Any]], count: int, concurrency: int
) -> float:
    per_worker = max(1, count // concurrency)

    async def worker() -> None:
        for _ in range(per_worker):
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return per_worker * concurrency / (time.perf_counter() - started)


def sync_case(
    case: str, calls: dict[str, Callable[[], Any]], count: int, threads: int = 1
) -> None:
    for call in calls.values():
        sync_rate(call, max(threads, count // 10), threads)  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(ROUNDS):
        for name, call in calls.items():
            gc.collect()  # each client starts its round without the previous one's garbage
            rates[name].append(sync_rate(call, count, threads))
    for name, values in rates.items():
        report(name, case, statistics.median(values))


async def async_case(
    case: str,
    calls: dict[str, Callable[[], Awaitable[Any]]],
    count: int,
    concurrency: int,
    slow: tuple[str, ...] = (),
) -> None:
    """`slow` clients make a fifth of the requests (their rate is what is compared)."""
    counts = {name: count // 5 if name in slow else count for name in calls}
    for name, call in calls.items():
        await async_rate(call, max(concurrency, counts[name] // 10), concurrency)
    rates: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(ROUNDS):
        for name, call in calls.items():
            gc.collect()
            rates[name].append(await async_rate(call, counts[name], concurrency))
    for name, values in rates.items():
        report(name, case, statistics.median(values))


def sync_cases() -> None:
    import httpx
    import requests
    from paragon_connect import Paragon
    from pyreqwest.client import SyncClientBuilder

    paragon = Paragon(project_id="p", user_token=TOKEN, proxy_base_url=URL)
    signed = Paragon(project_id="p", signing_key=SIGNING_KEY, proxy_base_url=URL).user(
        "user-1"
    )
    session = requests.Session()
    client = httpx.Client()
    pyreqwest = SyncClientBuilder().build()

    def via(path: str, raw: bool = False) -> dict[str, Callable[[], Any]]:
        url = URL + PATH.replace("/chat.postMessage", path)
        if raw:
            return {
                "paragon-connect": lambda: (
                    paragon.request("slack", path, raw=True).content
                ),
                "requests.Session": lambda: session.get(url, headers=HEADERS).content,
                "httpx.Client": lambda: client.get(url, headers=HEADERS).content,
                "pyreqwest": lambda: (
                    pyreqwest.get(url).headers(HEADERS).build().send().bytes()
                ),
            }
        return {
            "paragon-connect": lambda: paragon.request("slack", path),
            "requests.Session": lambda: session.get(url, headers=HEADERS).json()[
                "output"
            ],
            "httpx.Client": lambda: client.get(url, headers=HEADERS).json()["output"],
            "pyreqwest": lambda: (
                pyreqwest.get(url).headers(HEADERS).build().send().json()["output"]
            ),
        }

    small = {
        "paragon-connect": lambda: paragon.request(
            "slack", "/chat.postMessage", method="POST", body=BODY
        ),
        "paragon-connect (signing key)": lambda: signed.request(
            "slack", "/chat.postMessage", method="POST", body=BODY
        ),
        "requests.Session": lambda: session.post(
            URL + PATH, json=BODY, headers=HEADERS
        ).json()["output"],
        "httpx.Client": lambda: client.post(
            URL + PATH, json=BODY, headers=HEADERS
        ).json()["output"],
        "pyreqwest": lambda: (
            pyreqwest.post(URL + PATH)
            .headers(HEADERS)
            .body_json(BODY)
            .build()
            .send()
            .json()["output"]
        ),
    }
    sync_case("sync-sequential", small, N)
    eight = {name: small[name] for name in ("paragon-connect", "requests.Session")}
    sync_case("sync-8-threads", eight, N, threads=8)
    sync_case("sync-1mb-json", via("/big-json"), max(20, N // 50))
    sync_case("sync-10mb-binary", via("/binary", raw=True), max(10, N // 200))


async def async_cases(loop_name: str) -> None:
    import aiohttp
    import httpx
    from paragon_connect import AsyncParagon
    from pyreqwest.client import ClientBuilder

    paragon = AsyncParagon(project_id="p", user_token=TOKEN, proxy_base_url=URL)

    async def call_paragon() -> Any:
        return await paragon.request(
            "slack", "/chat.postMessage", method="POST", body=BODY
        )

    limits = httpx.Limits(max_connections=256)
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as session,
        httpx.AsyncClient(limits=limits) as client,
        ClientBuilder().build() as pyreqwest,
    ):

        async def call_aiohttp() -> Any:
            async with session.post(URL + PATH, json=BODY, headers=HEADERS) as response:
                return (await response.json())["output"]

        async def call_httpx() -> Any:
            return (await client.post(URL + PATH, json=BODY, headers=HEADERS)).json()[
                "output"
            ]

        async def call_pyreqwest() -> Any:
            request = (
                pyreqwest.post(URL + PATH).headers(HEADERS).body_json(BODY).build()
            )
            return (await (await request.send()).json())["output"]

        calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "paragon-connect": call_paragon,
            "aiohttp": call_aiohttp,
            "httpx.AsyncClient": call_httpx,
            "pyreqwest": call_pyreqwest,
        }
        if loop_name == "uvloop":
            calls = {"paragon-connect (uvloop)": call_paragon}
        else:
            await fan_out(paragon, call_paragon)
        for case, concurrency in (
            ("async-sequential", 1),
            ("async-32", 32),
            ("async-256", 256),
        ):
            await async_case(case, calls, N, concurrency, slow=("httpx.AsyncClient",))


async def fan_out(paragon: Any, call_paragon: Callable[[], Awaitable[Any]]) -> None:
    """10,000 small calls at concurrency 64: one request_many against asyncio.gather with a
    semaphore over request()."""
    count = int(os.environ.get("BENCH_FANOUT_CALLS", "10000"))
    many = [("slack", "/chat.postMessage", {"method": "POST", "body": BODY})] * count

    async def request_many() -> list[Any]:
        return list(await paragon.request_many(many, concurrency=64))

    async def gathered() -> list[Any]:
        semaphore = asyncio.Semaphore(64)

        async def one() -> Any:
            async with semaphore:
                return await call_paragon()

        return list(await asyncio.gather(*(one() for _ in range(count))))

    ways: dict[str, Callable[[], Awaitable[list[Any]]]] = {
        "paragon-connect": request_many,
        "gather + semaphore (request())": gathered,
    }

    async def timed(run: Callable[[], Awaitable[list[Any]]]) -> float:
        started = time.perf_counter()
        results = await run()
        assert len(results) == count, "a fan-out lost results"
        return count / (time.perf_counter() - started)

    for run in ways.values():
        await timed(run)
    rates: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(ROUNDS):
        for name, run in ways.items():
            gc.collect()
            rates[name].append(await timed(run))
    for name, values in rates.items():
        report(name, "fan-out 10k at 64", statistics.median(values))


def microseconds(function: Callable[[], Any], count: int = 20000) -> float:
    for _ in range(count // 10):
        function()
    started = time.perf_counter()
    for _ in range(count):
        function()
    return (time.perf_counter() - started) / count * 1e6


def crossing_cases() -> None:
    from paragon_connect import InvalidRequestError, Paragon, sign_user_token

    paragon = Paragon(project_id="p", user_token=TOKEN, proxy_base_url=URL)
    signed = Paragon(project_id="p", signing_key=SIGNING_KEY, proxy_base_url=URL)
    # A native method that reaches the core and returns a new client: no I/O, no error.
    report(
        "paragon-connect",
        "no-op crossing",
        microseconds(lambda: signed.user("u")),
        "µs",
    )

    def refused() -> None:
        try:
            paragon.request("slack", "/../x")
        except InvalidRequestError:
            pass

    report("paragon-connect", "refused call (raises)", microseconds(refused), "µs")
    report(
        "paragon-connect",
        "sign a user token (uncached)",
        microseconds(lambda: sign_user_token(SIGNING_KEY, "p", "u"), 500),
        "µs",
    )


def process_cases() -> None:
    """Measured in fresh processes: import and first call, and memory over 100,000 calls."""
    here = str(Path(__file__))
    startup = json.loads(
        subprocess.check_output([sys.executable, here, "child", "startup"])
    )
    report("paragon-connect", "import", startup["import_ms"], "ms")
    report("paragon-connect", "first call", startup["first_call_ms"], "ms")
    memory = json.loads(
        subprocess.check_output([sys.executable, here, "child", "memory"])
    )
    report("paragon-connect", "RSS after 1,000 calls", memory["after_1k_mb"], "MB")
    report(
        "paragon-connect",
        "RSS growth 1,000 -> 100,000 calls",
        memory["growth_mb"],
        "MB",
    )
    report(
        "paragon-connect",
        "RSS growth 100,000 -> 200,000 calls",
        memory["later_growth_mb"],
        "MB",
    )


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def child(what: str) -> None:
    if what == "startup":
        started = time.perf_counter()
        from paragon_connect import Paragon

        imported = time.perf_counter()
        paragon = Paragon(project_id="p", user_token=TOKEN, proxy_base_url=URL)
        paragon.request("slack", "/chat.postMessage", method="POST", body=BODY)
        called = time.perf_counter()
        print(
            json.dumps(
                {
                    "import_ms": (imported - started) * 1000,
                    "first_call_ms": (called - imported) * 1000,
                }
            )
        )
        return
    from paragon_connect import AsyncParagon

    async def main() -> dict[str, float]:
        paragon = AsyncParagon(project_id="p", user_token=TOKEN, proxy_base_url=URL)

        async def calls(count: int) -> None:
            async def worker() -> None:
                for _ in range(count // 32):
                    await paragon.request(
                        "slack", "/chat.postMessage", method="POST", body=BODY
                    )

            await asyncio.gather(*(worker() for _ in range(32)))

        await calls(1024)
        after_1k = rss_mb()
        await calls(99_008)
        after_100k = rss_mb()
        await calls(100_000)
        return {
            "after_1k_mb": after_1k,
            "growth_mb": after_100k - after_1k,
            "later_growth_mb": rss_mb() - after_100k,
        }

    print(json.dumps(asyncio.run(main())))


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2])
        sys.exit()
    only = os.environ.get("BENCH_ONLY", "crossing,sync,asyncio,uvloop,process").split(
        ","
    )
    if "crossing" in only:
        crossing_cases()
    if "sync" in only:
        sync_cases()
    if "asyncio" in only:
        asyncio.run(async_cases("asyncio"))
    if "uvloop" in only:
        import uvloop

        uvloop.run(async_cases("uvloop"))
    if "process" in only:
        process_cases()
