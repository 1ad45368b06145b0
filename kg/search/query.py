"""Answering from the search index: suggestions while typing and pages of results.

The typed text is tokenized here (kg.search.fold) and every token goes into the FTS5 MATCH
expression double-quoted, as a prefix: the user's characters never reach FTS5's query syntax (a
token holds letters and digits only), and the expression itself is a bound value.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from kg.errors import KgError
from kg.search.abstracts import snippet, unpack
from kg.search.fold import clean, index_tokens, name_keys, query_terms
from kg.search.write import FORMATS, SEARCH

Kind = Literal["name", "paper", "all"]
KINDS: tuple[str, ...] = ("name", "paper", "all")
MAX_LIMIT = 50
MAX_PAGE = 100
_RERANKED = 110  # name matches (the first in rank order) ordered by how the typed words fit them


class SearchUnavailable(KgError):
    """No (readable) search index where one was looked for."""


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "name" or "paper"
    iri: str
    label: str  # the cluster's name, or the paper's title
    rows: int | None = None
    papers: int | None = None
    first: int | None = None
    last: int | None = None
    venue: str | None = None
    persons: int | None = None
    year: int | None = None
    authors: tuple[str, ...] | None = None
    author_count: int | None = None
    matched: str | None = None  # a paper's: "title", or "abstract" when its title lacks a typed word
    snippet: str | None = None  # matched by its abstract: the abstract around the first word matched

    def as_dict(self) -> dict[str, Any]:
        # the fields read directly: dataclasses.asdict copies every value deeply, a third of a suggestion's time
        got = {k: getattr(self, k) for k in _FIELDS}
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in got.items() if v is not None}

    def line(self) -> str:
        """One line of text telling this suggestion from its homonyms."""
        if self.kind == "name":
            years = f"{self.first}–{self.last}" if self.first and self.last and self.first != self.last else \
                str(self.first or self.last or "")
            bits = [_count(self.rows or 0, "row"), _count(self.papers or 0, "paper")]
            if self.persons is not None:
                bits.append(f"{self.persons} probable persons" if self.persons != 1 else "1 probable person")
            bits += [b for b in (years, self.venue) if b]
            return f"{self.label}  ({', '.join(bits)})"
        authors = ", ".join(self.authors or ())
        if self.author_count and self.authors is not None and self.author_count > len(self.authors):
            authors += " et al."
        bits = [b for b in (str(self.year) if self.year else "", self.venue or "", authors) if b]
        return f"{self.label}  ({'; '.join(bits)})"


_FIELDS = tuple(f.name for f in fields(Suggestion))


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _distinct(terms: list[tuple[str, ...]], label: str) -> bool:
    """Whether every term matches a token of its own in `label` ("L. Liu" is Liyuan Liu, not
    Xiaodong Liu, whose only l-token is "liu" already taken): longest terms placed first."""
    tokens = index_tokens(label)
    used: set[int] = set()
    for alts in sorted(terms, key=lambda a: -len(a[0])):
        k = next((k for k, t in enumerate(tokens) if k not in used and any(t.startswith(a) for a in alts)), None)
        if k is None:
            return False
        used.add(k)
    return True


def _fit(terms: list[tuple[str, ...]], label: str) -> tuple[bool, int, bool, int]:
    """A name's order among the matches (smaller first): every typed word matching a word of its
    own; then more typed words equal to whole words ("J. Wang" is Jian Wang before Jian Wangsa);
    then a typed initial on the first word ("J. Wang" is Jian Wang before Wang Jun); then fewer
    words beyond the typed ones ("Jian Wan" is Jian Wang before Jian X. Wang)."""
    tokens = index_tokens(label)
    whole = sum(1 for alts in terms if len(alts[0]) > 1 and any(a in tokens for a in alts))
    initial = next((alts for alts in terms if len(alts[0]) == 1), None)
    first = bool(tokens) and initial is not None and tokens[0].startswith(initial[0])
    return (not _distinct(terms, label), -whole, not first, len(tokens) - len(terms))


def _match(terms: list[tuple[str, ...]]) -> str:
    """The FTS5 expression: every term as a prefix, any of its spellings (tokens are \\w only)."""
    return " AND ".join("(" + " OR ".join(f'"{alt}"*' for alt in alts) + ")" for alts in terms)


def _phrase(terms: list[tuple[str, ...]]) -> str:
    """The terms as one phrase, the last one a prefix (first spelling of each)."""
    return " + ".join(f'"{alts[0]}"' for alts in terms) + " *"


class SearchIndex:
    """The search index of a store generation or a `kg index` directory, opened read-only."""

    def __init__(self, path: Path) -> None:
        try:
            self._conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro&immutable=1", uri=True,
                                         check_same_thread=False)
            got = self._conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        except sqlite3.Error as e:
            raise SearchUnavailable(f"{path}: not a search index: {e}") from e
        if got is None or got[0] not in FORMATS:
            raise SearchUnavailable(f"{path}: search index format {got and got[0]}, not one of {', '.join(FORMATS)}")
        self.path = path
        self.abstracts = got[0] != "1"  # format 1: titles only
        # before format 4: a Thai, Lao, Myanmar or Khmer run one word, traditional Chinese as written
        self._current = got[0] not in ("1", "2", "3")
        spelled = self._conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'spelled'").fetchone() is not None
        self._exact = ("SELECT id FROM names WHERE key = ?1 UNION SELECT id FROM spelled WHERE key = ?1"
                       if spelled else "SELECT id FROM names WHERE key = ?1")  # one written before the table: none

    @classmethod
    def open(cls, directory: Path) -> SearchIndex:
        """The index in `directory` (a generation or a `kg index` directory)."""
        path = directory / SEARCH
        if not path.is_file():
            raise SearchUnavailable(f"{directory}: no search index (rebuild the store, or run `kg index`)")
        return cls(path)

    def close(self) -> None:
        self._conn.close()

    def suggest(self, text: str, kind: Kind = "all", limit: int = 10) -> list[Suggestion]:
        """The best `limit` suggestions for what was typed so far."""
        return self.search(text, kind, 1, limit)

    def search(self, text: str, kind: Kind = "all", page: int = 1, size: int = 10) -> list[Suggestion]:
        """Page `page` (from 1) of `size` results: names first for kind "all" (they are fewer),
        then papers."""
        size = max(1, min(size, MAX_LIMIT))
        page = max(1, min(page, MAX_PAGE))
        return self.first(text, kind, page * size)[(page - 1) * size:]

    def first(self, text: str, kind: Kind, wanted: int) -> list[Suggestion]:
        """The first `wanted` results (at most MAX_PAGE pages of MAX_LIMIT, and one more)."""
        wanted = max(1, min(wanted, MAX_PAGE * MAX_LIMIT + 1))
        terms = query_terms(text, self._current)
        if not terms:
            return []
        found: list[Suggestion] = []
        if kind in ("name", "all"):
            found += self._names(text, terms, wanted)
        if kind in ("paper", "all") and len(found) < wanted:
            found += self._papers(terms, wanted - len(found) if kind == "all" else wanted)
        return found[:wanted]

    def exact(self, text: str, limit: int = 5) -> list[Suggestion]:
        """The name clusters whose name is `text` as a name (folded, in any order, a homonym number
        dropped, umlauts, ß, ø, å, đ and ə as written or spelled out: kg.search.fold.name_keys), most
        papers first."""
        ids = self._exact_ids(clean(text), limit)
        if not ids:
            return []
        rows = {r[0]: r[1:] for r in self._conn.execute(
            f"SELECT id, iri, label, rows, papers, first, last, venue, persons FROM names WHERE id IN "
            f"({','.join('?' * len(ids))})", ids)}
        return [Suggestion("name", *rows[i]) for i in ids]

    def _exact_ids(self, text: str, limit: int) -> list[int]:
        """The names whose key is one of the text's (kg.search.fold.name_keys), in rank order."""
        keys = name_keys(text, self._current)
        if len(keys) == 1:
            return [r[0] for r in self._conn.execute(f"{self._exact} ORDER BY id LIMIT ?2", (keys[0], limit))]
        return sorted({r[0] for key in keys for r in self._conn.execute(
            f"{self._exact} ORDER BY id LIMIT ?2", (key, limit))})[:limit]

    def _names(self, text: str, terms: list[tuple[str, ...]], limit: int) -> list[Suggestion]:
        """The exact matches, then the others in rank order; with several typed words, the first
        _RERANKED of those by how well the words fit the name, the rest after them in rank order.
        The order is the text's alone, whatever `limit`: a page's results are the next ones after
        the page before (a pool grown with the page would reorder the names pages had shown)."""
        exact = self._exact_ids(text, limit)
        matched = [r[0] for r in self._conn.execute(
            "SELECT rowid FROM names_fts WHERE names_fts MATCH ? ORDER BY rowid LIMIT ?",
            (_match(terms), max(limit, _RERANKED) if len(terms) > 1 else limit))]
        ordered = list(dict.fromkeys(exact + matched))
        rows = {r[0]: r for r in self._conn.execute(
            f"SELECT id, iri, label, rows, papers, first, last, venue, persons FROM names WHERE id IN "
            f"({','.join('?' * len(ordered))})", ordered)}
        found = [rows[i] for i in ordered if i in rows]
        if len(terms) > 1:  # the exact matches, then by how well the typed words fit the name (stable)
            pool = set(matched[:_RERANKED])
            front = [r for r in found[len(exact):] if r[0] in pool]
            found[len(exact):] = sorted(front, key=lambda r: _fit(terms, r[2])) + \
                [r for r in found[len(exact):] if r[0] not in pool]
        return [Suggestion("name", *r[1:]) for r in found[:limit]]

    def _papers(self, terms: list[tuple[str, ...]], limit: int) -> list[Suggestion]:
        """The titles holding the typed words as a phrase, then those holding them all, then (when
        fewer than `limit`, hence all of them) the papers holding them in title and abstract
        together; each in rank order (newest first, then by number of authors)."""
        ids: list[int] = []
        if len(terms) > 1:
            ids += [r[0] for r in self._conn.execute(
                "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY rowid LIMIT ?",
                (_phrase(terms), limit))]
        ids += [r[0] for r in self._conn.execute(
            "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY rowid LIMIT ?", (_match(terms), limit))]
        ordered = list(dict.fromkeys(ids))[:limit]
        by_abstract: list[int] = []
        if len(ordered) < limit and self.abstracts:
            # a title match with an abstract is found here too (its title's tokens are in it): skipped
            titled = set(ordered)
            by_abstract = [r[0] for r in self._conn.execute(
                "SELECT rowid FROM abstracts_fts WHERE abstracts_fts MATCH ? ORDER BY rowid LIMIT ?",
                (_match(terms), limit + len(titled))) if r[0] not in titled][:limit - len(ordered)]
        rows = {r[0]: r for r in self._conn.execute(
            f"SELECT id, iri, title, year, venue, authors, author_count FROM papers WHERE id IN "
            f"({','.join('?' * (len(ordered) + len(by_abstract)))})", ordered + by_abstract)}
        texts: dict[int, bytes] = dict(self._conn.execute(
            f"SELECT id, text FROM abstracts WHERE id IN ({','.join('?' * len(by_abstract))})",
            by_abstract)) if by_abstract else {}
        out = []
        for k, i in enumerate(ordered + by_abstract):
            if i in rows:
                _, iri, title, year, venue, authors, count = rows[i]
                text = texts.get(i)
                out.append(Suggestion("paper", iri, title or untitled(iri), year=year, venue=venue,
                                      authors=tuple(json.loads(authors)), author_count=count,
                                      matched="title" if k < len(ordered) else "abstract",
                                      snippet=snippet(unpack(text), terms) if text is not None else None))
        return out


def untitled(iri: str) -> str:
    """The label of a paper whose source gives no title (found by its abstract), as the pages show it."""
    return f"[no title] {iri}"


_OPEN: dict[Path, SearchIndex] = {}


def index_dir(backend: object) -> Path | None:
    """Where a backend's search index lives: its store generation, or the `kg index` directory of
    --endpoint URL --index DIR (beside DIR/paths-index)."""
    generation = getattr(backend, "generation", None)
    if isinstance(generation, Path):
        return generation
    index = getattr(backend, "index", None)
    opened = index() if callable(index) else None
    path = getattr(opened, "path", None)
    return path.parent if isinstance(path, Path) else None


def for_backend(backend: object) -> SearchIndex:
    """The search index of a backend, opened once per directory (a new generation is a new one)."""
    directory = index_dir(backend)
    if directory is None:
        raise SearchUnavailable("no search index: --endpoint needs --index DIR (written by `kg index`)")
    found = _OPEN.get(directory)
    if found is None:
        found = _OPEN[directory] = SearchIndex.open(directory)
    return found


@dataclass(frozen=True)
class SearchPage:
    """A page of results; `more`: whether a next page has any."""

    q: str
    kind: str
    page: int
    limit: int
    results: list[Suggestion]
    more: bool
    exact: list[Suggestion] = field(default_factory=list)  # the clusters the text names (asked for by the page)

    def to_json(self, next_url: str | None = None, paged: bool = True) -> dict[str, Any]:
        """As `kg search --format json`, /api/search (paged, with `next`) and /api/suggest give it."""
        data: dict[str, Any] = {"q": self.q, "kind": self.kind, "limit": self.limit}
        if paged:
            data["page"] = self.page
        data["results"] = [s.as_dict() for s in self.results]
        if paged:
            data["next"] = next_url
        return data


def search_page(index: SearchIndex, text: str, kind: Kind = "all", page: int = 1, limit: int = 10,
                exact: bool = False, paged: bool = True) -> SearchPage:
    """Page `page` of the results, and (when `paged`: a suggestion needs not know) whether there
    are more, from one search for one result more; with `exact`, also the clusters the text names
    (the results page links them whatever the page and kind)."""
    limit = max(1, min(limit, MAX_LIMIT))
    page = max(1, min(page, MAX_PAGE))
    end = page * limit
    got = index.first(text, kind, end + 1 if paged and page < MAX_PAGE else end)
    return SearchPage(text, kind, page, limit, got[end - limit: end], len(got) > end,
                      index.exact(text) if exact else [])
