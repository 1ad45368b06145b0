"""A synced store's statistics (kg.stats: papers, author rows, venues, authorships, name clusters,
triples) kept current through the delta instead of counted again over the whole store.

Only the delta's subjects change in their graphs, and the derived graphs (the links, the identity
evidence) are removed and written again; so the previous generation's counts, less what the
delta's subjects held (typed resources, quads) and the derived graphs' quads before, plus what they
hold after, are the new store's counts. Each part is read by bound lookups of those subjects and a
count of the derived graphs: no scan of the source graphs.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from kg.sync.delta import Delta
from kg.terms import KG, RDF_TYPE

TYPED = {"papers": KG.Paper, "authors": KG.AuthorRow, "venues": KG.Venue, "authorships": KG.Authorship,
         "clusters": KG.NameCluster}  # as queries/stats.rq counts them, over all graphs
_TYPE = ox.NamedNode(RDF_TYPE)


class SyncedCounts:
    """The previous counts, moved by `remove` (the checkpoint, before the delta) and `add` (the
    new generation, after it and after the derived steps)."""

    def __init__(self, previous: dict[str, int], delta: Delta, derived: list[str]) -> None:
        self.counts = {name: int(previous[name]) for name in (*TYPED, "triples")}
        self.delta = delta
        self.derived = [ox.NamedNode(g) for g in derived]

    @classmethod
    def of(cls, previous: object, delta: Delta, derived: list[str]) -> SyncedCounts | None:
        """From a previous build.json's `counts`; None when it lacks one of them."""
        if not isinstance(previous, dict) or not all(isinstance(previous.get(k), int) for k in (*TYPED, "triples")):
            return None
        return cls(previous, delta, derived)

    def remove(self, store: ox.Store) -> None:
        """What the delta's subjects and the derived graphs hold before the delta."""
        self._move(store, -1)

    def add(self, store: ox.Store) -> dict[str, int]:
        """What they hold after it (the derived steps done); the new counts."""
        self._move(store, 1)
        return dict(self.counts)

    def _move(self, store: ox.Store, sign: int) -> None:
        subjects: set[str] = set()
        for name, d in self.delta.graphs.items():
            graph = ox.NamedNode(name)
            for subject in (*d.added, *d.changed, *d.removed):
                iri = subject.decode("utf-8")[1:-1]
                subjects.add(iri)
                self.counts["triples"] += sign * _count(store.quads_for_pattern(ox.NamedNode(iri), None, None, graph))
        for iri in subjects:
            node = ox.NamedNode(iri)
            for name, kind in TYPED.items():
                if next(iter(store.quads_for_pattern(node, _TYPE, ox.NamedNode(kind))), None) is not None:
                    self.counts[name] += sign
        for graph in self.derived:
            self.counts["triples"] += sign * graph_size(store, graph)


def _count(quads: Iterable[ox.Quad]) -> int:
    return sum(1 for _ in quads)


def graph_size(store: ox.Store, graph: ox.NamedNode) -> int:
    """The quads of one named graph of `store`."""
    # `graph` is a minted IRI (str() gives its N-Triples form): no user value is formatted in
    found = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
    assert isinstance(found, ox.QuerySolutions)
    for row in found:
        n = row["n"]
        return int(n.value) if isinstance(n, ox.Literal) else 0
    return 0
