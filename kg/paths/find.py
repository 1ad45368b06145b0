"""The two path features: the shortest co-authorship chains between two authors, and an author's co-authors."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, Literal

import kg.paths.modes as modes
from kg.adjacency import AdjacencyIndex
from kg.backend import Backend
from kg.backend.sparql import EndpointError
from kg.errors import QueryError
from kg.paths.joint import chain_details, joint_papers
from kg.paths.model import (
    LIMIT,
    MAX_HOPS,
    REACH_HOPS,
    TIMEOUT,
    By,
    Chain,
    Coauthor,
    CoauthorsResult,
    Link,
    Node,
    PathResult,
    ReachResult,
)
from kg.paths.reference import bipartite_graph, sparql_graph
from kg.paths.resolve import node, resolve, unicode_text
from kg.paths.search import Found, Graph, N, shortest
from kg.paths.steps import index_graph, pattern_graph
from kg.queries import named

Step = Literal["auto", "index", "bipartite", "store", "sparql"]
STEPS: tuple[Step, ...] = ("auto", "index", "bipartite", "store", "sparql")
_ON_INDEX: tuple[Step, ...] = ("auto", "index", "bipartite")


def shortest_paths(data: Backend, a: str, b: str, *, by: By = "author", max_hops: int = MAX_HOPS,
                   all: bool = False, limit: int = LIMIT, timeout: float | None = TIMEOUT,
                   backend: Step = "auto", avoid: Sequence[str] = (), strongest: bool = False,
                   alternatives: int | None = None) -> PathResult:
    """The distance between `a` and `b` (IRI, author id or name) and one or (`all`) every shortest path.

    `avoid` (given as the ends are): the chains go through none of them. `strongest`: the first
    chain is the shortest one whose weakest link has most joint papers (then the larger total, then
    IRI order). `alternatives` K: the K shortest simple chains, by length then IRI order.
    `backend` picks the neighbour step: "auto" is the adjacency index when `data` has one, else
    triple patterns; the others force one (kg.paths.reference: those kept for benchmarks and checks).
    Raises UnknownAuthor or AmbiguousAuthor when an end (or a node to avoid) does not name exactly one node.
    """
    if max_hops < 0:
        raise QueryError(f"max_hops: must be at least 0, not {max_hops}")
    if limit < 1:
        raise QueryError(f"limit: must be at least 1, not {limit}")
    if alternatives is not None and alternatives < 1:
        raise QueryError(f"alternatives: must be at least 1, not {alternatives}")
    if alternatives is not None and all:
        raise QueryError("alternatives: give either alternatives or all (every shortest chain), not both")
    started = time.perf_counter()
    graph, index = _graph(data, by, backend)
    unnamed: set[str] = set()  # ends the index knew: named below, with the chain's nodes
    start = _end(data, a, by, "A", index, unnamed)
    end = _end(data, b, by, "B", index, unnamed)
    avoided = _avoided(data, avoid, by, {start.iri, end.iri})
    if avoided or strongest or alternatives is not None:
        found = _modes(data, graph, index, by, start.iri, end.iri, [n.iri for n in avoided], strongest, alternatives,
                       max_hops=max_hops, timeout=timeout, limit=limit if all else 1, all=all)
    else:
        def run(g: Graph[Any]) -> Found:
            return shortest(g, start.iri, end.iri, max_hops=max_hops, timeout=timeout, all=all, limit=limit)

        found = run(graph) if index is not None else _within(timeout, graph, run)
    names, joint = chain_details(data, found.paths, by, index, unnamed)
    start, end = (Node(n.iri, names[n.iri]) if n.iri in unnamed else n for n in (start, end))
    links = {pair: Link(papers) for pair, papers in joint.items()}
    paths = []
    for iris in found.paths:
        nodes = [start] + [Node(i, names[i]) for i in iris[1:-1]] + ([end] if len(iris) > 1 else [])
        paths.append(Chain(nodes, [links[(x, y)] for x, y in zip(iris, iris[1:], strict=False)]))
    return PathResult(start, end, by, max_hops, found.status, found.distance, paths, found.capped,
                      time.perf_counter() - started, avoided, strongest, alternatives, found.stopped)


def _end(data: Backend, text: str, by: By, param: str, index: AdjacencyIndex | None, unnamed: set[str]) -> Node:
    """An end of the chain as `resolve` finds it; an IRI of a row (or, by cluster, a cluster) that
    the index numbers is taken as it is, with no request, and added to `unnamed` (its name is asked
    with the chain's)."""
    if index is not None:
        given = " ".join(unicode_text(text, param).split())
        iri = given[1:-1] if given.startswith("<") and given.endswith(">") else given
        if iri and (index.authors if by == "author" else index.clusters).find(iri) is not None:
            unnamed.add(iri)
            return Node(iri, iri)
    return resolve(data, text, by=by, param=param)


def _graph(data: Backend, by: By, backend: Step) -> tuple[Graph[Any], AdjacencyIndex | None]:
    """The graph the search runs on for `backend` (integers on the index, IRIs on patterns), and the index."""
    if backend not in STEPS:
        raise QueryError(f"backend: must be one of {', '.join(STEPS)}, not {backend!r}")
    index = data.index() if backend in _ON_INDEX else None
    if backend in ("index", "bipartite") and index is None:
        raise QueryError(f"backend: this store has no adjacency index for {backend!r} (rebuild it with `kg build`)")
    if index is not None:
        return bipartite_graph(index, by) if backend == "bipartite" else index_graph(index, by), index
    return sparql_graph(data, by) if backend == "sparql" else pattern_graph(data, by), None


def _avoided(data: Backend, avoid: Sequence[str], by: By, ends: set[str]) -> list[Node]:
    out: list[Node] = []
    for text in avoid:
        found = resolve(data, text, by=by, param="avoid")
        if found.iri in ends:
            raise QueryError(f"avoid: {text!r} is an end of the chain")
        if found not in out:
            out.append(found)
    return out


def _modes(data: Backend, graph: Graph[N], index: AdjacencyIndex | None, by: By, a_iri: str, b_iri: str,
           avoid: list[str], strongest: bool, alternatives: int | None, *, max_hops: int, timeout: float | None,
           limit: int, all: bool) -> Found:
    """shortest_paths with avoid / strongest / alternatives: kg.paths.modes on `graph`, in IRIs. Capped only
    with `all` (as kg.paths.search.shortest): one path asked for is one path given, not a list cut short."""
    a, b = graph.to_node(a_iri), graph.to_node(b_iri)
    if a is None or b is None:  # in the data but in no paper with others: isolated
        return Found("found", 0, [[a_iri]], False) if a_iri == b_iri else Found("not-connected", None, [], False)
    nodes = [n for n in map(graph.to_node, avoid) if n is not None]
    joint: modes.Joint[N] | None = None
    if strongest:
        joint = modes.index_joint(index, by) if index is not None else _joint_count(data, graph, by)  # type: ignore[assignment]
    if alternatives is not None:
        chains = modes.alternatives(graph, a, b, alternatives, avoid=nodes, strongest=joint, max_hops=max_hops,
                                    timeout=timeout)
        capped = False
    else:
        chains = modes.shortest(graph, a, b, avoid=nodes, strongest=joint, limit=limit + 1, max_hops=max_hops,
                                timeout=timeout)
        capped = all and len(chains.paths) > limit
        del chains.paths[limit:]
    paths = [[graph.to_iri(n) for n in p] for p in chains.paths]
    return Found(chains.status, chains.distance, paths, capped, chains.stopped)


def _joint_count(data: Backend, graph: Graph[N], by: By) -> modes.Joint[N]:
    """Link weights without the index: the joint papers the backend finds (a query per link)."""
    return lambda x, y: len(joint_papers(data, graph.to_iri(x), graph.to_iri(y), by=by))


def reach(data: Backend, who: str, *, by: By = "author", max_hops: int | None = None, at: int | None = None,
          offset: int = 0, limit: int = LIMIT, timeout: float | None = TIMEOUT, backend: Step = "auto") -> ReachResult:
    """How many authors (or clusters) are at each distance from `who` up to `max_hops` (by default
    REACH_HOPS, or `at` if farther), and with `at` a page (`offset`, `limit`) of those at that
    distance, in IRI order."""
    if at is not None and at < 1:
        raise QueryError(f"at: must be at least 1, not {at}")
    hops = max(REACH_HOPS, at or 0) if max_hops is None else max_hops
    if hops < 0:
        raise QueryError(f"max_hops: must be at least 0, not {hops}")
    if at is not None and at > hops:
        raise QueryError(f"at: {at} is beyond max_hops {hops}")
    if offset < 0:
        raise QueryError(f"offset: must be at least 0, not {offset}")
    if limit < 1:
        raise QueryError(f"limit: must be at least 1, not {limit}")
    started = time.perf_counter()
    source = resolve(data, who, by=by, param="AUTHOR")
    graph, index = _graph(data, by, backend)
    on_rows = index is not None and by == "cluster" and backend != "bipartite"
    layer = modes.index_cluster_layer(index) if on_rows and index is not None else None
    return _reach(data, graph, source, by, hops, at, offset, limit, timeout, started, layer)


def _reach(data: Backend, graph: Graph[N], source: Node, by: By, hops: int, at: int | None, offset: int,
           limit: int, timeout: float | None, started: float, layer: modes.Layer[N] | None) -> ReachResult:
    a = graph.to_node(source.iri)
    if a is None:  # in no paper with others
        return ReachResult(source, by, hops, "complete", [], at, [], offset, limit, time.perf_counter() - started)
    found = modes.reach(graph, a, max_hops=hops, at=at, timeout=timeout, layer=layer)
    page = [node(data, graph.to_iri(n), by) for n in found.at[offset: offset + limit]]
    return ReachResult(source, by, hops, found.status, found.counts, at, page, offset, limit,
                       time.perf_counter() - started)


class _OutOfTime(Exception):
    pass


def _within(timeout: float | None, graph: Graph[str], run: Callable[[Graph[str]], Found]) -> Found:
    """`run` on `graph` with its neighbour step checking the deadline at every call: a step can be a
    remote request, so the search's own check every 64 steps would let it overrun. A remote request
    that times out is the search's timeout too."""
    if timeout is None:
        return run(graph)
    deadline = time.monotonic() + timeout
    step = graph.neighbours

    def guarded(iri: str) -> Iterable[str]:
        if time.monotonic() > deadline:
            raise _OutOfTime
        return step(iri)

    try:
        return run(replace(graph, neighbours=guarded))
    except _OutOfTime:
        return Found("timeout", None, [], False)
    except EndpointError as e:
        if e.kind != "timeout":
            raise
        return Found("timeout", None, [], False)


def coauthors(data: Backend, who: str) -> CoauthorsResult:
    """The co-author rows of one author row (IRI, id or name), with their joint-paper counts, most first."""
    row = resolve(data, who, param="AUTHOR")
    found = [Coauthor(str(r["coauthor"]), str(r.get("name", r["coauthor"])), _count(r["papers"]))
             for r in data.select(named("coauthors"), {"row": row.iri})]
    return CoauthorsResult(row, found)


def _count(value: object) -> int:
    return value if isinstance(value, int) else int(str(value))
