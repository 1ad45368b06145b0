"""The two path features: the shortest co-authorship chains between two authors, and an author's co-authors."""

from __future__ import annotations

import time
from typing import Literal

from kg.backend import Backend
from kg.errors import QueryError
from kg.paths.joint import joint_papers
from kg.paths.model import LIMIT, MAX_HOPS, TIMEOUT, By, Chain, Coauthor, CoauthorsResult, Link, PathResult
from kg.paths.reference import bipartite_graph, sparql_graph
from kg.paths.resolve import node, resolve
from kg.paths.search import shortest
from kg.paths.steps import index_graph, pattern_graph
from kg.queries import named

Step = Literal["auto", "index", "bipartite", "store", "sparql"]
STEPS: tuple[Step, ...] = ("auto", "index", "bipartite", "store", "sparql")
_ON_INDEX: tuple[Step, ...] = ("auto", "index", "bipartite")


def shortest_paths(data: Backend, a: str, b: str, *, by: By = "author", max_hops: int = MAX_HOPS,
                   all: bool = False, limit: int = LIMIT, timeout: float | None = TIMEOUT,
                   backend: Step = "auto") -> PathResult:
    """The distance between `a` and `b` (IRI, author id or name) and one or (`all`) every shortest path.

    `backend` picks the neighbour step: "auto" is the adjacency index when `data` has one, else
    triple patterns; the others force one (kg.paths.reference: those kept for benchmarks and checks).
    Raises UnknownAuthor or AmbiguousAuthor when an end does not name exactly one node.
    """
    if max_hops < 0:
        raise QueryError(f"max_hops: must be at least 0, not {max_hops}")
    if limit < 1:
        raise QueryError(f"limit: must be at least 1, not {limit}")
    if backend not in STEPS:
        raise QueryError(f"backend: must be one of {', '.join(STEPS)}, not {backend!r}")
    started = time.perf_counter()
    start = resolve(data, a, by=by, param="A")
    end = resolve(data, b, by=by, param="B")
    index = data.index() if backend in _ON_INDEX else None
    if backend in ("index", "bipartite") and index is None:
        raise QueryError(f"backend: this store has no adjacency index for {backend!r} (rebuild it with `kg build`)")
    if index is not None:
        graph = bipartite_graph(index, by) if backend == "bipartite" else index_graph(index, by)
        found = shortest(graph, start.iri, end.iri, max_hops=max_hops, timeout=timeout, all=all, limit=limit)
    else:
        steps = sparql_graph(data, by) if backend == "sparql" else pattern_graph(data, by)
        found = shortest(steps, start.iri, end.iri, max_hops=max_hops, timeout=timeout, all=all, limit=limit)
    links: dict[tuple[str, str], Link] = {}
    paths = []
    for iris in found.paths:
        nodes = [start] + [node(data, i, by) for i in iris[1:-1]] + ([end] if len(iris) > 1 else [])
        path_links = []
        for x, y in zip(iris, iris[1:], strict=False):
            if (x, y) not in links:
                links[(x, y)] = Link(joint_papers(data, x, y, by=by, index=index))
            path_links.append(links[(x, y)])
        paths.append(Chain(nodes, path_links))
    return PathResult(start, end, by, max_hops, found.status, found.distance, paths, found.capped,
                      time.perf_counter() - started)


def coauthors(data: Backend, who: str) -> CoauthorsResult:
    """The co-author rows of one author row (IRI, id or name), with their joint-paper counts, most first."""
    row = resolve(data, who, param="AUTHOR")
    found = [Coauthor(str(r["coauthor"]), str(r.get("name", r["coauthor"])), _count(r["papers"]))
             for r in data.select(named("coauthors"), {"row": row.iri})]
    return CoauthorsResult(row, found)


def _count(value: object) -> int:
    return value if isinstance(value, int) else int(str(value))
