"""Benchmark: a sync's shapes phase alone, on the store (kg.shapes_store) against pyshacl, on one touched set.

ROWS is a `kg generate` directory. The script builds a store from it (or reuses the one in --work),
writes the changed copy of bench/sync.py (1 % of the papers changed, 0.1 % deleted, 0.1 % of the
authors renamed), and syncs it into a hard-linked copy of the store in this process, with a validate
step that checks the touched resources with each engine in turn (the order alternating between
rounds), compares their reports and times them. The sync's own phases (apply among them) are printed
from its report.

    .venv/bin/python bench/sync_validate.py ROWS [--rounds 3] [--work DIR] [-o bench/results/sync_validate.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync import changed_copy  # noqa: E402

import kg  # noqa: E402
from kg.sync.embedded import sync  # noqa: E402
from kg.validate import validate_subjects  # noqa: E402

ENGINES = ("store", "pyshacl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--work", type=Path, help="Keep the built store and the changed copy here (reused).")
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kg-bench-validate-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        base, changed = work / "base", work / "changed"
        if not (base / "active").exists():
            kg.build([args.rows], base)
        if not changed.exists():
            changed_copy(args.rows, changed, args.share)
        synced = work / "synced"
        shutil.rmtree(synced, ignore_errors=True)
        shutil.copytree(base, synced, symlinks=True, copy_function=os.link)
        (synced / ".lock").unlink(missing_ok=True)  # a link would share the base's lock
        timings: dict[str, list[float]] = {e: [] for e in ENGINES}
        touched_count = 0
        violations = 0

        def both(store: ox.Store, touched: set[str]) -> None:
            nonlocal touched_count, violations
            touched_count = len(touched)
            reports: dict[str, Any] = {}
            for r in range(args.rounds):
                for engine in ENGINES if r % 2 == 0 else ENGINES[::-1]:
                    started = time.perf_counter()
                    report = validate_subjects(store, touched, engine=engine)
                    timings[engine].append(round(time.perf_counter() - started, 2))
                    reports[engine] = sorted((v.focus, v.path or "", v.value or "", v.message)
                                             for v in report.violations)
            assert reports["store"] == reports["pyshacl"], "the two engines' reports differ"
            violations = len(reports["store"])

        done = sync([changed], synced, max_change=1.0, validate=both)
        result = {
            "rows": args.rows.name, "touched": touched_count, "violations": violations,
            "seconds": timings, "median": {e: sorted(t)[len(t) // 2] for e, t in timings.items()},
            "ratio_pyshacl_over_store": round(sorted(timings["pyshacl"])[len(timings["pyshacl"]) // 2]
                                              / max(sorted(timings["store"])[len(timings["store"]) // 2], 1e-9), 1),
            "sync_phases": {k: round(v, 2) for k, v in done.seconds.items()},
        }
        print(json.dumps(result), flush=True)
        if args.output:
            args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
