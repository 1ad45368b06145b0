"""Benchmark: what the search index adds to a build, against the same build without it, in one run.

Each round builds ROWS (a `kg generate` directory) twice into fresh stores, without the search index
(the collector's writing of it and the build's search step taken out, in the build process and its
forked mapping worker) and with it, alternately, and reports the wall-clock seconds of each, their
ratio, and the search file's size against the Oxigraph directory's. The machine's noise shows in
the spread of the rounds.

    .venv/bin/python bench/search_build.py ROWS [--rounds 2] [--compare DIR] [--keep STORE] \
        [-o bench/results/search_build.json]

The order of the two builds alternates between rounds (without first in odd rounds, with first in
even ones), so that neither is always the one that finds the input in the page cache. --keep STORE
keeps the last store built with the index there (for bench/suggest_rate.py on the same graph).

--compare DIR adds a third build to each round: with the search index as the kg package in DIR (another
checkout, e.g. `git archive main | tar -x -C DIR`) writes it, so that a change is measured against
what it changes in the same run.
"""

from __future__ import annotations

import argparse
import json
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
import kg.adjacency, kg.build
from pathlib import Path
BUILD = sys.modules["kg.build"]  # the module (kg.build the attribute is the function)
if {without!r}:
    kg.adjacency.Collector._write_search = lambda self, path: None
    BUILD.AFTER_LOAD = tuple(s for s in BUILD.AFTER_LOAD if s.run is not BUILD._search)
BUILD.build([Path({rows!r})], Path({store!r}))
"""


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def once(rows: Path, store: Path, without: bool, root: Path = ROOT) -> float:
    shutil.rmtree(store, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", _RUN.format(root=str(root), without=without, rows=str(rows),
                                                      store=str(store))], check=True)
    return time.perf_counter() - started


def _search_meta(store: Path) -> dict[str, float]:
    meta = json.loads(((store / "active").resolve() / "build.json").read_text())
    return {"search_step_s": meta["search"]["seconds"], "collected_s": meta["search"]["collected_seconds"],
            "search_bytes": meta["search"]["bytes"]}


def _keep(store: Path, keep: Path) -> Path:
    """The store just built with the index, moved to `keep` (out of the next build's way)."""
    shutil.rmtree(keep, ignore_errors=True)
    shutil.move(str(store), str(keep))
    return keep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--compare", type=Path, help="Another checkout of kg: its build with the index too.")
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
            compared: dict[str, float] = {}
            if args.compare is not None:
                other = once(args.rows, store, False, args.compare.resolve())
                compared = {"compare_with_s": round(other, 2), "compare_ratio": round(other / without, 3),
                            **{f"compare_{k}": v for k, v in _search_meta(store).items()}}
            if not with_first:
                with_search = once(args.rows, store, False)
                kept = _keep(store, keep)
            generation = (kept / "active").resolve()
            rounds.append({"order": "with first" if with_first else "without first",
                           "without_s": round(without, 2), "with_s": round(with_search, 2),
                           "ratio": round(with_search / without, 3), **_search_meta(kept),
                           "oxigraph_bytes": _size(generation / "oxigraph"), **compared})
    for r in rounds:
        r["size_share"] = round(r["search_bytes"] / r["oxigraph_bytes"], 4)
    out = {"rows": args.rows.name, "rounds": rounds,
           "ratio_min_max": [min(r["ratio"] for r in rounds), max(r["ratio"] for r in rounds)]}
    if args.compare is not None:
        out["compare"] = str(args.compare)
        compare = [r["compare_ratio"] for r in rounds]
        out["compare_ratio_min_max"] = [min(compare), max(compare)]
    text = json.dumps(out, indent=2)
    print(text)
    if args.output is not None:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
