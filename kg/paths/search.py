"""The search itself, on any graph: a bidirectional breadth-first search and the enumeration of its paths.

It expands the smaller frontier one whole layer at a time, so it finds every shortest path; nothing
here knows where the neighbours come from (kg.paths.steps gives the graphs a search runs on).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from kg.paths.model import MAX_HOPS, MAX_VISITED, TIMEOUT, Status

N = TypeVar("N", int, str)


@dataclass
class Graph(Generic[N]):
    """A node numbering and the neighbour step of one way of finding neighbours."""

    to_node: Callable[[str], N | None]
    to_iri: Callable[[N], str]
    neighbours: Callable[[N], Iterable[N]]
    weight: Callable[[N], int] | None = None


@dataclass
class Search(Generic[N]):
    """What a bidirectional search found: the status, the distance and the shortest-path DAG."""

    status: Status
    distance: int | None
    meet: list[N] = field(default_factory=list)
    parents_a: dict[N, list[N]] = field(default_factory=dict)
    parents_b: dict[N, list[N]] = field(default_factory=dict)
    visited: int = 0


@dataclass
class Found:
    """The outcome of `shortest` in IRIs: the status, the distance, the paths found and whether `limit` cut them."""

    status: Status
    distance: int | None
    paths: list[list[str]]
    capped: bool
    stopped: Status | None = None  # the budget that ended the search for more chains once some were found


def bidirectional(neighbours: Callable[[N], Iterable[N]], a: N, b: N, *, max_hops: int = MAX_HOPS,
                  timeout: float | None = TIMEOUT, max_visited: int = MAX_VISITED,
                  weight: Callable[[N], int] | None = None) -> Search[N]:
    """Breadth-first from both ends, one whole layer of the smaller frontier at a time.

    The smaller frontier is the one with fewer nodes, or with `weight` (a node's degree) the one
    with fewer edges to follow.
    """
    if a == b:
        return Search("found", 0, [a], {a: []}, {b: []}, 1)
    deadline = None if timeout is None else time.monotonic() + timeout
    pa: dict[N, list[N]] = {a: []}
    pb: dict[N, list[N]] = {b: []}
    fa, fb = [a], [b]
    depth = 0
    while True:
        if not fa or not fb:
            return Search("not-connected", None, visited=len(pa) + len(pb))
        if depth >= max_hops:
            return Search("beyond-max-hops", None, visited=len(pa) + len(pb))
        forward = len(fa) <= len(fb) if weight is None else sum(map(weight, fa)) <= sum(map(weight, fb))
        mine, other, frontier = (pa, pb, fa) if forward else (pb, pa, fb)
        layer: dict[N, list[N]] = {}
        for k, u in enumerate(frontier):
            if deadline is not None and k % 64 == 0 and time.monotonic() > deadline:
                return Search("timeout", None, visited=len(pa) + len(pb) + len(layer))
            for w in neighbours(u):
                if w in mine:
                    continue
                parents = layer.get(w)
                if parents is None:
                    layer[w] = [u]
                else:
                    parents.append(u)
            if len(mine) + len(other) + len(layer) > max_visited:
                return Search("too-large", None, visited=len(pa) + len(pb) + len(layer))
        mine.update(layer)
        depth += 1
        if forward:
            fa = list(layer)
        else:
            fb = list(layer)
        meet = sorted(w for w in layer if w in other)
        if meet:
            return Search("found", depth, meet, pa, pb, len(pa) + len(pb))


def enumerate_paths(search: Search[N], a: N) -> Iterator[list[N]]:
    """Every shortest path of a successful search, in lexicographic order of the node sequences."""
    return dag_paths(dag(search), a, search.distance or 0)


def dag(search: Search[N]) -> dict[N, list[N]]:
    """The shortest-path DAG of a successful search: each node's successors towards B, sorted."""
    children: dict[N, list[N]] = {}
    if search.distance == 0:
        return children
    _add_side(children, search.meet, search.parents_a, towards_b=False)  # back from the meeting nodes to A
    _add_side(children, search.meet, search.parents_b, towards_b=True)  # on from the meeting nodes to B
    for kids in children.values():
        kids.sort()
    return children


def _add_side(children: dict[N, list[N]], meet: Collection[N], parents: Mapping[N, list[N]], towards_b: bool) -> None:
    """The DAG edges of one side of the search, walked from the meeting nodes through its parents."""
    seen: set[N] = set(meet)
    todo = list(meet)
    while todo:
        w = todo.pop()
        for p in parents.get(w, []):
            parent, child = (w, p) if towards_b else (p, w)
            children.setdefault(parent, []).append(child)
            if p not in seen:
                seen.add(p)
                todo.append(p)


def dag_paths(children: dict[N, list[N]], a: N, length: int) -> Iterator[list[N]]:
    """The paths of `length` links from `a` through a layered DAG, in lexicographic order."""
    if length == 0:
        yield [a]
        return
    path = [a]
    stack = [iter(children.get(a, []))]
    while stack:
        nxt = next(stack[-1], None)
        if nxt is None:
            stack.pop()
            path.pop()
            continue
        path.append(nxt)
        if len(path) == length + 1:
            yield list(path)
            path.pop()
        else:
            stack.append(iter(children.get(nxt, [])))


def shortest(graph: Graph[N], a_iri: str, b_iri: str, *, max_hops: int, timeout: float | None, all: bool,
             limit: int) -> Found:
    """The first (IRI order) or, with `all`, up to `limit` shortest paths between two nodes of `graph`."""
    a, b = graph.to_node(a_iri), graph.to_node(b_iri)
    if a is None or b is None:  # in the data but in no paper with others: isolated
        if a_iri == b_iri:
            return Found("found", 0, [[a_iri]], False)
        return Found("not-connected", None, [], False)
    search = bidirectional(graph.neighbours, a, b, max_hops=max_hops, timeout=timeout, weight=graph.weight)
    if search.status != "found":
        return Found(search.status, None, [], False)
    wanted = limit if all else 1
    found: list[list[N]] = []
    capped = False
    for p in enumerate_paths(search, a):
        if len(found) == wanted:
            capped = all
            break
        found.append(p)
    return Found("found", search.distance, [[graph.to_iri(n) for n in p] for p in found], capped)
