"""Benchmark: what the identity evidence adds to a name-cluster lookup (kg.cluster.cluster).

On a built store, for a sample of clusters with two or more rows, times `cluster(..., details)`
as the API runs it, and apart the two identity lookups it includes, each asked and read as
`cluster` reads it: the probable persons (kg.identity.read.persons: one indexed query) and the
variant suggestions (kg.identity.suggested.suggestions: one indexed query), in the same run,
alternating. Reports the medians and the share they take (issue 26: the cluster answer's median
cost grows by at most 1 ms).

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
from kg.identity import read, suggested


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
    whole, persons, suggestions, both = [], [], [], []
    for name in names:
        t0 = time.perf_counter()
        c = cluster(data, name)
        t1 = time.perf_counter()
        read.persons(data, c.key, {r.iri: r.paper_count for r in c.rows})
        t2 = time.perf_counter()
        suggested.suggestions(data, c.key, {r.iri for r in c.rows})
        t3 = time.perf_counter()
        whole.append(t1 - t0)
        persons.append(t2 - t1)
        suggestions.append(t3 - t2)
        both.append(t3 - t1)
    result = {
        "store": args.store.name, "clusters": len(names),
        "cluster_median_ms": round(statistics.median(whole) * 1000, 2),
        "persons_median_ms": round(statistics.median(persons) * 1000, 2),
        "suggestions_median_ms": round(statistics.median(suggestions) * 1000, 2),
        "identity_median_ms": round(statistics.median(both) * 1000, 2),
        "identity_p95_ms": round(sorted(both)[int(0.95 * (len(both) - 1))] * 1000, 2),
        "persons_share_of_cluster": round(sum(persons) / sum(whole), 3),
        "identity_share_of_cluster": round(sum(both) / sum(whole), 3),
    }
    print(json.dumps(result, indent=2))
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
