"""Python clients in production conditions, against paragon-bench-server: HTTPS (HTTP/1.1 only,
and HTTP/2 offered by ALPN) trusting the run's private CA (BENCH_CA_FILE), every answer delayed
by BENCH_LATENCY_MS, at 32, 256 and 1,000 calls in flight; calls/s against the latency-bound
limit (concurrency / latency), CPU time per call, each call's time beyond the latency (p50, p99)
and the connections opened. Then a signing-key client calling for 100,000 users round-robin, and
the HTTPS cold start (import, client, one call) of a fresh process. Clients take turns round by
round; each prints one JSON line per case, as python_bench.py does, with the extra measures.
`python_production.py cold <client>` is one cold-start process."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import resource
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from python_bench import (
    BODY,
    HEADERS,
    PATH,
    ROUNDS,
    SIGNING_KEY,
    TOKEN,
    URL,
    report,
    rss_mb,
)

HTTPS = {
    "https-h1": os.environ["BENCH_HTTPS_H1_URL"],
    "https-h2": os.environ["BENCH_HTTPS_URL"],
}
CA_FILE = os.environ["BENCH_CA_FILE"]
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "50"))
LATENCY = LATENCY_MS / 1000
QUERY = f"?latency_ms={LATENCY_MS}"
USERS = int(os.environ.get("BENCH_USERS", "100000"))
# A round waits this many latencies' worth (calls = concurrency x LATENCIES); a slow client
# makes a fifth of them.
LATENCIES = 20
ROUND_TIMEOUT_S = 120


def cpu_seconds() -> float:
    """User plus system CPU time of this process, every thread included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def connections() -> int:
    """Connections the bench server has accepted over TLS so far."""
    with urllib.request.urlopen(URL + "/__bench/connections") as answer:
        counts = json.load(answer)
    return counts["https_h2"] + counts["https_http1"]


def tls_context() -> ssl.SSLContext:
    """What a user of these clients would do: the system's roots, and the private CA."""
    context = ssl.create_default_context()
    context.load_verify_locations(CA_FILE)
    return context


class Measured:
    """Rates, CPU per call and call times over a case's rounds."""

    def __init__(self) -> None:
        self.rates: list[float] = []
        self.cpu_us: list[float] = []
        self.beyond_ms: list[float] = []
        self.connections = 0
        self.failed = ""

    def add(self, calls: int, elapsed: float, cpu: float, times: list[float]) -> None:
        self.rates.append(calls / elapsed)
        self.cpu_us.append(cpu / calls * 1e6)
        self.beyond_ms.extend((t - LATENCY) * 1000 for t in times)

    def report(self, client: str, case: str, limit: float) -> None:
        if self.failed or not self.rates:
            line = {
                "language": "python",
                "client": client,
                "case": case,
                "unit": "req/s",
            }
            print(
                json.dumps(
                    {**line, "value": None, "limit": limit, "failed": self.failed}
                )
            )
            return
        beyond = sorted(self.beyond_ms)
        report(
            client,
            case,
            statistics.median(self.rates),
            extra={
                "limit": limit,
                "cpu_us": statistics.median(self.cpu_us),
                "p50_ms": beyond[len(beyond) // 2],
                "p99_ms": beyond[int((len(beyond) - 1) * 0.99)],
                "connections": self.connections,
            },
        )


async def async_round(
    call: Callable[[], Awaitable[Any]], calls: int, concurrency: int
) -> tuple[int, float, float, list[float]]:
    per_worker = max(1, calls // concurrency)
    times: list[float] = []

    async def worker() -> None:
        for _ in range(per_worker):
            started = time.perf_counter()
            await call()
            times.append(time.perf_counter() - started)

    cpu = cpu_seconds()
    started = time.perf_counter()
    await asyncio.wait_for(
        asyncio.gather(*(worker() for _ in range(concurrency))), ROUND_TIMEOUT_S
    )
    elapsed = time.perf_counter() - started
    return per_worker * concurrency, elapsed, cpu_seconds() - cpu, times


async def async_clients(
    stack: AsyncExitStack, protocol: str, base: str, concurrency: int
) -> dict[str, Callable[[], Awaitable[Any]]]:
    """Each client set up as its users would for this protocol, pooled for `concurrency`."""
    import aiohttp
    import httpx
    from paragon_connect import AsyncParagon
    from pyreqwest.client import ClientBuilder

    url = base + PATH + QUERY
    context = tls_context()
    paragon = AsyncParagon(
        project_id="p", user_token=TOKEN, proxy_base_url=base, ca_certs=CA_FILE
    )
    stack.push_async_callback(paragon.close)
    session = await stack.enter_async_context(
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency, ssl=context)
        )
    )
    client = await stack.enter_async_context(
        httpx.AsyncClient(
            http2=protocol == "https-h2",
            verify=context,
            limits=httpx.Limits(max_connections=concurrency),
            timeout=httpx.Timeout(ROUND_TIMEOUT_S),
        )
    )
    builder = ClientBuilder().add_root_certificate_pem(Path(CA_FILE).read_bytes())
    if protocol == "https-h2":
        builder = builder.http2(True)
    pyreqwest = await stack.enter_async_context(builder.build())

    async def call_paragon() -> Any:
        return await paragon.request(
            "slack", "/chat.postMessage" + QUERY, method="POST", body=BODY
        )

    async def call_aiohttp() -> Any:
        async with session.post(url, json=BODY, headers=HEADERS) as response:
            return (await response.json())["output"]

    async def call_httpx() -> Any:
        return (await client.post(url, json=BODY, headers=HEADERS)).json()["output"]

    async def call_pyreqwest() -> Any:
        request = pyreqwest.post(url).headers(HEADERS).body_json(BODY).build()
        return (await (await request.send()).json())["output"]

    return {
        "paragon-connect": call_paragon,
        "aiohttp": call_aiohttp,
        "httpx.AsyncClient": call_httpx,
        "pyreqwest": call_pyreqwest,
    }


SLOW = ("httpx.AsyncClient",)


async def async_https_case(protocol: str, concurrency: int) -> None:
    case = f"{protocol} {concurrency}"
    async with AsyncExitStack() as stack:
        calls = await async_clients(stack, protocol, HTTPS[protocol], concurrency)
        measured = {name: Measured() for name in calls}
        counts = {
            name: concurrency * (LATENCIES // 5 if name in SLOW else LATENCIES)
            for name in calls
        }
        for round_number in range(ROUNDS + 1):  # round 0 warms up
            for name, call in calls.items():
                if measured[name].failed:
                    continue
                gc.collect()
                opened = connections()
                try:
                    done = await async_round(
                        call,
                        counts[name] // (4 if round_number == 0 else 1),
                        concurrency,
                    )
                # A peer that cannot keep up (timeouts, refused pools) is reported, not fatal.
                except Exception as error:  # noqa: BLE001
                    measured[name].failed = f"{type(error).__name__}: {error}"[:200]
                    continue
                measured[name].connections += connections() - opened
                if round_number:
                    measured[name].add(*done)
        for name, result in measured.items():
            result.report(name, case, concurrency / LATENCY)


def sync_round(
    call: Callable[[], Any], per_thread: int, threads: int
) -> tuple[int, float, float, list[float]]:
    times: list[float] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(per_thread):
                started = time.perf_counter()
                call()
                times.append(time.perf_counter() - started)
        # The round fails, not just the thread.
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    cpu = cpu_seconds()
    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return per_thread * threads, elapsed, cpu_seconds() - cpu, times


def sync_https_case(threads: int = 8) -> None:
    """The sync clients over HTTPS/1.1 with latency, `threads` threads calling at once."""
    import requests
    from paragon_connect import Paragon

    base = HTTPS["https-h1"]
    paragon = Paragon(
        project_id="p", user_token=TOKEN, proxy_base_url=base, ca_certs=CA_FILE
    )
    session = requests.Session()
    calls: dict[str, Callable[[], Any]] = {
        "paragon-connect": lambda: paragon.request(
            "slack", "/chat.postMessage" + QUERY, method="POST", body=BODY
        ),
        # verify per call: REQUESTS_CA_BUNDLE, when set, would win over session.verify.
        "requests.Session": lambda: session.post(
            base + PATH + QUERY, json=BODY, headers=HEADERS, verify=CA_FILE
        ).json()["output"],
    }
    measured = {name: Measured() for name in calls}
    for round_number in range(ROUNDS + 1):  # round 0 warms up
        for name, call in calls.items():
            gc.collect()
            opened = connections()
            done = sync_round(call, LATENCIES, threads)
            measured[name].connections += connections() - opened
            if round_number:
                measured[name].add(*done)
    for name, result in measured.items():
        result.report(name, f"https-h1 sync {threads} threads", threads / LATENCY)


async def many_users() -> None:
    """A signing-key client calling for USERS users round-robin against the same calls for one
    user, over plain HTTP without latency (so the per-call cost shows), 32 in flight."""
    from paragon_connect import AsyncParagon

    paragon = AsyncParagon(project_id="p", signing_key=SIGNING_KEY, proxy_base_url=URL)
    before = rss_mb()
    ids = [f"user-{n}" for n in range(USERS)]

    def cycle(users: list[str]) -> Iterator[str]:
        while True:
            yield from users

    async def rate(users: Iterator[str], calls: int) -> tuple[float, float]:
        async def worker() -> None:
            for _ in range(calls // 32):
                await paragon.user(next(users)).request(
                    "slack", "/chat.postMessage", method="POST", body=BODY
                )

        cpu = cpu_seconds()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(32)))
        return calls / (time.perf_counter() - started), (
            cpu_seconds() - cpu
        ) / calls * 1e6

    # Every user's token signed once (what a server's first hour pays), then the cache serves.
    started = time.perf_counter()
    await rate(iter(ids), USERS)
    signing_s = time.perf_counter() - started
    after_signing = rss_mb()
    one, many = cycle(["user-0"]), cycle(ids)
    rates: dict[str, list[tuple[float, float]]] = {"1 user": [], f"{USERS:,} users": []}
    for _ in range(ROUNDS):
        for name, users in (("1 user", one), (f"{USERS:,} users", many)):
            gc.collect()
            rates[name].append(await rate(users, 10_000))
    for name, values in rates.items():
        report(
            "paragon-connect (signing key)",
            f"users: {name}",
            statistics.median(rate for rate, _ in values),
            extra={"cpu_us": statistics.median(cpu for _, cpu in values)},
        )
    report(
        "paragon-connect", f"first calls for {USERS:,} users (signing)", signing_s, "s"
    )
    report(
        "paragon-connect",
        f"RSS growth with {USERS:,} users' tokens",
        after_signing - before,
        "MB",
    )


COLD_CLIENTS = ("paragon-connect", "httpx", "requests", "aiohttp")


def cold(client: str) -> None:
    """One fresh process's import, client and first HTTPS call; prints the milliseconds."""
    base = HTTPS["https-h2"]
    started = time.perf_counter()
    if client == "paragon-connect":
        from paragon_connect import Paragon

        Paragon(
            project_id="p", user_token=TOKEN, proxy_base_url=base, ca_certs=CA_FILE
        ).request("slack", "/chat.postMessage", method="POST", body=BODY)
    elif client == "httpx":
        import httpx

        httpx.post(base + PATH, json=BODY, headers=HEADERS, verify=tls_context()).json()
    elif client == "requests":
        import requests

        requests.post(base + PATH, json=BODY, headers=HEADERS, verify=CA_FILE).json()
    elif client == "aiohttp":
        import aiohttp

        async def call() -> None:
            async with (
                aiohttp.ClientSession() as session,
                session.post(
                    base + PATH, json=BODY, headers=HEADERS, ssl=tls_context()
                ) as answer,
            ):
                await answer.json()

        asyncio.run(call())
    print(json.dumps((time.perf_counter() - started) * 1000))


def cold_starts(processes: int = 11) -> None:
    here = str(Path(__file__))
    times: dict[str, list[float]] = {client: [] for client in COLD_CLIENTS}
    for _ in range(processes):
        for client in COLD_CLIENTS:
            out = subprocess.check_output([sys.executable, here, "cold", client])
            times[client].append(json.loads(out))
    for client, values in times.items():
        report(client, "HTTPS cold start", statistics.median(values), "ms")


if __name__ == "__main__":
    if sys.argv[1:2] == ["cold"]:
        cold(sys.argv[2])
        sys.exit()
    only = os.environ.get("BENCH_ONLY", "https,sync,users,cold").split(",")
    if "https" in only:
        for protocol in HTTPS:
            for concurrency in (32, 256, 1000):
                asyncio.run(async_https_case(protocol, concurrency))
    if "sync" in only:
        sync_https_case()
    if "users" in only:
        asyncio.run(many_users())
    if "cold" in only:
        cold_starts()
