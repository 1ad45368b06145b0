"""The precomputed order and counts of the big name clusters, so that a page of one is a slice.

Written at build time (`build_cluster_order`, a step of kg.build) into the co-authorship index's
directory, so it belongs to the index's generation (a rebuild makes a new one), and a remote backend
given a store generation's index as --index has it too. For every cluster of more than BIG papers
(a smaller one fits on the default page and is fetched whole, as fast as before), under its exact
name key and its loose one: its papers in page order (newest first, then title, then IRI, as the
cluster-papers query sorts them) with the cluster rows on each, its rows with their counts, years,
top venues and top co-authors (as kg.cluster_page counts them), its probable persons (as
kg.identity.read gives them) and its papers per year: these three as the JSON text an answer
carries, so that a page of a cluster of hundreds of rows copies them into its answer instead of
decoding and encoding them again; and a strict key's display label. Read from the store in a few
whole-predicate scans (serialised by Oxigraph into a file beside the index, read back a row at a
time by the csv module: about 5 µs a triple against 20 µs through Python terms, and never a whole
answer in memory) and the index (each row's papers, including the single-author
ones it keeps aside, the co-author counts, each row's cluster).

Files in paths-index/cluster-order/, native byte order; a cluster whose rows are those of another
(a loose cluster is most often its strict one) is written once:

    V-keys.iri / V-keys.off     the name keys of variant V (strict, loose), sorted (UTF-8)
    V-keys.dat                  each key's cluster number (uint32)
    strict-labels.iri / .off    each strict key's cluster label, as the cluster-label query gives it
                                ("" for none)
    head.dat / head.off         per cluster, four JSON texts (offsets 4c .. 4c+4): the IRIs of the rows
                                with the key (`members`), then as an answer writes them (kg.cluster
                                .answer_json) its `rows`, `persons` and `years`
    order.off / order.dat       per cluster, its papers in page order (uint32 numbers into papers.iri)
    on.off / on.dat             per paper of order.dat, the cluster rows on it (indices into members)
    papers.iri / papers.off     the IRIs of the papers of all those clusters
    authors.off / authors.dat   per paper of papers.iri, its authorships as (position, author row)
                                pairs (uint32) sorted, the rows numbered as in the index; and
    names.iri / names.off       every index row's name ("" for none): both only when the index
                                has the positions (collected while mapping, a fresh `kg build`)
    meta.json                   format, byte order and counts
"""

from __future__ import annotations

import csv
import heapq
import json
import os
import shutil
import sys
import tempfile
import weakref
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pyoxigraph as ox

from kg.adjacency import AdjacencyIndex, Csr, IriTable, _IriWriter, _Mapped, _write, _write_iris
from kg.cluster import TOP, ClusterRow, _top, answer_json
from kg.identity.read import Person, completed
from kg.terms import KG, RDFS_LABEL

DIRECTORY = "cluster-order"
FORMAT = 2  # 2: the heads as the answer's JSON text, with the probable persons; the labels
BIG = 50  # clusters of more papers than this (the default page size) are precomputed
VARIANTS = {"strict": KG.nameKey, "loose": KG.looseNameKey}
_V = TypeVar("_V")
_INT_TYPES = ("#integer", "#int", "#long", "#positiveInteger", "#nonNegativeInteger", "#gYear")  # kg.queries.value
HEAD = ("members", "rows", "persons", "years")  # the JSON texts of a cluster in head.dat, in this order


@dataclass
class Precomputed:
    """One big cluster: its paper count; its rows, probable persons and papers per year as JSON
    text (`text`: rows, persons, years, each as an answer writes it); its papers in page order."""

    paper_count: int
    text: tuple[bytes, bytes, bytes]
    label: str  # the display label of a strict key's cluster ("" for none, and for a loose key)
    _members: list[str]
    _order: ClusterOrder
    _cluster: int

    @property
    def rows(self) -> list[ClusterRow]:
        return [ClusterRow(**r) for r in json.loads(self.text[0])]

    @property
    def persons(self) -> list[Person]:
        return [Person(**p) for p in json.loads(self.text[1])]

    @property
    def years(self) -> list[dict[str, int | None]]:
        found: list[dict[str, int | None]] = json.loads(self.text[2])
        return found

    def papers(self, start: int, stop: int) -> list[tuple[str, tuple[str, ...]]]:
        """Papers start..stop (0-based, in page order): each IRI with the cluster rows on it, sorted."""
        o = self._order
        first = int(o.order.off[self._cluster])
        out = []
        for entry in range(first + start, first + min(stop, self.paper_count)):
            on = tuple(sorted(self._members[i] for i in o.on.row(entry)))
            out.append((o.papers.iri(o.order.dat[entry]), on))
        return out

    def authors(self, start: int, stop: int) -> list[dict[str, object]] | None:
        """The author lists of papers start..stop as the paper-authors query's rows, or None when
        they were not precomputed (an index read back from the store rather than collected)."""
        o = self._order
        if o.authors is None or o.names is None:
            return None
        first = int(o.order.off[self._cluster])
        out: list[dict[str, object]] = []
        for entry in range(first + start, first + min(stop, self.paper_count)):
            paper = o.order.dat[entry]
            iri = o.papers.iri(paper)
            ships = o.authors.row(paper)
            for k in range(0, len(ships), 2):
                row = ships[k + 1]
                name = o.names.iri(row)
                if name:  # a row without a name has no place in the list (as in the query)
                    out.append({"paper": iri, "position": ships[k], "author": o.index.authors.iri(row),
                                "authorName": name})
        return out


class ClusterOrder:
    """The memory-mapped precomputed clusters of one index directory."""

    def __init__(self, path: Path, index: AdjacencyIndex) -> None:
        self.index = index
        meta = json.loads((path / "meta.json").read_text())
        if meta.get("format") != FORMAT or meta.get("byteorder") != sys.byteorder:
            raise ValueError(f"{path}: cluster order format {meta.get('format')} not readable here")
        self.counts: dict[str, int] = meta["counts"]
        self.papers = IriTable(path / "papers")
        self.keys = {name: IriTable(path / f"{name}-keys") for name in VARIANTS}
        self.labels = IriTable(path / "strict-labels")
        self._cluster = {name: _Mapped(path / f"{name}-keys.dat", "I") for name in VARIANTS}
        self._head_off = _Mapped(path / "head.off", "Q")
        self._head_dat = _Mapped(path / "head.dat", "B")
        self.order = Csr(path / "order")
        self.on = Csr(path / "on")
        has_authors = (path / "authors.off").is_file()
        self.authors = Csr(path / "authors") if has_authors else None  # (position, row) pairs per paper
        self.names = IriTable(path / "names") if has_authors else None  # each index row's name ("": none)

    def find(self, key: str, loose: bool = False) -> Precomputed | None:
        """The precomputed cluster of this name key, None when it is not a big cluster."""
        name = "loose" if loose else "strict"
        i = self.keys[name].find(key)
        if i is None:
            return None
        c = self._cluster[name].view[i]
        off, dat = self._head_off.view, self._head_dat.view
        members, rows, persons, years = (bytes(dat[off[k] : off[k + 1]]) for k in range(4 * c, 4 * c + 4))
        papers = int(self.order.off[c + 1] - self.order.off[c])
        label = "" if loose else self.labels.iri(i)
        return Precomputed(papers, (rows, persons, years), label, json.loads(members), self, c)

    def close(self) -> None:
        for table in (self.papers, *self.keys.values(), self.labels):
            table.close()
        for mapped in (*self._cluster.values(), self._head_off, self._head_dat):
            mapped.close()
        self.order.close()
        self.on.close()
        if self.authors is not None and self.names is not None:
            self.authors.close()
            self.names.close()


_opened: weakref.WeakKeyDictionary[AdjacencyIndex, ClusterOrder | None] = weakref.WeakKeyDictionary()


def cluster_order(index: AdjacencyIndex | None) -> ClusterOrder | None:
    """The precomputed clusters beside this co-authorship index (opened once per index), or None
    when there are none (an older store or `kg index` directory, no index at all)."""
    if index is None:
        return None
    if index not in _opened:
        path = index.path / DIRECTORY
        found = None
        if (path / "meta.json").is_file():
            try:
                found = ClusterOrder(path, index)
            except (OSError, ValueError, KeyError):
                found = None
        _opened[index] = found
    return _opened[index]


# -- the build


class _Papers:
    """Each author row's papers from the index: a2p (papers numbered as in the index) plus the
    single-author papers (numbered after them)."""

    def __init__(self, index: AdjacencyIndex) -> None:
        self.index = index
        self.multi = len(index.papers)
        self.solo = IriTable(index.path / "solo")
        self.count = self.multi + len(self.solo)
        solo_rows = _Mapped(index.path / "solo.dat", "I")
        self.solo_of: dict[int, list[int]] = defaultdict(list)
        for k, row in enumerate(solo_rows.view):
            self.solo_of[row].append(self.multi + k)
        solo_rows.close()

    def of(self, row: int) -> list[int]:
        found = list(self.index.a2p.row(row))
        found.extend(self.solo_of.get(row, ()))
        return found

    def degree(self, row: int) -> int:
        return self.index.a2p.degree(row) + len(self.solo_of.get(row, ()))

    def iri(self, paper: int) -> str:
        return self.index.papers.iri(paper) if paper < self.multi else self.solo.iri(paper - self.multi)

    def close(self) -> None:
        self.solo.close()


def _scan(store: ox.Store, predicate: str, scratch: Path, what: str = "?s ?o", where: str = "") -> Iterator[list[str]]:
    """(subject, object) of every triple of `predicate` (union of the graphs), as text (CSV): written
    by Oxigraph into a file in `scratch` and read back a row at a time, so that a scan of the whole
    graph is never in memory (as one answer it was there three times: Oxigraph's bytes, their text,
    and StringIO's copy of it at four bytes a character)."""
    query = f"SELECT {what} WHERE {{ ?s <{predicate}> ?o {where}}}"
    results = store.query(query, use_default_graph_as_union=True)
    assert isinstance(results, ox.QuerySolutions)
    fd, name = tempfile.mkstemp(prefix=".scan-", suffix=".csv", dir=scratch)
    os.close(fd)
    try:
        results.serialize(name, format=ox.QueryResultsFormat.CSV)
        with open(name, encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            next(reader, None)
            try:
                yield from reader  # the fast path: nothing per row but the csv module's work
                return
            except csv.Error as e:  # a field longer than csv.field_size_limit(): that row and the rest below
                error = str(e)  # not the exception: its traceback would keep this frame (and its query) alive
        with open(name, encoding="utf-8", newline="") as f:
            rows = long_rows(iter(f))
            next(rows, None)
            limit = csv.field_size_limit()  # read, not set: the limit is global to the process
            for row in rows:  # the rows before the long one were yielded already
                if any(len(field) > limit for field in row):
                    yield row
                    break
            else:
                raise csv.Error(error)
            yield from rows
    finally:
        os.unlink(name)


def long_rows(lines: Iterator[str]) -> Iterator[list[str]]:
    """The rows of Oxigraph's CSV (RFC 4180: a field with a comma, quote or line break is quoted, a
    quote doubled) from `lines`, however long a field is. csv.reader stops at a field of more than
    131,072 characters (csv.field_size_limit, global to the process, which other threads' scans
    share): a literal that long (an abstract, or any literal of a loaded file) failed the build after
    its load with a traceback. Only read past such a field, so the fast reader reads every other scan."""
    for line in lines:
        if '"' not in line:
            yield line.rstrip("\r\n").split(",")
            continue
        fields: list[str] = []
        text, i = line, 0
        while True:
            if text.startswith('"', i):
                parts: list[str] = []
                i += 1
                while True:
                    j = text.find('"', i)
                    if j == -1:  # the field goes on on the next line
                        parts.append(text[i:])
                        text, i = next(lines, None) or "", 0
                        if not text:
                            raise ValueError("a CSV field is not closed at the end of the scan")
                        continue
                    if text.startswith('"', j + 1):
                        parts.append(text[i:j + 1])
                        i = j + 2
                        continue
                    parts.append(text[i:j])
                    i = j + 1
                    break
                fields.append("".join(parts))
                if text.startswith(",", i):
                    i += 1
                    continue
                break
            end = text.find(",", i)
            if end == -1:
                fields.append(text[i:].rstrip("\r\n"))
                break
            fields.append(text[i:end])
            i = end + 1
        yield fields


def _years(store: ox.Store, scratch: Path) -> Iterator[tuple[str, int | None]]:
    """(paper, year) for every kg:year triple; a year not of an integer type is None (kg.queries.value)."""
    for s, value, datatype in _scan(store, KG.year, scratch, "?s ?o ?t", "BIND(DATATYPE(?o) AS ?t) "):
        year = None
        if datatype.endswith(_INT_TYPES):
            try:
                year = int(value)
            except ValueError:
                year = None
        yield s, year


def build_cluster_order(store: ox.Store, index: AdjacencyIndex, big: int | None = None) -> dict[str, int]:
    """Write the precomputed clusters of more than `big` papers (default BIG) beside `index`; their counts."""
    papers = _Papers(index)
    try:
        return _build(store, index, papers, BIG if big is None else big)
    finally:
        papers.close()


def _build(store: ox.Store, index: AdjacencyIndex, papers: _Papers, big: int) -> dict[str, int]:
    # every row IRI is one string object (interned): the scans' copies of it are dropped as they are read
    authors = [sys.intern(index.authors.iri(i)) for i in range(len(index.authors))]
    number = {iri: i for i, iri in enumerate(authors)}
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="kg-cluster-order") as pool:
        # Oxigraph serialises a scan without the GIL: two at a time use both cores
        scratch = index.path
        scanned = [pool.submit(_keyed, store, p, scratch) for p in VARIANTS.values()]
        identity = pool.submit(_Persons, store, index, scratch)
        names = _first((sys.intern(s), o) for s, o in _scan(store, KG.name, scratch))
        with_key = [f.result() for f in scanned]
        del scanned  # a done future keeps its result: the whole-graph dicts would outlive `del with_key`
        clusters = {v: _big(found, number, names, papers, big) for v, found in zip(VARIANTS, with_key, strict=True)}
        labelled: dict[str, list[str]] = defaultdict(list)  # who carries a big strict key: its keys
        for k in clusters["strict"]:
            for s in with_key[0][k]:
                labelled[s].append(k)
        del with_key
        found_labels = pool.submit(_labels, store, scratch, labelled)
        wanted = bytearray(papers.count)  # a byte per paper of the graph, not a set of the wanted ones
        for kept in clusters.values():
            for rows in kept.values():
                for r in rows:
                    if r in number:
                        for p in papers.of(number[r]):
                            wanted[p] = 1
        table = array("I", (p for p, w in enumerate(wanted) if w))
        del wanted
        paper_of = {papers.iri(p): i for i, p in enumerate(table)}  # IRI -> number in papers.iri
        found_years = pool.submit(_first, _years(store, scratch), paper_of)
        found_venues = pool.submit(_first, ((s, sys.intern(o)) for s, o in _scan(store, KG.publishedIn, scratch)),
                                   paper_of)
        titles = _first(_scan(store, KG.title, scratch), paper_of)
        year, venue = found_years.result(), found_venues.result()
        del paper_of
        labels = found_labels.result()  # the cluster-label query's answer, per strict key
        del found_labels, found_years, found_venues
        least: dict[str, str] = {}
        for s, label_of in labels.items():
            for k in labelled[s]:
                if k not in least or label_of < least[k]:
                    least[k] = label_of
        label = {k: least.get(k, "") for k in clusters["strict"]}
        del labels, labelled, least
    position = _Positions(table)
    tmp = index.path / f".{DIRECTORY}.part"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    writer = _IriWriter(tmp / "papers")
    for p in table:
        writer.add(papers.iri(p))
    writer.close()
    rank = _page_rank(year, titles, lambda i: papers.iri(table[i]), len(table))
    del titles
    _write_authors(index, papers, table, names, authors, tmp)
    details = _Details(index, authors, names, number, papers, position, year, venue)
    persons = identity.result()
    heads = open(tmp / "head.dat", "wb")  # noqa: SIM115 - closed below
    head_off, order_off, on_off = array("Q", [0]), array("Q", [0]), array("Q", [0])
    order, on = array("I"), array("I")
    numbered: dict[tuple[str, ...], int] = {}  # a loose cluster is most often its strict one: written once
    for variant, kept in clusters.items():
        keys = sorted(kept)
        cluster_of = array("I")
        for key in keys:
            members = kept[key]
            same = numbered.get(tuple(members))
            if same is not None:
                cluster_of.append(same)
                continue
            cluster_of.append(len(numbered))
            numbered[tuple(members)] = len(numbered)
            entries: dict[int, list[int]] = {}
            for m, iri in enumerate(members):
                if iri in number:
                    for p in papers.of(number[iri]):
                        entries.setdefault(position[p], []).append(m)
            ranked = sorted(entries, key=rank.__getitem__)
            order.extend(ranked)
            for i in ranked:
                on.extend(entries[i])
                on_off.append(len(on))
            order_off.append(len(order))
            shown = sorted((details.row(iri) for iri in members if iri in names), key=lambda r: (-r[2], r[0]))
            whole = persons.of(members, {r[0]: r[2] for r in shown}, number)
            for data in (json.dumps(members, ensure_ascii=False).encode("utf-8"), answer_json([_row(r) for r in shown]),
                         answer_json([p.to_json() for p in whole]),
                         answer_json(_per_year(year.get(i) for i in ranked))):
                heads.write(data)
                head_off.append(head_off[-1] + len(data))
        _write_iris(tmp / f"{variant}-keys", keys)
        if variant == "strict":
            _write_iris(tmp / "strict-labels", [label[key] for key in keys])
        _write(tmp / f"{variant}-keys.dat", cluster_of)
    heads.close()
    return finish_files(index, tmp, big, (("head.off", head_off), ("order.off", order_off), ("order.dat", order),
                                          ("on.off", on_off), ("on.dat", on)),
                        {"papers": len(table), "clusters": len(numbered), "entries": len(order),
                         **{f"{v}_keys": len(kept) for v, kept in clusters.items()}})


def _page_rank(year: dict[int, int | None], titles: dict[int, str], iri: Callable[[int], str], n: int) -> array[int]:
    """Each of papers 0..n-1's place in page order: newest first (those without a year last), then
    by title, then by IRI (so no two are equal). Sorted a year at a time: only one year's sort keys
    are ever in memory."""
    by_year: dict[int | None, array[int]] = {}
    for i in range(n):
        by_year.setdefault(year.get(i), array("I")).append(i)
    rank = array("I", [0]) * n
    place = 0
    known = sorted((y for y in by_year if y is not None), reverse=True)
    years: list[int | None] = [*known, None] if None in by_year else [*known]
    for y in years:
        for i in sorted(by_year.pop(y), key=lambda i: (titles.get(i, ""), iri(i))):
            rank[i] = place
            place += 1
    return rank


def finish_files(index: AdjacencyIndex, tmp: Path, big: int, numbers: tuple[tuple[str, array[int]], ...],
                 counts: dict[str, int]) -> dict[str, int]:
    """Writes the number files and meta.json (with `counts` and the directory's bytes) of an order
    directory made in `tmp`, and puts it in place of the index's with one rename; the counts."""
    for name, values in numbers:
        _write(tmp / name, values)
    counts["bytes"] = sum(f.stat().st_size for f in tmp.iterdir())
    (tmp / "meta.json").write_text(json.dumps({"format": FORMAT, "byteorder": sys.byteorder, "big": big,
                                                "counts": counts}, indent=2))
    final = index.path / DIRECTORY
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    return counts


def _write_authors(
    index: AdjacencyIndex, papers: _Papers, table: Sequence[int], names: dict[str, str], authors: list[str], tmp: Path
) -> None:
    """The author lists of the papers of `table` and every index row's name, when the index holds the
    authorships' positions (collected while mapping)."""
    if write_author_lists(index, papers, table, tmp):
        _write_iris(tmp / "names", [names.get(iri, "") for iri in authors])


def write_author_lists(index: AdjacencyIndex, papers: _Papers, table: Sequence[int], tmp: Path) -> bool:
    """authors.off / authors.dat: the author rows of the papers of `table`, in their order on each
    paper; False (nothing written) when the index holds no authorships' positions."""
    if not (index.path / "ships.off").is_file():
        return False
    multi, solo = Csr(index.path / "ships"), Csr(index.path / "solo-ships")
    try:
        off, dat = array("Q", [0]), array("I")
        for p in table:
            dat.extend(multi.row(p) if p < papers.multi else solo.row(p - papers.multi))
            off.append(len(dat))
        _write(tmp / "authors.off", off)
        _write(tmp / "authors.dat", dat)
    finally:
        multi.close()
        solo.close()
    return True


def _labels(store: ox.Store, scratch: Path, wanted: Container[str]) -> dict[str, str]:
    """Subject -> its least rdfs:label, for the `wanted` subjects (the big name clusters' nodes)."""
    found: dict[str, str] = {}
    for s, label in _scan(store, RDFS_LABEL, scratch):
        if s not in wanted:
            continue
        if s not in found or label < found[s]:
            found[s] = label
    return found


def _keyed(store: ox.Store, predicate: str, scratch: Path) -> dict[str, list[str]]:
    """Object -> the subjects of the `predicate` triples (name key -> the rows carrying it)."""
    found: dict[str, list[str]] = defaultdict(list)
    for subject, key in _scan(store, predicate, scratch):
        found[key].append(sys.intern(subject))
    return found


def _first(pairs: Iterable[tuple[str, _V] | list[str]], number: dict[str, int] | None = None) -> dict[Any, Any]:
    """Subject -> its first object (subjects renumbered by `number`, the others left out)."""
    found: dict[Any, Any] = {}
    if number is None:
        for s, o in pairs:
            found.setdefault(s, o)
        return found
    for s, o in pairs:
        i = number.get(s)
        if i is not None and i not in found:
            found[i] = o
    return found


def _big(
    with_key: dict[str, list[str]], number: dict[str, int], names: dict[str, str], papers: _Papers, big: int
) -> dict[str, list[str]]:
    """The keys of more than `big` distinct papers, each with its rows (IRI order; not the cluster's
    own node, which carries the key too)."""
    kept: dict[str, list[str]] = {}
    for key, rows in with_key.items():
        numbers = [number[r] for r in rows if r in number]
        if sum(papers.degree(r) for r in numbers) <= big:
            continue
        if len({p for r in numbers for p in papers.of(r)}) > big:
            kept[key] = sorted({r for r in rows if r in number or r in names})
    return kept


class Positions(Protocol):
    """Paper number (kg.cluster_order._Papers') -> its number in the order's papers.iri."""

    def __getitem__(self, paper: int, /) -> int: ...


class _Positions:
    """Positions of the papers of a sorted table, by binary search (not a dict of them all)."""

    def __init__(self, table: array[int]) -> None:
        self._table = table

    def __getitem__(self, paper: int) -> int:
        i = bisect_left(self._table, paper)
        if i == len(self._table) or self._table[i] != paper:
            raise KeyError(paper)
        return i


class _Details:
    """A row as the cluster-rows query and kg.cluster_page count it (its papers, years, top venues and
    co-authors), as [iri, name, papers, first year, last year, venues, co-authors] with each top
    entry as [iri, name, papers]; computed once per row (a row is in a strict and a loose cluster)."""

    def __init__(
        self, index: AdjacencyIndex, authors: list[str], names: dict[str, str], number: dict[str, int],
        papers: _Papers, position: Positions, year: dict[int, int | None], venue: dict[int, str],
    ) -> None:
        self.index, self.authors, self.names, self.number = index, authors, names, number
        self.papers, self.position, self.year, self.venue = papers, position, year, venue
        self._done: dict[str, list[Any]] = {}

    def row(self, iri: str) -> list[Any]:
        found = self._done.get(iri)
        if found is None:
            found = self._done[iri] = self._row(iri)
        return found

    def _row(self, iri: str) -> list[Any]:
        row = self.number.get(iri)
        own = [self.position[p] for p in self.papers.of(row)] if row is not None else []
        years = [y for y in (self.year.get(i) for i in own) if y is not None]
        venues: Counter[tuple[str, str]] = Counter()
        for i in own:
            v = self.venue.get(i)
            if v is not None:
                venues[(v, self.names.get(v, ""))] += 1
        coauthors = self._coauthors(row) if row is not None else []
        return [iri, self.names[iri], len(own), min(years) if years else None, max(years) if years else None,
                [[t["iri"], t["name"], t["papers"]] for t in _top(venues)],
                [[t["iri"], t["name"], t["papers"]] for t in coauthors]]

    def _coauthors(self, row: int) -> list[dict[str, Any]]:
        """As kg.cluster_page._indexed_coauthors: joint papers from the index, named co-authors only."""
        c: Counter[int] = Counter()
        p2a = self.index.p2a
        for paper in self.index.a2p.row(row):
            c.update(p2a.row(paper))
        c.pop(row, None)
        if len(c) > TOP:
            floor = heapq.nlargest(TOP, c.values())[-1]
            c = Counter({k: n for k, n in c.items() if n >= floor})
        named: Counter[tuple[str, str]] = Counter()
        for i, n in c.items():
            iri = self.authors[i]
            if iri in self.names:
                named[(iri, self.names[iri])] = n
        return _top(named)


def _row(data: list[Any]) -> dict[str, Any]:
    """A row of _Details as ClusterRow.to_json gives it."""
    iri, name, papers, first, last, venues, coauthors = data
    return {"iri": iri, "name": name, "paper_count": papers, "first_year": first, "last_year": last,
            "top_venues": [{"iri": v[0], "name": v[1], "papers": v[2]} for v in venues],
            "top_coauthors": [{"iri": v[0], "name": v[1], "papers": v[2]} for v in coauthors]}


class _Persons:
    """The probable persons of a cluster as kg.identity.read.persons reads them from the store (the
    identity-persons query), from four scans of the identity graph's predicates and the index's
    cluster of each row: the rows of the cluster in a kg:ProbablePerson (with its paper count and
    evidence), each other row a person of its own."""

    def __init__(self, store: ox.Store, index: AdjacencyIndex, scratch: Path) -> None:
        self.index = index
        self.person_of: dict[str, list[str]] = defaultdict(list)
        for row, person in _scan(store, KG.probablePerson, scratch):
            self.person_of[sys.intern(row)].append(sys.intern(person))
        wanted = {p for found in self.person_of.values() for p in found}
        self.papers: dict[str, int] = {}
        for person, n in _scan(store, KG.paperCount, scratch):
            if person in wanted and person not in self.papers:
                person = sys.intern(person)
                try:
                    self.papers[person] = int(n)
                except ValueError:
                    self.papers[person] = 0
        self.evidence: dict[str, set[str]] = defaultdict(set)
        for person, text in _scan(store, KG.evidence, scratch):
            if person in wanted:
                self.evidence[sys.intern(person)].add(sys.intern(text))
        judged = (index.clusters.find(c) for c, _ in _scan(store, KG.personCount, scratch))
        self.judged = {c for c in judged if c is not None}  # clusters the identity step judged

    def of(self, members: list[str], rows: dict[str, int], number: dict[str, int]) -> list[Person]:
        """As identity.read.persons(data, key, rows) for the cluster of these rows."""
        found: dict[str, Person] = {}
        covered: set[str] = set()
        for row in members:
            for iri in self.person_of.get(row, ()):
                if iri not in self.papers:
                    continue
                person = found.get(iri)
                if person is None:
                    person = found[iri] = Person([], self.papers[iri], sorted(self.evidence.get(iri, ())), iri)
                if row not in person.rows:
                    person.rows.append(row)
                    covered.add(row)
        a2c = self.index.a2c
        checked = any(a2c[number[m]] in self.judged for m in members if m in number)
        return completed(sorted(found.values(), key=lambda p: p.iri or ""), covered, rows, checked)


def _per_year(years: Iterator[int | None]) -> list[dict[str, int | None]]:
    """Papers per year, oldest first, then those without a year (kg.cluster_page._years)."""
    counts = Counter(years)
    known = sorted(y for y in counts if y is not None)
    out: list[dict[str, int | None]] = [{"year": y, "papers": counts[y]} for y in known]
    if None in counts:
        out.append({"year": None, "papers": counts[None]})
    return out
