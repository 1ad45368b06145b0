"""The mapping's speed paths equal the plain code they shortcut.

Each reference below is the code as it was before its fast path (kept here, verbatim but for its
name): literals without the escape check, name keys and title words without the ASCII path, IRIs
minted without the Minter's memo, an authorship's lines from the per-term helpers. Hypothesis
feeds them names and titles in every script (diacritics NFC and NFD, Greek, Cyrillic, CJK, Arabic),
white space of every kind, digits of other scripts, and values that need escapes.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from hashlib import blake2b
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from conftest import shared
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import kg.iris
from kg import sources
from kg.adjacency import Collector

# the words' pattern, the CJK runs and the function words are data both paths share; the reference is the loop
from kg.identity.facts import _CJK, _STOP, fold_title, title_words
from kg.iris import DEFAULT_BASE_IRI, Minter
from kg.mapping import Mapper
from kg.names import loose_key, name_key, strip_homonym
from kg.nquads import literal, typed
from kg.records import Author, Authorship, Paper, Venue
from kg.sources import openalex, rows
from kg.streaming import Report, batched, quads
from kg.sync.ledger import Ledger
from kg.terms import KG, RDF_TYPE, XSD_INTEGER
from kg.text import plain

# ---- the references: the code before its fast path -------------------------------------------

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def literal_reference(value: str) -> str:
    return '"' + value.translate(_ESCAPES) + '"'


def typed_reference(value: str, datatype: str) -> str:
    return '"' + value.translate(_ESCAPES) + '"^^<' + datatype + ">"


_SPACE = re.compile(r"\s+")
_HOMONYM = re.compile(r"\s+\d{4}$")
_PUNCT = re.compile(r"[^\w\s]|_")


def strip_homonym_reference(name: str) -> str:
    collapsed = _SPACE.sub(" ", name).strip()
    return _HOMONYM.sub("", collapsed)


def name_key_reference(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    text = "".join(c for c in text if c not in "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                   "\u2066\u2067\u2068\u2069\ufeff")
    return strip_homonym_reference(text)


def loose_key_reference(name: str) -> str:
    text = unicodedata.normalize("NFKD", name_key_reference(name))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def title_words_reference(title: str) -> set[str]:
    folded = fold_title(title)
    out: set[str] = set()
    for run in _CJK.findall(folded):
        out.update([run] if len(run) == 1 else (run[k: k + 2] for k in range(len(run) - 1)))
    for word in _CJK.sub(" ", folded).split():
        if len(word) >= 3 and not word.isdigit() and word not in _STOP:
            out.add(word)
    return out


_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_~\-][A-Za-z0-9_.~\-]*\Z")


def segment_reference(value: str) -> str:
    if _PLAIN_SEGMENT.match(value):
        return value
    encoded = quote(value, safe="")
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


def authorship_reference(base: str, graph: str, a: Authorship) -> str:
    def iri(value: str) -> str:
        return f"<{value}>"

    s = iri(f"{base}paper/{segment_reference(a.paper_id)}/authorship/{a.position}")
    paper = iri(f"{base}paper/{segment_reference(a.paper_id)}")
    author = iri(f"{base}author/{segment_reference(a.author_id)}")
    g = iri(graph)
    printed = f"{s} {iri(KG.nameAsPrinted)} {literal_reference(a.name_as_printed)} {g} .\n" if a.name_as_printed else ""
    return (
        f"{s} {iri(RDF_TYPE)} {iri(KG.Authorship)} {g} .\n"
        f"{s} {iri(KG.paper)} {paper} {g} .\n"
        f"{s} {iri(KG.authorRow)} {author} {g} .\n"
        f"{s} {iri(KG.position)} {typed_reference(str(a.position), XSD_INTEGER)} {g} .\n"
        f"{printed}"
        f"{paper} {iri(KG.hasAuthorship)} {s} {g} .\n"
        f"{paper} {iri(KG.author)} {author} {g} .\n"
    )


# ---- names and titles in every script ---------------------------------------------------------

SCRIPTS = [
    "Zoë Ångström", "Zoe\u0308 A\u030angstro\u0308m",  # NFC and NFD
    "José-María Núñez", "Jose\u0301-Mari\u0301a Nu\u0301n\u0303ez",
    "Αλέξανδρος Παπαδόπουλος", "Σίσυφος ΣΊΣΥΦΟΣ", "Дмитрий Иванов", "Ёлкин Щукин",
    "王小明", "東京大学 情報理工学", "山田 太郎", "김민준", "محمد عبد الله", "عَلِيّ ٠١٢٣",
    "Hong Chen 0004", "Hong Chen\u00a00004", "Hong Chen ٠٠٠٤", "Agent 007", "ﬁne Straße", "Ｌｉｕ",
    'A "quoted" \\ back\\slash', "line\nbreak\r\nand\rreturn", "tab\tand\x00nul\x1f\x7f",
    "\u2028sep\u2029\x85", "  lots   of\u3000space  ", "", " ", "_under_score_", "a-b.c,d;e",
]
NAME_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",))
NAMES = st.one_of(
    st.sampled_from(SCRIPTS),
    st.text(NAME_CHARS, max_size=24),
    st.lists(st.sampled_from(SCRIPTS + [" ", "\t", "0001", "٣", "-", "'"]), max_size=5).map("".join),
)
FEW = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FEW
@given(NAMES)
def test_literal_is_the_translated_text(value: str) -> None:
    assert literal(value) == literal_reference(value)
    assert typed(value, XSD_INTEGER) == typed_reference(value, XSD_INTEGER)


@FEW
@given(NAMES)
@example("Hong  Chen 0004")
@example("x\u00a0\u00a01234")
@example("x \u0661\u0662\u0663\u0664")  # Arabic-Indic digits are \d too
@example("x \u00b2\u00b2\u00b2\u00b2")  # superscripts are digits, not decimals: not a homonym number
def test_name_keys_equal_the_plain_code(name: str) -> None:
    assert strip_homonym(name) == strip_homonym_reference(name)
    assert name_key(name) == name_key_reference(name)
    assert loose_key(name) == loose_key_reference(name)


@FEW
@given(NAMES)
@example("The Theory of Graphs, 2024: 123 new results for CJK-free ASCII")
def test_title_words_equal_the_plain_code(title: str) -> None:
    assert title_words(title) == title_words_reference(title)
    # the same words in the same order: the collector numbers them as it meets them
    assert list(title_words(title)) == list(title_words_reference(title))


IDS = st.one_of(st.sampled_from(["p1", ".", "..", "a b", "x/y", "%", "é", "王", "", "-", "~a.b"]),
                st.text(NAME_CHARS, max_size=8))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(IDS, IDS, st.integers(1, 500), st.one_of(st.none(), NAMES)), max_size=40))
def test_minted_iris_and_authorship_lines_equal_the_plain_code(
    ships: list[tuple[str, str, int, str | None]]
) -> None:
    """With a memo of two IRIs, emptied again and again, every IRI is the one minted afresh."""
    base, graph = "https://example.org/kg/", "https://example.org/kg/graph/rows"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kg.iris, "MEMO", 2)
        minter = Minter(base)
        mapper = Mapper(minter, graph)
        for paper, author, position, printed in ships:
            a = Authorship(paper, author, position, printed)
            assert "".join(mapper.lines(a)) == authorship_reference(base, graph, a)
            assert minter.venue(author) == f"{base}venue/{segment_reference(author)}"
            assert minter.cluster(author) == f"{base}cluster/{segment_reference(author)}"
            assert minter.authorship(paper, position) == f"{base}paper/{segment_reference(paper)}/authorship/{position}"
            assert len(minter._papers) <= 2 and len(minter._authors) <= 2


def test_minter_memo_is_not_part_of_its_value() -> None:
    a, b = Minter("https://example.org/"), Minter("https://example.org/")
    a.paper("p1")
    assert a == b and hash(a) == hash(b) and repr(a) == "Minter(base='https://example.org/')"


def add_chunk_reference(graphs: dict[str, dict[bytes, int]], chunk: bytes) -> None:
    current_name = b""
    current: dict[bytes, int] = {}
    for line in chunk.split(b"\n"):
        if not line:
            continue
        name = line[line.rindex(b" ", 0, len(line) - 2) + 2 : -3]
        if name != current_name:
            current_name, current = name, graphs.setdefault(name.decode("utf-8"), {})
        subject = line[: line.index(b" ")]
        digest = int.from_bytes(blake2b(line, digest_size=8).digest(), "little")
        current[subject] = (current.get(subject, 0) + digest) & ((1 << 64) - 1)


SUBJECTS = st.sampled_from(["<https://e.org/p/1>", "<https://e.org/p/2>", "<https://e.org/a/%C3%A9>", "_:b0"])
GRAPHS = st.sampled_from(["<https://e.org/graph/rows>", "<https://e.org/graph/dblp>"])
LINES = st.tuples(SUBJECTS, st.sampled_from(["<https://e.org/name>", "<https://e.org/k#title>"]), NAMES, GRAPHS).map(
    lambda t: f"{t[0]} {t[1]} {literal(t[2])} {t[3]} .\n")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(LINES, max_size=12).map("".join), max_size=4), st.booleans())
def test_ledger_digests_equal_line_by_line(chunks: list[str], blank: bool) -> None:
    """A chunk of one graph (the mapper's) takes the C path, one of several graphs the line by line
    one: both give the digests of the plain loop, whatever the order and the runs of subjects."""
    ledger, reference = Ledger(), {}
    for text in chunks:
        chunk = text.encode("utf-8") + (b"\n" if blank else b"")
        ledger.add_chunk(chunk)
        add_chunk_reference(reference, chunk)
    assert ledger.graphs == reference
    for graph in reference.values():
        assert all(0 <= d < 1 << 64 for d in graph.values())


# ---- the rows tables' fast parsers against their plain parsers -----------------------------------

VALUES = st.one_of(
    NAMES,
    st.sampled_from([
        "", " ", "  x ", "2020", " 2020", "0999", "1000", "2999", "3000", "02020", "٢٠٢٠", "1" * 5000, "+1", "0",
        "-1", "1_0", "7", "007", "１２", "true", "YES", " t ", "0", "n", "maybe", "10.1234/AbC", " 10.1234/x ",
        "https://doi.org/10.1/X", "doi:10.1/y", "10.1/ x", "0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-009X",
        "0000-0002-1825", "12/3456", "https://dblp.org/pid/h/HongChen", "A123", "https://openalex.org/A5", "W1",
        "https://example.org/a b/é?q=<1>", "mailto:x@y", "http://[bad/x", "not a url", "Journal", " conference ",
        "other", "bogus", "Workshop", "\u00a0", "\t", "x\u00a0",
    ]),
)


USUAL = {  # values each column usually holds: a row of them is a record
    "position": ["1", "2", "12"], "year": ["2020", "1999", ""], "kind": ["journal", ""], "doi": ["", "10.1234/x"],
    "url": ["", "https://example.org/x"], "orcid": ["", "0000-0002-1825-0097"], "dblp_pid": ["", "12/3456"],
    "openalex_id": ["", "A123"], "authors_truncated": ["", "true", "0"], "name_as_printed": ["", "Zoë Å."],
}


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(rows._FAST)), st.data())
def test_fast_row_parsers_equal_the_plain_ones(table: str, data: st.DataObject) -> None:
    """Whatever the header (columns in any order, optional ones missing, unknown or repeated ones)
    and the values, a CSV row gives the record, or the reason, that its dict gives the plain parser."""
    optional = [c for c in rows.COLUMNS[table] if c not in rows.REQUIRED[table]]
    extra = data.draw(st.lists(st.sampled_from([*optional, *rows.REQUIRED[table], "unknown"]), max_size=3))
    header = data.draw(st.permutations([*rows.REQUIRED[table], *data.draw(st.sets(st.sampled_from(optional))), *extra]))
    fields = [data.draw(st.one_of(st.sampled_from(USUAL.get(column, ["x", "Zoë"])), VALUES)) for column in header]
    parse, fast_parse = rows._PARSERS[table], rows._FAST[table](rows._Columns(header))
    # a row as read: its control characters spaces before either parser sees it
    assert rows._row(fields, header, parse, fast_parse) == rows._row(fields, header, parse, None)
    assume(not rows._has_surrogate("".join(fields)))
    fields = [rows._CONTROL.sub(" ", f) for f in fields]
    plain = rows._parsed(rows._PARSERS[table], dict(zip(header, fields, strict=True)))
    fast = rows._FAST[table](rows._Columns(header))(fields)
    assert fast is None or fast == plain
    if not isinstance(plain, str):  # the common rows take the fast path
        # ("+1" and "1_0" are numbers to int() but not to the fast parsers, which leave them to the plain ones)
        simple = all(v == v.strip() and v.isascii() and not v.isdigit() and v[:1] not in "+-" and "_" not in v
                     or v in ("", "2020", "7") for v in fields)
        assert fast is not None or not simple


def test_fast_paths_keep_rows_of_every_script_and_their_rejects(tmp_path: Path) -> None:
    """The rows tables through read_rows: records of every script, and rejects with their lines."""
    (tmp_path / "venues.csv").write_text("id,name,kind\nv1,Βάσεις Δεδομένων,journal\nv2,x,bogus\n", encoding="utf-8")
    (tmp_path / "authors.csv").write_text(
        "id,name,orcid\na1,Zoe\u0308 Ångström,\na2,王小明,0000-0002-1825-0097\na3,محمد,bad\n,Дмитрий,\n",
        encoding="utf-8")
    (tmp_path / "papers.csv").write_text(
        'id,title,year,venue_id\np1,"Графы, ""и"" \\ 東京",2020,v1\np2,T,20x0,\np3,T,999,v1\np4,T,,\n',
        encoding="utf-8")
    (tmp_path / "authorships.csv").write_text(
        "paper_id,author_id,position,name_as_printed\np1,a1,1, Zoë Å. \np1,a2,0,\np1,a2,x,\np1,a2,2,\n",
        encoding="utf-8")
    got = [(Path(r.file).name, r.line, r.item) for r in rows.read_rows(tmp_path)]
    assert got == [
        ("venues.csv", 2, Venue("v1", "Βάσεις Δεδομένων", "journal")),
        ("venues.csv", 3, "column 'kind': 'bogus' is not one of conference, journal, workshop, repository, other"),
        ("authors.csv", 2, Author("a1", "Zoe\u0308 Ångström")),
        ("authors.csv", 3, Author("a2", "王小明", orcid="0000-0002-1825-0097")),
        ("authors.csv", 4, "column 'orcid': not an ORCID: 'bad'"),
        ("authors.csv", 5, "missing required column 'id'"),
        ("papers.csv", 2, Paper("p1", 'Графы, "и" \\ 東京', 2020, "v1")),
        ("papers.csv", 3, "column 'year': expected an integer, found '20x0'"),
        ("papers.csv", 4, "column 'year': 999 is out of range (from 1000 to 2999)"),
        ("papers.csv", 5, Paper("p4", "T")),
        ("authorships.csv", 2, Authorship("p1", "a1", 1, "Zoë Å.")),
        ("authorships.csv", 3, "column 'position': 0 is out of range (at least 1)"),
        ("authorships.csv", 4, "column 'position': expected an integer, found 'x'"),
        ("authorships.csv", 5, Authorship("p1", "a2", 2)),
    ]


def test_numbers_of_any_length_are_rejected_as_before(tmp_path: Path) -> None:
    """int() refuses more than 4300 digits: the plain parser's reason, not a crash of the fast one."""
    long = "1" * 5000
    (tmp_path / "venues.csv").write_text("id,name\n", encoding="utf-8")
    (tmp_path / "authors.csv").write_text("id,name\na,A\n", encoding="utf-8")
    (tmp_path / "papers.csv").write_text(f"id,title,year\np,T,{long}\nq,T,0{long[:3]}\n", encoding="utf-8")
    (tmp_path / "authorships.csv").write_text(f"paper_id,author_id,position\nq,a,{long}\nq,a,0001\n", encoding="utf-8")
    got = [(r.line, r.item) for r in rows.read_rows(tmp_path)]
    assert got[1:] == [
        (2, f"column 'year': expected an integer, found {long!r}"),
        (3, "column 'year': 111 is out of range (from 1000 to 2999)"),
        (2, f"column 'position': expected an integer, found {long!r}"),
        (3, Authorship("q", "a", 1)),
    ]


def abstract_reference(index: Any) -> str | None:
    if not isinstance(index, dict) or not index:
        return None
    placed: dict[int, str] = {}
    for word, positions in index.items():
        for position in positions if isinstance(positions, list) else []:
            if isinstance(position, int):
                placed[position] = word
    return plain(" ".join(placed[p] for p in sorted(placed)))


ODD = st.one_of(st.integers(0, 30), st.booleans(), st.none(), st.text(max_size=2))
POSITIONS = st.one_of(st.lists(st.integers(0, 30), max_size=4), st.lists(ODD, max_size=4), st.none(), st.integers())


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.dictionaries(NAMES, POSITIONS, max_size=8), st.none(), st.lists(st.integers())))
@example({"Théorie": [0, 2], "des": [1], "Графов": [3, True], "<b>bold</b>": ["x", 4], "&amp;": [0]})
def test_openalex_abstract_equals_the_plain_loop(index: Any) -> None:
    assert openalex.abstract(index) == abstract_reference(index)


# ---- the recorded dblp and OpenAlex files --------------------------------------------------------

RECORDED = [
    ("dblp_xml", "donnerdistel_dblp_test.xml", "dblp"), ("dblp_xml", "rgovaerts_dblp_excerpt.xml", "dblp"),
    ("dblp_xml", "xcurator_dblp_sample.xml", "dblp"), ("openalex", "openalexpro_page1_200works.json", "openalex"),
    ("openalex", "openalexpro_chunk1.json", "openalex"),
]


def _mapped(path: Path, kind: str) -> tuple[list[bytes], list[str]]:
    minter = Minter(DEFAULT_BASE_IRI)
    rejects: list[str] = []
    collector = Collector(minter)
    try:
        lines = quads([path], kind, minter, Report(), lambda r: rejects.append(str(r)), collector=collector)
        return list(batched(lines, size=1 << 14)), rejects
    finally:
        collector.close()  # its abstracts' scratch file


@pytest.mark.parametrize(("folder", "name", "kind"), RECORDED)
def test_recorded_files_map_as_the_plain_code(folder: str, name: str, kind: str) -> None:
    """On the recorded real files: every name and title folds as the plain code folds it, the
    N-Quads do not depend on what the Minter remembers (a memo of one IRI against the default), and
    the ledger's digests of them are the plain loop's."""
    path = shared("data", folder, name)
    for located in sources.read(path, kind):
        item = located.item
        for value in (getattr(item, "name", None), getattr(item, "title", None), getattr(item, "name_variant", None)):
            if isinstance(value, str):
                assert (name_key(value), loose_key(value)) == (name_key_reference(value), loose_key_reference(value))
                assert list(title_words(value)) == list(title_words_reference(value))
                assert literal(value) == literal_reference(value)
    chunks, rejects = _mapped(path, kind)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kg.iris, "MEMO", 1)
        assert _mapped(path, kind) == (chunks, rejects)
    ledger, reference = Ledger(), {}
    for chunk in chunks:
        ledger.add_chunk(chunk)
        add_chunk_reference(reference, chunk)
    assert ledger.graphs == reference and sum(map(len, reference.values())) > 100


def _read_csv_reference(path: Path, table: str) -> list[tuple[int, object]]:
    """The rows as `_Lines` reads them from the start (as every row was read before csv read the
    file itself up to the first broken record that spans lines)."""
    with rows._open_text(path) as f:
        lines = rows._Lines(f)
        header = next(csv.reader(lines, strict=True))
        lines.start_record()
        return list(rows._read_csv_lines(lines, header, rows._PARSERS[table], None))


PIECES = st.sampled_from(['"', ",", "\n", "\r\n", "\r", '""', "p1", "a1", "1", "2", "Zoë", "王", " ", "x\ny", '"q,\n"'])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(PIECES, max_size=8).map("".join), max_size=12))
@example(['p1,a1,1,"An unterminated quote', "p1,a1,2,x", 'p2,a1,1,"x', "p3,a,1,y", "p1,a1,3"])
def test_csv_read_by_csv_then_by_lines_equals_lines_throughout(tmp_path_factory: pytest.TempPathFactory,
                                                                body: list[str]) -> None:
    """Broken quotes anywhere: the records, the reasons and their lines are those of reading
    every line through `_Lines`, the fast parsers' records those of the plain parser."""
    path = tmp_path_factory.mktemp("csv") / "authorships.csv"
    path.write_text("paper_id,author_id,position,name_as_printed\n" + "\n".join(body) + "\n", encoding="utf-8",
                    newline="")
    assert list(rows._read_csv(path, "authorships")) == _read_csv_reference(path, "authorships")
