"""The benchmark harness behind bench/run.py: sizes, a shared context, pluggable benchmarks, results.

A benchmark is a function `(ctx: Context) -> dict` registered with `@benchmark("name")` in a module
listed in `SUITES` (bench/run.py imports them). It gets the generated rows and, when it asks for
one (`needs_store=True`), the store `kg build` made from them; it returns its figures as a JSON
object, and may put Markdown table rows under the key "markdown" (a list of lists, see `TABLES`).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.peak_memory import high_water

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
# Modules of bench/ holding benchmarks, in the order they run.
SUITES = ["suite_build", "suite_cluster", "suite_paths"]

Benchmark = Callable[["Context"], dict[str, Any]]


@dataclass
class Entry:
    name: str
    run: Benchmark
    needs_store: bool
    title: str
    columns: list[str]


REGISTRY: dict[str, Entry] = {}


def benchmark(name: str, *, needs_store: bool = False, title: str = "", columns: list[str] | None = None) -> Any:
    """Register a benchmark; `columns` head its Markdown rows in bench/RESULTS.md."""

    def wrap(fn: Benchmark) -> Benchmark:
        REGISTRY[name] = Entry(name, fn, needs_store, title or name, columns or [])
        return fn

    return wrap


@dataclass
class Context:
    papers: int
    seed: int
    rows: Path
    store: Path
    work: Path
    workers: int | None
    keep: bool = False
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return _size_label(self.papers)


def _size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


@dataclass
class Timed:
    seconds: float
    maxrss_mb: float
    stdout: str
    stderr: str


def run_timed(args: list[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None) -> Timed:
    """Run a command; wall seconds and the peak RSS of that process. os.wait4's ru_maxrss survives
    execve: it is at least this process's own size at the fork, so it counts only where it is above
    that; else the process's VmHWM, read every 20 ms while it runs (a process shorter than that
    reads low)."""
    out_path, err_path = WORK / ".stdout", WORK / ".stderr"
    WORK.mkdir(parents=True, exist_ok=True)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        inherited = high_water(os.getpid())
        started = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=err, env=env)
        peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, high_water(proc.pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = out_path.read_text(errors="replace"), err_path.read_text(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    own = usage.ru_maxrss * 1024  # bytes (Linux: KiB)
    peak = max(peak, own if own > inherited * 1.05 or not inherited else 0)
    return Timed(seconds, peak / 2**20, stdout, stderr)


def du(path: Path) -> int:
    """Bytes on disk under `path` (allocated blocks)."""
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            with contextlib.suppress(FileNotFoundError):
                total += os.stat(os.path.join(dirpath, f)).st_blocks * 512
    return total


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    versions: dict[str, str] = {"python": platform.python_version()}
    try:
        import pyoxigraph

        versions["pyoxigraph"] = pyoxigraph.__version__
    except ImportError:
        pass
    oxigraph = shutil.which("oxigraph", path=str(BIN)) or shutil.which("oxigraph")
    if oxigraph:
        found = subprocess.run([oxigraph, "--version"], capture_output=True, text=True)
        versions["oxigraph_cli"] = found.stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": platform.node(),
        "os": f"{platform.system()} {platform.release()}",
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": mem,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "versions": versions,
        "kg_commit": commit.strip(),
    }


def save(ctx: Context, meta: dict[str, Any], command: str = "") -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{ctx.label}.json"
    data = {"papers": ctx.papers, "seed": ctx.seed, "machine": meta, "benchmarks": ctx.results, "command": command}
    for name in ctx.results:
        ctx.results[name].setdefault("command", command)
    if path.exists():  # a run of only some benchmarks keeps the others' last figures
        old = json.loads(path.read_text())
        if old.get("seed") == ctx.seed:
            merged = dict(old.get("benchmarks", {}))
            merged.update(ctx.results)
            data["benchmarks"] = merged
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path


BEGIN = "<!-- bench/run.py: begin (generated; edit bench/harness.py instead) -->"
END = "<!-- bench/run.py: end -->"


def markdown() -> str:
    """The generated section of bench/RESULTS.md, from every bench/results/*.json."""
    runs = []
    for path in sorted(RESULTS.glob("*.json")):
        try:
            run = json.loads(path.read_text())
        except ValueError:
            continue
        # bench/results/ also holds the other benchmarks' files: keep only this harness's runs
        if isinstance(run, dict) and "papers" in run and "benchmarks" in run:
            runs.append(run)
    runs.sort(key=lambda r: r["papers"])
    lines = [BEGIN, "## Scale: build, load, disk and queries on synthetic dblp-shaped graphs", ""]
    lines += [
        "Rows from `kg generate --papers N --seed S` (docs/generator.md). Every figure of one size comes from",
        "one run of the harness; times on a 2-core machine shared with other jobs are noisy, so compare the",
        "ratios measured in the same run (ours against `oxigraph load` on the same N-Quads).",
        "",
        "```sh",
        *sorted({b.get("command") or r.get("command") for r in runs for b in r["benchmarks"].values()} - {None}),
        "```",
        "",
    ]
    for r in runs:
        m = r["machine"]
        lines.append(
            f"- **{_size_label(r['papers'])}** (seed {r['seed']}): {m['date']}, {m['cpu']}, {m['cores']} cores, "
            f"{m['memory_mb']:,} MB, load average at start {m['load_average']}, "
            + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
            + f", kg {m['kg_commit']}"
        )
    lines.append("")
    for name in [*REGISTRY]:
        entry = REGISTRY[name]
        rows = [(r, r["benchmarks"][name]) for r in runs if name in r["benchmarks"]]
        if not rows or not entry.columns:
            continue
        lines += [f"### {entry.title}", "", "| papers | " + " | ".join(entry.columns) + " |"]
        lines.append("|---" * (len(entry.columns) + 1) + "|")
        for r, result in rows:
            for row in result.get("markdown", []):
                lines.append(f"| {_size_label(r['papers'])} | " + " | ".join(str(c) for c in row) + " |")
        notes = [result.get("note") for _, result in rows if result.get("note")]
        if notes:
            lines += ["", notes[-1]]
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def write_markdown(path: Path) -> None:
    section = markdown()
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + section + tail
    else:
        first_section = text.find("\n## ")
        if first_section < 0:
            text = text.rstrip() + "\n\n" + section + "\n"
        else:
            text = text[: first_section + 1] + section + "\n\n" + text[first_section + 1 :]
    path.write_text(text)
