"""Run one `kg.build.build` and print its report with this process's and its children's peak RSS.

    python bench/_build_once.py ROWS STORE [--workers N] [--no-optimize]

Used by bench/suite_build.py so that the peak memory of the build process (the loader) and of its
largest child (the mapping worker, the ledger's process) are measured apart, as build.json gives them
(kg.peak_memory: VmHWM for this process, since getrusage's peak survives execve).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.build import build  # noqa: E402
from kg.peak_memory import peak_memory_mb  # noqa: E402
from kg.store import Generation  # noqa: E402

BUILD = sys.modules["kg.build"]  # the module (kg.build the attribute is the function)

PHASES: dict[str, float] = {}


def _timed(name: str, fn: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            PHASES[name] = PHASES.get(name, 0.0) + time.perf_counter() - started

    return wrapper


# the steps after the load, timed apart (same functions, looked up in kg.build at call time)
for _name in ("relink", "compute_stats", "build_index"):
    setattr(BUILD, _name, _timed(_name, getattr(BUILD, _name)))
# the compaction after the load (the statistics run beside it, on the other core)
Generation.compact = _timed("compaction", Generation.compact)  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=Path)
    parser.add_argument("store", type=Path)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--no-optimize", dest="optimize", action="store_false")
    args = parser.parse_args()
    started = time.perf_counter()
    report = build([args.rows], args.store, strict=True, workers=args.workers, optimize=args.optimize)
    seconds = time.perf_counter() - started
    peak = peak_memory_mb()
    out = {
        "seconds": seconds,
        "rows_read": report.rows_read,
        "rows_loaded": report.rows_loaded,
        "rows_rejected": report.rows_rejected,
        "triples": report.triples,
        "maxrss_mb": peak.get("process"),
        "worker_maxrss_mb": peak.get("largest_child"),
        "after_load_seconds": {k: round(v, 3) for k, v in PHASES.items()},
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
