"""Path modes on the adjacency index: chains avoiding nodes, the strongest chain, the K shortest simple
chains, and how many nodes lie at each distance (reach).

Everything here works on the integers of kg.adjacency (author rows or name clusters, numbered in IRI
order, so integer order is IRI order and breaks every tie); resolving what a user typed and fetching
papers are the caller's. A link's weight is its number of joint papers: the intersection of the two
ends' paper lists (a cluster's list is the union of its rows'). The bounds are the plain search's:
max hops, a time budget shared by all the searches of one request, a cap on the nodes visited.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Literal, Protocol

from kg.adjacency import NONE, AdjacencyIndex
from kg.paths import MAX_HOPS, MAX_VISITED, TIMEOUT, By, Search, Status, bidirectional

ReachStatus = Literal["complete", "beyond-max-hops", "timeout", "too-large"]
Neighbours = Callable[[int], Iterable[int]]


class Graph(Protocol):
    """What the searches need of a graph: the neighbour step, the edges a step follows (to choose the
    smaller frontier) and the weight of a link."""

    def neighbours(self, n: int) -> Iterable[int]: ...

    def degree(self, n: int) -> int: ...

    def joint(self, x: int, y: int) -> int: ...


class IndexGraph:
    """The co-authorship graph of one index, by author row or by name cluster."""

    def __init__(self, index: AdjacencyIndex, by: By) -> None:
        self.index = index
        self.by = by
        self.table = index.authors if by == "author" else index.clusters
        self._papers: dict[int, set[int]] = {}

    def find(self, iri: str) -> int | None:
        return self.table.find(iri)

    def iri(self, n: int) -> str:
        return self.table.iri(n)

    def neighbours(self, n: int) -> Iterable[int]:
        if self.by == "author":
            return self.index.a2a.row(n)
        a2a, a2c = self.index.a2a, self.index.a2c
        rows: set[int] = set()
        for r in self.index.c2a.row(n):
            rows.update(a2a.row(r))
        out = {a2c[x] for x in rows}
        out.discard(n)
        out.discard(NONE)
        return out

    def degree(self, n: int) -> int:
        """The edges a search step from `n` follows (which frontier is smaller)."""
        if self.by == "author":
            return self.index.a2a.degree(n)
        return sum(self.index.a2a.degree(r) for r in self.index.c2a.row(n))

    def papers(self, n: int) -> Collection[int]:
        if self.by == "author":
            return self.index.a2p.row(n)
        found = self._papers.get(n)
        if found is None:
            found = self._papers[n] = set()
            for r in self.index.c2a.row(n):
                found.update(self.index.a2p.row(r))
        return found

    def joint(self, x: int, y: int) -> int:
        """The number of joint papers of two nodes (the weight of their link)."""
        px, py = self.papers(x), self.papers(y)
        if len(px) > len(py):
            px, py = py, px
        return len(set(px).intersection(py))


@dataclass
class Chains:
    """What a path search found: the status of the shortest search, its distance, the chains (node
    lists); `stopped` is the budget that ended the search for more chains after some were found."""

    status: Status
    distance: int | None
    paths: list[list[int]] = field(default_factory=list)
    stopped: Status | None = None
    visited: int = 0


@dataclass
class Reach:
    """How many nodes lie at each distance 1, 2, … from a node (counts[d - 1]), and the ones at `at`."""

    status: ReachStatus
    counts: list[int]
    at: list[int] = field(default_factory=list)
    visited: int = 0


def avoiding(neighbours: Neighbours, avoid: Collection[int]) -> Neighbours:
    """The neighbour step without the nodes of `avoid`."""
    if not avoid:
        return neighbours
    banned = set(avoid)

    def step(n: int) -> Iterable[int]:
        row = neighbours(n)
        return row if banned.isdisjoint(row) else [w for w in row if w not in banned]

    return step


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def search(graph: Graph, a: int, b: int, *, avoid: Collection[int] = (), max_hops: int = MAX_HOPS,
           timeout: float | None = TIMEOUT, max_visited: int = MAX_VISITED) -> Search[int]:
    """The shortest-path search from `a` to `b` through none of `avoid`."""
    return bidirectional(avoiding(graph.neighbours, avoid), a, b, max_hops=max_hops, timeout=timeout,
                         max_visited=max_visited, weight=graph.degree)


def dag(found: Search[int], a: int) -> dict[int, list[int]]:
    """The shortest-path DAG of a successful search: each node's successors towards `b`, sorted."""
    children: dict[int, list[int]] = {}
    for parents, forward in ((found.parents_a, True), (found.parents_b, False)):
        seen = set(found.meet)
        todo = list(found.meet)
        while todo:
            w = todo.pop()
            for p in parents.get(w, []):
                if forward:  # parents_a point back towards a: p comes before w
                    children.setdefault(p, []).append(w)
                else:
                    children.setdefault(w, []).append(p)
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
    for kids in children.values():
        kids.sort()
    if found.distance == 0:
        children.clear()
    return children


def dag_paths(children: dict[int, list[int]], a: int, length: int) -> Iterator[list[int]]:
    """The paths of a layered DAG from `a` with `length` links, in lexicographic order."""
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


def strongest_in(children: dict[int, list[int]], a: int, b: int, length: int,
                 weight: Callable[[int, int], int]) -> list[int]:
    """Among the paths of the DAG, the one whose weakest link weighs most; ties: the larger total
    weight, then the first in lexicographic order.

    Maximising the weakest link and then the total is not one order that prefixes inherit, so it is
    done in two passes: the best bottleneck first (a max-min over the layers), then, over the links at
    least that heavy only, the heaviest total towards `b`; the walk from `a` takes the smallest next
    node that keeps that total.
    """
    if length == 0:
        return [a]
    layers = [[a]]
    for _ in range(length - 1):
        layers.append(sorted({c for v in layers[-1] for c in children.get(v, [])}))
    w = {(v, c): weight(v, c) for layer in layers for v in layer for c in children.get(v, [])}
    bottleneck: dict[int, int] = {a: 1 << 62}
    for layer in layers:
        for v in layer:
            for c in children.get(v, []):
                bottleneck[c] = max(bottleneck.get(c, -1), min(bottleneck[v], w[v, c]))
    best = bottleneck[b]
    total: dict[int, int] = {b: 0}
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


def shortest(graph: Graph, a: int, b: int, *, avoid: Collection[int] = (), strongest: bool = False,
             limit: int = 1, max_hops: int = MAX_HOPS, timeout: float | None = TIMEOUT,
             max_visited: int = MAX_VISITED) -> Chains:
    """Up to `limit` shortest chains in IRI order through none of `avoid`; with `strongest` the
    strongest one comes first (then the others in IRI order)."""
    found = search(graph, a, b, avoid=avoid, max_hops=max_hops, timeout=timeout, max_visited=max_visited)
    if found.status != "found" or found.distance is None:
        return Chains(found.status, None, visited=found.visited)
    children = dag(found, a)
    if not strongest:
        return Chains("found", found.distance, list(islice(dag_paths(children, a, found.distance), limit)),
                      visited=found.visited)
    best = strongest_in(children, a, b, found.distance, graph.joint)
    rest = (p for p in dag_paths(children, a, found.distance) if p != best)
    return Chains("found", found.distance, [best, *islice(rest, limit - 1)], visited=found.visited)


def alternatives(graph: Graph, a: int, b: int, k: int, *, avoid: Collection[int] = (),
                 strongest: bool = False, max_hops: int = MAX_HOPS, timeout: float | None = TIMEOUT,
                 max_visited: int = MAX_VISITED) -> Chains:
    """The `k` shortest simple chains of at most `max_hops` links through none of `avoid`, by length
    and then IRI order (Yen's algorithm); with `strongest` the strongest shortest chain comes first.

    All the shortest chains come from the one search's DAG; a longer one is a shortest "spur" chain
    from a node of an accepted chain, through none of the nodes before it nor the links the accepted
    chains with the same beginning take from it. A spur search is bounded by the length of the
    candidates already enough to fill `k`.
    """
    deadline = _deadline(timeout)
    first = shortest(graph, a, b, avoid=avoid, strongest=strongest, limit=k, max_hops=max_hops, timeout=timeout,
                     max_visited=max_visited)
    if first.status != "found" or len(first.paths) == k or first.distance == 0:
        return first
    accepted = first.paths
    known = {tuple(p) for p in accepted}
    candidates: list[tuple[int, list[int]]] = []
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
                spur = _spur(graph, root, accepted, avoid)
                found = bidirectional(spur, path[i], b, max_hops=hops, timeout=_left(deadline),
                                      max_visited=max_visited, weight=graph.degree)
                visited += found.visited
                if found.status in ("timeout", "too-large"):
                    return Chains("found", first.distance, accepted, found.status, visited)
                if found.status != "found" or found.distance is None:
                    continue
                tail = next(dag_paths(dag(found, path[i]), path[i], found.distance))
                chain = root[:-1] + tail
                if tuple(chain) not in known:
                    known.add(tuple(chain))
                    heapq.heappush(candidates, (len(chain) - 1, chain))
        if not candidates:
            return Chains("found", first.distance, accepted, None, visited)
        accepted.append(heapq.heappop(candidates)[1])
        if len(accepted) == k:
            return Chains("found", first.distance, accepted, None, visited)


def _spur(graph: Graph, root: list[int], accepted: list[list[int]], avoid: Collection[int]) -> Neighbours:
    """The neighbour step of a spur search from root[-1]: none of the root's other nodes nor of
    `avoid`, and not the links from root[-1] that accepted chains beginning with `root` take."""
    spur, i = root[-1], len(root) - 1
    banned = set(avoid).union(root[:-1])
    cut = {p[i + 1] for p in accepted if len(p) > i + 1 and p[: i + 1] == root}
    plain = avoiding(graph.neighbours, banned)

    def step(n: int) -> Iterable[int]:
        row = plain(n)
        if n == spur:
            return [w for w in row if w not in cut]
        if n in cut:
            return [w for w in row if w != spur]
        return row

    return step


def reach(graph: Graph, a: int, *, max_hops: int = MAX_HOPS, at: int | None = None,
          timeout: float | None = TIMEOUT, max_visited: int = MAX_VISITED) -> Reach:
    """How many nodes are at each distance from `a` up to `max_hops`, and (with `at`) which ones at
    that distance, in IRI order. The status says whether the counts are the whole component."""
    deadline = _deadline(timeout)
    seen = {a}
    frontier: Collection[int] = [a]
    counts: list[int] = []
    listed: list[int] = []
    for depth in range(1, max_hops + 1):
        layer: set[int] = set()
        for k, u in enumerate(frontier):
            if deadline is not None and k % 256 == 0 and time.monotonic() > deadline:
                return Reach("timeout", counts, listed, len(seen))
            layer.update(graph.neighbours(u))
        layer -= seen
        if not layer:
            return Reach("complete", counts, listed, len(seen))
        seen |= layer
        if len(seen) > max_visited:
            return Reach("too-large", counts, listed, len(seen))
        counts.append(len(layer))
        if depth == at:
            listed = sorted(layer)
        frontier = layer
    beyond = any(not seen.issuperset(graph.neighbours(u)) for u in frontier)
    return Reach("beyond-max-hops" if beyond else "complete", counts, listed, len(seen))
