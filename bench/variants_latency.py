"""Benchmark: what the variant suggestions add to a name-cluster answer (kg.cluster_page.cluster_page,
as /api/clusters/NAME runs it).

On a built store, for a random sample of clusters (any size: the median answer is a small cluster's),
times the page as the API builds it, which now includes the suggestions (one indexed query,
kg.identity.suggested), and apart that query alone, in the same run, alternating. Reports the medians
and the share the suggestions take, with the spread (the machine is shared: read the ratio).

    .venv/bin/python bench/variants_latency.py --store STORE [--sample 300] [-o OUT.json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path
from urllib.parse import unquote

from kg.backend.embedded import EmbeddedBackend
from kg.cluster_page import cluster_page
from kg.identity import suggested


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", type=Path, default=None)
    args = ap.parse_args()
    data = EmbeddedBackend.open(args.store)
    index = data.index()
    assert index is not None, "the store has no co-authorship index"
    rng = random.Random(args.seed)
    picked = rng.sample(range(len(index.clusters)), min(args.sample, len(index.clusters)))
    names = [unquote(index.clusters.iri(c).rsplit("/cluster/", 1)[1]) for c in picked]
    for name in names[:20]:  # warm the caches
        cluster_page(data, name)
    whole, alone, shown = [], [], 0
    for name in names:
        t0 = time.perf_counter()
        page = cluster_page(data, name)
        t1 = time.perf_counter()
        suggested.suggestions(data, page.key, set())
        t2 = time.perf_counter()
        whole.append(t1 - t0)
        alone.append(t2 - t1)
        shown += bool(page.suggestions)
    q = statistics.quantiles
    result = {
        "store": args.store.name, "clusters": len(names), "with_suggestions": shown,
        "page_median_ms": round(statistics.median(whole) * 1000, 3),
        "page_quartiles_ms": [round(x * 1000, 3) for x in q(whole, n=4)],
        "suggestions_median_ms": round(statistics.median(alone) * 1000, 3),
        "suggestions_quartiles_ms": [round(x * 1000, 3) for x in q(alone, n=4)],
        "suggestions_share_of_page": round(sum(alone) / sum(whole), 3),
    }
    print(json.dumps(result, indent=2))
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
