"""What a sync's delta touches of the derived data: the author rows whose name clusters' derived
entries (kg.cluster_order) may differ after the delta, and those clusters' name keys.

A cluster's precomputed entry reads its rows (their names and keys), their papers (titles, years,
venues and the venues' names), and their co-authors (names and joint papers). So a changed,
added or removed subject touches:

- an author row: the row, and every row on a paper with it (its name shows among their co-authors);
- a paper: the rows of its authorships;
- an authorship: its row;
- a venue: the rows of the papers published there (its name shows among their top venues);
- a name cluster: its own key (its label).

The rows are read from a store twice, from the checkpoint before the delta is applied (the old
values) and from the new generation after (the new ones), so that a row that moves from one name
to another touches both clusters. Only the rows are read, by bound lookups: no scan of the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.sync.delta import Delta, kind_of
from kg.terms import KG


@dataclass
class Touched:
    """The touched author rows, and the name keys (strict and loose) of their clusters."""

    rows: set[str] = field(default_factory=set)
    strict: set[str] = field(default_factory=set)
    loose: set[str] = field(default_factory=set)

    def read(self, store: ox.Store, delta: Delta, base: str) -> None:
        """Adds what the delta's subjects touch in `store` (call it before and after the delta)."""
        rows: set[str] = set()
        clusters: set[str] = set()
        raw_base = base.encode("utf-8")
        for d in delta.graphs.values():
            for subject in (*d.added, *d.changed, *d.removed):
                kind = kind_of(subject, raw_base)
                node = ox.NamedNode(subject.decode("utf-8")[1:-1])
                if kind == "author":
                    rows.add(node.value)
                    rows.update(_coauthors(store, node))
                elif kind == "paper":
                    rows.update(_objects(store, node, KG.author))
                elif kind == "authorship":
                    rows.update(_objects(store, node, KG.authorRow))
                elif kind == "venue":
                    for paper in _subjects(store, KG.publishedIn, node):
                        rows.update(_objects(store, ox.NamedNode(paper), KG.author))
                elif kind == "cluster":
                    clusters.add(node.value)
        self.rows |= rows
        for row in (*rows, *clusters):
            node = ox.NamedNode(row)
            self.strict.update(_objects(store, node, KG.nameKey))
            self.loose.update(_objects(store, node, KG.looseNameKey))

    @property
    def keys(self) -> dict[str, set[str]]:
        """The touched keys by kg.cluster_order variant."""
        return {"strict": self.strict, "loose": self.loose}


def _objects(store: ox.Store, subject: ox.NamedNode, predicate: str) -> set[str]:
    return {q.object.value for q in store.quads_for_pattern(subject, ox.NamedNode(predicate), None)
            if isinstance(q.object, (ox.NamedNode, ox.Literal))}


def _subjects(store: ox.Store, predicate: str, obj: ox.NamedNode) -> set[str]:
    return {q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(predicate), obj)
            if isinstance(q.subject, ox.NamedNode)}


def _coauthors(store: ox.Store, row: ox.NamedNode) -> Iterable[str]:
    """The rows on a paper with `row` (itself included)."""
    for paper in _subjects(store, KG.author, row):
        yield from _objects(store, ox.NamedNode(paper), KG.author)
