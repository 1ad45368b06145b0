"""Papers found by the words of their abstracts (kg.search, kg.search.abstracts): after every title
match, with the same folding in every script and the same prefix rule, saying why they matched; the
index a build collects against the one read back from the store; `kg search`'s text."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import abstracts_of, read_back, write_csv_tables
from hypothesis import example, given, settings
from hypothesis import strategies as st

import kg
from kg.search.abstracts import SNIPPET, WORDS, first_match, pack, scan, snippet, unpack
from kg.search.fold import index_tokens, query_terms
from kg.search.query import SearchIndex
from kg.search.write import SEARCH
from kg.store import StoreDir

NFD = unicodedata.normalize("NFD", "Une étude de la théorie de Galois à Zürich, où Évariste l'a lue.")
PAPERS = [  # id, title, year, abstract
    ("p1", "Graph Neural Networks for Molecules", 2019, "We learn representations of molecules."),
    ("p2", "A Survey of Protein Folding", 2024,
     "Protein structures are predicted with graph transformers and attention over residues."),
    ("p3", "Crop Yields", 2023, "Photosynthesis limits the yield of wheat in dry years."),
    ("p4", "Μελέτη καλλιεργειών", 2022, "Η φωτοσύνθεση των φυτών μελετάται εδώ."),
    ("p5", "Исследование почв", 2021, "Мы изучаем микоризу в почвах тайги."),
    ("p6", "植物研究", 2020, "本文研究光合作用的效率。"),
    ("p7", "دراسة النبات", 2018, "نَدْرُسُ التَّمْثِيلَ الضَّوْئِيَّ فِي النَّبَاتِ"),
    ("p8", "Notes", 2017, NFD),
    ("p9", "Long Reading", 2016, "filler " * WORDS + "zeppelinword"),
    ("p10", "Graph Colouring", 2010, ""),
]


def write_rows(folder: Path) -> Path:
    """PAPERS as rows tables in `folder`/rows, with two authors; the folder."""
    (folder / "rows").mkdir()
    return write_csv_tables(folder / "rows", {
        "venues.csv": (["id", "name"], []),
        "papers.csv": (["id", "title", "year", "abstract"], PAPERS),
        "authors.csv": (["id", "name"], [("a1", "Ana Núñez"), ("a2", "Ελένη Παπαδοπούλου")]),
        "authorships.csv": (["paper_id", "author_id", "position"],
                            [(p[0], "a1", 1) for p in PAPERS] + [(p[0], "a2", 2) for p in PAPERS[::2]]),
    })


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("search-abstracts")
    kg.build([write_rows(folder)], folder / "store")
    return folder / "store"


@pytest.fixture(scope="module")
def index(store: Path) -> Iterator[SearchIndex]:
    found = SearchIndex.open(StoreDir(store).require())
    yield found
    found.close()


def titles(index: SearchIndex, typed: str) -> list[tuple[str, str | None]]:
    return [(unicodedata.normalize("NFC", s.label), s.matched) for s in index.search(typed, "paper", 1, 50)]


def test_an_abstract_only_match_comes_after_every_title_match(index: SearchIndex) -> None:
    # p2 is the newest, so it would come first among title matches: its title lacks "graph"
    assert titles(index, "graph") == [("Graph Neural Networks for Molecules", "title"),
                                      ("Graph Colouring", "title"), ("A Survey of Protein Folding", "abstract")]
    assert titles(index, "graph neural") == [("Graph Neural Networks for Molecules", "title")]
    got = index.search("graph", "paper", 1, 50)
    assert got[0].snippet is None and got[2].snippet is not None and "graph transformers" in got[2].snippet
    # pages run on from the titles into the abstracts
    assert [s.matched for s in index.search("graph", "paper", 2, 2)] == ["abstract"]


def test_the_words_may_be_in_the_title_and_the_abstract_together(index: SearchIndex) -> None:
    assert titles(index, "survey transformers") == [("A Survey of Protein Folding", "abstract")]
    assert titles(index, "folding molecules") == []


def test_the_last_word_is_a_prefix_in_abstracts_too(index: SearchIndex) -> None:
    assert titles(index, "photosy") == [("Crop Yields", "abstract")]
    assert titles(index, "wheat dr") == [("Crop Yields", "abstract")]
    assert titles(index, "pho wheat") == [("Crop Yields", "abstract")]  # every word a prefix, as in titles


@pytest.mark.parametrize(("typed", "wanted"), [
    ("ΦΩΤΟΣΥΝΘΕΣΗ", "Μελέτη καλλιεργειών"), ("φωτοσυν", "Μελέτη καλλιεργειών"), ("φυτων", "Μελέτη καλλιεργειών"),
    ("МИКОРИЗ", "Исследование почв"), ("тайги", "Исследование почв"),
    ("光合", "植物研究"), ("光合作用", "植物研究"), ("效率", "植物研究"),
    ("التمثيل", "دراسة النبات"), ("الضوئي", "دراسة النبات"),
    ("theorie", "Notes"), ("théorie", "Notes"), (unicodedata.normalize("NFD", "Théorie"), "Notes"),
    ("zurich", "Notes"), ("zuerich", "Notes"), ("Évariste", "Notes"), ("evar", "Notes"),
])
def test_abstracts_in_every_script(index: SearchIndex, typed: str, wanted: str) -> None:
    got = index.search(typed, "paper", 1, 10)
    assert [(unicodedata.normalize("NFC", s.label), s.matched) for s in got] == [(wanted, "abstract")]
    assert got[0].snippet


def test_only_the_first_words_of_an_abstract_are_indexed(index: SearchIndex) -> None:
    assert titles(index, "filler") == [("Long Reading", "abstract")]
    assert titles(index, "zeppelinword") == []  # word 201: past the bound (docs/search.md, "Abstracts")


@pytest.mark.parametrize("typed", ['"graph', "graph*", "NEAR(graph", "graph:", "graph OR", "graph\x00\x07",
                                   "graph\ud800", "graph " * 2500, "(", "\"\"", "*"])
def test_bad_input_is_searched_as_words_or_finds_nothing(index: SearchIndex, typed: str) -> None:
    got = index.search(typed, "all", 1, 10)
    assert all(s.kind in ("name", "paper") for s in got)


def test_a_suggestion_says_it_matched_by_its_abstract(index: SearchIndex) -> None:
    title, by_abstract = index.search("graph", "paper", 1, 10)[1:]
    assert title.as_dict()["matched"] == "title" and "snippet" not in title.as_dict()
    assert by_abstract.as_dict()["matched"] == "abstract"
    assert by_abstract.as_dict()["snippet"] == \
        "Protein structures are predicted with graph transformers and attention over residues."


def test_snippets_are_cut_at_words_around_the_first_match() -> None:
    text = " ".join(f"w{k}" for k in range(100)) + " target " + " ".join(f"v{k}" for k in range(100))
    cut = snippet(text, query_terms("targ"))
    assert cut.startswith("…") and cut.endswith("…") and "target" in cut
    assert len(cut) <= SNIPPET + 2 and " w" in cut and cut[1:].split()[0] in text.split()
    assert cut[:-1].split()[-1] in text.split()
    assert snippet("short one", query_terms("none")) == "short one"
    assert snippet("本文研究光合作用的效率。" + "很长" * 100, query_terms("效率")).startswith("本文研究光合作用的效率")
    # a word in a run without spaces, typed in the other Chinese script or inside Thai: the snippet is around it
    long = "本文提出一種新的方法。" * 30 + "我們研究知識圖譜的構建。" + "其他內容。" * 30
    assert "知識圖譜" in snippet(long, query_terms("知识图谱"))
    thai = "งานนี้ศึกษาการทดลองหลายแบบ" * 12 + "การเรียนรู้ของเครื่อง" + "อื่นๆ" * 40
    assert "เรียนรู้" in snippet(thai, query_terms("เรียนรู้"))


_POOL = ["Zürich", "zurich", "Théorie", unicodedata.normalize("NFD", "Théorie"), "φωτοσύνθεση", "ΦΩΤΟΣΎΝΘΕΣΗ",
         "микоризу", "光合作用的效率", "本文", "التَّمْثِيلَ", "الضوئي", "Jean-Pierre", "jeanpierre", "Straße",
         "strasse", "(Transformer),", "transformers.", "x-ray", "X_RAY", "_ray", "filler", "Müller", "Mueller",
         "Ñandú", "İstanbul", "ﬁnal", "final", "O'Brien", "O’Brien", "2021", "a", "vector–borne"]


@settings(max_examples=300)
@example(["filler", "Jean-Pierre", "jeanpierre"], "jeanpierre", 6, " ")  # a joined form only the tokens have
@example(["filler", "Straße", "strasse"], "strasse", 7, " ")  # ß folds to two letters
@example(["filler", "التَّمْثِيلَ", "الضوئي"], "التَّمْثِيلَ", 8, " ")  # vowel marks between the letters
@example(["filler", "ﬁnal", "final"], "final", 3, " ")  # a ligature
@given(st.lists(st.sampled_from(_POOL), min_size=1, max_size=60), st.sampled_from(_POOL), st.integers(1, 8),
       st.sampled_from(["", " ", "  \n"]))
def test_the_snippet_s_word_found_fast_is_the_one_found_word_by_word(words: list[str], typed: str, n: int,
                                                                    space: str) -> None:
    """kg.search.abstracts.first_match (a regular expression over the text folded character by
    character, the words it cannot fold so tokenized) against scan (every word tokenized as the
    index does): the same place, whatever the script, marks, punctuation or spaces."""
    terms = query_terms(typed[:n])
    if not terms:
        return
    text = (" " + space).join(words)
    assert first_match(text, terms) == scan(text, terms)
    got = snippet(text, terms)
    assert len(got) <= SNIPPET + 2
    if any(_matches(w, terms) for w in text.split()):
        assert any(_matches(w, terms) for w in got.strip("…").split()), (text, terms, got)


def _matches(word: str, terms: list[tuple[str, ...]]) -> bool:
    return any(t.startswith(a) for t in index_tokens(word) for alts in terms for a in alts)


def test_pack_keeps_the_first_words() -> None:
    packed = pack("a  b\n" * 150)
    assert packed is not None and unpack(packed) == " ".join(["a", "b"] * 100)
    assert pack(None) is None and pack("") is None and pack("   ") is None


def test_the_abstracts_read_back_from_the_store_are_the_collected_ones(store: Path, tmp_path: Path) -> None:
    generation, again = read_back(store, tmp_path)
    collected = abstracts_of(generation / SEARCH)
    assert len(collected) == 9 and collected == abstracts_of(again / SEARCH)


def test_an_index_without_abstracts_is_still_read(store: Path, tmp_path: Path) -> None:
    """An index of format 1 (before abstracts) answers by titles, so a served store keeps working."""
    old = tmp_path / SEARCH
    old.write_bytes((StoreDir(store).require() / SEARCH).read_bytes())
    conn = sqlite3.connect(old)
    with conn:
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'format'")
        conn.execute("DROP TABLE abstracts_fts")
        conn.execute("DROP TABLE abstracts")
    conn.close()
    found = SearchIndex(old)
    try:
        assert [s.label for s in found.search("graph", "paper")] == ["Graph Neural Networks for Molecules",
                                                                      "Graph Colouring"]
    finally:
        found.close()


def test_kg_search_text_shows_the_snippet(store: Path) -> None:
    run = [sys.executable, "-m", "kg", "search", "--store", str(store), "--kind", "paper"]
    text = subprocess.run([*run, "transformers"], capture_output=True, text=True, check=True).stdout
    assert text.splitlines()[0].startswith("paper  A Survey of Protein Folding  (2024; ")
    assert text.splitlines()[2] == \
        "    abstract: Protein structures are predicted with graph transformers and attention over residues."
    got = json.loads(subprocess.run([*run, "transformers", "--format", "json"], capture_output=True, text=True,
                                    check=True).stdout)
    assert got["results"][0]["matched"] == "abstract" and "transformers" in got["results"][0]["snippet"]
