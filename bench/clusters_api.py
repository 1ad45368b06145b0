"""Name clusters at the API of `kg serve`: first pages of the biggest clusters, small clusters, cached answers.

    .venv/bin/python bench/clusters_api.py --store STORE --seconds 5

On one fresh `kg serve` (so no answer comes from its cache): the first page (50 papers) of each of
the --top most ambiguous clusters (most author rows first, counted by the co-authorship index when
there is one, else by the ambiguous-clusters query), each asked once, then --small clusters
of at most 50 papers (drawn from the store's name keys with --seed), each asked once: latency at
the API (ms, median and p95). Then one cluster answer asked again and again by --concurrency
keep-alive clients for --seconds (the hot-answer cache): requests/s, for a small cluster and for
the first page of the biggest. Beside it, in this process,
the library: kg.cluster.cluster (the whole cluster, as the API answered before paging) against
kg.cluster_page.cluster_page (page 1) on the same small clusters and the 5 biggest. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from endpoint import BIN, ROOT, Client, free_port, load, report, wait_up  # noqa: E402


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n".encode()


def summary(seconds: list[float]) -> dict[str, Any]:
    ms = sorted(s * 1000 for s in seconds)
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 2),
            "p95_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.95))], 2), "max_ms": round(ms[-1], 2)}


def pick(store: Path, top: int, small: int, seed: int) -> tuple[list[dict[str, Any]], list[str]]:
    """The `top` most ambiguous clusters, and `small` random name keys of clusters of at most 50 papers."""
    from kg.backend import open_store
    from kg.cluster import ambiguous
    from kg.queries import named

    with open_store(store) as backend:
        index = backend.index()
        if index is not None:  # the index counts each cluster's rows: no aggregate over the whole graph
            ranked = sorted(range(len(index.clusters)), key=lambda c: -index.c2a.degree(c))[: top * 3]
            found = [(index.c2a.degree(c), unquote(index.clusters.iri(c).rsplit("/", 1)[1])) for c in ranked]
            biggest = [{"key": key, "rows": rows} for rows, key in sorted(found, key=lambda x: (-x[0], x[1]))[:top]]
        else:
            biggest = [{"key": str(c["key"]), "rows": c["rows"]} for c in ambiguous(backend, top)]
        keys = sorted({str(r["k"]) for r in backend.select(
            "PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>\n"
            "SELECT ?k WHERE { ?r a kg:AuthorRow ; kg:nameKey ?k }")})
        rng = random.Random(seed)
        rng.shuffle(keys)
        few: list[str] = []
        for key in keys:
            found = backend.select(named("cluster-paper-count"), {"key": key})
            if found and int(str(found[0]["papers"])) <= 50:
                few.append(key)
            if len(few) == small:
                break
    return biggest, few


def library(store: Path, names: list[str]) -> dict[str, Any]:
    from kg.backend import open_store
    from kg.cluster import cluster
    from kg.cluster_page import cluster_page

    whole, paged = [], []
    with open_store(store) as backend:
        for name in names:
            t0 = time.perf_counter()
            cluster(backend, name)
            whole.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            cluster_page(backend, name)
            paged.append(time.perf_counter() - t0)
    return {"whole_cluster": summary(whole), "first_page": summary(paged)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--small", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--kg-args", default="")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    biggest, small = pick(args.store, args.top, args.small, args.seed)
    load_before = os.getloadavg()
    port = free_port()
    cmd = [str(BIN / "kg"), "serve", "--store", str(args.store), "--port", str(port), "--workers", str(args.workers),
           *args.kg_args.split()]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    out: dict[str, Any] = {}
    try:
        wait_up(port, "/sparql")
        client = Client(port)
        for label, names in (("small_clusters", small), ("first_pages_of_biggest", [b["key"] for b in biggest])):
            times = []
            for name in names:
                t0 = time.perf_counter()
                status = client.exchange(get(f"/api/clusters/{quote(name, safe='')}"))
                times.append(time.perf_counter() - t0)
                assert status == 200, (name, status)
            out[label] = summary(times)
        client.close()
        for label, key in (("cached_small_cluster", small[0]), ("cached_first_page_of_biggest", biggest[0]["key"])):
            hot = get(f"/api/clusters/{quote(key, safe='')}")
            load(port, [hot], 1.0, args.concurrency)
            out[label] = {"url": f"/api/clusters/{key}", "concurrency": args.concurrency,
                          **load(port, [hot], args.seconds, args.concurrency)}
    finally:
        proc.terminate()
        proc.wait(10)
    out["library_small"] = library(args.store, small)
    out["library_biggest_5"] = library(args.store, [b["key"] for b in biggest[:5]])
    meta = json.loads((Path(os.path.realpath(args.store / "active")) / "build.json").read_text())
    result = {"store": args.store.name, "papers": meta.get("counts", {}).get("papers"),
              "biggest": biggest[:5], "kg_serve_args": cmd[6:],
              "load_average_before": [round(x, 2) for x in load_before],
              "load_average_after": [round(x, 2) for x in os.getloadavg()], **out}
    report(result, args.out)


if __name__ == "__main__":
    main()
