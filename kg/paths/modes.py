"""Path modes: chains avoiding nodes, the strongest chain, the K shortest simple chains, and how many
nodes lie at each distance (reach).

They run on any graph of kg.paths.steps, whose node order is IRI order (the index's integers, or the
IRIs themselves), so it breaks every tie; resolving what a user typed and fetching papers are the
caller's (kg.paths.find). A link's weight is its number of joint papers: on the index, the
intersection of the two ends' paper lists (a cluster's list is the union of its rows'). The bounds
are the plain search's: max hops, a time budget shared by all the searches of one request, a cap on
the nodes one search visits.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Generic

from kg.adjacency import NONE, AdjacencyIndex
from kg.paths.model import MAX_HOPS, MAX_VISITED, TIMEOUT, By, ReachStatus, Status
from kg.paths.search import Graph, N, Search, bidirectional, dag, dag_paths

Joint = Callable[[N, N], int]


def index_joint(index: AdjacencyIndex, by: By) -> Joint[int]:
    """The weight of a link of the index graph: the number of joint papers of its two ends."""
    if by == "author":
        a2p = index.a2p

        def rows(x: int, y: int) -> int:
            px, py = a2p.row(x), a2p.row(y)
            return len(set(px).intersection(py) if len(px) <= len(py) else set(py).intersection(px))

        return rows
    cache: dict[int, set[int]] = {}

    def papers(c: int) -> set[int]:
        found = cache.get(c)
        if found is None:
            found = cache[c] = set()
            for r in index.c2a.row(c):
                found.update(index.a2p.row(r))
        return found

    return lambda x, y: len(papers(x) & papers(y))


@dataclass
class Chains(Generic[N]):
    """What a path search found: the status of the shortest search, its distance, the chains (node
    lists); `stopped` is the budget that ended the search for more chains after some were found."""

    status: Status
    distance: int | None
    paths: list[list[N]] = field(default_factory=list)
    stopped: Status | None = None
    visited: int = 0


@dataclass
class Reach(Generic[N]):
    """How many nodes lie at each distance 1, 2, … from a node (counts[d - 1]), and the ones at `at`."""

    status: ReachStatus
    counts: list[int]
    at: list[N] = field(default_factory=list)
    visited: int = 0


def avoiding(neighbours: Callable[[N], Iterable[N]], avoid: Collection[N]) -> Callable[[N], Iterable[N]]:
    """The neighbour step without the nodes of `avoid`."""
    if not avoid:
        return neighbours
    banned = set(avoid)

    def step(n: N) -> Iterable[N]:
        row = neighbours(n)
        return row if banned.isdisjoint(row) else [w for w in row if w not in banned]

    return step


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def search(graph: Graph[N], a: N, b: N, *, avoid: Collection[N] = (), max_hops: int = MAX_HOPS,
           timeout: float | None = TIMEOUT, max_visited: int = MAX_VISITED) -> Search[N]:
    """The shortest-path search from `a` to `b` through none of `avoid`."""
    return bidirectional(avoiding(graph.neighbours, avoid), a, b, max_hops=max_hops, timeout=timeout,
                         max_visited=max_visited, weight=graph.weight)


def strongest_in(children: dict[N, list[N]], a: N, b: N, length: int, joint: Joint[N]) -> list[N]:
    """Among the paths of a layered DAG, the one whose weakest link has most joint papers; ties: the
    larger total of joint papers, then the first in lexicographic order.

    Maximising the weakest link and then the total is not an order that prefixes inherit, so it takes
    two passes: the best weakest link (a max-min over the layers), then, over the links at least that
    strong only, the largest total towards `b`; the walk from `a` takes the smallest next node that
    keeps that total.
    """
    if length == 0:
        return [a]
    layers = [[a]]
    for _ in range(length - 1):
        layers.append(sorted({c for v in layers[-1] for c in children.get(v, [])}))
    w = {(v, c): joint(v, c) for layer in layers for v in layer for c in children.get(v, [])}
    weakest: dict[N, int] = {a: 1 << 62}
    for layer in layers:
        for v in layer:
            for c in children.get(v, []):
                weakest[c] = max(weakest.get(c, -1), min(weakest[v], w[v, c]))
    best = weakest[b]
    total: dict[N, int] = {b: 0}
    for layer in reversed(layers):
        for v in layer:
            options = [w[v, c] + total[c] for c in children.get(v, []) if w[v, c] >= best and c in total]
            if options:
                total[v] = max(options)
    path = [a]
    while path[-1] != b:
        v = path[-1]
        path.append(min(c for c in children[v] if w[v, c] >= best and c in total and w[v, c] + total[c] == total[v]))
    return path


def shortest(graph: Graph[N], a: N, b: N, *, avoid: Collection[N] = (), strongest: Joint[N] | None = None,
             limit: int = 1, max_hops: int = MAX_HOPS, timeout: float | None = TIMEOUT,
             max_visited: int = MAX_VISITED) -> Chains[N]:
    """Up to `limit` shortest chains in IRI order through none of `avoid`; with `strongest` (the
    link weights) the strongest chain comes first, then the others in IRI order."""
    found = search(graph, a, b, avoid=avoid, max_hops=max_hops, timeout=timeout, max_visited=max_visited)
    if found.status != "found" or found.distance is None:
        return Chains(found.status, None, visited=found.visited)
    children = dag(found)
    every = dag_paths(children, a, found.distance)
    if strongest is None:
        return Chains("found", found.distance, list(islice(every, limit)), visited=found.visited)
    best = strongest_in(children, a, b, found.distance, strongest)
    rest: Iterator[list[N]] = (p for p in every if p != best)
    chains = [best]
    chains.extend(islice(rest, limit - 1))
    return Chains("found", found.distance, chains, visited=found.visited)


def alternatives(graph: Graph[N], a: N, b: N, k: int, *, avoid: Collection[N] = (),
                 strongest: Joint[N] | None = None, max_hops: int = MAX_HOPS, timeout: float | None = TIMEOUT,
                 max_visited: int = MAX_VISITED) -> Chains[N]:
    """The `k` shortest simple chains of at most `max_hops` links through none of `avoid`, by length
    and then IRI order (Yen's algorithm); with `strongest` the strongest shortest chain comes first.

    All the shortest chains come from the one search's DAG; a longer one is a shortest "spur" chain
    from a node of an accepted chain, through none of the nodes before it nor the links the accepted
    chains with the same beginning take from it. A spur search goes no farther than the candidates
    already enough to fill `k`; all share one time budget.
    """
    deadline = _deadline(timeout)
    first = shortest(graph, a, b, avoid=avoid, strongest=strongest, limit=k, max_hops=max_hops, timeout=timeout,
                     max_visited=max_visited)
    if first.status != "found" or len(first.paths) == k or first.distance == 0:
        return first
    accepted = first.paths
    known = {tuple(p) for p in accepted}
    candidates: list[tuple[int, list[N]]] = []
    visited = first.visited
    done = 0
    while True:
        while done < len(accepted):
            path = accepted[done]
            done += 1
            for i in range(len(path) - 1):
                root = path[: i + 1]
                hops = max_hops - i
                wanted = k - len(accepted)
                if len(candidates) >= wanted:
                    hops = min(hops, heapq.nsmallest(wanted, candidates)[-1][0] - i)
                if hops < 1:
                    continue
                step = _spur(graph.neighbours, root, accepted, avoid)
                found = bidirectional(step, path[i], b, max_hops=hops, timeout=_left(deadline),
                                      max_visited=max_visited, weight=graph.weight)
                visited += found.visited
                if found.status in ("timeout", "too-large"):
                    return Chains("found", first.distance, accepted, found.status, visited)
                if found.status != "found" or found.distance is None:
                    continue
                chain = root[:-1] + next(dag_paths(dag(found), path[i], found.distance))
                if tuple(chain) not in known:
                    known.add(tuple(chain))
                    heapq.heappush(candidates, (len(chain) - 1, chain))
        if not candidates:
            return Chains("found", first.distance, accepted, None, visited)
        accepted.append(heapq.heappop(candidates)[1])
        if len(accepted) == k:
            return Chains("found", first.distance, accepted, None, visited)


def _spur(neighbours: Callable[[N], Iterable[N]], root: list[N], accepted: list[list[N]],
          avoid: Collection[N]) -> Callable[[N], Iterable[N]]:
    """The neighbour step of a spur search from root[-1]: none of the root's other nodes nor of
    `avoid`, and not the links from root[-1] that accepted chains beginning with `root` take."""
    spur, i = root[-1], len(root) - 1
    cut = {p[i + 1] for p in accepted if len(p) > i + 1 and p[: i + 1] == root}
    plain = avoiding(neighbours, set(avoid).union(root[:-1]))

    def step(n: N) -> Iterable[N]:
        row = plain(n)
        if n == spur:
            return [w for w in row if w not in cut]
        if n in cut:
            return [w for w in row if w != spur]
        return row

    return step


Layer = Callable[[Collection[N], "float | None"], "set[N] | None"]


def union_layer(neighbours: Callable[[N], Iterable[N]]) -> Layer[N]:
    """The nodes next to a frontier, one neighbour step per node (None past the deadline)."""

    def layer(frontier: Collection[N], deadline: float | None) -> set[N] | None:
        out: set[N] = set()
        for k, u in enumerate(frontier):
            if deadline is not None and k % 256 == 0 and time.monotonic() > deadline:
                return None
            out.update(neighbours(u))
        return out

    return layer


def index_cluster_layer(index: AdjacencyIndex) -> Layer[int]:
    """The name clusters next to a frontier of clusters, through their rows: the row sets are merged
    with C-level set unions and only the distinct rows beyond those already expanded are mapped to
    their clusters, instead of every co-author of every row (the cluster step, 10-100× slower over a
    large layer). One such function serves one breadth-first search (it keeps the rows expanded)."""
    a2a, a2c, c2a = index.a2a, index.a2c, index.c2a
    expanded: set[int] = set()

    def layer(frontier: Collection[int], deadline: float | None) -> set[int] | None:
        rows: set[int] = set()
        for c in frontier:
            rows.update(c2a.row(c))
        expanded.update(rows)
        out: set[int] = set()
        for k, r in enumerate(rows):
            if deadline is not None and k % 1024 == 0 and time.monotonic() > deadline:
                return None
            out.update(a2a.row(r))
        out -= expanded
        found = {a2c[x] for x in out}
        found.discard(NONE)
        return found

    return layer


def reach(graph: Graph[N], a: N, *, max_hops: int = MAX_HOPS, at: int | None = None,
          timeout: float | None = TIMEOUT, max_visited: int = MAX_VISITED, layer: Layer[N] | None = None) -> Reach[N]:
    """How many nodes are at each distance from `a` up to `max_hops`, and (with `at`) which ones at
    that distance, in IRI order. The status says whether the counts are the whole component.
    `layer` (default: one neighbour step per node) gives the nodes next to a whole frontier."""
    deadline = _deadline(timeout)
    step = layer or union_layer(graph.neighbours)
    seen = {a}
    frontier: Collection[N] = [a]
    counts: list[int] = []
    listed: list[N] = []
    for depth in range(1, max_hops + 1):
        found = step(frontier, deadline)
        if found is None:
            return Reach("timeout", counts, listed, len(seen))
        found -= seen
        if not found:
            return Reach("complete", counts, listed, len(seen))
        seen |= found
        if len(seen) > max_visited:
            return Reach("too-large", counts, listed, len(seen))
        counts.append(len(found))
        if depth == at:
            listed = sorted(found)
        frontier = found
    # Is anything beyond? A few nodes' own steps usually say so; else every node's, or one more layer.
    head = list(islice(frontier, 64))
    beyond = any(not seen.issuperset(graph.neighbours(u)) for u in head)
    if not beyond and len(frontier) > len(head):
        if layer is None:
            beyond = any(not seen.issuperset(graph.neighbours(u)) for u in frontier)
        else:
            after = step(frontier, deadline)
            if after is None:
                return Reach("timeout", counts, listed, len(seen))
            beyond = not seen.issuperset(after)
    return Reach("beyond-max-hops" if beyond else "complete", counts, listed, len(seen))
