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
values = {(r["language"], r["client"], r["case"]): r["value"] for r in rows}
units = {(r["language"], r["client"], r["case"]): r["unit"] for r in rows}
OURS = "paragon-connect"
CEILING = ("rust", "paragon-connect (core)")


def get(language: str, client: str, case: str) -> float:
    return values.get((language, client, case), math.nan)


def ratio(language: str, case: str, peer: str, peer_case: str | None = None) -> float:
    peer_language = "rust" if peer == CEILING[1] else language
    return get(language, OURS, case) / get(peer_language, peer, peer_case or case)


rate_cases: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
for (language, client, case), value in values.items():
    if units[(language, client, case)] == "req/s":
        rate_cases[(language, case)][client] = value

print("| language | case | client | req/s | vs paragon-connect |")
print("|---|---|---|---:|---:|")
for (language, case), clients in sorted(rate_cases.items()):
    ours = clients.get(OURS, math.nan)
    for client, value in sorted(clients.items(), key=lambda item: -item[1]):
        relative = "" if client == OURS or math.isnan(ours) else f"{ours / value:.2f}x"
        print(f"| {language} | {case} | {client} | {value:,.0f} | {relative} |")

print("\n| language | measure | value |")
print("|---|---|---:|")
for (language, client, case), value in sorted(values.items()):
    unit = units[(language, client, case)]
    if unit != "req/s":
        print(f"| {language} | {case} | {value:,.2f} {unit} |")

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
print("\n| goal | ratio | needed | met |")
print("|---|---:|---:|---|")
for name, value, needed in goals:
    print(
        f"| {name} | {value:.2f} | {needed} | {'yes' if value >= needed else '**no**'} |"
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

figure, axes = plt.subplots(len(rate_cases), 1, figsize=(9, 1.9 * len(rate_cases)))
for axis, ((language, case), clients) in zip(axes, sorted(rate_cases.items())):
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
