"""Benchmark: what the probable persons add to a name-cluster lookup (kg.cluster.cluster).

On a built store, for a sample of clusters with two or more rows, times `cluster(..., details)`
as the API runs it, and apart the persons lookup it now includes (kg.identity.read.persons: one
indexed query), in the same run, alternating. Reports the medians and the share the persons take.

    .venv/bin/python bench/identity_latency.py --store STORE [--sample 200]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

from kg.backend.embedded import EmbeddedBackend
from kg.cluster import cluster
from kg.identity import read


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", type=Path, default=None)
    args = ap.parse_args()
    data = EmbeddedBackend.open(args.store)
    index = data.index()
    assert index is not None, "the store has no co-authorship index"
    multi = [c for c in range(len(index.clusters)) if index.c2a.degree(c) > 1]
    rng = random.Random(args.seed)
    keys = [index.clusters.iri(c).rsplit("/cluster/", 1)[1] for c in rng.sample(multi, min(args.sample, len(multi)))]
    from urllib.parse import unquote

    names = [unquote(k) for k in keys]
    for name in names[:10]:  # warm the caches
        cluster(data, name)
    whole, persons = [], []
    for name in names:
        t0 = time.perf_counter()
        c = cluster(data, name)
        t1 = time.perf_counter()
        read.persons(data, c.key, {r.iri: r.paper_count for r in c.rows})
        t2 = time.perf_counter()
        whole.append(t1 - t0)
        persons.append(t2 - t1)
    result = {
        "store": args.store.name, "clusters": len(names),
        "cluster_median_ms": round(statistics.median(whole) * 1000, 2),
        "persons_median_ms": round(statistics.median(persons) * 1000, 2),
        "persons_share_of_cluster": round(sum(persons) / sum(whole), 3),
    }
    print(json.dumps(result, indent=2))
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
