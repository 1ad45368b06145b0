"""What the identity evidence needs to know about each author row beyond the co-authorship index:
its name as written, its identifiers, the years and venues of all its papers (single-author ones
too, which the index leaves out).

A fresh build collects them while mapping (`FactCollector`, fed by kg.adjacency.Collector, so the
mapping worker collects them too) and writes them beside the index, as `identity-facts.json`; a
store built otherwise (`kg build --add`) has them read back from the store (`facts_from_store`),
for the rows of clusters with two or more rows only.
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import pyoxigraph as ox

from kg.iris import Minter, dblp_iri, openalex_iri, orcid_iri
from kg.records import Author, AuthorDetail, Paper, Venue
from kg.terms import KG

FACTS = "identity-facts.json"
_NO_VENUE = 0xFFFFFFFF


@dataclass
class RowFacts:
    """One author row: identifiers are IRIs (https://orcid.org/…, https://dblp.org/pid/…, https://openalex.org/…)."""

    name: str
    orcid: str | None = None
    dblp: str | None = None
    openalex: str | None = None
    papers: int = 0
    years: Counter[int] = field(default_factory=Counter)
    venues: Counter[str] = field(default_factory=Counter)  # venue IRI -> papers


@dataclass
class Facts:
    """Row IRI -> facts, for the rows of clusters with two or more rows; venue IRI -> name;
    identifier IRI -> the rows carrying it (every row with an identifier, for the cross-source links)."""

    rows: dict[str, RowFacts] = field(default_factory=dict)
    venue_names: dict[str, str] = field(default_factory=dict)
    identified: dict[str, list[str]] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)  # every row's name, in the index's row order

    def name(self, row: int, iri: str) -> str:
        """The name of the index's row number `row`, IRI `iri` (for reasons that name a co-author)."""
        return self.names[row] if row < len(self.names) and self.names[row] else row_label(iri)

    def write(self, directory: Path) -> None:
        """One compact JSON file: rows as [name, orcid, dblp, openalex, papers, years, venues] with
        years as [year, papers, …] and venues as [venue number, papers, …] into `venues`."""
        venues = sorted({v for f in self.rows.values() for v in f.venues})
        number = {v: i for i, v in enumerate(venues)}
        rows = {
            iri: [f.name, f.orcid, f.dblp, f.openalex, f.papers,
                  [x for y, n in sorted(f.years.items()) for x in (y, n)],
                  [x for v, n in sorted(f.venues.items()) for x in (number[v], n)]]
            for iri, f in sorted(self.rows.items())
        }
        data = {"venues": venues, "rows": rows, "venue_names": self.venue_names, "identified": self.identified,
                "names": self.names}
        (directory / FACTS).write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")

    @classmethod
    def read(cls, directory: Path) -> Facts | None:
        path = directory / FACTS
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        venues: list[str] = data["venues"]
        rows: dict[str, RowFacts] = {}
        for iri, (name, orcid, dblp, openalex, papers, years, vs) in data["rows"].items():
            rows[iri] = RowFacts(name, orcid, dblp, openalex, papers,
                                 Counter(dict(zip(years[::2], years[1::2], strict=True))),
                                 Counter({venues[v]: n for v, n in zip(vs[::2], vs[1::2], strict=True)}))
        return cls(rows=rows, venue_names=dict(data["venue_names"]),
                   identified={k: list(v) for k, v in data["identified"].items()}, names=list(data["names"]))


def row_label(iri: str) -> str:
    """A row's short name in reasons: the last segment of its IRI, decoded."""
    return unquote(iri.rstrip("/").rsplit("/", 1)[-1])



class FactCollector:
    """Gathers the facts from the records as they are mapped (kg.adjacency.Collector calls it).

    Papers are numbered by the collector that owns this one; `paper()` is told each paper's
    number, and `write()` gets the (paper, row) pairs of every authorship.
    """

    def __init__(self, minter: Minter) -> None:
        self.minter = minter
        self._venues: dict[str, int] = {}
        self._venue_iris: list[str] = []
        self.venue_names: dict[str, str] = {}
        self._year = array("H")
        self._venue = array("I")
        self._names: list[str] = []
        self._ids: dict[int, list[str | None]] = {}  # row (collector's number) -> [orcid, dblp, openalex]

    def venue(self, v: Venue) -> None:
        iri = self.minter.venue(v.id)
        self.venue_names.setdefault(iri, v.name)

    def paper(self, number: int, p: Paper) -> None:
        while len(self._year) <= number:
            self._year.append(0)
            self._venue.append(_NO_VENUE)
        self._year[number] = p.year or 0
        if p.venue_id:
            iri = self.minter.venue(p.venue_id)
            v = self._venues.get(iri)
            if v is None:
                v = self._venues[iri] = len(self._venue_iris)
                self._venue_iris.append(iri)
            self._venue[number] = v

    def author(self, row: int, a: Author) -> None:
        assert row == len(self._names)
        self._names.append(a.name)
        if a.orcid or a.dblp_pid or a.openalex_id:
            self._ids[row] = [
                orcid_iri(a.orcid) if a.orcid else None,
                dblp_iri(a.dblp_pid) if a.dblp_pid else None,
                openalex_iri(a.openalex_id) if a.openalex_id else None,
            ]

    def detail(self, row: int, d: AuthorDetail) -> None:
        if not (d.orcid or d.dblp_pid):
            return
        ids = self._ids.setdefault(row, [None, None, None])
        if d.orcid and ids[0] is None:
            ids[0] = orcid_iri(d.orcid)
        if d.dblp_pid and ids[1] is None:
            ids[1] = dblp_iri(d.dblp_pid)

    def facts(self, row_iris: list[str], clusters: list[str], pair_paper: Iterable[int], pair_row: Iterable[int],
              renumber: array[int]) -> Facts:
        """The facts; `row_iris` and `clusters` are indexed by this collector's row numbers, which
        `renumber` maps to the index's."""
        size = Counter(clusters)
        wanted = [size[c] > 1 for c in clusters]
        out: dict[int, RowFacts] = {}
        for row, ok in enumerate(wanted):
            if ok:
                out[row] = RowFacts(self._names[row])
        years, venues, n_papers = self._year, self._venue, len(self._year)
        for paper, row in zip(pair_paper, pair_row, strict=True):
            f = out.get(row)
            if f is None:
                continue
            f.papers += 1
            if paper < n_papers:
                if years[paper]:
                    f.years[years[paper]] += 1
                if venues[paper] != _NO_VENUE:
                    f.venues[self._venue_iris[venues[paper]]] += 1
        identified: dict[str, list[str]] = {}
        for row, ids in self._ids.items():
            for ident in ids:
                if ident is not None:
                    identified.setdefault(ident, []).append(row_iris[row])
            f = out.get(row)
            if f is not None:
                f.orcid, f.dblp, f.openalex = ids
        names = [""] * len(self._names)
        for old, name in enumerate(self._names):
            names[renumber[old]] = name
        return Facts(
            rows={row_iris[r]: f for r, f in out.items()},
            venue_names=self.venue_names,
            identified={k: sorted(v) for k, v in identified.items()},
            names=names,
        )


_ROW_QUERY = f"""SELECT $row ?name ?orcid ?dblp ?openalex WHERE {{
  $row <{KG.name}> ?name .
  OPTIONAL {{ $row <{KG.orcid}> ?orcid }} OPTIONAL {{ $row <{KG.dblpPerson}> ?dblp }}
  OPTIONAL {{ $row <{KG.openalexAuthor}> ?openalex }}
}} LIMIT 1"""
_PAPERS_QUERY = f"""SELECT $row ?ship ?year ?venue ?venueName WHERE {{
  ?ship <{KG.authorRow}> $row ; <{KG.paper}> ?paper .
  OPTIONAL {{ ?paper <{KG.year}> ?year }}
  OPTIONAL {{ ?paper <{KG.publishedIn}> ?venue . OPTIONAL {{ ?venue <{KG.name}> ?venueName }} }}
}}"""
_IDS_QUERY = f"""SELECT ?row ?id WHERE {{
  {{ ?row <{KG.orcid}> ?id }} UNION {{ ?row <{KG.dblpPerson}> ?id }} UNION {{ ?row <{KG.openalexAuthor}> ?id }}
}}"""


def facts_from_store(store: ox.Store, rows: Iterable[str]) -> Facts:
    """The same facts read back from a store, for the given rows (those of clusters with 2+ rows)."""
    out = Facts()
    for iri in rows:
        row = ox.NamedNode(iri)
        found = list(_solutions(
            store.query(_ROW_QUERY, substitutions={ox.Variable("row"): row}, use_default_graph_as_union=True)
        ))
        if not found:
            continue
        first = found[0]
        f = RowFacts(
            str(_value(first, "name")), _value(first, "orcid"), _value(first, "dblp"), _value(first, "openalex")
        )
        seen: set[str] = set()
        for r in _solutions(store.query(_PAPERS_QUERY, substitutions={ox.Variable("row"): row},
                                           use_default_graph_as_union=True)):
            ship = _value(r, "ship")  # counted per authorship, as the collector does
            if ship is None or ship in seen:
                continue
            seen.add(ship)
            f.papers += 1
            year = _value(r, "year")
            if year is not None and year[:4].isdigit():
                f.years[int(year[:4])] += 1
            venue = _value(r, "venue")
            if venue is not None:
                f.venues[venue] += 1
                name = _value(r, "venueName")
                if name is not None:
                    out.venue_names.setdefault(venue, name)
        out.rows[iri] = f
    identified: dict[str, set[str]] = {}
    for r in _solutions(store.query(_IDS_QUERY, use_default_graph_as_union=True)):
        row_iri, ident = _value(r, "row"), _value(r, "id")
        if row_iri is not None and ident is not None:
            identified.setdefault(ident, set()).add(row_iri)
    out.identified = {k: sorted(v) for k, v in identified.items()}
    return out


def _solutions(result: object) -> Iterable[ox.QuerySolution]:
    assert isinstance(result, ox.QuerySolutions)
    return result


def _value(solution: ox.QuerySolution, name: str) -> str | None:
    term = solution[name]
    return None if term is None else str(term.value)
