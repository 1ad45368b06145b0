"""The search documents from what kg.adjacency.Collector gathered while mapping (a fresh build),
or read back from a store (kg build --add, kg load): name clusters with their rows' names, paper
counts, years and top venue; papers with title, year, venue and first authors."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kg.search.write import NameDoc, PaperDoc
from kg.terms import KG

FIRST_AUTHORS = 3
_NO_VENUE = 0xFFFFFFFF


@dataclass
class Mapped:
    """What the collector holds, in its own numbering: rows (names, clusters), papers (IRIs,
    titles, years, venue numbers into `venue_labels`), and the (paper, row, position) authorships."""

    names: Sequence[str]
    clusters: Sequence[str]
    paper_iris: Sequence[str]
    titles: Sequence[str | None]
    years: array[int]
    venues: array[int]
    venue_labels: Sequence[str]
    pair_paper: array[int]
    pair_row: array[int]
    pair_position: array[int]


def documents(m: Mapped) -> tuple[list[NameDoc], list[PaperDoc]]:
    """The name and paper documents (persons left unknown: the identity step comes later)."""
    n_rows, n_papers = len(m.names), len(m.paper_iris)
    row_papers = array("I", [0]) * n_rows
    first = array("H", [0]) * n_rows
    last = array("H", [0]) * n_rows
    row_venues: list[Counter[int] | None] = [None] * n_rows
    by_paper: dict[int, list[tuple[int, int]]] = {}
    for paper, row, position in zip(m.pair_paper, m.pair_row, m.pair_position, strict=True):
        row_papers[row] += 1
        if paper < len(m.years):
            y = m.years[paper]
            if y and (not first[row] or y < first[row]):
                first[row] = y
            if y > last[row]:
                last[row] = y
            v = m.venues[paper]
            if v != _NO_VENUE:
                c = row_venues[row]
                if c is None:
                    c = row_venues[row] = Counter()
                c[v] += 1
        if paper < len(m.titles) and m.titles[paper]:
            by_paper.setdefault(paper, []).append((position, row))
    names = list(_clusters(m, row_papers, first, last, row_venues))
    papers: list[PaperDoc] = []
    for paper in range(n_papers):
        title = m.titles[paper] if paper < len(m.titles) else None
        if not title:
            continue
        ships = sorted(by_paper.get(paper, ()))
        year = m.years[paper] if paper < len(m.years) else 0
        v = m.venues[paper] if paper < len(m.venues) else _NO_VENUE
        papers.append(PaperDoc(m.paper_iris[paper], title, year or None,
                               m.venue_labels[v] if v != _NO_VENUE else None,
                               tuple(m.names[r] for _, r in ships[:FIRST_AUTHORS]), len(ships)))
    return names, papers


def _clusters(m: Mapped, row_papers: array[int], first: array[int], last: array[int],
              row_venues: list[Counter[int] | None]) -> Iterator[NameDoc]:
    members: dict[str, list[int]] = {}
    for row, cluster in enumerate(m.clusters):
        members.setdefault(cluster, []).append(row)
    for cluster, rows in members.items():
        spellings = Counter(m.names[r] for r in rows)
        venues: Counter[int] = Counter()
        for r in rows:
            c = row_venues[r]
            if c is not None:
                venues.update(c)
        years = [y for r in rows for y in (first[r], last[r]) if y]
        top = min(venues.items(), key=lambda kv: (-kv[1], m.venue_labels[kv[0]]))[0] if venues else None
        yield NameDoc(cluster, tuple(n for n, _ in sorted(spellings.items(), key=lambda kv: (-kv[1], kv[0]))),
                      len(rows), sum(row_papers[r] for r in rows), min(years) if years else None,
                      max(years) if years else None, m.venue_labels[top] if top is not None else None,
                      1 if len(rows) == 1 else None)


def from_store(store: ox.Store) -> tuple[list[NameDoc], list[PaperDoc]]:
    """The same documents read back from a store (slower; a build that could not collect them)."""
    names: list[str] = []
    clusters: list[str] = []
    row_number: dict[str, int] = {}
    for subject, obj in pairs(store, KG.inCluster):
        if subject not in row_number:
            row_number[subject] = len(clusters)
            clusters.append(obj)
            names.append("")
    for subject, obj in pairs(store, KG.name):
        row = row_number.get(subject)
        if row is not None and not names[row]:
            names[row] = obj
    paper_number: dict[str, int] = {}
    paper_iris: list[str] = []
    titles: list[str | None] = []
    pair_paper, pair_row, pair_position = array("I"), array("I"), array("I")

    def number(iri: str) -> int:
        p = paper_number.get(iri)
        if p is None:
            p = paper_number[iri] = len(paper_iris)
            paper_iris.append(iri)
            titles.append(None)
        return p

    for subject, obj in pairs(store, KG.title):
        k = number(subject)
        if titles[k] is None:
            titles[k] = obj
    years = array("H", [0]) * len(paper_iris)
    venues = array("I", [_NO_VENUE]) * len(paper_iris)
    for subject, obj in pairs(store, KG.year):
        y = paper_number.get(subject)
        if y is not None and obj[:4].isdigit():
            years[y] = int(obj[:4])
    venue_number: dict[str, int] = {}
    venue_labels: list[str] = []
    for subject, obj in pairs(store, KG.publishedIn):
        p = paper_number.get(subject)
        if p is not None:
            v = venue_number.get(obj)
            if v is None:
                v = venue_number[obj] = len(venue_labels)
                venue_labels.append(obj)
            venues[p] = v
    for subject, obj in pairs(store, KG.name, venue_number):
        venue_labels[venue_number[subject]] = obj
    ship_paper: dict[str, int] = {}
    for subject, obj in pairs(store, KG.paper):
        ship_paper[subject] = number(obj)
    position: dict[str, int] = {}
    for subject, obj in pairs(store, KG.position):
        if obj.isdigit():
            position[subject] = int(obj)
    for subject, obj in pairs(store, KG.authorRow):
        got, r = ship_paper.get(subject), row_number.get(obj)
        if got is not None and r is not None:
            pair_paper.append(got)
            pair_row.append(r)
            pair_position.append(position.get(subject, 0))
    years.extend(array("H", [0]) * (len(paper_iris) - len(years)))
    venues.extend(array("I", [_NO_VENUE]) * (len(paper_iris) - len(venues)))
    return documents(Mapped(names, clusters, paper_iris, titles, years, venues, venue_labels,
                            pair_paper, pair_row, pair_position))


def pairs(store: ox.Store, predicate: str, subjects: Iterable[str] | None = None) -> Iterator[tuple[str, str]]:
    """(subject, object) values of the triples of `predicate` (of `subjects` only, when given)."""
    quads = (q for s in subjects for q in store.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(predicate), None)) \
        if subjects is not None else store.quads_for_pattern(None, ox.NamedNode(predicate), None)
    for q in quads:
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, (ox.NamedNode, ox.Literal)):
            yield q.subject.value, q.object.value
