"""Benchmark: what the search index adds to a build, against the same build without it, in one run.

Each round builds ROWS (a `kg generate` directory) twice into fresh stores, without the search index
(the collector's writing of it and the build's search step taken out, in the build process and its
forked mapping worker) and with it, alternately, and reports the wall-clock seconds of each, their
ratio, and the search file's size against the Oxigraph directory's. The machine's noise shows in
the spread of the rounds.

    .venv/bin/python bench/search_build.py ROWS [--rounds 2] [--compare DIR] [--in-turn] [--keep STORE] \
        [-o bench/results/search_build.json]

The order of the two builds alternates between rounds (without first in odd rounds, with first in
even ones), so that neither is always the one that finds the input in the page cache. --keep STORE
keeps the last store built with the index there (for bench/suggest_rate.py on the same graph).

--compare DIR adds a third build to each round: with the search index as the kg package in DIR (another
checkout, e.g. `git archive main | tar -x -C DIR`) writes it, so that a change is measured against
what it changes in the same run.

--in-turn adds another: with the index written in turn (`kg build --no-search-overlap`: in the mapping
worker before the load ends, not while the build's steps after it run), so that the overlap is
measured on and off in the same run.

Each build's CPU seconds (user + system, its mapping worker's included) are reported beside its wall
seconds: the overlap moves the index's work onto the other core, it does not remove any.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_RUN = """
import sys
sys.path.insert(0, {root!r})
import kg.adjacency, kg.build, kg.pipeline
from pathlib import Path
BUILD = sys.modules["kg.build"]  # the module (kg.build the attribute is the function)
if {without!r}:
    # the documents' writing wherever this checkout does it (an older one: Collector._write_search)
    for owner, name in ((kg.adjacency.Collector, "_write_search"), (kg.adjacency.Collector, "write_search")):
        if hasattr(owner, name):
            setattr(owner, name, lambda self, path: None)
    if hasattr(kg.pipeline, "write_collected"):
        kg.pipeline.write_collected = lambda documents, path: None
    BUILD.AFTER_LOAD = tuple(s for s in BUILD.AFTER_LOAD if s.run is not BUILD._search)
BUILD.build([Path({rows!r})], Path({store!r}), **({options!r}))
"""


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def once(rows: Path, store: Path, without: bool, root: Path = ROOT, **options: object) -> tuple[float, float]:
    """A build in its own process: its wall seconds and CPU seconds (its worker's included)."""
    shutil.rmtree(store, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", _RUN.format(root=str(root), without=without, rows=str(rows),
                                                      store=str(store), options=options)], check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _search_meta(store: Path) -> dict[str, float]:
    search = json.loads(((store / "active").resolve() / "build.json").read_text())["search"]
    return {"search_step_s": search["seconds"], "collected_s": search["collected_seconds"],
            "collected_cpu_s": search.get("collected_cpu_seconds", 0.0), "overlap": search.get("overlap", False),
            "waited_s": search.get("waited_seconds", 0.0), "search_bytes": search["bytes"]}


def _keep(store: Path, keep: Path) -> Path:
    """The store just built with the index, moved to `keep` (out of the next build's way)."""
    shutil.rmtree(keep, ignore_errors=True)
    shutil.move(str(store), str(keep))
    return keep


def _extra(name: str, timed: tuple[float, float], without: tuple[float, float], store: Path) -> dict[str, object]:
    """A third build's wall and CPU seconds, their ratios to the build without the index, its search meta."""
    return {f"{name}_with_s": round(timed[0], 2), f"{name}_ratio": round(timed[0] / without[0], 3),
            f"{name}_cpu_s": round(timed[1], 2), f"{name}_cpu_ratio": round(timed[1] / without[1], 3),
            **{f"{name}_{k}": v for k, v in _search_meta(store).items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--compare", type=Path, help="Another checkout of kg: its build with the index too.")
    parser.add_argument("--in-turn", action="store_true",
                        help="Also a build with the index written in turn (--no-search-overlap).")
    parser.add_argument("--keep", type=Path, help="Keep the last store built with the index here (replaced).")
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    if args.compare is not None and not (args.compare / "kg" / "__init__.py").is_file():
        raise SystemExit(f"--compare {args.compare}: no kg package there")
    rounds = []
    with tempfile.TemporaryDirectory(prefix="kg-bench-search-build-") as tmp:
        store = Path(tmp) / "store"
        keep = args.keep if args.keep is not None else Path(tmp) / "kept"
        for n in range(args.rounds):
            with_first = n % 2 == 1
            if with_first:
                with_search = once(args.rows, store, False)
                kept = _keep(store, keep)
            without = once(args.rows, store, True)
            extra: dict[str, object] = {}
            if args.compare is not None:
                other = once(args.rows, store, False, args.compare.resolve())
                extra.update(_extra("compare", other, without, store))
            if args.in_turn:
                turn = once(args.rows, store, False, search_overlap=False)
                extra.update(_extra("in_turn", turn, without, store))
            if not with_first:
                with_search = once(args.rows, store, False)
                kept = _keep(store, keep)
            generation = (kept / "active").resolve()
            rounds.append({"order": "with first" if with_first else "without first",
                           "without_s": round(without[0], 2), "with_s": round(with_search[0], 2),
                           "ratio": round(with_search[0] / without[0], 3),
                           "without_cpu_s": round(without[1], 2), "with_cpu_s": round(with_search[1], 2),
                           "cpu_ratio": round(with_search[1] / without[1], 3),
                           "load_average": round(os.getloadavg()[0], 1),
                           **_search_meta(kept), "oxigraph_bytes": _size(generation / "oxigraph"), **extra})
    for r in rounds:
        r["size_share"] = round(r["search_bytes"] / r["oxigraph_bytes"], 4)
    out: dict[str, object] = {"rows": args.rows.name, "rounds": rounds,
                              "ratio_min_max": [min(r["ratio"] for r in rounds), max(r["ratio"] for r in rounds)]}
    for name, given in (("compare", args.compare is not None), ("in_turn", args.in_turn)):
        if given:
            ratios = [r[f"{name}_ratio"] for r in rounds]
            out[f"{name}_ratio_min_max"] = [min(ratios), max(ratios)]
    if args.compare is not None:
        out["compare"] = str(args.compare)
    text = json.dumps(out, indent=2)
    print(text)
    if args.output is not None:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
