"""The co-authorship adjacency index: integer CSR arrays written beside the store, memory-mapped.

A build writes it into the new generation directory (so it is swapped in atomically with the store)
from the store's own triples. Author rows and name clusters are numbered in IRI order (so integer
order is IRI order, which the path search uses to break ties); papers with fewer than two author
rows are left out, since they link nobody. Files, all native byte order:

    authors.iri / authors.off   the author row IRIs, sorted, UTF-8, and their offsets (uint64)
    clusters.iri / clusters.off the name cluster IRIs, the same way
    papers.iri / papers.off     the IRIs of the papers, in paper-number order (first seen, not sorted)
    a2p.off / a2p.dat           author row -> papers (uint64 offsets, uint32 paper numbers)
    a2a.off / a2a.dat           author row -> its co-author rows (the co-author relation, materialised)
    p2a.off / p2a.dat           paper -> author rows
    a2c.dat                     author row -> its name cluster (uint32; NONE if it has none)
    c2a.off / c2a.dat           name cluster -> author rows
    solo.iri / solo.off         the IRIs of the papers with one author row (left out of the tables above)
    solo.dat                    their author rows (uint32), in the same order
    ships.off / ships.dat       paper -> its authorships as (position, author row) uint32 pairs, sorted
    solo-ships.off / .dat       the same for the single-author papers (only when the index was
                                collected while mapping: a fresh `kg build`)
    paper-facts-years.dat       per paper of the two tables above (papers.iri, then solo.iri) its
    paper-facts-venues.dat      year (uint16, 0: none), venue (uint32 into paper-facts-venue-iris;
    paper-facts-venue-iris.*    NONE: none) and title (paper-facts-titles.iri/.off, "": none), as
    paper-facts-titles.*        mapped (only when collected while mapping)
    identity-*                  the identity evidence's facts (kg.identity.facts) and the name
                                clusters that may hold one person under two spellings
                                (kg.identity.spelling), when collected while mapping

The single-author papers complete each row's papers (a2p plus solo) for the build steps that need
them all (kg.cluster_order); the path search does not read them.
"""

from __future__ import annotations

import bisect
import itertools
import json
import mmap
import re
import shutil
import sys
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

import pyoxigraph as ox

from kg.identity.facts import FactCollector
from kg.identity.spelling import cluster_pairs, write_pairs
from kg.iris import Minter
from kg.names import name_key
from kg.records import Affiliation, Author, AuthorDetail, Authorship, Citation, Paper, Venue
from kg.search.abstracts import pack
from kg.search.collect import Mapped, write_collected
from kg.search.spill import SpilledAbstracts
from kg.search.write import SEARCH
from kg.terms import KG, RDF_TYPE

INDEX = "paths-index"
PAPER_FACTS = "paper-facts"  # each paper's year, venue and title, when collected while mapping
FORMAT = 3
NONE = 0xFFFFFFFF
_TYPE = ox.NamedNode(RDF_TYPE)


def build_index(store: ox.Store, generation: Path) -> dict[str, int]:
    """Write the index of `store` into `generation`/paths-index, read back from the store; its counts."""
    authors = sorted(_subjects(store.quads_for_pattern(None, _TYPE, ox.NamedNode(KG.AuthorRow))))
    number = {iri: i for i, iri in enumerate(authors)}
    tmp = _start(generation)
    p2a_off, p2a_dat = _paper_rows(store, number, tmp / "papers")
    in_cluster: dict[int, str] = {}
    for q in store.quads_for_pattern(None, ox.NamedNode(KG.inCluster), None):
        row = number.get(q.subject.value) if isinstance(q.subject, ox.NamedNode) else None
        if row is not None and isinstance(q.object, ox.NamedNode):
            in_cluster.setdefault(row, q.object.value)
    del number
    return _finish(generation, tmp, authors, in_cluster, p2a_off, p2a_dat)


class Collector:
    """Gathers what the index needs from the records as they are mapped, so that a fresh build
    writes the index without reading the store back (which costs about 15 µs a triple).

    It must see exactly the accepted records of every source of the store: kg.build uses it for a
    fresh build, and reads the store back (build_index) when it adds to an existing one.

    The papers' abstracts go to a scratch file in `scratch` as they come (kg.search.spill), not
    into memory; `close()` removes it when the search index is not written.
    """

    def __init__(self, minter: Minter, scratch: Path | None = None) -> None:
        self.minter = minter
        self._authors: dict[str, int] = {}
        self._clusters: list[str] = []
        self._papers: dict[str, int] = {}
        self._paper_iris: list[str] = []
        self._pair_paper, self._pair_row, self._pair_position = array("I"), array("I"), array("I")
        self.facts = FactCollector(minter)  # what the identity evidence needs besides the index
        self._titles: list[str | None] = []  # by paper number, for the search index (kg.search)
        self._abstracts = SpilledAbstracts(scratch)  # by paper number: the indexed words (kg.search.abstracts)
        self._waiting: dict[str, list[int]] = {}  # a cited paper not read yet -> the papers citing it

    def _paper(self, paper_iri: str) -> int:
        paper = self._papers.get(paper_iri)
        if paper is None:
            paper = self._papers[paper_iri] = len(self._paper_iris)
            self._paper_iris.append(paper_iri)
        return paper

    def add(self, record: object) -> None:
        if isinstance(record, Authorship):
            row = self._authors[self.minter.author(record.author_id)]
            self._pair_paper.append(self._paper(self.minter.paper(record.paper_id)))
            self._pair_row.append(row)
            self._pair_position.append(record.position)
        elif isinstance(record, Paper):
            iri = self.minter.paper(record.id)
            number = self._paper(iri)
            self.facts.paper(number, record)
            for citing in self._waiting.pop(iri, ()):
                self.facts.citation(citing, number)
            if len(self._titles) <= number:
                self._titles.extend([None] * (number + 1 - len(self._titles)))
            self._titles[number] = record.title
            packed = pack(record.abstract)
            if packed is not None:
                self._abstracts.add(number, packed)
        elif isinstance(record, Author):
            iri = self.minter.author(record.id)
            if iri not in self._authors:
                self._authors[iri] = len(self._clusters)
                self.facts.author(self._authors[iri], record)
                self._clusters.append(self.minter.cluster(name_key(record.name)))
        elif isinstance(record, AuthorDetail):
            known = self._authors.get(self.minter.author(record.author_id))
            if known is not None:
                self.facts.detail(known, record)
        elif isinstance(record, Venue):
            self.facts.venue(record)
        elif isinstance(record, Affiliation):
            paper = self._paper(self.minter.paper(record.paper_id))
            self.facts.affiliation(self._ship_row(paper, record.position), paper, record)
        elif isinstance(record, Citation):
            by, to = self.minter.paper(record.paper_id), self.minter.paper(record.cited_id)
            known = self._papers.get(to)
            if known is None:  # cited before it is read (or never read: then it links nobody)
                self._waiting.setdefault(to, []).append(self._paper(by))
            else:
                self.facts.citation(self._paper(by), known)

    def _ship_row(self, paper: int, position: int) -> int | None:
        """The row of authorship `position` of `paper` when it is among the last authorships read
        (the sources give a work's affiliations right after its authorships), else None."""
        pp, pr, ppos = self._pair_paper, self._pair_row, self._pair_position
        k = len(pp) - 1
        while k >= 0 and pp[k] == paper:
            if ppos[k] == position:
                return int(pr[k])
            k -= 1
        return None

    def write(self, generation: Path, *, search: bool = True) -> dict[str, int]:
        """Write the index into `generation`/paths-index, with the search index's documents in it
        when `search` (else they are written apart: `write_search`); its counts."""
        authors = sorted(self._authors)
        renumber = array("I", [0]) * len(authors)
        for i, iri in enumerate(authors):
            renumber[self._authors[iri]] = i
        in_cluster = {renumber[old]: cluster for old, cluster in enumerate(self._clusters)}
        rows = array("I", (renumber[r] for r in self._pair_row))
        tmp = _start(generation)
        pairs = cluster_pairs(set(self._clusters))  # name clusters that may hold one person under two spellings
        write_pairs(tmp, pairs)
        self.facts.facts(list(self._authors), self._clusters, self._pair_paper, self._pair_row, renumber,
                         {c for pair in pairs for c in pair}, self._pair_position).write(tmp)
        placed = (array("I"), array("I"))
        p2a_off, p2a_dat = _group_pairs(self._pair_paper, rows, self._paper_iris, tmp / "papers", self._pair_position,
                                        placed)
        self._write_paper_facts(tmp, placed[0] + placed[1])
        if search:
            self.write_search(tmp / SEARCH)
        return _finish(generation, tmp, authors, in_cluster, p2a_off, p2a_dat)


    def _write_paper_facts(self, tmp: Path, order: array[int]) -> None:
        """Each paper's year, venue and title as mapped, for the papers of the index's two tables
        (those with two rows or more, then the single-author ones): what kg.cluster_order_touched
        reads instead of looking each up in the store."""
        years, venues, iris = self.facts.years, self.facts.venues, self.facts.venue_iris
        year = array("H", (years[p] if p < len(years) else 0 for p in order))
        venue = array("I", (venues[p] if p < len(venues) else NONE for p in order))
        _write(tmp / f"{PAPER_FACTS}-years.dat", year)
        _write(tmp / f"{PAPER_FACTS}-venues.dat", venue)
        _write_iris(tmp / f"{PAPER_FACTS}-venue-iris", iris)
        writer = _IriWriter(tmp / f"{PAPER_FACTS}-titles")
        titles = self._titles
        for p in order:
            writer.add((titles[p] if p < len(titles) else None) or "")
        writer.close()

    def search_documents(self) -> Mapped:
        """What the search index's documents are made of (kg.search.collect), without the rest of
        the collector: a caller that keeps only this lets the rest be freed."""
        f = self.facts
        return Mapped(f.names, self._clusters, self._paper_iris, self._titles, f.years, f.venues,
                      [f.venue_names.get(iri, iri) for iri in f.venue_iris],
                      self._pair_paper, self._pair_row, self._pair_position, self._abstracts)

    def write_search(self, path: Path) -> None:
        """The search index's documents (kg.search), but for the persons' counts (added after the
        identity step, kg.search.step); the abstracts' scratch file is removed after."""
        try:
            write_collected(self.search_documents(), path)
        finally:
            self.close()

    def close(self) -> None:
        """Removes the abstracts' scratch file."""
        self._abstracts.close()


def _start(generation: Path) -> Path:
    tmp = generation / f".{INDEX}.part"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    return tmp


def _finish(
    generation: Path,
    tmp: Path,
    authors: list[str],
    in_cluster: dict[int, str],
    p2a_off: array[int],
    p2a_dat: array[int],
) -> dict[str, int]:
    """Derive the other tables from paper -> rows and row -> cluster, write them, swap the directory in."""
    _write_iris(tmp / "authors", authors)
    a2p_off, a2p_dat = _transpose(p2a_off, p2a_dat, len(authors))
    a2a_off, a2a_dat = _coauthors(a2p_off, a2p_dat, p2a_off, p2a_dat)
    clusters = sorted(set(in_cluster.values()))
    cluster_number = {iri: i for i, iri in enumerate(clusters)}
    a2c = array("I", [NONE]) * len(authors)
    for row, cluster in in_cluster.items():
        a2c[row] = cluster_number[cluster]
    del cluster_number
    _write_iris(tmp / "clusters", clusters)
    c2a_off, c2a_dat = _group(a2c, len(clusters))
    for name, data in (("p2a.off", p2a_off), ("p2a.dat", p2a_dat), ("a2p.off", a2p_off), ("a2p.dat", a2p_dat),
                       ("a2a.off", a2a_off), ("a2a.dat", a2a_dat),
                       ("a2c.dat", a2c), ("c2a.off", c2a_off), ("c2a.dat", c2a_dat)):
        _write(tmp / name, data)
    counts = {"authors": len(authors), "papers": len(p2a_off) - 1, "authorships": len(p2a_dat),
              "coauthor_links": len(a2a_dat) // 2,
              "clusters": len(clusters)}
    meta = {"format": FORMAT, "byteorder": sys.byteorder, "counts": counts}
    (tmp / "index.json").write_text(json.dumps(meta, indent=2))
    final = generation / INDEX
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    return counts


def _paper_rows(store: ox.Store, number: dict[str, int], stem: Path) -> tuple[array[int], array[int]]:
    """paper -> sorted distinct author rows (CSR), for the papers with at least two; their IRIs to `stem`.

    One scan of the kg:author triples (Oxigraph gives them grouped by author, not by paper), the
    papers numbered as they come, then a counting sort by paper: a lookup per paper cost 7 times more.
    """
    paper_number: dict[str, int] = {}
    papers: list[str] = []
    pair_paper, pair_row = array("I"), array("I")
    for q in store.quads_for_pattern(None, ox.NamedNode(KG.author), None):
        subject, obj = q.subject, q.object
        if not isinstance(subject, ox.NamedNode) or not isinstance(obj, ox.NamedNode):
            continue
        row = number.get(obj.value)
        if row is None:
            continue
        paper = paper_number.get(subject.value)
        if paper is None:
            paper = paper_number[subject.value] = len(papers)
            papers.append(subject.value)
        pair_paper.append(paper)
        pair_row.append(row)
    del paper_number
    return _group_pairs(pair_paper, pair_row, papers, stem)


def _group_pairs(
    pair_paper: array[int], pair_row: array[int], papers: list[str], stem: Path, positions: array[int] | None = None,
    placed: tuple[array[int], array[int]] | None = None,
) -> tuple[array[int], array[int]]:
    """(paper, row) pairs -> paper -> sorted distinct rows (CSR) for the papers with at least two;
    their IRIs written to `stem`, renumbered in order; the papers with one row to solo.iri/.off/.dat
    beside it. `placed` (two arrays) is given the papers' numbers of `pair_paper` in the order of
    the two tables."""
    by_paper_off, by_paper = _transpose(array("Q", range(len(pair_paper) + 1)), pair_paper, len(papers))
    p2a_off, p2a_dat = array("Q", [0]), array("I")
    writer, solo, solo_rows = _IriWriter(stem), _IriWriter(stem.with_name("solo")), array("I")
    ships = {name: (array("Q", [0]), array("I")) for name in ("ships", "solo-ships")} if positions is not None else None
    for paper, iri in enumerate(papers):
        pairs = by_paper[by_paper_off[paper] : by_paper_off[paper + 1]]
        rows = sorted({pair_row[k] for k in pairs})
        if len(rows) < 2:
            if rows:
                solo.add(iri)
                solo_rows.append(rows[0])
                if placed is not None:
                    placed[1].append(paper)
        else:
            p2a_dat.extend(rows)
            p2a_off.append(len(p2a_dat))
            writer.add(iri)
            if placed is not None:
                placed[0].append(paper)
        if ships is not None and positions is not None and rows:
            off, dat = ships["ships" if len(rows) > 1 else "solo-ships"]
            for position, row in sorted((positions[k], pair_row[k]) for k in pairs):
                dat.extend((position, row))
            off.append(len(dat))
    writer.close()
    solo.close()
    _write(stem.with_name("solo.dat"), solo_rows)
    for name, (off, dat) in (ships or {}).items():
        _write(stem.with_name(f"{name}.off"), off)
        _write(stem.with_name(f"{name}.dat"), dat)
    return p2a_off, p2a_dat


def _subjects(quads: Iterable[ox.Quad]) -> Iterable[str]:
    """The distinct IRI subjects of quads ordered by subject (a quad per graph is seen once)."""
    last = None
    for q in quads:
        s = q.subject
        if isinstance(s, ox.NamedNode) and s.value != last:
            last = s.value
            yield last


def _transpose(off: array[int], dat: array[int], n: int) -> tuple[array[int], array[int]]:
    """The CSR of the reverse relation, rows in increasing order (a counting sort)."""
    counts = array("Q", [0]) * (n + 1)
    for x in dat:
        counts[x + 1] += 1
    for i in range(n):
        counts[i + 1] += counts[i]
    out_off = array("Q", counts)
    out = array("I", [0]) * len(dat)
    for src in range(len(off) - 1):
        for k in range(off[src], off[src + 1]):
            x = dat[k]
            out[counts[x]] = src
            counts[x] += 1
    return out_off, out


def _coauthors(a2p_off: array[int], a2p_dat: array[int], p2a_off: array[int],
               p2a_dat: array[int]) -> tuple[array[int], array[int]]:
    """Author row -> the sorted distinct author rows sharing a paper with it."""
    off, dat = array("Q", [0]), array("I")
    for i in range(len(a2p_off) - 1):
        found: set[int] = set()
        for k in range(a2p_off[i], a2p_off[i + 1]):
            p = a2p_dat[k]
            found.update(p2a_dat[p2a_off[p]: p2a_off[p + 1]])
        found.discard(i)
        dat.extend(sorted(found))
        off.append(len(dat))
    return off, dat


def _group(owner: array[int], n: int) -> tuple[array[int], array[int]]:
    """CSR of groups -> members from a member -> group array (NONE members left out)."""
    single_off = array("Q", range(len(owner) + 1))
    kept = array("I", (g if g != NONE else n for g in owner))
    off, dat = _transpose(single_off, kept, n + 1)
    return off[: n + 1], dat[: off[n]]


class _IriWriter:
    """Writes IRIs one by one as stem.iri (UTF-8, concatenated) and stem.off (uint64 offsets)."""

    def __init__(self, stem: Path) -> None:
        self.stem = stem
        self.off = array("Q", [0])
        self._file = open(stem.with_suffix(".iri"), "wb")  # noqa: SIM115 - closed by close()

    def add(self, iri: str) -> None:
        data = iri.encode("utf-8")
        self._file.write(data)
        self.off.append(self.off[-1] + len(data))

    def close(self) -> None:
        self._file.close()
        _write(self.stem.with_suffix(".off"), self.off)


def _write_iris(stem: Path, iris: list[str]) -> None:
    writer = _IriWriter(stem)
    for iri in iris:
        writer.add(iri)
    writer.close()


def _write(path: Path, data: array[int]) -> None:
    with open(path, "wb") as f:
        data.tofile(f)


class _Mapped:
    """One memory-mapped file as a typed memoryview."""

    def __init__(self, path: Path, fmt: Literal["B", "H", "I", "Q"]) -> None:
        with open(path, "rb") as f:
            size = path.stat().st_size
            self._mmap = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else None
        raw = memoryview(self._mmap) if self._mmap is not None else memoryview(b"")
        self.view: memoryview[int] = raw.cast(fmt)

    def close(self) -> None:
        self.view.release()
        if self._mmap is not None:
            self._mmap.close()


class IriTable:
    """A list of IRIs on disk: number -> IRI, and if it is sorted IRI -> number (binary search)."""

    def __init__(self, stem: Path) -> None:
        self._data = _Mapped(stem.with_suffix(".iri"), "B")
        self._off = _Mapped(stem.with_suffix(".off"), "Q")

    def __len__(self) -> int:
        return len(self._off.view) - 1

    def _bytes(self, i: int) -> bytes:
        off = self._off.view
        return bytes(self._data.view[off[i]: off[i + 1]])

    def iri(self, i: int) -> str:
        return self._bytes(i).decode("utf-8")

    def find(self, iri: str) -> int | None:
        lo = self.position(iri)
        return lo if lo < len(self) and self._bytes(lo) == iri.encode("utf-8") else None

    def position(self, iri: str) -> int:
        """Where `iri` is or would be in a sorted table: the number of IRIs before it."""
        key = iri.encode("utf-8")
        lo, hi = 0, len(self)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._bytes(mid) < key:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def containing(self, needle: bytes) -> Iterator[int]:
        """The numbers of the IRIs holding `needle`, each once, in order: one search of the table's
        bytes (the IRIs are not decoded one by one: tens of milliseconds for a million)."""
        off, last = self._off.view, -1
        for m in re.finditer(re.escape(needle), self._data.view):
            i = bisect.bisect_right(off, m.start()) - 1
            if i != last and off[i + 1] >= m.end():  # not a match across two IRIs
                last = i
                yield i

    def ending(self, pattern: re.Pattern[bytes], tries: int | None = None) -> Iterator[int]:
        """The numbers of the IRIs a match of `pattern` ends, searched in the table's bytes at once
        (the IRIs are not decoded one by one), looking at the first `tries` matches only when given.
        Matches do not overlap: a pattern for an IRI's last segment begins with "/" and holds no
        other "/"."""
        off = self._off.view
        for m in itertools.islice(pattern.finditer(self._data.view), tries):
            i = bisect.bisect_left(off, m.end())
            if i < len(off) and off[i] == m.end() and i > 0:
                yield i - 1

    def close(self) -> None:
        self._data.close()
        self._off.close()


class Csr:
    """Rows of integers: row(i) is a memoryview of uint32."""

    def __init__(self, stem: Path) -> None:
        self._off = _Mapped(stem.with_suffix(".off"), "Q")
        self._dat = _Mapped(stem.with_suffix(".dat"), "I")
        self.off = self._off.view
        self.dat = self._dat.view

    def row(self, i: int) -> memoryview:
        return self.dat[self.off[i]: self.off[i + 1]]

    def degree(self, i: int) -> int:
        return int(self.off[i + 1] - self.off[i])

    def close(self) -> None:
        self._off.close()
        self._dat.close()


class AdjacencyIndex:
    """The memory-mapped index of one store generation."""

    def __init__(self, path: Path) -> None:
        meta = json.loads((path / "index.json").read_text())
        if meta.get("format") != FORMAT or meta.get("byteorder") != sys.byteorder:
            raise ValueError(f"{path}: index format {meta.get('format')} ({meta.get('byteorder')}) not readable here")
        self.path = path
        self.counts: dict[str, int] = meta["counts"]
        self.authors = IriTable(path / "authors")
        self.clusters = IriTable(path / "clusters")
        self.papers = IriTable(path / "papers")
        self.a2p = Csr(path / "a2p")
        self.p2a = Csr(path / "p2a")
        self._a2c = _Mapped(path / "a2c.dat", "I")
        self.a2c = self._a2c.view
        self.c2a = Csr(path / "c2a")
        self.a2a = Csr(path / "a2a")

    @classmethod
    def open(cls, generation: Path) -> AdjacencyIndex | None:
        """The index of a generation directory, or None if it has none (or an unreadable one)."""
        path = generation / INDEX
        if not (path / "index.json").is_file():
            return None
        try:
            return cls(path)
        except (OSError, ValueError, KeyError):
            return None

    def close(self) -> None:
        for part in (self.authors, self.clusters, self.papers, self.a2p, self.p2a, self._a2c, self.c2a, self.a2a):
            part.close()
