"""The build's cluster-order step (kg.cluster_order) alone, rerun on a store's active generation.

    .venv/bin/python bench/cluster_order_step.py --store STORE

The step only reads the store; it writes paths-index/cluster-order/ anew (a folder written aside
and renamed into place) and its counts and seconds into the generation's build.json (a new file
renamed over the old one, so a copy made with hard links, `cp -al`, leaves the original as it was).
That makes a store built before a change of the step's format current without rebuilding it, and
measures the step by itself. Prints the step's counts and seconds as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from kg.adjacency import AdjacencyIndex
from kg.cluster_order import build_cluster_order


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True)
    args = ap.parse_args()
    generation = Path(os.path.realpath(args.store / "active"))
    index = AdjacencyIndex.open(generation)
    if index is None:
        sys.exit(f"{generation}: no co-authorship index (paths-index/) to write the cluster order beside")
    store = ox.Store.read_only(str(generation / "oxigraph"))
    load_before = os.getloadavg()
    started = time.perf_counter()
    try:
        counts = build_cluster_order(store, index)
    finally:
        index.close()
    seconds = round(time.perf_counter() - started, 3)
    meta_path = generation / "build.json"
    meta = json.loads(meta_path.read_text())
    meta["cluster_order"] = {**counts, "seconds": seconds}
    part = meta_path.with_name(".build.json.part")
    part.write_text(json.dumps(meta, indent=2) + "\n")
    part.replace(meta_path)
    out = {"store": str(args.store), "cluster_order": meta["cluster_order"],
           "load_average_before": [round(x, 2) for x in load_before],
           "load_average_after": [round(x, 2) for x in os.getloadavg()]}
    sys.stdout.write(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
