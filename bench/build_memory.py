"""Benchmark: where a `kg build` holds its memory, phase by phase (Linux only).

Runs one build of ROWS (a `kg generate` directory) in this process and reports, for each phase of
the build process (the load, with the mapping in a worker when the input is large; each step of
kg.build.AFTER_LOAD; the compaction with the statistics), its resident set before, its peak and its
resident set after, in MB: the peak is VmHWM, reset before each phase by writing 5 to
/proc/self/clear_refs. The child processes (the ledger's, kg.sync.ledger.LedgerProcess, started
first, and the mapping worker, kg.pipeline) are sampled every 0.2 s for their own VmHWM. The figures
move with what else the machine runs: say so beside them, with the load average printed here.

    .venv/bin/python bench/build_memory.py ROWS [--store DIR] [-o bench/results/build_memory.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.build import build  # noqa: E402

BUILD = sys.modules["kg.build"]  # the module (kg.build the attribute is the function)


def _status(key: str, pid: str = "self") -> int:
    """A VmXXX line of /proc/PID/status, in MB (0 when the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


class Phases:
    """Each wrapped function's resident set before, peak (VmHWM, reset at its start) and after."""

    def __init__(self) -> None:
        self.found: list[dict[str, Any]] = []

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def measured(*args: Any, **kwargs: Any) -> Any:
            before = _status("VmRSS")
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                seconds = round(time.perf_counter() - started, 1)
                self.found.append({"phase": name, "rss_before_mb": before, "peak_mb": _status("VmHWM"),
                                   "rss_after_mb": _status("VmRSS"), "seconds": seconds})

        return measured


def _children(peaks: dict[str, int], stop: threading.Event) -> None:
    """Samples the build's child processes' VmHWM (in the order they started)."""
    while not stop.is_set():
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/children") as f:
                    pids = f.read().split()
            except OSError:
                continue
            for pid in pids:
                peak = _status("VmHWM", pid)
                if peak:
                    peaks[pid] = max(peaks.get(pid, 0), peak)
        stop.wait(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=Path)
    parser.add_argument("--store", type=Path, help="Build here and keep it (default: a temporary directory).")
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    phases = Phases()
    BUILD.bulk_load_chunks = phases.wrap("load", BUILD.bulk_load_chunks)
    BUILD._finish_writing = phases.wrap("compaction+statistics", BUILD._finish_writing)
    BUILD.AFTER_LOAD = tuple(BUILD.Step(phases.wrap(s.run.__name__.lstrip("_"), s.run), s.writes, s.on_load)
                             for s in BUILD.AFTER_LOAD)
    peaks: dict[str, int] = {}
    stop = threading.Event()
    sampler = threading.Thread(target=_children, args=(peaks, stop), daemon=True)
    sampler.start()
    work = Path(tempfile.mkdtemp(prefix="kg-bench-memory-"))
    store = args.store or work / "store"
    try:
        started = time.perf_counter()
        build([args.rows], store)
        seconds = time.perf_counter() - started
    finally:
        stop.set()
        sampler.join()
        shutil.rmtree(work, ignore_errors=True)
    result = {"rows": args.rows.name, "seconds": round(seconds, 1), "load_average": os.getloadavg(),
              "phases": phases.found, "children_peak_mb": list(peaks.values()),
              "largest_process_mb": max([p["peak_mb"] for p in phases.found] + list(peaks.values()))}
    print(json.dumps(result, indent=2))
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
