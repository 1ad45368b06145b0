"""Writing the search index: one SQLite file with two FTS5 tables (names, titles), built from
documents already folded into tokens (kg.search.fold).

Every document's number (the FTS rowid) is its rank: clusters are numbered by papers (most first),
papers by year (newest first) then number of authors. FTS5 walks a match in rowid order, so the
first N matches of any prefix are the N best without sorting them all (a precomputed top-k).
The tables are contentless (`content=''`): what a suggestion shows is in the plain tables beside.
Both keep a prefix index for every prefix length typed while a word is being written (1-6): a
longer prefix without one merged the whole lists of every word it begins ("Study": 25 ms; with
them, p95 of a 1-6-character suggestion 1.5 -> 0.3 ms on 100k papers, for 27 % more bytes). Names
need no positions (`detail=none`: no phrase is asked of them), and neither table the column sizes
(`columnsize=0`: no rank function is used, documents come in rowid order).

The names' keys (`kg.search.fold.name_key`) find a typed name's exact matches; a name with umlauts,
ß, ø or å is also under its key with them spelled out, in a small table beside (`spelled`: an index
written before it has none, and matches those names only as written or without the marks).

Abstracts (format 2) are a third table, numbered as the papers: each paper with an abstract under
the tokens of its title and of its abstract's first words (kg.search.abstracts), so that a paper is
found by its abstract when every typed word is in one or the other. It keeps no positions and
prefix indexes for 1-3 characters only (the whole 1-6 set doubled its size on the recorded data);
its text, compressed, is kept for the snippet a result shows.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from kg.names import strip_homonym
from kg.search.abstracts import unpack
from kg.search.fold import index_tokens, name_key, name_keys, title_tokens
from kg.search.spill import SpilledAbstracts

SEARCH = "search.sqlite"
_json = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(…, ensure_ascii=False) without a new encoder each call
# 2: with abstracts; 3: names and titles folded as kg.search.fold has since (the letters NFKD keeps
# whole, the Brahmic vowel signs in their word, Persian letters as Arabic, a CJK run one word of a
# name key, a title's words in order) and the spelled-out keys; 4: Thai, Lao, Myanmar and Khmer
# runs cut into units and their bigrams (as CJK), đ also spelled out as "dj". Formats 1 to 3 are
# read too, their names and titles as they were folded then (docs/search.md).
FORMAT = 4
FORMATS = ("1", "2", "3", "4")

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE names(id INTEGER PRIMARY KEY, iri TEXT NOT NULL, label TEXT NOT NULL, key TEXT NOT NULL,
  rows INTEGER NOT NULL, papers INTEGER NOT NULL, first INTEGER, last INTEGER, venue TEXT, persons INTEGER);
CREATE VIRTUAL TABLE names_fts USING fts5(tokens, content='', detail=none, columnsize=0, tokenize='ascii',
  prefix='1 2 3 4 5 6');
CREATE TABLE papers(id INTEGER PRIMARY KEY, iri TEXT NOT NULL, title TEXT NOT NULL, year INTEGER,
  venue TEXT, authors TEXT NOT NULL, author_count INTEGER NOT NULL);
CREATE VIRTUAL TABLE papers_fts USING fts5(tokens, content='', columnsize=0, tokenize='ascii',
  prefix='1 2 3 4 5 6');
CREATE TABLE spelled(key TEXT NOT NULL, id INTEGER NOT NULL);
CREATE TABLE abstracts(id INTEGER PRIMARY KEY, text BLOB NOT NULL);
CREATE VIRTUAL TABLE abstracts_fts USING fts5(tokens, content='', detail=none, columnsize=0, tokenize='ascii',
  prefix='1 2 3');
"""


class NameDoc(NamedTuple):
    """A name cluster: its IRI, the names of its rows (the most frequent first), counts and facts."""

    iri: str
    names: tuple[str, ...]
    rows: int
    papers: int
    first: int | None = None
    last: int | None = None
    venue: str | None = None
    persons: int | None = None


class PaperDoc(NamedTuple):
    """A paper with a title or an abstract: year, venue name, its first authors' names and how many
    it has."""

    iri: str
    title: str  # "" for a paper whose source gives none (found by its abstract)
    year: int | None
    venue: str | None
    authors: tuple[str, ...]
    author_count: int
    abstract: bytes | None = None  # its first words, compressed (kg.search.abstracts.pack)
    spilled: int = -1  # else its number in the abstracts' scratch file given to the writer (kg.search.spill)


def create(path: Path) -> sqlite3.Connection:
    """A new, empty index at `path` (replacing one left there)."""
    for stale in (path, path.with_name(path.name + "-journal")):
        if stale.exists():
            stale.unlink()
    conn = sqlite3.connect(path)
    # a file written once by one process, then only read: no journal, no syncs, larger pages
    for pragma in ("page_size=8192", "journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE",
                   "cache_size=-65536"):
        conn.execute(f"PRAGMA {pragma}")
    conn.executescript(_SCHEMA)
    # no merging of segments while loading: one 'optimize' at the end
    for table in ("names_fts", "papers_fts", "abstracts_fts"):
        conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('automerge', 0)")
    conn.execute("INSERT INTO meta VALUES ('format', ?)", (str(FORMAT),))
    return conn


def add_papers(conn: sqlite3.Connection, papers: Iterable[PaperDoc], spilled: SpilledAbstracts | None = None) -> int:
    """Adds the papers, numbered newest first; how many. Their abstracts are in the documents, or
    read from `spilled` one at a time (twice: the table, then the terms), not all held at once."""
    ordered = sorted(papers, key=lambda p: (-(p.year or 0), -p.author_count, p.iri))
    written = 0

    def abstracts() -> Iterator[tuple[int, str, bytes]]:
        for k, p in enumerate(ordered, 1):
            a = p.abstract if p.abstract is not None or spilled is None or p.spilled < 0 else spilled.get(p.spilled)
            if a:
                yield k, p.title, a

    def table() -> Iterator[tuple[int, bytes]]:
        nonlocal written
        for k, _, a in abstracts():
            written += 1
            yield k, a

    with conn:
        conn.executemany("INSERT INTO papers VALUES (?, ?, ?, ?, ?, ?, ?)",
                         ((k, p.iri, p.title, p.year, p.venue, _json(p.authors), p.author_count)
                          for k, p in enumerate(ordered, 1)))
        conn.executemany("INSERT INTO papers_fts(rowid, tokens) VALUES (?, ?)",
                         ((k, " ".join(title_tokens(p.title))) for k, p in enumerate(ordered, 1)))
        conn.executemany("INSERT INTO abstracts VALUES (?, ?)", table())
        conn.executemany("INSERT INTO abstracts_fts(rowid, tokens) VALUES (?, ?)",
                         ((k, " ".join(dict.fromkeys([*index_tokens(title), *index_tokens(unpack(a))])))
                          for k, title, a in abstracts()))
    conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                     [("papers", str(len(ordered))), ("abstracts", str(written))])
    return len(ordered)


def add_names(conn: sqlite3.Connection, names: Iterable[NameDoc]) -> int:
    """Adds the name clusters, numbered by papers (most first); how many."""
    ordered = sorted(names, key=lambda n: (-n.papers, -n.rows, n.iri))
    with conn:
        conn.executemany("INSERT INTO names VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         ((k, n.iri, strip_homonym(n.names[0]), name_key(n.names[0]), n.rows, n.papers, n.first,
                           n.last, n.venue, n.persons) for k, n in enumerate(ordered, 1)))
        conn.executemany("INSERT INTO names_fts(rowid, tokens) VALUES (?, ?)",
                         ((k, " ".join(dict.fromkeys(t for name in n.names for t in index_tokens(name))))
                          for k, n in enumerate(ordered, 1)))
        # a name with umlauts, ß, ø, å, đ or ə also under its key with them spelled out ("Hans Müller" is
        # "hans mueller" too): typed so, it is still the name's exact match
        conn.executemany("INSERT INTO spelled VALUES (?, ?)",
                         ((key, k) for k, n in enumerate(ordered, 1) for key in name_keys(n.names[0])[1:]))
        conn.execute("CREATE INDEX names_key ON names(key)")
        conn.execute("CREATE INDEX spelled_key ON spelled(key)")
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('names', ?)", (str(len(ordered)),))
    return len(ordered)


def write_documents(path: Path, names: Iterable[NameDoc], papers: Iterable[PaperDoc],
                    spilled: SpilledAbstracts | None = None) -> sqlite3.Connection:
    """A new index at `path` with the documents (their abstracts in them or in `spilled`), its FTS
    segments merged into one and the names looked up by IRI (for `add_persons`): all of it but the
    persons' counts. Open, for them."""
    conn = create(path)
    add_papers(conn, papers, spilled)
    add_names(conn, names)
    with conn:
        conn.execute("CREATE INDEX names_iri ON names(iri)")
        conn.execute("INSERT INTO names_fts(names_fts) VALUES ('optimize')")
        conn.execute("INSERT INTO papers_fts(papers_fts) VALUES ('optimize')")
        conn.execute("INSERT INTO abstracts_fts(abstracts_fts) VALUES ('optimize')")
    return conn


def add_persons(conn: sqlite3.Connection, persons: Iterable[tuple[int, str]]) -> None:
    """Each name cluster's probable persons' count, as (count, cluster IRI), from the identity step."""
    with conn:
        conn.executemany("UPDATE names SET persons = ? WHERE iri = ?", persons)


def finish(conn: sqlite3.Connection, path: Path, final: Path) -> None:
    """Closes the index and moves the file to `final` in one rename."""
    conn.close()
    if path != final:
        os.replace(path, final)
