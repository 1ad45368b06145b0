"""The neighbour steps the search runs on: the adjacency index, or triple patterns when there is none.

Nodes are author rows (`by="author"`) or name clusters (`by="cluster"`). The index (kg.adjacency,
written beside the store at build time) numbers them in IRI order, so integer order is IRI order and
ties are broken the same way by every step. Without an index the step asks the backend's triple
patterns, one hop at a time; nothing is loaded whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pyoxigraph as ox

from kg.adjacency import NONE, AdjacencyIndex
from kg.backend import Backend
from kg.paths.model import By
from kg.paths.search import Graph
from kg.terms import KG

_AUTHOR = ox.NamedNode(KG.author)
_MEMBER = ox.NamedNode(KG.hasMember)
_IN_CLUSTER = ox.NamedNode(KG.inCluster)


def index_graph(index: AdjacencyIndex, by: By, rows: Callable[[int], Iterable[int]] | None = None) -> Graph[int]:
    """Neighbours from the co-author CSR (a2a), or from `rows` (a row's co-author rows) when given."""
    a2a, a2c, c2a = index.a2a, index.a2c, index.c2a
    step: Callable[[int], Iterable[int]] = a2a.row if rows is None else rows

    def clusters(c: int) -> set[int]:
        out: set[int] = set()
        for r in c2a.row(c):
            out.update(a2c[x] for x in step(r))
        out.discard(c)
        out.discard(NONE)
        return out

    if by == "author":
        return Graph(index.authors.find, index.authors.iri, step, a2a.degree)
    return Graph(index.clusters.find, index.clusters.iri, clusters,
                 lambda c: sum(a2a.degree(r) for r in c2a.row(c)))


def pattern_graph(data: Backend, by: By, rows: Callable[[str], Iterable[str]] | None = None) -> Graph[str]:
    """Neighbours from kg:author patterns (a row's papers, their author rows), or from `rows` when given."""

    def coauthor_rows(iri: str) -> set[str]:
        out: set[str] = set()
        for t in data.triples(None, _AUTHOR, ox.NamedNode(iri)):
            if isinstance(t.subject, ox.Triple):
                continue
            for t2 in data.triples(t.subject, _AUTHOR, None):
                if isinstance(t2.object, ox.NamedNode):
                    out.add(t2.object.value)
        out.discard(iri)
        return out

    step: Callable[[str], Iterable[str]] = coauthor_rows if rows is None else rows

    def clusters(iri: str) -> set[str]:
        out: set[str] = set()
        for t in data.triples(ox.NamedNode(iri), _MEMBER, None):
            if not isinstance(t.object, ox.NamedNode):
                continue
            for other in step(t.object.value):
                for t3 in data.triples(ox.NamedNode(other), _IN_CLUSTER, None):
                    if isinstance(t3.object, ox.NamedNode):
                        out.add(t3.object.value)
        out.discard(iri)
        return out

    return Graph(lambda iri: iri, lambda iri: iri, step if by == "author" else clusters)
