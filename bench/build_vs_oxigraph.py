"""Benchmark: one `kg build` against `oxigraph load` + `oxigraph optimize` of the same triples, in one
run, with the build's steps from its build.json (issue 28: the build at most 1.1x the reference; issue
26: the identity step at most 10 % of the build; issue 27: the search index's part).

ROWS is a `kg generate` directory. The reference loads the N-Quads `kg etl ROWS` writes (`--nquads
FILE` gives them already written: `kg etl` is not part of either side). Each side runs in its own
process, the build first; wall-clock seconds from this process, CPU seconds of the children from
getrusage, and the build's largest process (getrusage's largest child: the build runs first).

    .venv/bin/python -m kg etl ROWS -o NQ      # once, not timed
    .venv/bin/python bench/build_vs_oxigraph.py ROWS --nquads NQ [-o bench/results/build_vs_oxigraph-1M.json]

`bench/run.py --only build` gives the same ratio with a second build (`--no-optimize`) in the run;
this one is the build alone, for the 1M graph, where each build takes minutes.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OXIGRAPH = Path(sys.executable).parent / "oxigraph"


def timed(command: list[str]) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss of the children is the largest of every child so far: the build's, as it runs first
    return {"seconds": round(wall, 2), "cpu_seconds": round(cpu, 1),
            "largest_child_so_far_mb": round(after.ru_maxrss / 1024)}


def steps(meta: dict[str, Any]) -> dict[str, Any]:
    """The build's own timings of its steps after the load, and the identity step's share."""
    identity, search, order = meta.get("identity", {}), meta.get("search", {}), meta.get("cluster_order", {})
    return {
        "build_seconds": meta["seconds"],
        "identity_seconds": identity.get("seconds"),
        "identity_parts": {k: v for k, v in identity.items() if k.endswith("seconds") and k != "seconds"},
        "identity_share": round(identity.get("seconds", 0.0) / meta["seconds"], 4),
        "cluster_order_seconds": order.get("seconds"),
        "search_step_seconds": search.get("seconds"),
        "search_written_seconds": search.get("collected_seconds"),
        "search_written_cpu_seconds": search.get("collected_cpu_seconds"),
        "search_waited_seconds": search.get("waited_seconds"),
        "search_start": search.get("start"),
        "peak_memory_mb": meta.get("peak_memory_mb"),  # the build's own figures (kg.peak_memory)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=Path)
    parser.add_argument("--nquads", type=Path, help="The N-Quads of `kg etl ROWS`, written before (else written here).")
    parser.add_argument("--work", type=Path, help="Where the stores go (default: a temporary directory).")
    parser.add_argument("--kg-args", default="", help="More `kg build` arguments, e.g. '--search-start load'.")
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kg-bench-build-vs-oxigraph-", dir=args.work) as tmp:
        work = Path(tmp)
        nquads = args.nquads
        if nquads is None:
            nquads = work / "etl.nq"
            subprocess.run([sys.executable, "-m", "kg", "etl", str(args.rows), "-o", str(nquads)], check=True,
                           cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        store = work / "kg"
        build = timed([sys.executable, "-m", "kg", "build", str(args.rows), "--store", str(store),
                       *args.kg_args.split()])
        meta = json.loads(((store / "active").resolve() / "build.json").read_text())
        shutil.rmtree(store, ignore_errors=True)
        reference = work / "oxigraph"
        load = timed([str(OXIGRAPH), "load", "--location", str(reference), "--file", str(nquads)])
        optimize = timed([str(OXIGRAPH), "optimize", "--location", str(reference)])
    result = {
        "rows": args.rows.name,
        "kg_build": {**build, **steps(meta)},
        "oxigraph_load": load,
        "oxigraph_optimize": optimize,
        "ratio_build_to_load_optimize": round(build["seconds"] / (load["seconds"] + optimize["seconds"]), 3),
        "kg_args": args.kg_args,
    }
    print(json.dumps(result, indent=2))
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
