"""Benchmark of `kg path` (issue 6): random connected pairs, each neighbour-step backend beside networkx.

    .venv/bin/python bench/paths.py ROWS_DIR --store STORE [--pairs 200] [--backends index,store] [--seed 0]

ROWS_DIR is a rows directory (e.g. from `kg generate --papers N --seed S -o DIR`); STORE is built from
it when it does not exist yet. networkx's bidirectional search over the same co-authorship graph held
in memory (read here from authorships.csv) is the lower bound; every backend is reported beside it as
a ratio. The timed call is the whole API request, `kg.paths.shortest_paths` (resolving both ends,
searching, and fetching the joint papers of the one path), on an opened store; the pairs are drawn
uniformly from the giant component. Prints a JSON report; `--markdown` adds a table row per backend.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from itertools import combinations, islice
from pathlib import Path
from typing import IO, Any

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kg  # noqa: E402
from kg import paths  # noqa: E402
from kg.adjacency import build_index  # noqa: E402
from kg.backend import open_store  # noqa: E402
from kg.iris import Minter  # noqa: E402
from kg.paths.steps import index_graph  # noqa: E402
from kg.store import StoreDir  # noqa: E402


def _open_table(rows: Path, table: str) -> IO[str]:
    for suffix, opener in ((".csv", open), (".csv.gz", gzip.open)):
        path = rows / f"{table}{suffix}"
        if path.exists():
            return opener(path, "rt", encoding="utf-8", newline="")  # type: ignore[operator, no-any-return]
    raise SystemExit(f"{rows}: no {table}.csv(.gz)")


def coauthor_graph(rows: Path) -> nx.Graph:
    """The co-authorship graph of a rows directory, author ids as nodes (authorships grouped by paper)."""
    by_paper: dict[str, list[str]] = {}
    with _open_table(rows, "authorships") as f:
        for r in csv.DictReader(f):
            by_paper.setdefault(r["paper_id"], []).append(r["author_id"])
    g = nx.Graph()
    for authors in by_paper.values():
        unique = list(dict.fromkeys(authors))
        g.add_nodes_from(unique)
        g.add_edges_from(combinations(unique, 2))
    return g


def pick_pairs(g: nx.Graph, n: int, seed: int) -> list[tuple[str, str]]:
    giant = sorted(max(nx.connected_components(g), key=len))
    rnd = random.Random(seed)
    pairs = []
    while len(pairs) < n:
        a, b = rnd.choice(giant), rnd.choice(giant)
        if a != b:
            pairs.append((a, b))
    return pairs


def _timed(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    out = call()
    return time.perf_counter() - started, out


def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"n": len(ordered), "median_ms": 1000 * statistics.median(ordered), "p95_ms": 1000 * p95,
            "max_ms": 1000 * ordered[-1], "mean_ms": 1000 * statistics.fmean(ordered)}


def run(rows: Path, store: Path, *, pairs: int = 200, seed: int = 0, backends: tuple[str, ...] = ("index", "store"),
        slow_pairs: int = 20, timeout: float = 30.0) -> dict[str, Any]:
    """Time every backend on the same random connected pairs; `slow_pairs` of them for non-index backends."""
    report: dict[str, Any] = {"rows": str(rows), "store": str(store), "seed": seed}
    if not StoreDir(store).exists():
        t, built = _timed(lambda: kg.build([rows], store))
        report["build_seconds"] = round(t, 1)
    db = StoreDir(store).open()
    with tempfile.TemporaryDirectory() as tmp:
        t, counts = _timed(lambda: build_index(db, Path(tmp)))
        size = sum(p.stat().st_size for p in (Path(tmp) / "paths-index").iterdir())
    report["index_build"] = {"seconds": round(t, 2), "bytes": size, "counts": counts}
    started = time.perf_counter()
    g = coauthor_graph(rows)
    report["networkx_graph"] = {"load_seconds": round(time.perf_counter() - started, 1),
                                "nodes": g.number_of_nodes(), "edges": g.number_of_edges()}
    chosen = pick_pairs(g, pairs, seed)
    minter = Minter(StoreDir(store).meta().get("base_iri", Minter().base))
    lengths, nx_times = [], []
    for a, b in chosen:
        started = time.perf_counter()
        found = nx.bidirectional_shortest_path(g, a, b)
        nx_times.append(time.perf_counter() - started)
        lengths.append(len(found) - 1)
    report["distances"] = {str(d): lengths.count(d) for d in sorted(set(lengths))}
    report["networkx"] = summary(nx_times)
    del g
    graph = open_store(store)
    for backend in backends:
        subset = chosen if backend in ("index", "bipartite") else chosen[:slow_pairs]
        times, wrong, stopped = [], 0, 0
        for (a, b), want in zip(subset, lengths, strict=False):
            started = time.perf_counter()
            r = paths.shortest_paths(graph, minter.author(a), minter.author(b), backend=backend,  # type: ignore[arg-type]
                                     max_hops=100, timeout=timeout)
            times.append(time.perf_counter() - started)
            stopped += r.status != "found"
            wrong += r.status == "found" and r.distance != want
        report[backend] = _versus(summary(times), nx_times[: len(subset)], wrong=wrong, stopped=stopped)
    index = graph.index()
    if index is not None:  # the search alone, on the co-author CSR, by frontier edges or nodes
        for rule in ("edges", "nodes"):
            g2 = index_graph(index, "author")
            times = []
            for a, b in chosen:
                x, y = g2.to_node(minter.author(a)), g2.to_node(minter.author(b))
                assert x is not None and y is not None
                started = time.perf_counter()
                paths.bidirectional(g2.neighbours, x, y, max_hops=100, weight=g2.weight if rule == "edges" else None)
                times.append(time.perf_counter() - started)
            report[f"search-only, smaller frontier by {rule}"] = _versus(summary(times), nx_times)
    graph.close()
    return report


def _versus(s: dict[str, float], reference: list[float], **extra: int) -> dict[str, float]:
    ref = summary(reference)
    return {**s, "ratio_median": s["median_ms"] / ref["median_ms"], "ratio_p95": s["p95_ms"] / ref["p95_ms"], **extra}


def cluster_latency(rows: Path, store: Path, pairs: int, seed: int, timeout: float = 30.0) -> dict[str, Any]:
    """`--by cluster` requests between uniformly random pairs of author rows (no networkx reference)."""
    with _open_table(rows, "authors") as f:
        ids = [r["id"] for r in csv.DictReader(f)]
    rnd = random.Random(seed)
    minter = Minter(StoreDir(store).meta().get("base_iri", Minter().base))
    graph = open_store(store)
    times: list[float] = []
    statuses: dict[str, int] = {}
    distances: dict[str, int] = {}
    for _ in range(pairs):
        a, b = rnd.choice(ids), rnd.choice(ids)
        started = time.perf_counter()
        r = paths.shortest_paths(graph, minter.author(a), minter.author(b), by="cluster", max_hops=100,
                                 timeout=timeout)
        times.append(time.perf_counter() - started)
        statuses[r.status] = statuses.get(r.status, 0) + 1
        if r.distance is not None:
            distances[str(r.distance)] = distances.get(str(r.distance), 0) + 1
    graph.close()
    return {**summary(times), "statuses": statuses, "distances": dict(sorted(distances.items()))}


def modes(rows: Path, store: Path, *, pairs: int = 100, seed: int = 0, k: int = 5, hops: int = 4,
          cluster_pairs: int = 20, timeout: float = 30.0, reference: bool = True) -> dict[str, Any]:
    """Issue 18's modes on random connected pairs, each beside the plain shortest chain of the same pair:
    `avoid` (the middle node of the plain chain), `strongest`, `alternatives` k, and `reach` from A with
    max hops `hops`; with `reference` networkx's shortest_simple_paths (k) and
    single_source_shortest_path_length (cutoff `hops`) on the graph in memory. Then `cluster_pairs`
    pairs by cluster."""
    report: dict[str, Any] = {"rows": str(rows), "store": str(store), "seed": seed, "k": k, "reach_hops": hops}
    g = coauthor_graph(rows)
    chosen = pick_pairs(g, pairs, seed)
    minter = Minter(StoreDir(store).meta().get("base_iri", Minter().base))
    if reference:
        nx_alt, nx_reach = [], []
        for a, b in chosen:
            t, _ = _timed(lambda a=a, b=b, g=g: list(islice(nx.shortest_simple_paths(g, a, b), k)))
            nx_alt.append(t)
            t, _ = _timed(lambda a=a, g=g: nx.single_source_shortest_path_length(g, a, cutoff=hops))
            nx_reach.append(t)
        report["networkx"] = {"alternatives": summary(nx_alt), "reach": summary(nx_reach)}
    del g
    data = open_store(store)
    times: dict[str, list[float]] = {"plain": [], "avoid": [], "strongest": [], "alternatives": [], "reach": []}
    stopped = {"avoid": 0, "alternatives": 0, "reach": 0}
    weaker = 0
    for a, b in chosen:
        x, y = minter.author(a), minter.author(b)
        t, plain = _timed(lambda x=x, y=y: paths.shortest_paths(data, x, y, max_hops=100, timeout=timeout))
        times["plain"].append(t)
        assert isinstance(plain, paths.PathResult) and plain.paths
        middle = plain.paths[0].nodes[len(plain.paths[0].nodes) // 2].iri
        t, avoided = _timed(lambda x=x, y=y, m=middle: paths.shortest_paths(data, x, y, max_hops=100, avoid=[m],
                                                                            timeout=timeout))
        times["avoid"].append(t)
        stopped["avoid"] += avoided.status not in ("found", "not-connected")  # type: ignore[attr-defined]
        t, strong = _timed(lambda x=x, y=y: paths.shortest_paths(data, x, y, max_hops=100, strongest=True,
                                                                 timeout=timeout))
        times["strongest"].append(t)
        assert isinstance(strong, paths.PathResult)
        weaker += _weakest(strong.paths[0]) < _weakest(plain.paths[0])
        t, alt = _timed(lambda x=x, y=y: paths.shortest_paths(data, x, y, max_hops=100, alternatives=k,
                                                              timeout=timeout))
        times["alternatives"].append(t)
        stopped["alternatives"] += alt.stopped is not None  # type: ignore[attr-defined]
        t, reached = _timed(lambda x=x: paths.reach(data, x, max_hops=hops, timeout=timeout))
        times["reach"].append(t)
        stopped["reach"] += reached.status in ("timeout", "too-large")  # type: ignore[attr-defined]
    plain_summary = summary(times["plain"])
    for name, seconds in times.items():
        s = summary(seconds)
        report[name] = {**s, "ratio_plain_median": s["median_ms"] / plain_summary["median_ms"],
                        **({"stopped": stopped[name]} if name in stopped else {})}
    report["strongest_weaker_than_plain"] = weaker  # must be 0: the strongest is never weaker
    clusters = [minter.author(a) for pair in chosen[:cluster_pairs] for a in pair]
    by_cluster: dict[str, list[float]] = {"plain": [], "strongest": [], "alternatives": [], "reach": []}
    for x, y in zip(clusters[::2], clusters[1::2], strict=True):
        for name, call in (("plain", {}), ("strongest", {"strongest": True}), ("alternatives", {"alternatives": k})):
            t, _ = _timed(lambda x=x, y=y, call=call: paths.shortest_paths(data, x, y, by="cluster", max_hops=100,
                                                                           timeout=timeout, **call))
            by_cluster[name].append(t)
        t, _ = _timed(lambda x=x: paths.reach(data, x, by="cluster", max_hops=hops, timeout=timeout))
        by_cluster["reach"].append(t)
    report["by_cluster"] = {name: summary(seconds) for name, seconds in by_cluster.items() if seconds}
    data.close()
    return report


def _weakest(chain: paths.Chain) -> int:
    return min((len(link.papers) for link in chain.links), default=0)


def modes_markdown(report: dict[str, Any]) -> Iterator[str]:
    k, hops = report["k"], report["reach_hops"]
    names = {"plain": "plain shortest chain (reference)", "avoid": "`--avoid` the plain chain's middle node",
             "strongest": "`--strongest`", "alternatives": f"`--alternatives {k}`",
             "reach": f"`kg reach --max-hops {hops}`"}
    reference = report.get("networkx", {})
    yield "| request | pairs | median ms | p95 ms | max ms | × plain (median) | networkx median ms | stopped |"
    yield "|---|---:|---:|---:|---:|---:|---:|---:|"
    for name, label in names.items():
        s = report[name]
        nxs = reference.get(name)
        nx_median = f"{nxs['median_ms']:.1f}" if nxs else ""
        yield (f"| {label} | {s['n']} | {s['median_ms']:.1f} | {s['p95_ms']:.1f} | {s['max_ms']:.1f} | "
               f"{s['ratio_plain_median']:.2f} | {nx_median} | {s.get('stopped', '')} |")
    for name, s in report["by_cluster"].items():
        yield (f"| by cluster: {names[name]} | {s['n']} | {s['median_ms']:.1f} | {s['p95_ms']:.1f} | "
               f"{s['max_ms']:.1f} | | | |")


def markdown(report: dict[str, Any]) -> Iterator[str]:
    nxs = report["networkx"]
    yield "| backend | pairs | median ms | p95 ms | max ms | × networkx (median / p95) |"
    yield "|---|---:|---:|---:|---:|---|"
    yield (f"| networkx in memory | {nxs['n']} | {nxs['median_ms']:.2f} | {nxs['p95_ms']:.2f} | "
           f"{nxs['max_ms']:.2f} | 1 |")
    for name, s in report.items():
        if isinstance(s, dict) and "ratio_median" in s:
            yield (f"| {name} | {s['n']} | {s['median_ms']:.1f} | {s['p95_ms']:.1f} | {s['max_ms']:.1f} | "
                   f"{s['ratio_median']:.1f} / {s['ratio_p95']:.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rows", type=Path)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--slow-pairs", type=int, default=20, help="Pairs for the store and sparql backends.")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--backends", default="index,store")
    ap.add_argument("--cluster-pairs", type=int, default=0, help="Also time this many --by cluster requests.")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--modes", action="store_true",
                    help="Time issue 18's modes (avoid, strongest, alternatives, reach) instead, on --pairs pairs.")
    args = ap.parse_args()
    if args.modes:
        report = modes(args.rows, args.store, pairs=args.pairs, seed=args.seed, cluster_pairs=args.cluster_pairs)
        print(json.dumps(report, indent=2))
        if args.markdown:
            print("\n".join(modes_markdown(report)))
        return
    report = run(args.rows, args.store, pairs=args.pairs, seed=args.seed, backends=tuple(args.backends.split(",")),
                 slow_pairs=args.slow_pairs)
    if args.cluster_pairs:
        report["by_cluster"] = cluster_latency(args.rows, args.store, args.cluster_pairs, args.seed)
    print(json.dumps(report, indent=2))
    if args.markdown:
        print("\n".join(markdown(report)))


if __name__ == "__main__":
    main()
