"""Benchmark: the whole identity step (kg.identity.step.identity_step) on a built store's index and
facts, in process, `--rounds` times: CPU and wall seconds of the step, its parts as the step
counts them (build.json's `identity`), the load average, and a digest of the N-Quads it writes
(every round must write the same). The store is only read: the step reads the built store (the
rows' source graphs, for the cross-source links) opened read-only, and its lines are bulk-loaded
into a new store in a temporary directory instead of the built one.

    .venv/bin/python bench/identity_step_cost.py STORE [--rounds 3] [--profile FILE] [-o FILE]

`--profile FILE`: the first round under cProfile, its statistics written to FILE (read them with
`python -m pstats FILE`); the figures of a profiled round are not comparable to the others'.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import IO, Any, cast

import pyoxigraph as ox

from kg.identity.step import base_of, identity_step
from kg.iris import Minter
from kg.store import DATA


class _Beside:
    """The store the step is given: reads go to the built store (read-only), the step's lines to
    a store of their own, digested on the way."""

    def __init__(self, read: ox.Store, write: ox.Store) -> None:
        self._read, self._write = read, write
        self.digest = hashlib.sha256()

    def named_graphs(self) -> Any:
        return self._read.named_graphs()

    def quads_for_pattern(self, *args: Any) -> Any:
        return self._read.quads_for_pattern(*args)

    def bulk_load(self, *, input: IO[bytes], format: ox.RdfFormat, lenient: bool) -> None:
        self.digest.update(input.getbuffer())  # type: ignore[attr-defined]
        self._write.bulk_load(input=input, format=format, lenient=lenient)


def _round(built: ox.Store, generation: Path, minter: Minter, profile: Path | None) -> dict[str, Any]:
    with TemporaryDirectory() as tmp:
        store = _Beside(built, ox.Store(tmp))
        profiler = cProfile.Profile() if profile is not None else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        counts = identity_step(cast(ox.Store, store), generation, minter)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(profile))
        return {"cpu": round(time.process_time() - cpu, 2), "wall": round(time.perf_counter() - wall, 2),
                "load": round(os.getloadavg()[0], 1), "digest": store.digest.hexdigest()[:16],
                "profiled": profiler is not None, "counts": counts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args(argv)
    generation = (args.store / "active").resolve()
    built = ox.Store.read_only(str(generation / DATA))
    base = base_of(built)
    if base is None:
        print(f"{args.store}: not a store kg built (no source graphs)", file=sys.stderr)
        return 2
    runs = []
    for k in range(args.rounds):
        runs.append(_round(built, generation, Minter(base), args.profile if k == 0 else None))
        print(json.dumps(runs[-1]), flush=True)
    timed = [r for r in runs if not r["profiled"]]
    summary: dict[str, Any] = {"store": args.store.name, "same lines": len({r["digest"] for r in runs}) == 1,
                               "triples": runs[0]["counts"].get("triples")}
    if timed:
        for what in ("cpu", "wall"):
            got = [r[what] for r in timed]
            summary[what] = {"median": round(statistics.median(got), 2), "min": min(got), "max": max(got)}
        parts = [key for key, value in timed[0]["counts"].items() if key.endswith("seconds")]
        summary["parts (wall, median)"] = {
            key: round(statistics.median(r["counts"][key] for r in timed), 2) for key in parts}
        summary["load"] = [r["load"] for r in timed]
    print(json.dumps(summary, indent=1))
    if args.output is not None:
        args.output.write_text(json.dumps({"summary": summary, "runs": runs}, indent=1) + "\n", encoding="utf-8")
    return 0 if summary["same lines"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
