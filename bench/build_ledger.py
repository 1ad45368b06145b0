"""Benchmark: what `kg build --ledger` (the default: the digests `kg sync` compares with, computed in
a child process while the build loads) adds to a build, against `--no-ledger`, in one run.

Each round builds ROWS (a `kg generate` directory) into a fresh store with and without the ledger,
in turns (the order swapped every round), and reports the wall-clock seconds of each and their
ratio; the spread of the rounds shows the machine's noise.

    .venv/bin/python bench/build_ledger.py ROWS [--rounds 3] [-o bench/results/build_ledger.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def once(rows: Path, store: Path, ledger: bool) -> float:
    shutil.rmtree(store, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kg", "build", str(rows), "--store", str(store),
                    "--ledger" if ledger else "--no-ledger"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return round(time.perf_counter() - started, 2)


def summarise(rows: Path, rounds: list[dict[str, Any]], output: Path | None) -> None:
    """Prints the rounds' median, least and greatest `ratio` (each round a dict with one), and writes
    them with every round to `output` as JSON."""
    ratios = [r["ratio"] for r in rounds]
    result = {"rows": rows.name, "rounds": rounds, "median_ratio": statistics.median(ratios),
              "min_ratio": min(ratios), "max_ratio": max(ratios)}
    print(json.dumps({k: v for k, v in result.items() if k != "rounds"}))
    if output:
        output.write_text(json.dumps(result, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory(prefix="kg-bench-build-ledger-") as tmp:
        store = Path(tmp) / "store"
        for i in range(args.rounds):
            order = (True, False) if i % 2 == 0 else (False, True)
            took = {on: once(args.rows, store, on) for on in order}
            rounds.append({"with": took[True], "without": took[False], "ratio": round(took[True] / took[False], 3)})
            print(json.dumps(rounds[-1]), flush=True)
    summarise(args.rows, rounds, args.output)


if __name__ == "__main__":
    main()
