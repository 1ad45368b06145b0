"""Name clusters: every paper of every author row that carries one name."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from kg.backend import Backend, select_batch
from kg.errors import QueryError
from kg.identity import read as identity
from kg.identity import suggested
from kg.identity.read import PairView, Person
from kg.identity.suggested import VariantView
from kg.names import loose_key, name_key
from kg.queries import NamedQuery, as_int, named

TOP = 5


@dataclass
class Author:
    name: str
    iri: str
    position: int


@dataclass
class ClusterPaper:
    iri: str
    title: str | None  # None (JSON null) for a paper whose source gives no title
    year: int | None
    venue: str | None
    type: str | None
    authors: list[Author]
    rows: list[str]
    abstract: str | None = None
    authors_truncated: bool = False
    venue_iri: str | None = None
    doi: str | None = None

    def label(self) -> str:
        """The title, or for a paper without one its DOI (else its IRI), marked as such."""
        return self.title if self.title is not None else f"[no title] {self.doi or self.iri}"

    def to_json(self) -> dict[str, Any]:
        """asdict(self), without its deep copy of every value (a page has hundreds of authors)."""
        return {"iri": self.iri, "title": self.title, "year": self.year, "venue": self.venue, "type": self.type,
                "authors": [{"name": a.name, "iri": a.iri, "position": a.position} for a in self.authors],
                "rows": list(self.rows), "abstract": self.abstract, "authors_truncated": self.authors_truncated,
                "venue_iri": self.venue_iri, "doi": self.doi}


@dataclass
class ClusterRow:
    iri: str
    name: str
    paper_count: int
    first_year: int | None = None
    last_year: int | None = None
    top_venues: list[dict[str, Any]] = field(default_factory=list)
    top_coauthors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Cluster:
    name: str
    key: str
    papers: list[ClusterPaper]
    rows: list[ClusterRow]
    loose: bool = False
    persons: list[Person] = field(default_factory=list)  # probable persons (kg.identity): every row, once
    pairs: list[PairView] | None = None                   # with pairs=True, for clusters of up to 50 rows
    suggestions: list[VariantView] = field(default_factory=list)  # rows of other clusters, never merged

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def answer_json(value: Any) -> bytes:
    """JSON text as the API writes it (UTF-8, non-ASCII kept, the default separators): the text
    kg.cluster_order keeps for the big clusters and kg.cluster_page copies into an answer."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def display_name(label: object, name: str) -> str:
    """A cluster's display label: its cluster node's label when it has one, else the name as it was
    asked, composed (NFC: the same label whether it was typed composed or decomposed) and its white
    space collapsed."""
    return str(label) if label else " ".join(unicodedata.normalize("NFC", name).split())


def by_loose_key(name: str, loose: bool) -> bool:
    """Whether the cluster of `name` is looked up by its loose key: when asked, and the name has one.
    A name of punctuation and marks only (".", "+ +", a lone accent) folds to nothing, and the empty
    key's loose cluster would make one name of all of them; its cluster is its exact one (`loose`
    false in the answer)."""
    return loose and bool(loose_key(name))


def cluster(
    data: Backend, name: str, *, loose: bool = False, details: bool = True, pairs: bool = False
) -> Cluster:
    """The papers and author rows of the name cluster of `name` (case-insensitive exact match),
    with its probable persons (and with `pairs` its pairwise verdicts) from kg.identity."""
    if not name.strip():
        raise QueryError("name: must not be empty")
    loose = by_loose_key(name, loose)
    key = loose_key(name) if loose else name_key(name)
    # one request over a remote engine (kg.backend.base.select_batch): the persons and the label too
    asked = [_query(q, loose) for q in ("cluster-papers", "cluster-authors", "cluster-rows")]
    asked += [identity.persons_query(loose), named("cluster-label"), suggested.suggestions_query(loose)]
    answers = [each[0] for each in select_batch(data, [(q, "key", [key]) for q in asked])]
    papers = _papers(answers[0], answers[1])
    rows = [
        ClusterRow(
            str(r["row"]),
            str(r["name"]),
            as_int(r["papers"]) or 0,
            as_int(r.get("firstYear")),
            as_int(r.get("lastYear")),
        )
        for r in answers[2]
    ]
    row_years(rows, ((p.year, p.rows) for p in papers))
    if details and rows:
        _details(rows, papers)
    label = None
    if not loose and rows:
        label = answers[4][0].get("label") if answers[4] else None
    display = display_name(label, name)
    return with_identity(data, Cluster(display, key, papers, rows, loose), pairs=pairs, persons=answers[3],
                         variants=answers[5])


def with_identity(data: Backend, c: Cluster, *, pairs: bool = False,
                  persons: list[dict[str, object]] | None = None,
                  variants: list[dict[str, object]] | None = None) -> Cluster:
    """`c` with the probable persons of the whole cluster and its variant suggestions (and with
    `pairs` its pairwise table); `persons`, `variants`: the answers of identity.persons_query and
    suggested.suggestions_query, when asked already."""
    c.persons = identity.persons(data, c.key, {r.iri: r.paper_count for r in c.rows}, loose=c.loose,
                                 answer=persons)
    c.suggestions = suggested.suggestions(data, c.key, {r.iri for r in c.rows}, loose=c.loose,
                                          answer=variants) if c.rows else []
    c.pairs = identity.pairs(data, c.key, [r.iri for r in c.rows], loose=c.loose) if pairs else None
    return c


def row_years(rows: list[ClusterRow], papers: Iterable[tuple[int | None, Iterable[str]]]) -> None:
    """Each row's first and last year over its papers that have one (`papers`: each paper's year and
    the cluster's rows on it), as kg.cluster_order counts them for the big clusters. The cluster-rows
    query's MIN and MAX are unbound on Oxigraph as soon as one of the row's papers has no year."""
    years: dict[str, list[int]] = defaultdict(list)
    for year, on in papers:
        if year is not None:
            for row in on:
                years[row].append(year)
    for r in rows:
        found = years.get(r.iri)
        r.first_year, r.last_year = (min(found), max(found)) if found else (None, None)


def _details(rows: list[ClusterRow], papers: list[ClusterPaper]) -> None:
    """Each row's top venues and co-authors, counted from the papers already fetched.

    The named queries cluster-row-venues and cluster-row-coauthors give the same counts (a test
    checks it); counting here saves two store queries per cluster.
    """
    venues: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    coauthors: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for p in papers:
        for row in p.rows:
            if p.venue_iri is not None:
                venues[row][(p.venue_iri, p.venue or "")] += 1
            for other in {(a.iri, a.name) for a in p.authors if a.iri != row}:
                coauthors[row][other] += 1
    for r in rows:
        r.top_venues = _top(venues[r.iri])
        r.top_coauthors = _top(coauthors[r.iri])


def _top(counts: Counter[tuple[str, str]]) -> list[dict[str, Any]]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0][1], item[0][0]))[:TOP]
    return [{"iri": iri, "name": name, "papers": n} for (iri, name), n in ranked]


def _query(name: str, loose: bool) -> NamedQuery:
    """A cluster query; its loose variant matches kg:looseNameKey instead of kg:nameKey.

    The predicate is written into the text, not bound: a bound predicate defeats Oxigraph's join
    planning (a full scan instead of an index hit). It is one of two fixed IRIs, never user input.
    """
    query = named(name)
    return replace(query, text=query.text.replace("kg:nameKey", "kg:looseNameKey")) if loose else query


def _papers(papers: list[dict[str, object]], authors: list[dict[str, object]]) -> list[ClusterPaper]:
    found: dict[str, ClusterPaper] = {}
    for r in papers:
        iri = str(r["paper"])
        paper = found.get(iri)
        if paper is None:
            paper = found[iri] = ClusterPaper(
                iri=iri,
                title=_opt(r.get("title")),
                year=as_int(r.get("year")),
                venue=_opt(r.get("venueName")),
                type=_opt(r.get("type")),
                authors=[],
                rows=[],
                abstract=_opt(r.get("abstract")),
                authors_truncated=bool(r.get("truncated", False)),
                venue_iri=_opt(r.get("venue")),
                doi=_opt(r.get("doi")),
            )
        paper.rows.append(str(r["row"]))
    # each authorship once (a paper with two cluster rows lists it twice), in (paper, position) order;
    # tuples sort without a key function (it runs on every authorship of every cluster)
    ships = sorted({(str(r["paper"]), _position(r["position"]), str(r["author"]), str(r["authorName"]))
                    for r in authors})
    last: tuple[str, int] | None = None
    for iri, position, author, name in ships:
        if (iri, position) == last:
            continue  # two author rows at one position: the first (by IRI, then name) is shown
        last = (iri, position)
        found[iri].authors.append(Author(name, author, position))
    return list(found.values())


def _position(value: object) -> int:
    return value if type(value) is int else as_int(value) or 0


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def ambiguous(data: Backend, limit: int = 20) -> list[dict[str, object]]:
    """The clusters with the most author rows."""
    if limit < 1:
        raise QueryError("limit: must be at least 1")
    return data.select(named("ambiguous-clusters"))[:limit]


def render_text(c: Cluster, max_authors: int = 8, paper_count: int | None = None) -> str:
    """The seed page's layout as plain text (`paper_count`: the whole cluster's, when c holds one page)."""
    n_papers, n_rows = len(c.papers) if paper_count is None else paper_count, len(c.rows)
    lines = [f"{c.name} — {n_papers} paper{'s' * (n_papers != 1)}, {n_rows} author row{'s' * (n_rows != 1)}"]
    if not c.rows:
        lines.append(f"No author row is named {c.name!r}{' (loose match)' if c.loose else ''}.")
        return "\n".join(lines) + "\n"
    for p in c.papers:
        head = " ".join(x for x in (p.venue, str(p.year) if p.year else None, p.type) if x)
        lines += ["", head, p.label(), f"  {authors_text(p, max_authors)}"]
    if c.persons:
        n = len(c.persons)
        lines += ["", f"Author rows, as {n} probable person{'s' * (n != 1)}:", *persons_text(c)]
    else:
        lines += ["", "Author rows:", *(f"  {_row_text(r)}" for r in c.rows)]
    lines += pairs_text(c)
    return "\n".join(lines) + "\n"


def _row_text(r: ClusterRow) -> str:
    years = f", {year_range(r.first_year, r.last_year)}" if r.first_year else ""
    return f"{r.name}  {r.paper_count} paper{'s' * (r.paper_count != 1)}{years}  <{r.iri}>"


def _under(text: str, indent: str = "      ") -> str:
    """`text` with its later lines indented under its first (a curator's why may be in lines)."""
    return text.replace("\n", "\n" + indent)


def persons_text(c: Cluster) -> list[str]:
    """The probable persons as text lines (each with its rows and its evidence in words), for `kg cluster`
    and `kg identity`."""
    rows = {r.iri: r for r in c.rows}
    lines: list[str] = []
    for i, p in enumerate(c.persons, 1):
        lines += ["", f"Person {i}: {len(p.rows)} row{'s' * (len(p.rows) != 1)}, "
                      f"{p.papers} paper{'s' * (p.papers != 1)}"]
        for iri in p.rows:
            row = rows.get(iri)
            lines.append(f"  {_row_text(row) if row is not None else f'{identity.label(iri)}  <{iri}>'}")
        lines += [f"  - {_under(e)}" for e in p.evidence]
    return lines


def pairs_text(c: Cluster) -> list[str]:
    """The pairwise verdicts as text lines, when they were asked for (pairs=True: c.pairs is a list, or None
    when the cluster has too many rows to have them)."""
    if c.pairs is None:
        many = len(c.rows) > identity.PAIRS_MAX
        return ["", f"(no pairwise table: more than {identity.PAIRS_MAX} rows)"] if many else []
    if not c.pairs:  # one row, or none: no pair to judge (an empty "Pairs:" heading read as a table lost)
        return ["", f"Pairs: none ({len(c.rows)} author row{'s' * (len(c.rows) != 1)}; a pair needs two)"]
    lines = ["", "Pairs:"]
    for v in c.pairs:
        score = f"{v.score:6.2f}" if v.score is not None else "     -"
        a, b = (identity.label(r) for r in v.rows)
        lines.append(f"  {v.verdict:8} {score}  {a} / {b}: {_under('; '.join(v.reasons))}")
    return lines


def suggestions_text(c: Cluster) -> list[str]:
    """The variant suggestions (rows of other clusters, kg.identity.suggested) as text lines, for `kg identity`."""
    if not c.suggestions:
        return []
    lines = ["", "Perhaps the same person under another spelling (suggestions, not merged):"]
    for s in c.suggestions:
        lines.append(f"  {s.verdict:8} {s.score:6.2f}  {s.name} ({identity.label(s.row)}) ~ {identity.label(s.like)}: "
                     f"{_under('; '.join(s.reasons))}  <{s.row}>")
    return lines


def authors_text(p: ClusterPaper, max_authors: int = 8) -> str:
    """The author list in at most about `max_authors` names, always with the cluster's own rows (as
    the page shows them in bold): `A, B, …, Liyuan Liu (author 12) and 8 more`. One hidden name is
    shown rather than said ("and 1 more"). A list the source itself gives incomplete says so."""
    authors = p.authors
    if len(authors) <= max_authors + 1:
        text = ", ".join(a.name for a in authors)
    else:
        own = [a for a in authors[max_authors:] if a.iri in p.rows][: max(1, max_authors - 1)]
        head = authors[: max(1, max_authors - len(own))]
        parts = [a.name for a in head]
        shown = len(head)
        for a in own:
            parts.append(f"… {a.name} (author {a.position})")
            shown += 1
        text = ", ".join(parts)
        if len(authors) > shown:
            text += f" and {len(authors) - shown} more"
    if p.authors_truncated:
        text += " (the source's author list is incomplete)"
    return text


def year_range(first: int | None, last: int | None) -> str:
    """`2018–2025`, or one year when both are the same (or only one is known)."""
    if first is None or last is None or first == last:
        return str(first if first is not None else last or "")
    return f"{first}–{last}"


CSV_COLUMNS = ("iri", "title", "year", "venue", "type", "authors", "rows")


def csv_rows(c: Cluster) -> list[list[str]]:
    return [csv_row(p) for p in c.papers]


def csv_row(p: ClusterPaper) -> list[str]:
    """One paper as a row of CSV_COLUMNS (a paper without a title has an empty title)."""
    return [p.iri, p.title or "", str(p.year or ""), p.venue or "", p.type or "", "; ".join(a.name for a in p.authors),
            " ".join(p.rows)]
