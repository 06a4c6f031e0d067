"""The benchmark's table (requests per second and ratios to each goal's peers) and chart."""

from __future__ import annotations

import json
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
rps: dict[tuple[str, str, str], float] = {(r["language"], r["client"], r["case"]): r["rps"] for r in rows}


def get(language: str, client: str, case: str) -> float:
    return rps.get((language, client, case), float("nan"))


print(f"\n{'language':8} {'case':18} {'client':28} {'req/s':>10}")
for (language, client, case), value in sorted(rps.items()):
    unit = "µs" if case == "crossing-us" else ""
    print(f"{language:8} {case:18} {client:28} {value:10.1f}{unit}")

ours_py, ours_node = "paragon-connect", "paragon-connect"
goals = [
    ("Python async 32 vs aiohttp", get("python", ours_py, "async-32") / get("python", "aiohttp", "async-32"), 1.5),
    ("Python async 32 vs httpx.AsyncClient", get("python", ours_py, "async-32") / get("python", "httpx.AsyncClient", "async-32"), 10),
    ("Python async sequential vs aiohttp", get("python", ours_py, "async-sequential") / get("python", "aiohttp", "async-sequential"), 1.2),
    ("Python sync sequential vs requests", get("python", ours_py, "sync-sequential") / get("python", "requests.Session", "sync-sequential"), 4),
    ("Python sync sequential vs httpx", get("python", ours_py, "sync-sequential") / get("python", "httpx.Client", "sync-sequential"), 2.5),
    ("Python sync 8 threads vs requests", get("python", ours_py, "sync-8-threads") / get("python", "requests.Session", "sync-8-threads"), 3),
    ("Node sequential vs undici", get("node", ours_node, "sequential") / get("node", "undici.request", "sequential"), 1.3),
    ("Node 32 vs undici", get("node", ours_node, "concurrent-32") / get("node", "undici.request", "concurrent-32"), 1.3),
    ("Node sequential vs fetch", get("node", ours_node, "sequential") / get("node", "fetch", "sequential"), 4),
    ("Node 32 vs fetch", get("node", ours_node, "concurrent-32") / get("node", "fetch", "concurrent-32"), 4),
    ("Node 32 vs Rust ceiling", get("node", ours_node, "concurrent-32") / get("rust", "paragon-connect (core)", "concurrent-32"), 0.6),
    ("Python 32 vs Rust ceiling", get("python", ours_py, "async-32") / get("rust", "paragon-connect (core)", "concurrent-32"), 0.4),
]
print(f"\n{'goal':40} {'ratio':>7} {'needed':>7}  met")
for name, ratio, needed in goals:
    print(f"{name:40} {ratio:7.2f} {needed:7.2f}  {'yes' if ratio >= needed else 'NO'}")
for language, limit in (("python", 20), ("node", 15)):
    value = get(language, "paragon-connect", "crossing-us")
    print(f"{language} refused call crossing into Rust: {value:.1f} µs (goal <= {limit})")

cases = defaultdict(dict)
for (language, client, case), value in rps.items():
    if case != "crossing-us":
        cases[f"{language} {case}"][client] = value
figure, axes = plt.subplots(len(cases), 1, figsize=(9, 2.2 * len(cases)))
for axis, (case, clients) in zip(axes, sorted(cases.items())):
    names = sorted(clients, key=clients.get)
    axis.barh(names, [clients[name] for name in names],
              color=["#d9534f" if name.startswith("paragon") else "#8c8c8c" for name in names])
    axis.set_title(case, fontsize=9)
    axis.tick_params(labelsize=8)
axes[-1].set_xlabel("requests per second (higher is better)")
figure.tight_layout()
figure.savefig(sys.argv[2], dpi=110)
print(f"\nchart: {sys.argv[2]}")
