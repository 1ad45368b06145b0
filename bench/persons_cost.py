"""Benchmark: the cost of the persons inside the name clusters (kg.identity.compute.clusters) on a
built store's index and facts, in process: the speed path against the plain path it shortcuts
(`plain=True`, the reference), in the same run, each in turn `--rounds` times. The store is only
read (its generation's index files, never its Oxigraph store).

Both must give the same identity lines (a digest of every cluster's lines, as the build writes
them, is compared). Figures: CPU seconds of this process (less disturbed than the wall clock by
other processes on a shared machine; both are given, with the load average), each path's median
and spread, the ratio of the medians, and the pairs compared.

    .venv/bin/python bench/persons_cost.py STORE [--rounds 3] [-o bench/results/persons_cost.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from kg.adjacency import AdjacencyIndex
from kg.identity.compute import clusters
from kg.identity.facts import Facts
from kg.identity.step import cluster_lines

GRAPH = "<http://example.org/graph/identity>"


def _run(index: AdjacencyIndex, facts: Facts, plain: bool) -> dict[str, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    digest = hashlib.sha256()
    pairs = 0
    for ci in clusters(index, facts, plain=plain):
        pairs += len(ci.pairs)
        digest.update("".join(cluster_lines(ci, GRAPH)).encode("utf-8"))
    return {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
            "load": os.getloadavg()[0], "pairs": pairs, "digest": digest.hexdigest()[:16]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args(argv)
    index = AdjacencyIndex.open((args.store / "active").resolve())
    facts = Facts.read(index.path) if index is not None else None
    if index is None or facts is None:
        print(f"{args.store}: no index with identity facts (built by kg build)", file=sys.stderr)
        return 2
    runs: dict[str, list[dict[str, Any]]] = {"speed path": [], "plain": []}
    try:
        for _ in range(args.rounds):
            for name in runs:
                runs[name].append(_run(index, facts, plain=name == "plain"))
                print(name, runs[name][-1], flush=True)
    finally:
        index.close()
    digests = {r["digest"] for rs in runs.values() for r in rs}
    summary: dict[str, Any] = {"store": args.store.name, "same lines": len(digests) == 1}
    for name, rs in runs.items():
        cpu = [r["cpu"] for r in rs]
        summary[name] = {"cpu median": round(statistics.median(cpu), 2), "cpu min": round(min(cpu), 2),
                         "cpu max": round(max(cpu), 2), "pairs": rs[0]["pairs"],
                         "load": [round(r["load"], 1) for r in rs]}
    summary["ratio"] = round(summary["speed path"]["cpu median"] / max(summary["plain"]["cpu median"], 1e-9), 3)
    print(json.dumps(summary, indent=1))
    if args.output is not None:
        args.output.write_text(json.dumps({"summary": summary, "runs": runs}, indent=1) + "\n", encoding="utf-8")
    return 0 if summary["same lines"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
