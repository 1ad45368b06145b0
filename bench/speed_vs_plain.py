"""What bench/persons_cost.py and bench/variant_cost.py share: a speed path and the plain path it
shortcuts run in turn on a built store's index and facts, in process, `--rounds` times each; their
CPU seconds (less disturbed than the wall clock by other processes on a shared machine; both are
given, with the load average), each path's median and spread, the ratio of the medians, and whether
every run gave the same output (a digest). The store is only read (its generation's index files).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kg.adjacency import AdjacencyIndex
from kg.identity.facts import Facts

# a path: (index, facts) -> the texts it gives, each digested and counted
Path_ = Callable[[AdjacencyIndex, Facts], Iterable[str]]


def _run(index: AdjacencyIndex, facts: Facts, path: Path_) -> dict[str, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    digest = hashlib.sha256()
    count = 0
    for text in path(index, facts):
        digest.update(text.encode("utf-8"))
        count += 1
    return {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
            "load": os.getloadavg()[0], "count": count, "digest": digest.hexdigest()[:16]}


def measure(description: str, speed: tuple[str, Path_], plain: tuple[str, Path_], counted: str,
            argv: list[str] | None = None) -> int:
    """The command line of such a benchmark: STORE [--rounds N] [-o FILE]; 0 when both paths gave
    the same output in every run, 1 when not, 2 when the store has no index with identity facts.
    `counted` names what a path's texts are (pairs, suggestions) in the summary."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("store", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args(argv)
    index = AdjacencyIndex.open((args.store / "active").resolve())
    facts = Facts.read(index.path) if index is not None else None
    if index is None or facts is None:
        print(f"{args.store}: no index with identity facts (built by kg build)", file=sys.stderr)
        return 2
    paths = dict([speed, plain])
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in paths}
    try:
        for _ in range(args.rounds):
            for name, path in paths.items():
                runs[name].append(_run(index, facts, path))
                print(name, runs[name][-1], flush=True)
    finally:
        index.close()
    digests = {r["digest"] for rs in runs.values() for r in rs}
    summary: dict[str, Any] = {"store": args.store.name, f"same {counted}": len(digests) == 1}
    for name, rs in runs.items():
        cpu = [r["cpu"] for r in rs]
        summary[name] = {"cpu median": round(statistics.median(cpu), 2), "cpu min": round(min(cpu), 2),
                         "cpu max": round(max(cpu), 2), counted: rs[0]["count"],
                         "load": [round(r["load"], 1) for r in rs]}
    summary["ratio"] = round(summary[speed[0]]["cpu median"] / max(summary[plain[0]]["cpu median"], 1e-9), 3)
    print(json.dumps(summary, indent=1))
    if args.output is not None:
        args.output.write_text(json.dumps({"summary": summary, "runs": runs}, indent=1) + "\n", encoding="utf-8")
    return 0 if len(digests) == 1 else 1
