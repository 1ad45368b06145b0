"""The largest resident sets of a run: its own process's, and its largest child process's.

A build or a sync writes them into build.json (`peak_memory_mb`) as it ends, so that every run says
which of its processes held the most: the process that ran it (the bulk load, the steps after it),
or the largest child process (the mapping worker, kg.pipeline; the ledger's process,
kg.sync.ledger). The peaks are over each process's whole life: /proc's VmHWM for this process and
the children still running, getrusage(2) for the children already waited for (and for this process
where there is no /proc). A build run inside a longer-lived process (a test, a notebook) reports
that process's peak, not the build's alone.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

try:
    import resource
except ImportError:  # pragma: no cover (no getrusage on Windows)
    resource = None  # type: ignore[assignment]


def peak_memory_mb() -> dict[str, int]:
    """{"process": MB, "largest_child": MB} (MB of 2**20 bytes), or {} where getrusage is missing."""
    if resource is None:  # pragma: no cover
        return {}
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    # VmHWM where there is one: getrusage's peak survives execve, so a process started from a large
    # one (a benchmark holding its tables, a notebook) would report its parent's size at the fork
    own = high_water(os.getpid()) or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
    # the children still running (active_children first reaps those that ended, which getrusage then counts)
    running = max((high_water(child.pid) for child in multiprocessing.active_children()), default=0)
    children = max(running, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * unit)
    return {"process": round(own / 2**20), "largest_child": round(children / 2**20)}


def high_water(pid: int | None) -> int:
    """VmHWM of a running process, in bytes (0 when unknown): its own peak, which unlike getrusage's
    does not start from the size of the process it was forked from."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0
