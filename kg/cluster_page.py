"""Pages of a name cluster: one page of its papers (newest first) with the rows of the whole cluster.

A page costs about what a small cluster costs, however big the cluster: a count (index lookups,
no scan); the sort keys of the cluster's papers (year, title, venue: one index walk, no author
lists); then the details of the papers on the page only (two queries over a VALUES block of the
page's IRIs, written by pyoxigraph's N-Triples serialiser: they come from the store, not the user).
A cluster that fits on one page is fetched whole, as kg.cluster.cluster does (two queries). The
rows, with their counts, years, top venues and top co-authors, and the papers per year always
describe the whole cluster, whatever the page: venues come from the sort keys, co-authors from
the co-authorship index when the backend has one (integer arrays; one query for the names), else
from the cluster-row-coauthors query.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from kg.backend import Backend
from kg.cluster import TOP, Cluster, ClusterPaper, ClusterRow, _details, _papers, _query, _top, with_identity
from kg.cluster_order import Precomputed, cluster_order
from kg.cluster_order import _per_year as _years
from kg.errors import QueryError
from kg.names import loose_key, name_key
from kg.queries import as_int, named

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
EXPORT_BATCH = 500  # papers fetched at a time by all_papers


@dataclass
class ClusterPage:
    """`cluster.papers` holds the papers of this page; everything else describes the whole cluster."""

    cluster: Cluster
    paper_count: int
    page: int
    page_size: int
    years: list[dict[str, int | None]]  # papers per year, oldest first; year None: papers without one

    @property
    def pages(self) -> int:
        return max(1, -(-self.paper_count // self.page_size))

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.cluster.to_json(),
            "paper_count": self.paper_count,
            "page": self.page,
            "page_size": self.page_size,
            "pages": self.pages,
            "years": self.years,
        }


@dataclass(frozen=True)
class _Sorted:
    """A paper's sort key, its venue and the cluster rows on it."""

    iri: str
    year: int | None
    title: str
    rows: tuple[str, ...]
    venue: tuple[str, str] | None  # (IRI, name)

    def key(self) -> tuple[int, int, str, str]:
        # DESC(?year) with unbound years last, then ?title, then ?paper (as the cluster-papers query).
        return (0, -self.year, self.title, self.iri) if self.year is not None else (1, 0, self.title, self.iri)


def check_paging(page: int, page_size: int) -> None:
    if page < 1:
        raise QueryError(f"page: must be at least 1, not {page}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise QueryError(f"page_size: must be from 1 to {MAX_PAGE_SIZE}, not {page_size}")


def cluster_page(
    data: Backend, name: str, *, page: int = 1, page_size: int = PAGE_SIZE, loose: bool = False,
    pairs: bool = False,
) -> ClusterPage:
    """Page `page` (1-based) of `page_size` papers of the name cluster of `name`.

    A page past the last one of a non-empty cluster is a QueryError naming the last page.
    """
    check_paging(page, page_size)
    key = _key(name, loose)
    pre = _precomputed(data, key, loose)
    if pre is not None:
        return _from_precomputed(data, name, key, loose, pre, page, page_size, pairs)
    params: dict[str, object] = {"key": key}
    count_rows = data.select(_query("cluster-paper-count", loose), params)
    count = as_int(count_rows[0].get("papers")) if count_rows else 0
    count = count or 0
    if count <= page_size:  # one page: the whole cluster in two queries, as kg.cluster.cluster
        papers = _papers(
            data.select(_query("cluster-papers", loose), params), data.select(_query("cluster-authors", loose), params)
        )
        if page > 1 and papers:
            raise QueryError(f"page: {page} is past the last page (1) of this cluster")
        rows = _rows(data, params, loose)
        if rows:
            _details(rows, papers)
        years = _years(p.year for p in papers)
        whole = with_identity(data, Cluster(_label(data, name, key, loose, rows), key, papers, rows, loose),
                              pairs=pairs)
        return ClusterPage(whole, len(papers), page, page_size, years)
    order = _order(data, params, loose)
    last = max(1, -(-len(order) // page_size))
    if page > last:
        raise QueryError(f"page: {page} is past the last page ({last}) of this cluster")
    rows = _rows(data, params, loose)
    _row_details(data, params, loose, rows, order)
    shown = _fetch(data, order[(page - 1) * page_size : page * page_size])
    years = _years(p.year for p in order)
    # the probable persons (and pairs) describe the whole cluster, as the rows do
    part = with_identity(data, Cluster(_label(data, name, key, loose, rows), key, shown, rows, loose), pairs=pairs)
    return ClusterPage(part, len(order), page, page_size, years)


def all_papers(data: Backend, name: str, *, loose: bool = False, batch: int = EXPORT_BATCH) -> Iterator[ClusterPaper]:
    """Every paper of the cluster in page order, fetched `batch` papers at a time (for exports)."""
    key = _key(name, loose)
    pre = _precomputed(data, key, loose)
    if pre is not None:
        for start in range(0, pre.paper_count, batch):
            yield from _fetch(data, _slice(pre, start, start + batch), pre.authors(start, start + batch))
        return
    order = _order(data, {"key": key}, loose)
    for start in range(0, len(order), batch):
        yield from _fetch(data, order[start : start + batch])


def _precomputed(data: Backend, key: str, loose: bool) -> Precomputed | None:
    """The cluster's precomputed order and counts (kg.cluster_order), None when it has none: a
    cluster of at most kg.cluster_order.BIG papers, an older store, a backend without an index."""
    found = cluster_order(data.index())
    return found.find(key, loose) if found is not None else None


def _from_precomputed(
    data: Backend, name: str, key: str, loose: bool, pre: Precomputed, page: int, page_size: int, pairs: bool
) -> ClusterPage:
    """A page as a slice of the precomputed order, plus the details of its papers (two queries)."""
    last = max(1, -(-pre.paper_count // page_size))
    if page > last:
        raise QueryError(f"page: {page} is past the last page ({last}) of this cluster")
    start, stop = (page - 1) * page_size, page * page_size
    shown = _fetch(data, _slice(pre, start, stop), pre.authors(start, stop))
    c = Cluster(_label(data, name, key, loose, pre.rows), key, shown, pre.rows, loose)
    return ClusterPage(with_identity(data, c, pairs=pairs), pre.paper_count, page, page_size, pre.years)


def _slice(pre: Precomputed, start: int, stop: int) -> list[_Sorted]:
    return [_Sorted(iri, None, "", rows, None) for iri, rows in pre.papers(start, stop)]


def _key(name: str, loose: bool) -> str:
    if not name.strip():
        raise QueryError("name: must not be empty")
    return loose_key(name) if loose else name_key(name)


def _order(data: Backend, params: dict[str, object], loose: bool) -> list[_Sorted]:
    found: dict[str, tuple[int | None, str, set[str], tuple[str, str] | None]] = {}
    for r in data.select(_query("cluster-paper-order", loose), params):
        iri = str(r["paper"])
        entry = found.get(iri)
        if entry is None:
            venue = (str(r["venue"]), str(r.get("venueName", ""))) if "venue" in r else None
            entry = found[iri] = (as_int(r.get("year")), str(r.get("title", "")), set(), venue)
        entry[2].add(str(r["row"]))
    order = [_Sorted(iri, year, title, tuple(sorted(rows)), venue) for iri, (year, title, rows, venue) in found.items()]
    order.sort(key=_Sorted.key)
    return order


def _fetch(data: Backend, papers: list[_Sorted], authors: list[dict[str, object]] | None = None) -> list[ClusterPaper]:
    """The details of these papers, in this order: two queries over a VALUES block of their IRIs
    (one when their author lists are given, as the paper-authors query's rows)."""
    if not papers:
        return []
    iris = [p.iri for p in papers]
    heads: dict[str, dict[str, object]] = {}
    for r in data.select(_over(named("paper-summary").text, "paper", iris)):
        heads.setdefault(str(r["paper"]), r)
    summaries = [{**heads.get(p.iri, {"paper": p.iri, "title": p.title or None}), "row": row}
                 for p in papers for row in p.rows]
    if authors is None:
        authors = data.select(_over(named("paper-authors").text, "paper", iris))
    return _papers(summaries, authors)


def _over(text: str, variable: str, iris: list[str]) -> str:
    """The query with ?variable ranging over `iris`: a VALUES block first in its WHERE group.

    Each IRI is checked and written by pyoxigraph (NamedNode, N-Triples form); only IRIs read from
    the store are passed, never user input.
    """
    block = f"VALUES ?{variable} {{ {' '.join(str(ox.NamedNode(i)) for i in iris)} }}"
    head, found, rest = text.partition("WHERE {")
    if not found:
        raise QueryError(f"cannot bind ?{variable} over many values: no 'WHERE {{' in the query")
    return f"{head}WHERE {{\n  {block}{rest}"


def _rows(data: Backend, params: dict[str, object], loose: bool) -> list[ClusterRow]:
    return [
        ClusterRow(str(r["row"]), str(r["name"]), as_int(r["papers"]) or 0, as_int(r.get("firstYear")),
                   as_int(r.get("lastYear")))
        for r in data.select(_query("cluster-rows", loose), params)
    ]


def _row_details(
    data: Backend, params: dict[str, object], loose: bool, rows: list[ClusterRow], order: list[_Sorted]
) -> None:
    """Each row's top venues and co-authors over the whole cluster (as kg.cluster._details counts them)."""
    if not rows:
        return
    venues: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for p in order:
        if p.venue is not None:
            for on in p.rows:
                venues[on][p.venue] += 1
    coauthors = _indexed_coauthors(data, rows)
    if coauthors is None:
        coauthors = defaultdict(Counter)
        for r in data.select(_query("cluster-row-coauthors", loose), params):
            coauthors[str(r["row"])][(str(r["coauthor"]), str(r["coauthorName"]))] = as_int(r["papers"]) or 0
    for row in rows:
        row.top_venues = _top(venues[row.iri])
        row.top_coauthors = _top(coauthors.get(row.iri, Counter()))


def _indexed_coauthors(data: Backend, rows: list[ClusterRow]) -> dict[str, Counter[tuple[str, str]]] | None:
    """Joint-paper counts of each row's co-authors from the co-authorship index, None without one.

    Only the co-authors that can be among a row's top TOP (the TOP-th count and above, ties kept,
    since ties are broken by name) get their names, in one query.
    """
    index = data.index()
    if index is None:
        return None
    counts: dict[str, Counter[int]] = {}
    for row in rows:
        number = index.authors.find(row.iri)
        c: Counter[int] = Counter()
        if number is not None:
            for paper in index.a2p.row(number):
                c.update(set(index.p2a.row(paper)) - {number})
        if len(c) > TOP:
            floor = sorted(c.values(), reverse=True)[TOP - 1]
            c = Counter({k: n for k, n in c.items() if n >= floor})
        counts[row.iri] = c
    wanted = sorted({i for c in counts.values() for i in c})
    iris = {i: index.authors.iri(i) for i in wanted}
    names: dict[str, str] = {}
    for start in range(0, len(wanted), 1000):
        chunk = [iris[i] for i in wanted[start : start + 1000]]
        for r in data.select(_over(_NAMES, "author", chunk)):
            names.setdefault(str(r["author"]), str(r["name"]))
    return {
        row: Counter({(iris[i], names.get(iris[i], "")): n for i, n in c.items() if iris[i] in names})
        for row, c in counts.items()
    }


_NAMES = "PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>\nSELECT ?author ?name WHERE { ?author kg:name ?name }"


def _label(data: Backend, name: str, key: str, loose: bool, rows: list[ClusterRow]) -> str:
    label = None
    if not loose and rows:
        found = data.select(named("cluster-label"), {"key": key})
        label = found[0].get("label") if found else None
    return str(label) if label else " ".join(name.split())
