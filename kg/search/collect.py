"""The search documents from what kg.adjacency.Collector gathered while mapping (a fresh build),
or read back from a store (kg build --add, kg load): name clusters with their rows' names, paper
counts, years and top venue; papers with title, year, venue, first authors and the first words of
their abstract (kg.search.abstracts)."""

from __future__ import annotations

import time
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.search.abstracts import pack
from kg.search.spill import SpilledAbstracts
from kg.search.write import NameDoc, PaperDoc, write_documents
from kg.terms import KG

FIRST_AUTHORS = 3
_NO_VENUE = 0xFFFFFFFF


@dataclass
class Mapped:
    """What the collector holds, in its own numbering: rows (names, clusters), papers (IRIs,
    titles, years, venue numbers into `venue_labels`), the (paper, row, position) authorships, and
    the papers' abstracts as kg.search.abstracts.pack keeps them (by paper number; None: none), in
    memory or in a scratch file (kg.search.spill: the collector's, read as the index is written)."""

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
    abstracts: Sequence[bytes | None] | SpilledAbstracts = ()



def _most_written(spelling: tuple[str, int]) -> tuple[int, bool, str]:
    """The order of a cluster's spellings, the first its label: the one most rows write, then the
    composed form (NFC, as the cluster page shows a name) before its decomposed twin, then by code
    point. By code point alone a decomposed "José" (e + U+0301) came before the composed one."""
    name, rows = spelling
    return -rows, not unicodedata.is_normalized("NFC", name), name

def documents(m: Mapped) -> tuple[list[NameDoc], list[PaperDoc]]:
    """The name and paper documents (persons left unknown, but for one-row clusters: the identity
    step comes later). One pass over the authorships, summing straight into the clusters."""
    cluster_number: dict[str, int] = {}
    cluster_of = array("I", (cluster_number.setdefault(c, len(cluster_number)) for c in m.clusters))
    n_clusters, n_titles, n_years = len(cluster_number), len(m.titles), len(m.years)
    rows = array("I", [0]) * n_clusters
    for c in cluster_of:
        rows[c] += 1
    papers = array("I", [0]) * n_clusters
    first = array("H", [0xFFFF]) * n_clusters
    last = array("H", [0]) * n_clusters
    # the authorships grouped by paper (a counting sort into arrays, not a sorted list of a tuple
    # per authorship): a cluster counts a paper once however many of its rows wrote it, and each
    # titled paper's first authors are by position
    n_papers = max(len(m.paper_iris), max(m.pair_paper, default=-1) + 1)
    off = array("Q", [0]) * (n_papers + 1)
    for paper in m.pair_paper:
        off[paper + 1] += 1
    for paper in range(n_papers):
        off[paper + 1] += off[paper]
    fill = array("Q", off)
    by_paper = array("Q", [0]) * len(m.pair_paper)
    for k, paper in enumerate(m.pair_paper):
        by_paper[fill[paper]] = k
        fill[paper] += 1
    del fill
    venue_count: Counter[int] = Counter()  # cluster * venues + venue -> papers
    n_venues = len(m.venue_labels) + 1
    years, venues, pair_paper, pair_row = m.years, m.venues, m.pair_paper, m.pair_row
    counted = array("q", [-1]) * n_clusters  # the paper each cluster was last counted for
    for k in by_paper:
        paper, c = pair_paper[k], cluster_of[pair_row[k]]
        if counted[c] == paper:  # two rows of one cluster on one paper (two people of one name)
            continue
        counted[c] = paper
        papers[c] += 1
        if paper < n_years:
            y = years[paper]
            if y:
                if y < first[c]:
                    first[c] = y
                if y > last[c]:
                    last[c] = y
            v = venues[paper]
            if v != _NO_VENUE:
                venue_count[c * n_venues + v] += 1
    top: dict[int, tuple[int, int]] = {}  # cluster -> (papers, venue)
    for key, count in venue_count.items():
        c, v = divmod(key, n_venues)
        best = top.get(c)
        if best is None or count > best[0] or (count == best[0] and m.venue_labels[v] < m.venue_labels[best[1]]):
            top[c] = (count, v)
    spellings: dict[int, Counter[str]] = {}  # the clusters of several rows: how often each name is written
    alone: dict[int, str] = {}  # the others: their one row's name
    for row, c in enumerate(cluster_of):
        if rows[c] == 1:
            alone[c] = m.names[row]
        else:
            spellings.setdefault(c, Counter())[m.names[row]] += 1
    names = [NameDoc(iri, (alone[c],) if c in alone else
                     tuple(n for n, _ in sorted(spellings[c].items(), key=_most_written)),
                     rows[c], papers[c], first[c] if first[c] != 0xFFFF else None, last[c] or None,
                     m.venue_labels[top[c][1]] if c in top else None, 1 if rows[c] == 1 else None)
             for iri, c in cluster_number.items()]
    # each titled paper's first authors, by (position, row)
    row_names, positions = m.names, m.pair_position
    spilled = m.abstracts if isinstance(m.abstracts, SpilledAbstracts) else None
    abstracts = m.abstracts if not isinstance(m.abstracts, SpilledAbstracts) else ()
    docs: list[PaperDoc] = []
    for paper in range(min(len(m.paper_iris), n_titles)):
        title = m.titles[paper]
        if not title and not (spilled.has(paper) if spilled is not None else
                              paper < len(abstracts) and abstracts[paper] is not None):
            continue  # a paper without a title is found by its abstract (its label "[no title] IRI"), or not at all
        ships = sorted((positions[k], pair_row[k]) for k in by_paper[off[paper]: off[paper + 1]])
        year = years[paper] if paper < n_years else 0
        v = venues[paper] if paper < len(venues) else _NO_VENUE
        docs.append(PaperDoc(m.paper_iris[paper], title or "", year or None,
                             m.venue_labels[v] if v != _NO_VENUE else None,
                             tuple(row_names[row] for _, row in ships[:FIRST_AUTHORS]), len(ships),
                             abstracts[paper] if paper < len(abstracts) else None,
                             paper if spilled is not None and paper < len(spilled) else -1))
    return names, docs


def write_collected(m: Mapped, path: Path) -> None:
    """Writes the index of what the collector held into `path`, but for the persons' counts (added
    after the identity step, kg.search.step); its wall and CPU seconds go into its meta table."""
    started, cpu = time.perf_counter(), time.process_time()
    names, papers = documents(m)
    conn = write_documents(path, names, papers, m.abstracts if isinstance(m.abstracts, SpilledAbstracts) else None)
    with conn:
        conn.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("collected_seconds", f"{time.perf_counter() - started:.3f}"),
            ("collected_cpu_seconds", f"{time.process_time() - cpu:.3f}")])
    conn.close()


def from_store(store: ox.Store, spilled: SpilledAbstracts | None = None) -> tuple[list[NameDoc], list[PaperDoc]]:
    """The same documents read back from a store (slower; a build that could not collect them);
    with `spilled`, their abstracts are kept there (for the writer) instead of in the documents."""
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
    abstracts = spilled if spilled is not None else _InMemory(len(paper_iris))
    for subject, obj in pairs(store, KG.abstract):
        packed = pack(obj)
        if packed is not None:  # a paper without a title is numbered here: it is found by its abstract
            abstracts.add(number(subject), packed)  # the first of a paper is kept
    # every paper an authorship names, numbered before the years and venues are read: a paper without
    # a title or an abstract still gives its authors' clusters their years and venue, as when collected
    ship_paper: dict[str, int] = {}
    for subject, obj in pairs(store, KG.paper):
        ship_paper[subject] = number(obj)
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
                            pair_paper, pair_row, pair_position,
                            abstracts if isinstance(abstracts, SpilledAbstracts) else abstracts.packed))


class _InMemory:
    """Abstracts by paper number in a list, added as SpilledAbstracts adds them (the first kept)."""

    def __init__(self, papers: int) -> None:
        self.packed: list[bytes | None] = [None] * papers

    def add(self, paper: int, packed: bytes) -> None:
        if len(self.packed) <= paper:
            self.packed.extend([None] * (paper + 1 - len(self.packed)))
        if self.packed[paper] is None:
            self.packed[paper] = packed


def pairs(store: ox.Store, predicate: str, subjects: Iterable[str] | None = None) -> Iterator[tuple[str, str]]:
    """(subject, object) values of the triples of `predicate` (of `subjects` only, when given)."""
    quads = (q for s in subjects for q in store.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(predicate), None)) \
        if subjects is not None else store.quads_for_pattern(None, ox.NamedNode(predicate), None)
    for q in quads:
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, (ox.NamedNode, ox.Literal)):
            yield q.subject.value, q.object.value
