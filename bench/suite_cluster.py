"""Name-cluster query latency (issue 5): kg.cluster.cluster(store, name) by cluster size."""

from __future__ import annotations

import csv
import random
import statistics
import time
from collections import Counter
from typing import Any

from harness import Context, benchmark

from kg.backend import open_store
from kg.cluster import cluster
from kg.names import name_key

# Bins of cluster size (papers); the target is for clusters of at most 50 papers.
BINS = [(1, 5), (6, 20), (21, 50), (51, 200), (201, 1000), (1001, 10**9)]
PER_BIN = 15
REPEAT = 5


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _candidates(ctx: Context) -> dict[str, int]:
    """Name key -> estimated papers (authorships of its rows), and one name per key, from the rows."""
    key_of: dict[str, str] = {}
    names: dict[str, str] = {}
    with open(ctx.rows / "authors.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = name_key(row["name"])
            key_of[row["id"]] = key
            names.setdefault(key, row["name"])
    counts: Counter[str] = Counter()
    with open(ctx.rows / "authorships.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            counts[key_of[row["author_id"]]] += 1
    return {names[k]: n for k, n in counts.items()}


@benchmark(
    "cluster",
    needs_store=True,
    title="Name-cluster query: `kg.cluster.cluster(store, name)` (issue 5; target median < 10 ms for ≤ 50 papers)",
    columns=["cluster size (papers)", "names", "median ms", "p95 ms", "first call median ms", "mean papers"],
)
def cluster_latency(ctx: Context) -> dict[str, Any]:
    rng = random.Random(ctx.seed)
    estimated = _candidates(ctx)
    store = open_store(ctx.store)
    by_bin: dict[tuple[int, int], list[str]] = {b: [] for b in BINS}
    for name, n in sorted(estimated.items()):
        for lo, hi in BINS:
            if lo <= n <= hi:
                by_bin[(lo, hi)].append(name)
    out: dict[str, Any] = {"bins": {}, "markdown": []}
    small: list[float] = []
    for (lo, hi), names in by_bin.items():
        if not names:
            continue
        chosen = rng.sample(names, min(PER_BIN, len(names)))
        medians, firsts, sizes = [], [], []
        for name in chosen:
            started = time.perf_counter()
            result = cluster(store, name)
            firsts.append(time.perf_counter() - started)
            runs = []
            for _ in range(REPEAT):
                started = time.perf_counter()
                cluster(store, name)
                runs.append(time.perf_counter() - started)
            medians.append(statistics.median(runs))
            sizes.append(len(result.papers))
            if len(result.papers) <= 50:
                small.extend(runs)
        label = f"{lo}–{hi}" if hi < 10**9 else f"> {lo - 1}"
        stats = {
            "names": len(chosen),
            "median_ms": round(1000 * statistics.median(medians), 2),
            "p95_ms": round(1000 * _p95(medians), 2),
            "first_call_median_ms": round(1000 * statistics.median(firsts), 2),
            "mean_papers": round(statistics.fmean(sizes), 1),
        }
        out["bins"][label] = stats
        out["markdown"].append([label, stats["names"], stats["median_ms"], stats["p95_ms"],
                                stats["first_call_median_ms"], stats["mean_papers"]])
    if small:
        out["le50_median_ms"] = round(1000 * statistics.median(small), 2)
        out["le50_p95_ms"] = round(1000 * _p95(small), 2)
        out["markdown"].append(["**all ≤ 50**", "", f"**{out['le50_median_ms']}**", out["le50_p95_ms"], "", ""])
    out["note"] = (
        f"{PER_BIN} names drawn per size bin (by the rows' authorship counts; the bin of a name is its estimate, "
        f"mean papers is what the query returned), one untimed-for-median first call then {REPEAT} timed calls "
        "each, on the store opened read-only; median and p95 over the names' medians. The default call: papers with "
        "full author lists, rows with top venues and co-authors."
    )
    return out
