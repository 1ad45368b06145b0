"""The big clusters' order (kg.cluster_order) after a sync, recomputed for the touched name keys
only: every other cluster's entry is kept from the previous generation's files.

A cluster's entry reads its rows, their papers and their co-authors (kg.sync.touched says which
keys a delta can move); those are recomputed here from the new co-authorship index, the papers'
facts collected beside it while mapping (kg.adjacency.PAPER_FACTS) and bound lookups in the new
store (names, keys, labels; the papers' facts too when none were collected), never a scan of it.
The probable persons of every big cluster are read again (the identity step ran over the whole
graph: a person of a kept cluster may move with it), row by row. The files are written as
kg.cluster_order writes them: the same bytes as the whole computation
(tests/test_cluster_order_touched.py compares them on generated graphs and changes).

`update_cluster_order` returns None when the previous files cannot be kept (none, another format
or threshold, or without the author lists the new index can give): then the caller computes
the whole order.
"""

from __future__ import annotations

import json
import shutil
import sys
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox

import kg.cluster_order as order
from kg.adjacency import (
    NONE,
    PAPER_FACTS,
    AdjacencyIndex,
    IriTable,
    _IriWriter,
    _Mapped,
    _write,
    _write_iris,
)
from kg.cluster import answer_json
from kg.cluster_order import (
    _INT_TYPES,
    DIRECTORY,
    FORMAT,
    VARIANTS,
    ClusterOrder,
    _Details,
    _Papers,
    _per_year,
    _row,
    finish_files,
    write_author_lists,
)
from kg.identity.read import Person, completed
from kg.terms import KG, RDFS_LABEL


@dataclass
class _Entry:
    """One big cluster as the files hold it: its four JSON texts and its papers in page order
    (IRIs), each with the members on it (indices into members)."""

    members: list[str]
    text: list[bytes]  # members, rows, persons, years
    papers: list[str]
    on: list[list[int]]


def update_cluster_order(
    store: ox.Store, index: AdjacencyIndex, previous: Path, touched: dict[str, set[str]], rows: set[str],
    big: int | None = None,
) -> dict[str, int] | None:
    """Writes the cluster order beside `index` from the one in `previous` (an index directory of
    the generation before the sync) and the touched keys (per variant) and rows; its counts, or
    None when the previous order cannot be used (made with another `big`: default BIG)."""
    big = order.BIG if big is None else big
    old_path = previous / DIRECTORY
    if not (old_path / "meta.json").is_file():
        return None
    meta = json.loads((old_path / "meta.json").read_text())
    if meta.get("format") != FORMAT or meta.get("byteorder") != sys.byteorder or meta.get("big") != big:
        return None
    old_index = AdjacencyIndex(previous)
    try:
        old = ClusterOrder(old_path, old_index)
    except (OSError, ValueError, KeyError):
        old_index.close()
        return None
    papers = _Papers(index)
    try:
        if (index.path / "ships.off").is_file() and old.names is None:
            return None
        return _update(store, index, papers, old, touched, rows, big)
    finally:
        papers.close()
        old.close()
        old_index.close()


class _Lookup:
    """Bound lookups in the store, each first object as kg.cluster_order's scans take it (the
    store's order of the objects of one subject and predicate), cached."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self._first: dict[tuple[str, str], ox.NamedNode | ox.Literal | None] = {}

    def first(self, subject: str, predicate: str) -> ox.NamedNode | ox.Literal | None:
        key = (subject, predicate)
        if key not in self._first:
            found = None
            for q in self.store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None):
                if isinstance(q.object, (ox.NamedNode, ox.Literal)):
                    found = q.object
                    break
            self._first[key] = found
        return self._first[key]

    def text(self, subject: str, predicate: str) -> str | None:
        o = self.first(subject, predicate)
        return None if o is None else o.value

    def all(self, subject: str, predicate: str) -> Iterator[str]:
        for q in self.store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None):
            if isinstance(q.object, (ox.NamedNode, ox.Literal)):
                yield q.object.value

    def year(self, paper: str) -> int | None:
        o = self.first(paper, KG.year)
        if not isinstance(o, ox.Literal) or not o.datatype.value.endswith(_INT_TYPES):
            return None
        try:
            return int(o.value)
        except ValueError:
            return None


class _PaperFacts:
    """Each index paper's year, venue and title (by kg.cluster_order._Papers' numbers): from the
    arrays collected while mapping (kg.adjacency.PAPER_FACTS) when the index has them, else
    looked up in the store. A year the arrays lack (0) is looked up too: it may be a year 0. (A
    paper has one record: a second one with its id, from any input, is rejected while mapping.)"""

    def __init__(self, index: AdjacencyIndex, papers: _Papers, lookup: _Lookup) -> None:
        self.papers, self.lookup = papers, lookup
        stem = index.path / PAPER_FACTS
        self._collected = Path(f"{stem}-years.dat").is_file()
        if self._collected:
            self._years = _Mapped(Path(f"{stem}-years.dat"), "H")
            self._venues = _Mapped(Path(f"{stem}-venues.dat"), "I")
            self._venue_iris = _all_iris_at(Path(f"{stem}-venue-iris"))
            self._titles = IriTable(Path(f"{stem}-titles"))

    def get(self, p: int) -> tuple[int | None, str | None, str]:
        """(year, venue IRI, title) of paper `p`."""
        if not self._collected:
            iri = self.papers.iri(p)
            return self.lookup.year(iri), self.lookup.text(iri, KG.publishedIn), self.lookup.text(iri, KG.title) or ""
        y = int(self._years.view[p])
        v = int(self._venues.view[p])
        year = y if y else self.lookup.year(self.papers.iri(p))
        return year, self._venue_iris[v] if v != NONE else None, self._titles.iri(p)

    def close(self) -> None:
        if self._collected:
            self._years.close()
            self._venues.close()
            self._titles.close()


V = TypeVar("V")


class _Found(dict[str, V]):
    """Values looked up when first asked (`find`: None when there is none), each kept, absent ones too:
    a row's kg:name (what kg.cluster_order's scan gives), a row's number in the index."""

    def __init__(self, find: Callable[[str], V | None]) -> None:
        super().__init__()
        self.find = find
        self._absent: set[str] = set()

    def _load(self, iri: str) -> bool:
        if dict.__contains__(self, iri):
            return True
        if iri in self._absent:
            return False
        found = self.find(iri)
        if found is None:
            self._absent.add(iri)
            return False
        self[iri] = found
        return True

    def __contains__(self, iri: object) -> bool:
        return isinstance(iri, str) and self._load(iri)

    def __missing__(self, iri: str) -> V:
        if self._load(iri):
            return dict.__getitem__(self, iri)
        raise KeyError(iri)

    def get(self, iri: str, default: Any = None) -> Any:
        return dict.__getitem__(self, iri) if self._load(iri) else default


class _Authors:
    """The index's author IRIs by number, read when asked (kg.cluster_order lists them all)."""

    def __init__(self, table: IriTable) -> None:
        self.table = table

    def __getitem__(self, i: int) -> str:
        return self.table.iri(i)


def _all_iris_at(stem: Path) -> list[str]:
    table = IriTable(stem)
    try:
        return _all_iris(table)
    finally:
        table.close()


def _all_iris(table: IriTable) -> list[str]:
    data = bytes(table._data.view)
    off = table._off.view
    return [data[off[i]: off[i + 1]].decode("utf-8") for i in range(len(table))]


def _update(
    store: ox.Store, index: AdjacencyIndex, papers: _Papers, old: ClusterOrder, touched: dict[str, set[str]],
    rows: set[str], big: int,
) -> dict[str, int]:
    lookup = _Lookup(store)
    names: _Found[str] = _Found(lambda iri: lookup.text(iri, KG.name))
    number: _Found[int] = _Found(index.authors.find)
    persons = _BoundPersons(lookup, index)
    entries: dict[str, dict[str, _Entry]] = {}
    recomputed: dict[str, list[str]] = {}  # variant -> touched keys that are big now
    for variant, predicate in VARIANTS.items():
        kept = entries[variant] = {}
        keys = old.keys[variant]
        cluster_of = old._cluster[variant].view
        for i in range(len(keys)):
            key = keys.iri(i)
            if key not in touched[variant]:
                kept[key] = _kept(old, int(cluster_of[i]))
        recomputed[variant] = []
        for key in sorted(touched[variant]):
            members = _members(lookup, key, predicate, number, names, papers, big)
            if members is not None:
                kept[key] = _Entry(members, [], [], [])
                recomputed[variant].append(key)
    # every paper of the big clusters, numbered as a whole computation numbers them (kg.cluster_order)
    every = _all_iris(index.papers) + _all_iris(papers.solo)  # by _Papers' numbers
    paper_number = {iri: i for i, iri in enumerate(every)}
    wanted: set[int] = set()
    for kept in entries.values():
        for entry in kept.values():
            if entry.text:
                wanted.update(paper_number[p] for p in entry.papers)
            else:
                for r in entry.members:
                    if r in number:
                        wanted.update(papers.of(number[r]))
    table = sorted(wanted)
    position = {p: i for i, p in enumerate(table)}
    iri_at = [every[p] for p in table]  # the IRIs of the papers of the table, by position
    del paper_number, every
    year: dict[int, int | None] = {}
    venue: dict[int, str] = {}
    titles: dict[int, str] = {}
    facts = _PaperFacts(index, papers, lookup)
    for variant, keys_now in recomputed.items():
        for key in keys_now:
            entry = entries[variant][key]
            for r in entry.members:
                if r in number:
                    for p in papers.of(number[r]):
                        i = position[p]
                        if i not in year:
                            year[i], v, titles[i] = facts.get(p)
                            if v is not None:
                                venue[i] = v
    facts.close()
    details = _Details(index, _Authors(index.authors), names, number, papers, position, year, venue)  # type: ignore[arg-type]
    done: dict[tuple[str, ...], _Entry] = {}  # a loose key's rows are most often its strict key's: computed once
    for variant, keys_now in recomputed.items():
        for key in keys_now:
            entry = entries[variant][key]
            same = done.get(tuple(entry.members))
            if same is not None:
                entry.text, entry.papers, entry.on = same.text, same.papers, same.on
                continue
            before = old.find(key, loose=variant == "loose")
            kept_rows = {r["iri"]: r for r in json.loads(before.text[0]) if r["iri"] not in rows} if before else {}
            _compute(entry, papers, number, names, position, iri_at, year, titles, details, persons, kept_rows)
            done[tuple(entry.members)] = entry
    for kept in entries.values():
        for entry in kept.values():
            if len(entry.text) == 3:  # kept: its persons read again (the identity step saw the whole graph)
                shown = {r["iri"]: r["paper_count"] for r in json.loads(entry.text[1])}
                whole = persons.of(entry.members, shown, number)
                entry.text.insert(2, answer_json([_person(p) for p in whole]))
    labels = {key: _label(lookup, key) for key in recomputed["strict"]}
    return _write_order(index, papers, old, entries, labels, table, iri_at, names, rows, big)


def _person(p: Person) -> dict[str, object]:
    """Person.to_json, without dataclasses.asdict's deep copies."""
    return {"rows": list(p.rows), "papers": p.papers, "evidence": list(p.evidence), "iri": p.iri}


def _kept(old: ClusterOrder, c: int) -> _Entry:
    off, dat = old._head_off.view, old._head_dat.view
    members, rows, _persons, years = (bytes(dat[off[k]: off[k + 1]]) for k in range(4 * c, 4 * c + 4))
    first, last = int(old.order.off[c]), int(old.order.off[c + 1])
    ranked = [old.papers.iri(old.order.dat[e]) for e in range(first, last)]
    on = [list(old.on.row(e)) for e in range(first, last)]
    return _Entry(json.loads(members), [members, rows, years], ranked, on)


def _members(
    lookup: _Lookup, key: str, predicate: str, number: _Found[int], names: _Found[str], papers: _Papers, big: int,
) -> list[str] | None:
    """The rows of a key when its cluster is big (as kg.cluster_order._big decides it), else None."""
    subjects = {q.subject.value for q in lookup.store.quads_for_pattern(None, ox.NamedNode(predicate),
                                                                         ox.Literal(key))
                if isinstance(q.subject, ox.NamedNode)}
    numbers = [number[r] for r in subjects if r in number]
    if sum(papers.degree(r) for r in numbers) <= big:
        return None
    if len({p for r in numbers for p in papers.of(r)}) <= big:
        return None
    return sorted(r for r in subjects if r in number or r in names)


def _label(lookup: _Lookup, key: str) -> str:
    """A strict key's label as kg.cluster_order gives it: the least rdfs:label of its subjects."""
    found = ""
    first = True
    for q in lookup.store.quads_for_pattern(None, ox.NamedNode(KG.nameKey), ox.Literal(key)):
        if not isinstance(q.subject, ox.NamedNode):
            continue
        for label in lookup.all(q.subject.value, RDFS_LABEL):
            if first or label < found:
                found, first = label, False
    return found


def _compute(
    entry: _Entry, papers: _Papers, number: _Found[int], names: _Found[str], position: dict[int, int],
    iri_of: list[str], year: dict[int, int | None], titles: dict[int, str], details: _Details,
    persons: _BoundPersons, kept_rows: dict[str, dict[str, Any]],
) -> None:
    """A touched big cluster's entry, as kg.cluster_order._build computes it; the rows of
    `kept_rows` (untouched rows, as the previous entry of the key showed them) are not computed
    again."""
    members = entry.members
    entries: dict[int, list[int]] = {}
    for m, iri in enumerate(members):
        if iri in number:
            for p in papers.of(number[iri]):
                entries.setdefault(position[p], []).append(m)

    def sort_key(i: int) -> tuple[int, int, str, str]:
        y = year.get(i)
        return (0, -y, titles.get(i, ""), iri_of[i]) if y is not None else (1, 0, titles.get(i, ""), iri_of[i])

    ranked = sorted(entries, key=sort_key)
    entry.papers = [iri_of[i] for i in ranked]
    entry.on = [entries[i] for i in ranked]
    shown = sorted((kept_rows[iri] if iri in kept_rows else _row(details.row(iri)) for iri in members
                    if iri in kept_rows or iri in names), key=lambda r: (-r["paper_count"], r["iri"]))
    whole = persons.of(members, {r["iri"]: r["paper_count"] for r in shown}, number)
    entry.text = [json.dumps(members, ensure_ascii=False).encode("utf-8"), answer_json(shown),
                  answer_json([_person(p) for p in whole]), answer_json(_per_year(year.get(i) for i in ranked))]


class _BoundPersons:
    """kg.cluster_order._Persons by bound lookups of the members' persons, not scans."""

    def __init__(self, lookup: _Lookup, index: AdjacencyIndex) -> None:
        self.lookup, self.index = lookup, index
        self._judged: dict[int, bool] = {}

    def _is_judged(self, cluster: int) -> bool:
        found = self._judged.get(cluster)
        if found is None:
            iri = self.index.clusters.iri(cluster)
            found = self._judged[cluster] = self.lookup.first(iri, KG.personCount) is not None
        return found

    def of(self, members: list[str], rows: dict[str, int], number: dict[str, int]) -> list[Person]:
        lookup = self.lookup
        found: dict[str, Person] = {}
        covered: set[str] = set()
        for row in members:
            for iri in sorted(lookup.all(row, KG.probablePerson)):
                count = lookup.first(iri, KG.paperCount)
                if count is None:
                    continue
                person = found.get(iri)
                if person is None:
                    try:
                        papers = int(count.value)
                    except ValueError:
                        papers = 0
                    person = found[iri] = Person([], papers, sorted(set(lookup.all(iri, KG.evidence))), iri)
                if row not in person.rows:
                    person.rows.append(row)
                    covered.add(row)
        a2c = self.index.a2c
        checked = any(int(a2c[number[m]]) != NONE and self._is_judged(int(a2c[number[m]]))
                      for m in members if m in number)
        return completed(sorted(found.values(), key=lambda p: p.iri or ""), covered, rows, checked)


def _write_order(
    index: AdjacencyIndex, papers: _Papers, old: ClusterOrder, entries: dict[str, dict[str, _Entry]],
    labels: dict[str, str], table: list[int], iri_at: list[str], names: _Found[str], touched_rows: set[str], big: int,
) -> dict[str, int]:
    """The files of kg.cluster_order._build, in its order, from the entries."""
    tmp = index.path / f".{DIRECTORY}.part"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    writer = _IriWriter(tmp / "papers")
    at: dict[str, int] = {}
    for i, iri in enumerate(iri_at):
        writer.add(iri)
        at[iri] = i
    writer.close()
    _write_author_lists(index, papers, old, table, names, touched_rows, tmp)
    heads = open(tmp / "head.dat", "wb")  # noqa: SIM115 - closed below
    head_off, order_off, on_off = array("Q", [0]), array("Q", [0]), array("Q", [0])
    order, on = array("I"), array("I")
    numbered: dict[tuple[str, ...], int] = {}
    old_labels = {old.keys["strict"].iri(i): old.labels.iri(i) for i in range(len(old.keys["strict"]))}
    for variant, kept in entries.items():
        keys = sorted(kept)
        cluster_of = array("I")
        for key in keys:
            entry = kept[key]
            same = numbered.get(tuple(entry.members))
            if same is not None:
                cluster_of.append(same)
                continue
            cluster_of.append(len(numbered))
            numbered[tuple(entry.members)] = len(numbered)
            order.extend(at[p] for p in entry.papers)
            for members_on in entry.on:
                on.extend(members_on)
                on_off.append(len(on))
            order_off.append(len(order))
            for data in entry.text:
                heads.write(data)
                head_off.append(head_off[-1] + len(data))
        _write_iris(tmp / f"{variant}-keys", keys)
        if variant == "strict":
            _write_iris(tmp / "strict-labels", [labels[k] if k in labels else old_labels[k] for k in keys])
        _write(tmp / f"{variant}-keys.dat", cluster_of)
    heads.close()
    return finish_files(index, tmp, big, (("head.off", head_off), ("order.off", order_off), ("order.dat", order),
                                              ("on.off", on_off), ("on.dat", on)),
                            {"papers": len(table), "clusters": len(numbered), "entries": len(order),
                             **{f"{v}_keys": len(kept) for v, kept in entries.items()}})


def _write_author_lists(
    index: AdjacencyIndex, papers: _Papers, old: ClusterOrder, table: list[int], names: _Found[str],
    touched_rows: set[str], tmp: Path,
) -> None:
    """kg.cluster_order._write_authors (the author lists by kg.cluster_order.write_author_lists),
    every row's name kept from the previous files unless the row was touched (or new)."""
    if not write_author_lists(index, papers, table, tmp):
        return
    assert old.names is not None
    before = _all_iris(old.index.authors)
    before_names = _all_iris(old.names)
    now = _all_iris(index.authors)
    out: list[str] = []
    k = 0
    for iri in now:  # both sorted: one walk
        while k < len(before) and before[k] < iri:
            k += 1
        if k < len(before) and before[k] == iri and iri not in touched_rows:
            out.append(before_names[k])
        else:
            out.append(names.get(iri, ""))
    _write_iris(tmp / "names", out)
