"""Pages of a name cluster: one page of its papers (newest first) with the rows of the whole cluster.

A page costs about what a small cluster costs, however big the cluster: a count (index lookups,
no scan); the sort keys of the cluster's papers (year, title, venue: one index walk, no author
lists); then the details of the papers on the page only (two queries over a VALUES block of the
page's IRIs, written by pyoxigraph's N-Triples serialiser: they come from the store, not the user).
A cluster that fits on one page is fetched whole, as kg.cluster.cluster does (two queries). The
rows, with their counts, years, top venues and top co-authors, and the papers per year always
describe the whole cluster, whatever the page: venues come from the sort keys, co-authors from
the co-authorship index when the backend has one (integer arrays; one query for the names), else
from the cluster-row-coauthors query. A cluster of more than 50 papers precomputed by the build
(kg.cluster_order) is a slice of its page order and one query for the summaries of the page's
papers; its label comes from the build, its rows, probable persons and papers per year as the
JSON text the build wrote, and an answer (`ClusterPage.json_bytes`) copies that text as it is:
the same bytes as the counted path writes for the same page.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import pyoxigraph as ox

from kg.backend import Backend
from kg.cluster import (
    TOP,
    Cluster,
    ClusterPaper,
    ClusterRow,
    _details,
    _papers,
    _query,
    _top,
    answer_json,
    by_loose_key,
    display_name,
    row_years,
    with_identity,
)
from kg.cluster_order import Precomputed, cluster_order
from kg.cluster_order import _per_year as _years
from kg.errors import PageNotFound, QueryError
from kg.identity import read as identity
from kg.identity import suggested
from kg.identity.read import PairView, Person
from kg.identity.suggested import VariantView
from kg.names import loose_key, name_key
from kg.queries import as_int, named

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
EXPORT_BATCH = 500  # papers fetched at a time by all_papers


class Whole:
    """The part of a page that describes the whole cluster: its rows, probable persons and papers
    per year, held as objects (counted per request) or as the JSON text an answer carries (read
    from kg.cluster_order); each form is made from the other only when it is asked for."""

    __slots__ = ("_rows", "_persons", "_years", "_text")

    def __init__(
        self, rows: list[ClusterRow] | None = None, persons: list[Person] | None = None,
        years: list[dict[str, int | None]] | None = None, *, text: tuple[bytes, bytes, bytes] | None = None,
    ) -> None:
        if text is None and (rows is None or persons is None or years is None):
            raise ValueError("give the rows, persons and years, or their JSON text")
        self._rows, self._persons, self._years, self._text = rows, persons, years, text

    def rows(self) -> list[ClusterRow]:
        if self._rows is None:
            assert self._text is not None
            self._rows = [ClusterRow(**r) for r in json.loads(self._text[0])]
        return self._rows

    def persons(self) -> list[Person]:
        if self._persons is None:
            assert self._text is not None
            self._persons = [Person(**p) for p in json.loads(self._text[1])]
        return self._persons

    def years(self) -> list[dict[str, int | None]]:
        if self._years is None:
            assert self._text is not None
            self._years = json.loads(self._text[2])
        return self._years

    def text(self) -> tuple[bytes, bytes, bytes]:
        """The rows, persons and years as JSON text (kg.cluster.answer_json)."""
        if self._text is None:
            self._text = (answer_json([asdict(r) for r in self.rows()]),
                          answer_json([p.to_json() for p in self.persons()]), answer_json(self.years()))
        return self._text

    def plain(self) -> tuple[list[Any], list[Any], list[Any]]:
        """The rows, persons and years as plain JSON values (dicts and lists)."""
        if self._text is not None and self._rows is None:
            rows, persons, years = self._text
            return json.loads(rows), json.loads(persons), json.loads(years)
        return [asdict(r) for r in self.rows()], [p.to_json() for p in self.persons()], list(self.years())


@dataclass
class ClusterPage:
    """`papers` holds the papers of this page; everything else describes the whole cluster (`whole`:
    its rows, probable persons and papers per year)."""

    name: str
    key: str
    papers: list[ClusterPaper]
    loose: bool
    paper_count: int
    page: int
    page_size: int
    whole: Whole
    pairs: list[PairView] | None = None  # with pairs=True, for clusters of up to 50 rows
    suggestions: list[VariantView] = field(default_factory=list)  # rows of other clusters (kg.identity.suggested)

    @classmethod
    def of(cls, c: Cluster, paper_count: int, page: int, page_size: int,
           years: list[dict[str, int | None]]) -> ClusterPage:
        """A page holding `c.papers`, with `c`'s rows and persons."""
        return cls(c.name, c.key, c.papers, c.loose, paper_count, page, page_size, Whole(c.rows, c.persons, years),
                   c.pairs, c.suggestions)

    @property
    def cluster(self) -> Cluster:
        """This page's papers with the whole cluster's rows and persons."""
        return Cluster(self.name, self.key, self.papers, self.whole.rows(), self.loose, self.whole.persons(),
                       self.pairs, self.suggestions)

    @property
    def years(self) -> list[dict[str, int | None]]:
        """Papers per year of the whole cluster, oldest first; year None: papers without one."""
        return self.whole.years()

    @property
    def pages(self) -> int:
        return max(1, -(-self.paper_count // self.page_size))

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None

    def _pairs(self) -> list[dict[str, object]] | None:
        return None if self.pairs is None else [v.to_json() for v in self.pairs]

    def _suggestions(self) -> list[dict[str, object]]:
        return [s.to_json() for s in self.suggestions]

    def to_json(self) -> dict[str, Any]:
        rows, persons, years = self.whole.plain()
        return {"name": self.name, "key": self.key, "papers": [p.to_json() for p in self.papers], "rows": rows,
                "loose": self.loose, "persons": persons, "pairs": self._pairs(),
                "suggestions": self._suggestions(), "paper_count": self.paper_count,
                "page": self.page, "page_size": self.page_size, "pages": self.pages, "years": years}

    def json_bytes(self, **extra: Any) -> bytes:
        """answer_json({**self.to_json(), **extra}) (`extra`: keys after the page's own), with the
        whole cluster's part copied as text: no decoding of the rows of a precomputed cluster."""
        rows, persons, years = self.whole.text()
        parts = [b'{"name": ', answer_json(self.name), b', "key": ', answer_json(self.key), b', "papers": ',
                 answer_json([p.to_json() for p in self.papers]), b', "rows": ', rows, b', "loose": ',
                 answer_json(self.loose), b', "persons": ', persons, b', "pairs": ', answer_json(self._pairs()),
                 b', "suggestions": ', answer_json(self._suggestions()),
                 b', "paper_count": ', answer_json(self.paper_count), b', "page": ', answer_json(self.page),
                 b', "page_size": ', answer_json(self.page_size), b', "pages": ', answer_json(self.pages),
                 b', "years": ', years]
        for k, v in extra.items():
            parts += [b", ", answer_json(k), b": ", answer_json(v)]
        parts.append(b"}")
        return b"".join(parts)


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
    loose = by_loose_key(name, loose)
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
            raise PageNotFound(f"page: {page} is past the last page (1) of this cluster")
        rows = _rows(data, params, loose)
        row_years(rows, ((p.year, p.rows) for p in papers))
        if rows:
            _details(rows, papers)
        years = _years(p.year for p in papers)
        whole = with_identity(data, Cluster(_label(data, name, key, loose, bool(rows)), key, papers, rows, loose),
                              pairs=pairs)
        return ClusterPage.of(whole, len(papers), page, page_size, years)
    order = _order(data, params, loose)
    last = max(1, -(-len(order) // page_size))
    if page > last:
        raise PageNotFound(f"page: {page} is past the last page ({last}) of this cluster")
    rows = _rows(data, params, loose)
    row_years(rows, ((p.year, p.rows) for p in order))
    _row_details(data, params, loose, rows, order)
    shown = _fetch(data, order[(page - 1) * page_size : page * page_size])
    years = _years(p.year for p in order)
    # the probable persons (and pairs) describe the whole cluster, as the rows do
    part = with_identity(data, Cluster(_label(data, name, key, loose, bool(rows)), key, shown, rows, loose),
                         pairs=pairs)
    return ClusterPage.of(part, len(order), page, page_size, years)


def all_papers(data: Backend, name: str, *, loose: bool = False, batch: int = EXPORT_BATCH) -> Iterator[ClusterPaper]:
    """Every paper of the cluster in page order, fetched `batch` papers at a time (for exports)."""
    loose = by_loose_key(name, loose)
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
    """A page as a slice of the precomputed order, plus the details of its papers (one query; two
    without precomputed author lists), the whole cluster's part as the text the build wrote."""
    last = max(1, -(-pre.paper_count // page_size))
    if page > last:
        raise PageNotFound(f"page: {page} is past the last page ({last}) of this cluster")
    start, stop = (page - 1) * page_size, page * page_size
    shown = _fetch(data, _slice(pre, start, stop), pre.authors(start, stop))
    whole = Whole(text=pre.text)
    found = pre.text[0] != b"[]"  # the cluster has rows
    chosen = identity.pairs(data, key, [r.iri for r in whole.rows()], loose=loose) if pairs else None
    label = display_name(pre.label if found and not loose else None, name)  # as _label finds it
    # a suggested row is of another exact name: only a loose cluster can hold it already
    own = {r.iri for r in whole.rows()} if loose else set()
    variants = suggested.suggestions(data, key, own, loose=loose) if found else []
    return ClusterPage(label, key, shown, loose, pre.paper_count, page, page_size, whole, chosen, variants)


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


def _label(data: Backend, name: str, key: str, loose: bool, rows: bool) -> str:
    """The cluster's display label (`rows`: whether it has rows)."""
    label = None
    if not loose and rows:
        found = data.select(named("cluster-label"), {"key": key})
        label = found[0].get("label") if found else None
    return display_name(label, name)
