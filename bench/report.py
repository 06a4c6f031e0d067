"""The benchmark's tables (rates, costs, goals with their ratios) as Markdown, and its chart.

Usage: report.py results.jsonl chart.png > report.md"""

from __future__ import annotations

import json
import math
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

with open(sys.argv[1]) as results:
    rows = [json.loads(line) for line in results if line.strip()]
values = {
    (r["language"], r["client"], r["case"]): math.nan
    if r["value"] is None
    else r["value"]
    for r in rows
}
units = {(r["language"], r["client"], r["case"]): r["unit"] for r in rows}
# The production cases' further measures (limit, cpu_us, p50_ms, p99_ms, connections, failed).
extras = {
    (r["language"], r["client"], r["case"]): r
    for r in rows
    if "cpu_us" in r or "failed" in r
}
OURS = "paragon-connect"
CEILING = ("rust", "paragon-connect (core)")


def get(language: str, client: str, case: str) -> float:
    return values.get((language, client, case), math.nan)


def ratio(language: str, case: str, peer: str, peer_case: str | None = None) -> float:
    peer_language = "rust" if peer == CEILING[1] else language
    return get(language, OURS, case) / get(peer_language, peer, peer_case or case)


def extra(language: str, client: str, case: str, measure: str) -> float:
    value = extras.get((language, client, case), {}).get(measure)
    return math.nan if value is None else value


def cpu_ratio(language: str, case: str, peer: str) -> float:
    peer_language = "rust" if peer == CEILING[1] else language
    return extra(language, OURS, case, "cpu_us") / extra(
        peer_language, peer, case, "cpu_us"
    )


def of_limit(language: str, case: str) -> float:
    return get(language, OURS, case) / extra(language, OURS, case, "limit")


def ahead_of_peers(language: str, case: str) -> float:
    """Ours against the fastest other client of the language in the case."""
    peers = [
        value
        for (lang, client, peer_case), value in values.items()
        if lang == language
        and peer_case == case
        and client != OURS
        and not math.isnan(value)
    ]
    return get(language, OURS, case) / max(peers, default=math.nan)


def fastest_peer_ms(language: str, case: str) -> float:
    """The fastest other client's time in a case measured in milliseconds."""
    peers = [
        value
        for (lang, client, peer_case), value in values.items()
        if lang == language and peer_case == case and client != OURS
    ]
    return get(language, OURS, case) / min(peers, default=math.nan)


rate_cases: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
for (language, client, case), value in values.items():
    if (
        units[(language, client, case)] == "req/s"
        and (language, client, case) not in extras
    ):
        rate_cases[(language, case)][client] = value
production: dict[tuple[str, str], list[str]] = defaultdict(list)
for language, client, case in extras:
    production[(language, case)].append(client)

print("| language | case | client | req/s | vs paragon-connect |")
print("|---|---|---|---:|---:|")
for (language, case), clients in sorted(rate_cases.items()):
    ours = clients.get(OURS, math.nan)
    for client, value in sorted(clients.items(), key=lambda item: -item[1]):
        relative = "" if client == OURS or math.isnan(ours) else f"{ours / value:.2f}x"
        print(f"| {language} | {case} | {client} | {value:,.0f} | {relative} |")

print(
    "\n| language | case | client | calls/s | of the latency-bound limit | CPU per call |"
    " beyond the latency p50 / p99 | connections opened |"
)
print("|---|---|---|---:|---:|---:|---:|---:|")
for (language, case), clients in sorted(production.items()):
    for client in sorted(clients, key=lambda name: -get(language, name, case)):
        row = extras[(language, client, case)]
        if row.get("failed"):
            print(
                f"| {language} | {case} | {client} | failed: {row['failed']} | | | | |"
            )
            continue
        rate = get(language, client, case)
        limit = f"{rate / row['limit']:.2f}" if "limit" in row else ""
        times = (
            f"{row['p50_ms']:.1f} / {row['p99_ms']:.1f} ms" if "p50_ms" in row else ""
        )
        print(
            f"| {language} | {case} | {client} | {rate:,.0f} | {limit} |"
            f" {row['cpu_us']:,.0f} µs | {times} | {row.get('connections', '')} |"
        )

print("\n| language | measure | client | value |")
print("|---|---|---|---:|")
for (language, client, case), value in sorted(
    values.items(), key=lambda item: (item[0][0], item[0][2], item[1])
):
    unit = units[(language, client, case)]
    if unit != "req/s":
        print(f"| {language} | {case} | {client} | {value:,.2f} {unit} |")

# Counted by callgrind (bench/call_cost.sh), so the same on a loaded machine as on an idle one.
core_cost = get(*CEILING, "instructions per call")
if not math.isnan(core_cost):
    print(
        "\nInstructions per call (callgrind, the same small POST): the core"
        f" {core_cost / get('rust', 'reqwest', 'instructions per call'):.2f}x a plain reqwest"
        f" client, {core_cost / get('rust', 'hyper-util', 'instructions per call'):.2f}x"
        " hyper-util's client."
    )

goals = [
    ("Python async 32 vs aiohttp", ratio("python", "async-32", "aiohttp"), 1.5),
    (
        "Python async 32 vs httpx.AsyncClient",
        ratio("python", "async-32", "httpx.AsyncClient"),
        10,
    ),
    ("Python async 32 vs pyreqwest", ratio("python", "async-32", "pyreqwest"), 1.0),
    (
        "Python async sequential vs aiohttp",
        ratio("python", "async-sequential", "aiohttp"),
        1.2,
    ),
    (
        "Python sync sequential vs requests",
        ratio("python", "sync-sequential", "requests.Session"),
        4,
    ),
    (
        "Python sync sequential vs httpx",
        ratio("python", "sync-sequential", "httpx.Client"),
        2.5,
    ),
    (
        "Python sync 8 threads vs requests",
        ratio("python", "sync-8-threads", "requests.Session"),
        3,
    ),
    (
        "Python request_many 10k at 64 vs gather + semaphore",
        ratio("python", "fan-out 10k at 64", "gather + semaphore (request())"),
        2,
    ),
    (
        "Node requestMany 10k at 64 vs Promise.all + limiter",
        ratio("node", "fan-out 10k at 64", "Promise.all + limiter (request())"),
        2,
    ),
    ("Node sequential vs undici", ratio("node", "sequential", "undici.request"), 1.3),
    ("Node 32 vs undici", ratio("node", "concurrent-32", "undici.request"), 1.3),
    ("Node sequential vs fetch", ratio("node", "sequential", "fetch"), 4),
    ("Node 32 vs fetch", ratio("node", "concurrent-32", "fetch"), 4),
    (
        "Node 32 vs the Rust ceiling",
        ratio("node", "concurrent-32", CEILING[1], "concurrent-32"),
        0.6,
    ),
    (
        "Python 32 vs the Rust ceiling",
        ratio("python", "async-32", CEILING[1], "concurrent-32"),
        0.4,
    ),
]
# Production conditions: rates as a fraction of the latency-bound limit or of the best peer
# (at least), CPU per call and cold start as a ratio to the peer's (at most).
for protocol in ("https-h1", "https-h2"):
    for language, name in (("python", "Python async"), ("node", "Node")):
        goals.append(
            (
                f"{name} {protocol} 256 of the latency-bound limit",
                of_limit(language, f"{protocol} 256"),
                0.9,
            )
        )
        goals.append(
            (
                f"{name} {protocol} 1,000 vs the fastest peer",
                ahead_of_peers(language, f"{protocol} 1000"),
                1.0,
            )
        )
at_most = []
for protocol in ("https-h1", "https-h2"):
    case = f"{protocol} 256"
    at_most += [
        (
            f"Python CPU per call {case} vs the Rust core",
            cpu_ratio("python", case, CEILING[1]),
            1.3,
        ),
        (
            f"Node CPU per call {case} vs the Rust core",
            cpu_ratio("node", case, CEILING[1]),
            1.3,
        ),
        (
            f"Python CPU per call {case} vs aiohttp",
            cpu_ratio("python", case, "aiohttp"),
            0.3,
        ),
        (
            f"Python CPU per call {case} vs httpx",
            cpu_ratio("python", case, "httpx.AsyncClient"),
            0.1,
        ),
        (
            f"Node CPU per call {case} vs undici",
            cpu_ratio("node", case, "undici.request"),
            0.5,
        ),
    ]
at_most += [
    (
        "Python sync 8 threads CPU per call https-h1 vs requests",
        cpu_ratio("python", "https-h1 sync 8 threads", "requests.Session"),
        0.3,
    ),
    (
        "Python HTTPS cold start vs the fastest peer",
        fastest_peer_ms("python", "HTTPS cold start"),
        1.0,
    ),
    (
        "Node HTTPS cold start vs the fastest peer",
        fastest_peer_ms("node", "HTTPS cold start"),
        1.0,
    ),
]
for language, name in (("python", "Python"), ("node", "Node")):
    users = [
        case
        for (lang, _, case) in values
        if lang == language and case.startswith("users: ")
    ]
    many = next((case for case in users if case != "users: 1 user"), "users: many")
    goals.append(
        (
            f"{name} {many[len('users: ') :]} vs 1 user (calls/s)",
            get(language, "paragon-connect (signing key)", many)
            / get(language, "paragon-connect (signing key)", "users: 1 user"),
            0.9,
        )
    )

print("\n| goal | ratio | needed | met |")
print("|---|---:|---:|---|")
for name, value, needed in goals:
    print(
        f"| {name} | {value:.2f} | >= {needed} | {'yes' if value >= needed else '**no**'} |"
    )
for name, value, needed in at_most:
    print(
        f"| {name} | {value:.2f} | <= {needed} | {'yes' if value <= needed else '**no**'} |"
    )
for language, case, limit, unit in (
    ("python", "no-op crossing", 20, "µs"),
    ("node", "no-op crossing", 15, "µs"),
    ("python", "RSS growth 1,000 -> 100,000 calls", 10, "MB"),
    ("node", "RSS growth 1,000 -> 100,000 calls", 10, "MB"),
):
    value = get(language, OURS, case)
    met = "yes" if value <= limit else "**no**"
    print(f"| {language} {case} | {value:.2f} {unit} | <= {limit} {unit} | {met} |")

# Issue 18's Node prototype (bench/js-loop.sh), in rounds of its own: the goals it bears on.
PROTOTYPES = (
    "prototype: I/O on the JavaScript thread",
    "prototype: the JavaScript thread for a call alone, else the I/O thread",
)
if any(case.startswith("js-loop ") for (_, _, case) in values):
    print("\nNode prototype (`bench/js-loop`): ratios in its own rounds")
    print(
        "\n| goal | paragon-connect | I/O on the JavaScript thread | that for a call alone | needed |"
    )
    print("|---|---:|---:|---:|---:|")
    for name, case, peer, needed in (
        ("Node sequential vs undici", "js-loop sequential", "undici.request", 1.3),
        ("Node sequential vs fetch", "js-loop sequential", "fetch", 4),
        ("Node 32 vs undici", "js-loop concurrent-32", "undici.request", 1.3),
        ("Node 1 MB JSON vs undici", "js-loop 1mb-json", "undici.request", 1.0),
    ):
        cells = [
            get("node", client, case) / get("node", peer, case)
            for client in (OURS, *PROTOTYPES)
        ]
        shown = " | ".join(f"{cell:.2f}" for cell in cells)
        print(f"| {name} | {shown} | >= {needed} |")

charted = dict(sorted(rate_cases.items()))
for (language, case), clients in sorted(production.items()):
    rates = {client: get(language, client, case) for client in clients}
    if all(not math.isnan(rate) for rate in rates.values()) and "users" not in case:
        charted[(language, case)] = rates
columns = 2
rows_needed = math.ceil(len(charted) / columns)
figure, grid = plt.subplots(rows_needed, columns, figsize=(16, 1.9 * rows_needed))
axes = list(grid.flat)
for axis in axes[len(charted) :]:
    axis.set_visible(False)
for axis, ((language, case), clients) in zip(axes, charted.items()):
    names = sorted(clients, key=clients.get)
    axis.barh(
        names,
        [clients[name] for name in names],
        color=[
            "#d9534f" if name.startswith("paragon") else "#8c8c8c" for name in names
        ],
    )
    axis.set_title(f"{language} {case}", fontsize=9)
    axis.tick_params(labelsize=8)
axes[-1].set_xlabel("requests per second (higher is better)")
figure.tight_layout()
figure.savefig(sys.argv[2], dpi=100)
print(f"\nChart: `{sys.argv[2]}`.", file=sys.stderr)
