"""Benchmark: the search documents written with the abstracts read back from the mapping's scratch
file (kg.search.spill, what a build does) against the same documents with every abstract in memory
(as before the file), in turns, in one process.

ROWS is a rows directory with abstracts (`kg generate --papers N --abstracts 245`). Its records are
mapped once through a kg.adjacency.Collector (its abstracts go to a scratch file beside the output);
then kg.search.collect.write_collected writes the index --rounds times from each, in turns. Printed:
each writing's wall and CPU seconds, and the ratio of the medians (file against memory). The machine
is shared: say so beside the figures, with the load average printed here. The mapping worker's peak
memory with and without the file is bench/build_memory.py's (its children's peaks).

    .venv/bin/python bench/search_spill.py ROWS [--rounds 2] [-o bench/results/search_spill.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.adjacency import Collector  # noqa: E402
from kg.iris import DEFAULT_BASE_IRI, Minter  # noqa: E402
from kg.search.collect import write_collected  # noqa: E402
from kg.search.spill import SpilledAbstracts  # noqa: E402
from kg.streaming import Report, quads  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kg-bench-spill-"))
    try:
        minter = Minter(DEFAULT_BASE_IRI)
        collector = Collector(minter, work)
        for _ in quads([args.rows], "auto", minter, Report(), lambda reject: None, collector=collector):
            pass
        mapped = collector.search_documents()
        spilled = mapped.abstracts
        if not isinstance(spilled, SpilledAbstracts) or not spilled.count:
            raise SystemExit(f"{args.rows}: no abstracts (kg generate --abstracts WORDS writes some)")
        in_memory = [spilled.get(paper) for paper in range(len(spilled))]
        packed = sum(len(a) for a in in_memory if a is not None)
        runs: dict[str, list[dict[str, float]]] = {"memory": [], "file": []}
        for turn in range(args.rounds):
            for name, abstracts in (("memory", in_memory), ("file", spilled)):
                mapped.abstracts = abstracts
                path = work / f"{name}-{turn}.sqlite"
                wall, cpu = time.perf_counter(), time.process_time()
                write_collected(mapped, path)
                runs[name].append({"wall_seconds": round(time.perf_counter() - wall, 2),
                                   "cpu_seconds": round(time.process_time() - cpu, 2)})
                path.unlink()
        spilled.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    result: dict[str, Any] = {
        "rows": args.rows.name, "abstracts": spilled.count, "packed_bytes_per_abstract": round(packed / spilled.count),
        "runs": runs, "load_average": os.getloadavg(),
        "file_against_memory": {key: round(median("file", key) / median("memory", key), 3)
                                for key in ("wall_seconds", "cpu_seconds")},
    }
    print(json.dumps(result, indent=2))
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
