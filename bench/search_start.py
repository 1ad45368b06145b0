"""Benchmark: when the mapping worker begins writing the search documents (`kg build --search-start`),
`order` (the default: as the big clusters' order begins, after the identity step and the compaction)
against `load` (as soon as the load is over, beside the identity step and the compaction), in one run.

Each round builds ROWS (a `kg generate` directory) into a fresh store with each setting, in turns
(the order swapped every round), each in its own `python -m kg build` process, and reports per build
the wall-clock seconds, the identity step's seconds and its share of the build (issue 26's target:
at most 10 %), the big clusters' order, the writer's own wall and CPU seconds and how long the search
step waited for it; then the ratio order / load of the builds' walls. The spread of the rounds shows
the machine's noise.

    .venv/bin/python bench/search_start.py ROWS [--rounds 2] [-o bench/results/search_start.json]
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
from typing import Any

from build_ledger import summarise  # bench/ is this script's directory
from build_vs_oxigraph import steps

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ("order", "load")


def once(rows: Path, store: Path, start: str) -> dict[str, Any]:
    shutil.rmtree(store, ignore_errors=True)
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kg", "build", str(rows), "--store", str(store), "--search-start", start],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - began
    meta = json.loads(((store / "active").resolve() / "build.json").read_text())
    return {"wall_seconds": round(wall, 2), **steps(meta)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory(prefix="kg-bench-search-start-") as tmp:
        store = Path(tmp) / "store"
        for i in range(args.rounds):
            order = SETTINGS if i % 2 == 0 else SETTINGS[::-1]
            took = {start: once(args.rows, store, start) for start in order}
            rounds.append({**took, "first": order[0],
                           "ratio": round(took["order"]["build_seconds"] / took["load"]["build_seconds"], 3)})
            print(json.dumps(rounds[-1]), flush=True)
    summarise(args.rows, rounds, args.output)


if __name__ == "__main__":
    main()
