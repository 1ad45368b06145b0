"""Extrapolate the measured build figures to dblp's size (docs/scaling.md).

    .venv/bin/python bench/extrapolate.py [--from 100k --to 1M]

Reads bench/results/<from>.json and <to>.json, fits each figure as a power of the triple count
between the two sizes (the exponent is the measured growth: 1 = linear, 0 = flat), and projects it
to (a) dblp in our mapping: 7.8 million papers at the triples per paper we measured, and (b) the
500 million triples of dblp's own RDF. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
DBLP_PAPERS = 7_800_000
DBLP_OWN_TRIPLES = 500_000_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--from", dest="small", default="100k")
    parser.add_argument("--to", dest="large", default="1M")
    args = parser.parse_args()
    a = json.loads((RESULTS / f"{args.small}.json").read_text())
    b = json.loads((RESULTS / f"{args.large}.json").read_text())
    ba, bb = a["benchmarks"]["build"], b["benchmarks"]["build"]
    ta, tb = ba["kg_build"]["triples"], bb["kg_build"]["triples"]
    per_paper = tb / b["papers"]
    targets = {"dblp in our mapping": per_paper * DBLP_PAPERS, "dblp's own RDF size": DBLP_OWN_TRIPLES}
    def phase(build: dict[str, Any], name: str) -> float:
        return float(build["kg_build"]["after_load_seconds"].get(name, 0.0))

    figures = {
        "kg build, compacted (s)": (ba["kg_build"]["seconds"], bb["kg_build"]["seconds"]),
        "of which compaction (s)": (phase(ba, "compaction"), phase(bb, "compaction")),
        "kg build --no-optimize (s)": (ba["kg_build_no_optimize"]["seconds"], bb["kg_build_no_optimize"]["seconds"]),
        "oxigraph load (s)": (ba["oxigraph_load_seconds"], bb["oxigraph_load_seconds"]),
        "oxigraph optimize (s)": (ba["oxigraph_optimize_seconds"], bb["oxigraph_optimize_seconds"]),
        "kg etl (s)": (ba["etl_seconds"], bb["etl_seconds"]),
        "peak RSS, loader process (MB)": (ba["kg_build"]["maxrss_mb"], bb["kg_build"]["maxrss_mb"]),
        "peak RSS, mapping worker (MB)": (ba["kg_build"]["worker_maxrss_mb"], bb["kg_build"]["worker_maxrss_mb"]),
        "store on disk, compacted (GB)": (ba["store_bytes"] / 1e9, bb["store_bytes"] / 1e9),
        "oxigraph's store, compacted (GB)": (
            ba["oxigraph_store_bytes_optimized"] / 1e9, bb["oxigraph_store_bytes_optimized"] / 1e9
        ),
        "N-Quads (GB)": (ba["nquads_bytes"] / 1e9, bb["nquads_bytes"] / 1e9),
    }
    head = [f"measured {args.small} ({ta / 1e6:.1f} M triples)", f"measured {args.large} ({tb / 1e6:.1f} M triples)",
            "growth exponent"]
    head += [f"{name} ({t / 1e6:,.0f} M triples)" for name, t in targets.items()]
    print("| figure | " + " | ".join(head) + " |")
    print("|---" * (len(head) + 1) + "|")
    for name, (x, y) in figures.items():
        k = math.log(y / x) / math.log(tb / ta) if x > 0 and y > 0 else 0.0
        projected = [y * (t / tb) ** k for t in targets.values()]
        cells = [_fmt(x), _fmt(y), f"{k:.2f}", *(_fmt(p) for p in projected)]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    print(f"triples per paper at {args.large}: {per_paper:.1f}; dblp in our mapping: "
          f"{per_paper * DBLP_PAPERS / 1e6:,.0f} M triples")


def _fmt(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


if __name__ == "__main__":
    main()
