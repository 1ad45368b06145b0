"""What the identity evidence needs to know about each author row beyond the co-authorship index:
its name as written, its identifiers, the years and venues of all its papers (single-author ones
too, which the index leaves out), the rare words of its papers' titles, its institutions (where the
source gives affiliations), the rows whose papers its papers cite (where the source gives
citations), and how many author rows publish at each venue, use each word and are affiliated with
each institution in the whole graph (so that the evidence weighs a venue, a word and an
institution by the graph, not by the cluster).

A fresh build collects them while mapping (`FactCollector`, fed by kg.adjacency.Collector, so the
mapping worker collects them too) and writes them beside the index, as `identity-facts.json`; a
store built otherwise (`kg build --add`) has them read back from the store (`facts_from_store`),
for the rows of clusters with two or more rows, or with a variant spelling in another cluster
(kg.identity.variants), only.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import pyoxigraph as ox

from kg.iris import Minter, dblp_iri, openalex_iri, orcid_iri
from kg.names import fold_marks
from kg.records import Affiliation, Author, AuthorDetail, Paper, Venue
from kg.terms import KG

_NO_IDS: list[str | None] = [None, None, None]
_NONE: frozenset[int] = frozenset()
FACTS = "identity-facts.json"  # the small part (venues, identifiers); the per-row arrays beside it
_NO_VENUE = 0xFFFFFFFF
_ARRAYS = {"identity-years.dat": "H", "identity-papers.dat": "I", "identity-venues.off": "Q",
           "identity-venues.dat": "I", "identity-names.off": "Q", "identity-words.off": "Q",
           "identity-words.dat": "I", "identity-word-papers.dat": "I", "identity-venue-rows.dat": "I",
           "identity-venue-papers.dat": "I", "identity-venue-words.off": "Q", "identity-venue-words.dat": "I",
           "identity-venue-word-papers.dat": "I", "identity-institutions.off": "Q", "identity-institutions.dat": "I",
           "identity-institution-rows.dat": "I", "identity-cites.off": "Q", "identity-cites.dat": "I"}
VENUE_WORD_MIN = 3  # a venue keeps the count of a word only when at least this many of its papers use it
WORDS_MAX = 64      # a row keeps its rarest title words, at most this many (the facts stay small)
WORD_BITS = 2.0     # and only words at least this rare: in at most 1 / 2**WORD_BITS of the titled papers
_WORD = re.compile(r"\w+")
TEXT = "text:"  # an affiliation's key when the source names no institution: TEXT + the folded text
# Han, kana, Hangul, and the CJK compatibility ideographs: written without spaces, cut into character pairs
_CJK = re.compile("[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
_STOP = frozenset({
    "the", "and", "for", "with", "from", "into", "onto", "using", "via", "its", "are", "our", "their", "this",
    "that", "these", "those", "based", "toward", "towards", "about", "over", "under", "between", "within",
    "without", "through", "than", "not", "new", "some"})


def title_words(title: str) -> set[str]:
    """The words a title is compared by: case and diacritics folded (NFKD without combining marks,
    so NFC and NFD spellings agree), words of three letters or more that are not all digits nor a
    function word, and runs of CJK script cut into overlapping character pairs (a run of one
    character is kept whole)."""
    out: set[str] = set()
    if title.isascii():  # most titles: nothing to decompose, no CJK (the same words, several times faster)
        for word in _WORD.findall(title.lower()):
            if len(word) >= 3 and not word.isdigit() and word not in _STOP:
                out.add(word)
        return out
    folded = fold_title(title)
    for run in _CJK.findall(folded):
        out.update([run] if len(run) == 1 else (run[k: k + 2] for k in range(len(run) - 1)))
    for word in _CJK.sub(" ", folded).split():
        if len(word) >= 3 and not word.isdigit() and word not in _STOP:
            out.add(word)
    return out


def fold_title(title: str) -> str:
    """A title case folded, its accents and vowel points dropped (kg.names.fold_marks: NFC and NFD
    spellings agree), the marks that spell a word kept in it (an Indic vowel sign: "लर्निंग" stays one
    word, not "लरन"), and everything that is neither a letter, a digit, "_" nor such a mark a space."""
    return unicodedata.normalize("NFC", fold_marks(title.casefold(), lambda c: c.isalnum() or c == "_"))


def fold(text: str) -> str:
    """Case, diacritics (NFC and NFD alike), punctuation and spacing folded: "Université de Genève,"
    and "universite de geneve" are one affiliation text."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return " ".join(_WORD.findall(unicodedata.normalize("NFC", folded)))


def affiliation_key(minter: Minter, a: Affiliation) -> str:
    """The institution an affiliation counts as: its IRI, or TEXT + its folded text when the source
    names no institution (a Crossref name, an OpenAlex raw string)."""
    return minter.institution(a.institution_id) if a.institution_id else TEXT + fold(a.name)


def rare_words(words: Iterable[str], papers_with: Callable[[str], int], documents: int) -> list[str]:
    """A row's title words kept in its facts: used by two papers or more (else no other row can share
    them) and rare enough (WORD_BITS), the WORDS_MAX rarest (ties by the word)."""
    most = documents / 2 ** WORD_BITS
    kept = [w for w in words if 2 <= papers_with(w) <= most]
    kept.sort(key=lambda w: (papers_with(w), w))
    return kept[:WORDS_MAX]


@dataclass
class RowFacts:
    """One author row: identifiers are IRIs (https://orcid.org/…, https://dblp.org/pid/…, https://openalex.org/…);
    `venues` are venue numbers (Facts.venue_iris)."""

    name: str
    orcid: str | None = None
    dblp: str | None = None
    openalex: str | None = None
    papers: int = 0
    first: int | None = None
    last: int | None = None
    venues: frozenset[int] = frozenset()
    words: frozenset[int] = frozenset()   # rare title words (Facts.vocabulary numbers)
    institutions: frozenset[int] = frozenset()  # Facts.institution_keys numbers
    cites: tuple[int, ...] = ()           # the rows (index numbers) on papers its papers cite, once per citing pair


@dataclass
class Facts:
    """The facts of every author row, by the index's row number, as flat arrays (read from disk
    without parsing): its name, first and last year, papers (all of them, single-author ones too),
    venues (numbers into `venue_iris`), identifiers. Years and venues are filled for the rows of
    clusters with two or more rows (or a variant spelling elsewhere) only, and so are the rows' rare
    title words (numbers into `vocabulary`; `word_papers`: the titled papers of the graph using each,
    of `documents`). `venue_rows`: the author rows of the whole graph publishing at each venue.
    `identified`: identifier IRI -> the rows (IRIs) carrying it, for the cross-source links.
    `venue_papers` and `venue_words_*`: the titled papers of each venue and, for the words of the
    vocabulary that at least VENUE_WORD_MIN of them use, how many do (`venue_word`: a word common
    at a venue is the venue's topic, and says little of two rows that both publish there)."""

    years: array[int] = field(default_factory=lambda: array("H"))      # first, last per row (0: unknown)
    papers: array[int] = field(default_factory=lambda: array("I"))
    venue_off: array[int] = field(default_factory=lambda: array("Q", [0]))
    venue_dat: array[int] = field(default_factory=lambda: array("I"))
    names_off: array[int] = field(default_factory=lambda: array("Q", [0]))
    words_off: array[int] = field(default_factory=lambda: array("Q", [0]))
    words_dat: array[int] = field(default_factory=lambda: array("I"))
    word_papers: array[int] = field(default_factory=lambda: array("I"))
    venue_rows: array[int] = field(default_factory=lambda: array("I"))
    venue_papers: array[int] = field(default_factory=lambda: array("I"))    # titled papers per venue
    venue_words_off: array[int] = field(default_factory=lambda: array("Q", [0]))
    venue_words_dat: array[int] = field(default_factory=lambda: array("I"))  # per venue its words, sorted
    venue_word_papers: array[int] = field(default_factory=lambda: array("I"))  # and the papers there using each
    names_blob: bytes = b""
    vocabulary: list[str] = field(default_factory=list)
    documents: int = 0
    venue_iris: list[str] = field(default_factory=list)
    venue_names: dict[str, str] = field(default_factory=dict)
    ids: dict[int, list[str | None]] = field(default_factory=dict)  # row -> [orcid, dblp, openalex]
    identified: dict[str, list[str]] = field(default_factory=dict)
    institutions_off: array[int] = field(default_factory=lambda: array("Q", [0]))
    institutions_dat: array[int] = field(default_factory=lambda: array("I"))
    institution_rows: array[int] = field(default_factory=lambda: array("I"))  # rows of the graph per institution
    cites_off: array[int] = field(default_factory=lambda: array("Q", [0]))
    cites_dat: array[int] = field(default_factory=lambda: array("I"))
    institution_keys: list[str] = field(default_factory=list)   # sorted: IRIs, and TEXT + folded texts
    institution_names: list[str] = field(default_factory=list)  # as the source names each

    def __len__(self) -> int:
        return len(self.names_off) - 1

    def name(self, row: int, iri: str = "") -> str:
        """The name of the index's row number `row` (its IRI's last segment when unknown)."""
        if row + 1 < len(self.names_off):
            name = self.names_blob[self.names_off[row]: self.names_off[row + 1]].decode("utf-8")
            if name:
                return name
        return row_label(iri) if iri else ""

    def row(self, row: int, iri: str) -> RowFacts:
        """The facts of row number `row` (IRI `iri`)."""
        ids = self.ids.get(row) or _NO_IDS
        end = row + 1
        if end >= len(self.names_off):  # row >= len(self)
            return RowFacts(row_label(iri), ids[0], ids[1], ids[2])
        name = self.name(row, iri)
        years = self.years
        first, last = years[2 * row], years[2 * row + 1]
        w_off, v_off, i_off, c_off = self.words_off, self.venue_off, self.institutions_off, self.cites_off
        words = frozenset(self.words_dat[w_off[row]: w_off[end]]) if end < len(w_off) else _NONE
        institutions = frozenset(self.institutions_dat[i_off[row]: i_off[end]]) if end < len(i_off) else _NONE
        cites = tuple(self.cites_dat[c_off[row]: c_off[end]]) if end < len(c_off) else ()
        return RowFacts(name, ids[0], ids[1], ids[2], self.papers[row], first or None, last or None,
                        frozenset(self.venue_dat[v_off[row]: v_off[end]]), words, institutions, cites)

    def institution_size(self, institution: int) -> int:
        """The author rows of the whole graph affiliated with `institution` on one paper or more."""
        return self.institution_rows[institution] if institution < len(self.institution_rows) else 0

    def institution_label(self, institution: int) -> str:
        return self.institution_names[institution]

    def idf(self, word: int) -> float:
        """How rare a title word is, in bits: log2(titled papers / papers using it)."""
        return math.log2(max(self.documents, 1) / max(self.word_papers[word], 1))

    def venue_size(self, venue: int) -> int:
        """The author rows of the whole graph publishing at `venue`."""
        return self.venue_rows[venue] if venue < len(self.venue_rows) else 0

    def venue_word(self, venue: int, word: int) -> tuple[int, int]:
        """(the titled papers of `venue` using `word`, 0 when fewer than VENUE_WORD_MIN; its titled papers)."""
        if venue + 1 >= len(self.venue_words_off):
            return 0, 0
        lo, hi = self.venue_words_off[venue], self.venue_words_off[venue + 1]
        k = bisect_left(self.venue_words_dat, word, lo, hi)
        used = self.venue_word_papers[k] if k < hi and self.venue_words_dat[k] == word else 0
        return used, self.venue_papers[venue]

    def venue_label(self, venue: int) -> str:
        iri = self.venue_iris[venue]
        return self.venue_names.get(iri, iri)

    def write(self, directory: Path) -> None:
        arrays = (self.years, self.papers, self.venue_off, self.venue_dat, self.names_off, self.words_off,
                  self.words_dat, self.word_papers, self.venue_rows, self.venue_papers, self.venue_words_off,
                  self.venue_words_dat, self.venue_word_papers, self.institutions_off, self.institutions_dat,
                  self.institution_rows, self.cites_off, self.cites_dat)
        for (file, _fmt), data in zip(_ARRAYS.items(), arrays, strict=True):
            with open(directory / file, "wb") as f:
                data.tofile(f)
        (directory / "identity-names.dat").write_bytes(self.names_blob)
        (directory / "identity-words.txt").write_text("\n".join(self.vocabulary), encoding="utf-8")
        small = {"venues": self.venue_iris, "venue_names": self.venue_names, "documents": self.documents,
                 "ids": {str(r): v for r, v in sorted(self.ids.items())}, "identified": self.identified,
                 "institutions": self.institution_keys, "institution_names": self.institution_names}
        (directory / FACTS).write_text(json.dumps(small, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")

    @classmethod
    def read(cls, directory: Path) -> Facts | None:
        path = directory / FACTS
        extra = ("identity-names.dat", "identity-words.txt")
        if not path.is_file() or not all((directory / f).is_file() for f in (*_ARRAYS, *extra)):
            return None
        loaded: list[array[int]] = []
        for file, fmt in _ARRAYS.items():
            a = array(fmt)
            a.frombytes((directory / file).read_bytes())
            loaded.append(a)
        data = json.loads(path.read_text(encoding="utf-8"))
        (years, papers, venue_off, venue_dat, names_off, words_off, words_dat, word_papers, venue_rows,
         venue_papers, venue_words_off, venue_words_dat, venue_word_papers, institutions_off, institutions_dat,
         institution_rows, cites_off, cites_dat) = loaded
        blob = (directory / "identity-names.dat").read_bytes()
        text = (directory / "identity-words.txt").read_text(encoding="utf-8")
        return cls(years, papers, venue_off, venue_dat, names_off, words_off, words_dat, word_papers, venue_rows,
                   venue_papers, venue_words_off, venue_words_dat, venue_word_papers, names_blob=blob,
                   vocabulary=text.split("\n") if text else [], documents=int(data["documents"]),
                   venue_iris=list(data["venues"]), venue_names=dict(data["venue_names"]),
                   ids={int(r): list(v) for r, v in data["ids"].items()},
                   identified={k: list(v) for k, v in data["identified"].items()},
                   institutions_off=institutions_off, institutions_dat=institutions_dat,
                   institution_rows=institution_rows, cites_off=cites_off, cites_dat=cites_dat,
                   institution_keys=list(data["institutions"]), institution_names=list(data["institution_names"]))

    @classmethod
    def assemble(cls, names: list[str], rows: dict[int, tuple[int, int, int, list[int], list[str]]],
                 venue_iris: list[str], venue_names: dict[str, str], ids: dict[int, list[str | None]],
                 identified: dict[str, list[str]], venue_rows: list[int], word_papers: Callable[[str], int],
                 documents: int, venue_papers: list[int] | None = None,
                 venue_words: Callable[[int], dict[str, int]] | None = None,
                 institutions: Affiliations | None = None) -> Facts:
        """From per-row values: `names` for every row; `rows`: row -> (papers, first, last, sorted
        venues, rare title words); `venue_rows` by venue number; `word_papers` of each word;
        `venue_papers` (titled papers) by venue number and `venue_words`: venue number -> word ->
        its titled papers using it (words outside the rows' vocabulary, or used by fewer than
        VENUE_WORD_MIN papers there, are left out); `institutions`: the rows' institutions and citations."""
        n = len(names)
        years, papers = array("H", [0]) * (2 * n), array("I", [0]) * n
        venue_off, venue_dat = array("Q", [0]), array("I")
        vocabulary = sorted({w for got in rows.values() for w in got[4]})
        number = {w: k for k, w in enumerate(vocabulary)}
        words_off, words_dat = array("Q", [0]), array("I")
        for r in range(n):
            got = rows.get(r)
            if got is not None:
                papers[r], years[2 * r], years[2 * r + 1] = got[0], got[1], got[2]
                venue_dat.extend(got[3])
                words_dat.extend(sorted(number[w] for w in got[4]))
            venue_off.append(len(venue_dat))
            words_off.append(len(words_dat))
        names_off, blob = array("Q", [0]), bytearray()
        for name in names:
            blob += name.encode("utf-8")
            names_off.append(len(blob))
        vw_off, vw_dat, vw_papers = array("Q", [0]), array("I"), array("I")
        for v in range(len(venue_iris) if venue_words is not None else 0):
            assert venue_words is not None
            kept = sorted((number[word], used) for word, used in venue_words(v).items()
                          if used >= VENUE_WORD_MIN and word in number)
            vw_dat.extend(k for k, _ in kept)
            vw_papers.extend(used for _, used in kept)
            vw_off.append(len(vw_dat))
        aff = institutions or Affiliations()
        i_off, i_dat, c_off, c_dat = array("Q", [0]), array("I"), array("Q", [0]), array("I")
        for r in range(n if aff.of_row or aff.cites else 0):
            i_dat.extend(sorted(aff.of_row.get(r, ())))
            i_off.append(len(i_dat))
            c_dat.extend(sorted(aff.cites.get(r, ())))
            c_off.append(len(c_dat))
        return cls(years, papers, venue_off, venue_dat, names_off, words_off, words_dat,
                   array("I", (word_papers(w) for w in vocabulary)), array("I", venue_rows),
                   array("I", venue_papers or [0] * len(venue_iris)), vw_off, vw_dat, vw_papers, bytes(blob),
                   vocabulary, documents, venue_iris, venue_names, ids, identified, i_off, i_dat,
                   array("I", aff.rows), c_off, c_dat, aff.keys, aff.names)


@dataclass
class Affiliations:
    """The institutions and citations part of the facts: `keys` sorted (IRIs, TEXT + folded texts),
    `names` and `rows` (author rows of the whole graph) by key number; `of_row`: row -> its key
    numbers; `cites`: row -> the rows on papers its papers cite (repeated once per citing pair)."""

    keys: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    of_row: dict[int, list[int]] = field(default_factory=dict)
    cites: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, affiliated: Iterable[tuple[int, str]], names: dict[str, str], wanted: AbstractSet[int],
           cites: dict[int, list[int]]) -> Affiliations:
        """From (row, key) of every affiliated authorship of the graph, each key's name, the rows
        that need facts and their citations."""
        by_key: dict[str, set[int]] = {}
        for row, key in affiliated:
            by_key.setdefault(key, set()).add(row)
        keys = sorted(by_key)
        number = {k: i for i, k in enumerate(keys)}
        of_row: dict[int, list[int]] = {}
        for key, rows in by_key.items():
            for row in rows & wanted:
                of_row.setdefault(row, []).append(number[key])
        return cls(keys, [names[k] for k in keys], [len(by_key[k]) for k in keys], of_row, cites)


def row_label(iri: str) -> str:
    """A row's short name in reasons: the last segment of its IRI, decoded."""
    return unquote(iri.rstrip("/").rsplit("/", 1)[-1])


class FactCollector:
    """Gathers the facts from the records as they are mapped (kg.adjacency.Collector calls it).

    Papers are numbered by the collector that owns this one; `paper()` is told each paper's
    number, and `facts()` gets the (paper, row) pairs of every authorship.
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
        self._words: dict[str, int] = {}            # title word -> its number here
        self._word_list: list[str] = []
        self._word_papers = array("I")               # word number -> the papers using it
        self._paper_words = array("Q")               # paper -> (start, end) in _words_dat
        self._words_dat = array("I")
        self.documents = 0                           # papers with a title of one word or more
        self._affiliated = array("Q")                # key number << 32 | row, per affiliation
        self._pending: dict[int, list[int]] = {}     # paper << 32 | position -> key numbers, its row not known yet
        self._keys: dict[str, int] = {}              # affiliation key -> its number here
        self._key_list: list[str] = []
        self.institution_names: dict[str, str] = {}  # affiliation key -> its name (the first given)
        self._cites = array("I")                     # citing paper, cited paper, ... (both read)

    @property
    def names(self) -> list[str]:
        """Every row's name, by the collector's row number."""
        return self._names

    @property
    def years(self) -> array[int]:
        """Every paper's year (0: unknown), by paper number."""
        return self._year

    @property
    def venues(self) -> array[int]:
        """Every paper's venue number (into venue_iris; 0xFFFFFFFF: none), by paper number."""
        return self._venue

    @property
    def venue_iris(self) -> list[str]:
        return self._venue_iris

    def venue(self, v: Venue) -> None:
        iri = self.minter.venue(v.id)
        self.venue_names.setdefault(iri, v.name)

    def paper(self, number: int, p: Paper) -> None:
        if len(self._year) <= number:
            grow = number + 1 - len(self._year)
            self._year.extend(array("H", [0]) * grow)
            self._venue.extend(array("I", [_NO_VENUE]) * grow)
        self._year[number] = p.year if p.year and 0 < p.year < 65536 else 0
        self._title(number, p.title or "")
        if p.venue_id:
            iri = self.minter.venue(p.venue_id)
            v = self._venues.get(iri)
            if v is None:
                v = self._venues[iri] = len(self._venue_iris)
                self._venue_iris.append(iri)
            self._venue[number] = v

    def _title(self, number: int, title: str) -> None:
        pw, counts = self._paper_words, self._word_papers
        if len(pw) < 2 * (number + 1):
            pw.extend(array("Q", [0]) * (2 * (number + 1) - len(pw)))
        start, end = pw[2 * number], pw[2 * number + 1]
        if end > start:  # the paper seen again: its later title counts, as its later year does
            self.documents -= 1
            for k in range(start, end):
                counts[self._words_dat[k]] -= 1
        found = title_words(title)
        words, dat = self._words, self._words_dat
        pw[2 * number] = len(dat)
        for word in found:
            w = words.get(word)
            if w is None:
                w = words[word] = len(self._word_list)
                self._word_list.append(word)
                counts.append(0)
            counts[w] += 1
            dat.append(w)
        pw[2 * number + 1] = len(dat)
        self.documents += bool(found)

    def affiliation(self, row: int | None, paper: int, a: Affiliation) -> None:
        """An affiliation of the authorship at `a.position` of paper number `paper`, whose author row
        is `row` (None: not known yet, found when the facts are made)."""
        key = affiliation_key(self.minter, a)
        k = self._keys.get(key)
        if k is None:
            k = self._keys[key] = len(self._key_list)
            self._key_list.append(key)
            self.institution_names[key] = a.name
        if row is None:
            self._pending.setdefault(paper << 32 | a.position, []).append(k)
        else:
            self._affiliated.append(k << 32 | row)

    def citation(self, citing: int, cited: int) -> None:
        """Paper number `citing` cites paper number `cited` (both in the graph)."""
        self._cites.extend((citing, cited))

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
              renumber: array[int], variant: AbstractSet[str] = frozenset(),
              pair_position: Iterable[int] = ()) -> Facts:
        """The facts; `row_iris` and `clusters` are indexed by this collector's row numbers, which
        `renumber` maps to the index's. `variant`: clusters whose rows need facts too (they may hold
        a person under another spelling, kg.identity.variants). `pair_position`: each authorship's
        position, beside `pair_paper` and `pair_row` (its affiliations are keyed by it)."""
        size = Counter(clusters)
        wanted = {row for row, c in enumerate(clusters) if size[c] > 1 or c in variant}
        papers: Counter[int] = Counter()
        first: dict[int, int] = {}
        last: dict[int, int] = {}
        venues: dict[int, set[int]] = {}
        words: dict[int, set[int]] = {}
        years, venue_of, n_papers = self._year, self._venue, len(self._year)
        pw, dat, n_titled = self._paper_words, self._words_dat, len(self._paper_words) // 2
        published: set[int] = set()  # venue << 32 | row, over the whole graph
        for paper, row in zip(pair_paper, pair_row, strict=True):
            if paper < n_papers and venue_of[paper] != _NO_VENUE:
                published.add(venue_of[paper] << 32 | row)
            if row not in wanted:
                continue
            papers[row] += 1
            if paper < n_titled and pw[2 * paper + 1] > pw[2 * paper]:
                words.setdefault(row, set()).update(dat[pw[2 * paper]: pw[2 * paper + 1]])
            if paper < n_papers:
                y = years[paper]
                if y:
                    if y < first.get(row, 65536):
                        first[row] = y
                    if y > last.get(row, 0):
                        last[row] = y
                v = venue_of[paper]
                if v != _NO_VENUE:
                    venues.setdefault(row, set()).add(v)
        # venue numbers in IRI order, so that a build and a read-back (facts_from_store) agree
        order = sorted(range(len(self._venue_iris)), key=self._venue_iris.__getitem__)
        new = {old: k for k, old in enumerate(order)}
        venue_rows = [0] * len(order)
        for key in published:
            venue_rows[new[key >> 32]] += 1
        del published
        word_list, counts = self._word_list, self._word_papers

        def papers_with(word: str) -> int:
            return counts[self._words[word]]

        rows = {renumber[r]: (papers[r], first.get(r, 0), last.get(r, 0), sorted(new[v] for v in venues.get(r, ())),
                              rare_words((word_list[w] for w in words.get(r, ())), papers_with, self.documents))
                for r in wanted}
        # per venue: its titled papers, and how many use each word the rows keep
        kept = {self._words[w] for got in rows.values() for w in got[4]}
        venue_papers = [0] * len(order)
        at_venue: list[Counter[str]] = [Counter() for _ in order]
        for paper in range(min(n_papers, n_titled)):
            v = venue_of[paper]
            start, end = pw[2 * paper], pw[2 * paper + 1]
            if v == _NO_VENUE or end <= start:
                continue
            venue_papers[new[v]] += 1
            used = [word_list[w] for w in dat[start:end] if w in kept]
            if used:
                at_venue[new[v]].update(used)
        identified: dict[str, list[str]] = {}
        for row, ids in self._ids.items():
            for ident in ids:
                if ident is not None:
                    identified.setdefault(ident, []).append(row_iris[row])
        names = [""] * len(self._names)
        for old, name in enumerate(self._names):
            names[renumber[old]] = name
        return Facts.assemble(
            names, rows, [self._venue_iris[v] for v in order], self.venue_names,
            {renumber[r]: ids for r, ids in self._ids.items()},
            {k: sorted(v) for k, v in identified.items()}, venue_rows, papers_with, self.documents,
            venue_papers, at_venue.__getitem__,
            self._affiliations(pair_paper, pair_row, pair_position, renumber, wanted),
        )

    def _affiliations(self, pair_paper: Iterable[int], pair_row: Iterable[int], pair_position: Iterable[int],
                      renumber: array[int], wanted: AbstractSet[int]) -> Affiliations:
        """The institutions of the graph and of the `wanted` rows, and the rows the wanted rows'
        papers cite; a pass over the authorships only for affiliations whose row was not known when
        they were read, and for citations (then keeping the rows of papers with a wanted row only)."""
        if not self._affiliated and not self._pending and not self._cites:
            return Affiliations()
        affiliated, pending, cites = self._affiliated, self._pending, self._cites
        rows_on: dict[int, list[int]] = {}  # a paper with a wanted row -> its wanted rows
        if pending or cites:
            for paper, row, position in zip(pair_paper, pair_row, pair_position, strict=True):
                got = pending.get(paper << 32 | position) if pending else None
                if got:
                    affiliated.extend(k << 32 | row for k in got)
                if cites and row in wanted:
                    rows_on.setdefault(paper, []).append(row)
            pending.clear()
        keys = self._key_list
        order = sorted(range(len(keys)), key=keys.__getitem__)  # keys in sorted order, as read back from a store
        new = array("I", [0]) * len(keys)
        for number, k in enumerate(order):
            new[k] = number
        size = [0] * len(keys)
        of_row: dict[int, list[int]] = {}
        for value in sorted(set(affiliated)):  # each (key, row) once
            k, row = value >> 32, value & 0xFFFFFFFF
            size[new[k]] += 1
            if row in wanted:
                of_row.setdefault(renumber[row], []).append(new[k])
        cited: dict[int, list[int]] = {}
        for c in range(0, len(cites), 2):
            citing = rows_on.get(cites[c])
            to = rows_on.get(cites[c + 1]) if citing else None
            if not citing or not to:
                continue
            for r in citing:
                them = [renumber[x] for x in to if x != r]
                if them:
                    cited.setdefault(renumber[r], []).extend(them)
        return Affiliations([keys[k] for k in order], [self.institution_names[keys[k]] for k in order], size,
                            of_row, cited)


_ROW_QUERY = f"""SELECT $row ?name ?orcid ?dblp ?openalex WHERE {{
  $row <{KG.name}> ?name .
  OPTIONAL {{ $row <{KG.orcid}> ?orcid }} OPTIONAL {{ $row <{KG.dblpPerson}> ?dblp }}
  OPTIONAL {{ $row <{KG.openalexAuthor}> ?openalex }}
}} LIMIT 1"""
_PAPERS_QUERY = f"""SELECT $row ?ship ?paper ?year ?venue ?venueName WHERE {{
  ?ship <{KG.authorRow}> $row ; <{KG.paper}> ?paper .
  OPTIONAL {{ ?paper <{KG.year}> ?year }}
  OPTIONAL {{ ?paper <{KG.publishedIn}> ?venue . OPTIONAL {{ ?venue <{KG.name}> ?venueName }} }}
}}"""
_VENUE_ROWS_QUERY = f"""SELECT ?venue (COUNT(DISTINCT ?row) AS ?rows) WHERE {{
  ?ship <{KG.authorRow}> ?row ; <{KG.paper}> ?paper . ?paper <{KG.publishedIn}> ?venue .
}} GROUP BY ?venue"""
_AFFILIATED_QUERY = f"""SELECT ?row ?institution ?name ?text WHERE {{
  ?ship <{KG.authorRow}> ?row .
  {{ ?ship <{KG.affiliation}> ?institution . OPTIONAL {{ ?institution <{KG.name}> ?name }} }}
  UNION {{ ?ship <{KG.affiliationText}> ?text }}
}}"""
_CITES_QUERY = f"""SELECT $row ?other WHERE {{
  ?ship <{KG.authorRow}> $row ; <{KG.paper}> ?paper . ?paper <{KG.cites}> ?cited .
  ?theirs <{KG.paper}> ?cited ; <{KG.authorRow}> ?other .
}}"""
_IDS_QUERY = f"""SELECT ?row ?id WHERE {{
  {{ ?row <{KG.orcid}> ?id }} UNION {{ ?row <{KG.dblpPerson}> ?id }} UNION {{ ?row <{KG.openalexAuthor}> ?id }}
}}"""


def facts_from_store(store: ox.Store, rows: Iterable[tuple[int, str]], names: list[str]) -> Facts:
    """The same facts read back from a store: `rows` are (row number, IRI) of the rows of clusters
    with 2+ rows, `names` every row's name by number."""
    found: dict[int, tuple[int, int, int, list[str], list[str]]] = {}
    ids: dict[int, list[str | None]] = {}
    venue_names: dict[str, str] = {}
    titles: dict[str, set[str]] = {}  # every paper of the graph -> its title words
    for q in store.quads_for_pattern(None, ox.NamedNode(KG.title), None):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal):
            titles[q.subject.value] = title_words(q.object.value)
    word_papers: Counter[str] = Counter(w for words in titles.values() for w in words)
    published: dict[str, str] = {}  # every paper of the graph -> its venue
    for q in store.quads_for_pattern(None, ox.NamedNode(KG.publishedIn), None):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
            published.setdefault(q.subject.value, q.object.value)
    documents = sum(1 for words in titles.values() if words)
    for number, iri in rows:
        row = ox.NamedNode(iri)
        first_row = next(iter(_solutions(
            store.query(_ROW_QUERY, substitutions={ox.Variable("row"): row}, use_default_graph_as_union=True)
        )), None)
        if first_row is None:
            continue
        got = [_value(first_row, "orcid"), _value(first_row, "dblp"), _value(first_row, "openalex")]
        if any(got):
            ids[number] = got
        seen: set[str] = set()
        papers, first, last = 0, 0, 0
        venues: set[str] = set()
        words: set[str] = set()
        for r in _solutions(store.query(_PAPERS_QUERY, substitutions={ox.Variable("row"): row},
                                           use_default_graph_as_union=True)):
            ship = _value(r, "ship")  # counted per authorship, as the collector does
            if ship is None or ship in seen:
                continue
            seen.add(ship)
            papers += 1
            words.update(titles.get(_value(r, "paper") or "", ()))
            year = _value(r, "year")
            if year is not None and year[:4].isdigit() and 0 < int(year[:4]) < 65536:
                y = int(year[:4])
                first, last = min(first or y, y), max(last, y)
            venue = _value(r, "venue")
            if venue is not None:
                venues.add(venue)
                name = _value(r, "venueName")
                if name is not None:
                    venue_names.setdefault(venue, name)
        found[number] = (papers, first, last, sorted(venues),
                         rare_words(words, word_papers.__getitem__, documents))
    venue_iris = sorted({v for got in found.values() for v in got[3]})
    number_of = {v: k for k, v in enumerate(venue_iris)}
    venue_rows = [0] * len(venue_iris)
    for r in _solutions(store.query(_VENUE_ROWS_QUERY, use_default_graph_as_union=True)):
        venue, count = _value(r, "venue"), _value(r, "rows")
        if venue in number_of and count is not None:
            venue_rows[number_of[venue]] = int(count)
    venue_papers = [0] * len(venue_iris)
    at_venue: list[Counter[str]] = [Counter() for _ in venue_iris]
    for paper, venue in published.items():
        k = number_of.get(venue)
        used = titles.get(paper)
        if k is not None and used:
            venue_papers[k] += 1
            at_venue[k].update(used)
    identified: dict[str, set[str]] = {}
    for r in _solutions(store.query(_IDS_QUERY, use_default_graph_as_union=True)):
        row_iri, ident = _value(r, "row"), _value(r, "id")
        if row_iri is not None and ident is not None:
            identified.setdefault(ident, set()).add(row_iri)
    return Facts.assemble(
        names, {k: (p, f, la, [number_of[v] for v in vs], ws) for k, (p, f, la, vs, ws) in found.items()},
        venue_iris, venue_names, ids, {k: sorted(v) for k, v in identified.items()}, venue_rows,
        word_papers.__getitem__, documents, venue_papers, at_venue.__getitem__,
        _affiliations_from_store(store, {number: iri for number, iri in rows if number in found}))


def _affiliations_from_store(store: ox.Store, wanted: dict[int, str]) -> Affiliations:
    """The institutions and citations part of the facts, from the store (as FactCollector gathers them)."""
    number = {iri: k for k, iri in wanted.items()}
    rows: dict[str, int] = {}  # every affiliated row of the graph, numbered here (only its count matters)
    affiliated: list[tuple[int, str]] = []
    names: dict[str, str] = {}
    for r in _solutions(store.query(_AFFILIATED_QUERY, use_default_graph_as_union=True)):
        row, institution, text = _value(r, "row"), _value(r, "institution"), _value(r, "text")
        key = institution if institution is not None else TEXT + fold(text or "")
        if row is None:
            continue
        names.setdefault(key, _value(r, "name") or text or key)
        k = number.get(row)
        if k is None:
            k = rows.setdefault(row, -1 - len(rows))
        affiliated.append((k, key))
    cites: dict[int, list[int]] = {}
    for k, iri in wanted.items():
        to = [number[o] for r in _solutions(store.query(
            _CITES_QUERY, substitutions={ox.Variable("row"): ox.NamedNode(iri)}, use_default_graph_as_union=True))
              if (o := _value(r, "other")) is not None and o != iri and o in number]
        if to:
            cites[k] = to
    return Affiliations.of(affiliated, names, set(wanted), cites)


def _solutions(result: object) -> Iterable[ox.QuerySolution]:
    assert isinstance(result, ox.QuerySolutions)
    return result


def _value(solution: ox.QuerySolution, name: str) -> str | None:
    term = solution[name]
    return None if term is None else str(term.value)
