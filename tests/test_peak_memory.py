"""build.json's peak memory (kg.peak_memory): the run's own process and its largest child."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kg.peak_memory import peak_memory_mb

LINUX = Path("/proc/self/status").is_file()


@pytest.mark.skipif(not LINUX, reason="VmHWM is read from /proc (Linux)")
def test_a_process_started_from_a_large_one_reports_its_own_peak_not_its_parents() -> None:
    """getrusage's ru_maxrss survives execve: a `kg build` started by a benchmark that held 1.5 GB of
    tables reported 2.6 GB for a build that peaks at 1.7 GB. VmHWM is the new process's own."""
    held = bytearray(400 * 2**20)
    held[:: 4096] = b"\x01" * len(held[:: 4096])  # touched: resident in this process
    child = ("import json, resource; from kg.peak_memory import peak_memory_mb;"
             "print(json.dumps([peak_memory_mb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024]))")
    out = subprocess.run([sys.executable, "-c", child], check=True, capture_output=True, text=True).stdout
    peak, ru_maxrss = json.loads(out)
    assert ru_maxrss >= 400  # the parent's size at the fork, kept across exec
    assert peak["process"] < 300  # the child's own: an interpreter with kg imported
    del held


@pytest.mark.skipif(not LINUX, reason="a running child's VmHWM is read from /proc (Linux)")
def test_the_largest_child_counts_children_still_running_and_those_waited_for() -> None:
    import multiprocessing
    import resource

    # larger than any child this test process waited for before, so that only this one can pass
    size = max(200, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024 + 100)
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    stop = ctx.Event()
    proc = ctx.Process(target=_hold, args=(size, ready, stop), daemon=True)
    proc.start()
    try:
        assert ready.wait(60)
        running = peak_memory_mb()["largest_child"]
    finally:
        stop.set()
        proc.join(60)
    waited = peak_memory_mb()["largest_child"]
    assert running >= size and waited >= size


def _hold(mb: int, ready: object, stop: object) -> None:
    held = bytearray(mb * 2**20)
    held[:: 4096] = b"\x01" * len(held[:: 4096])
    ready.set()  # type: ignore[attr-defined]
    stop.wait(60)  # type: ignore[attr-defined]


@pytest.mark.skipif(not LINUX, reason="VmHWM is read from /proc (Linux)")
def test_the_benchmark_harness_reports_a_commands_own_peak_not_its_own() -> None:
    """bench/harness.py's run_timed (`oxigraph load`, `kg etl` in bench/run.py) read os.wait4's
    ru_maxrss, which starts from the harness's own size: a small command started from a large
    harness reported the harness's size."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    try:
        from harness import run_timed
    finally:
        sys.path.pop(0)
    held = bytearray(400 * 2**20)
    held[:: 4096] = b"\x01" * len(held[:: 4096])
    small = run_timed([sys.executable, "-c", "import time; time.sleep(0.3)"])
    big = run_timed([sys.executable, "-c", "import time; b = bytearray(600 * 2**20);"
                     " b[:: 4096] = b'x' * len(b[:: 4096]); time.sleep(0.3)"])
    del held
    assert small.maxrss_mb < 100  # an interpreter, not the 400 MB of this process
    assert big.maxrss_mb >= 600  # a command larger than the harness still counts in full
