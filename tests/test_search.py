"""The search index (kg.search): every way a person types a name, titles, what a suggestion says,
the index a build collects against the one read back from the store, and `kg search`."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import read_back
from hypothesis import given, settings
from hypothesis import strategies as st

import kg
from kg.search.collect import from_store
from kg.search.fold import index_tokens, query_terms
from kg.search.query import SearchIndex, Suggestion
from kg.search.write import SEARCH
from kg.store import StoreDir

DATA = Path(__file__).parent / "data" / "search" / "names.xml"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("search") / "store"
    kg.build([DATA], path)
    return path


@pytest.fixture(scope="module")
def index(store: Path) -> Iterator[SearchIndex]:
    found = SearchIndex.open(StoreDir(store).require())
    yield found
    found.close()


def labels(index: SearchIndex, text: str, kind: str = "name", limit: int = 10) -> list[str]:
    return [s.label for s in index.search(text, kind, 1, limit)]  # type: ignore[arg-type]


NFD_ZOE = unicodedata.normalize("NFD", "Zoë Núñez")


@pytest.mark.parametrize(("typed", "wanted"), [
    ("José González", "José González"),            # as written
    ("jose gonzalez", "José González"),            # case and diacritics
    ("GONZÁLEZ", "José González"),
    ("Gonz", "José González"),                      # a prefix while typing
    ("González, José", "José González"),           # token order, punctuation
    ("J. González", "José González"),              # an initial
    ("Gonzalez J", "José González"),
    ("Mueller", "Hans Müller"),                     # German ü typed as ue
    ("muller", "Hans Müller"),                      # ... or without its dots
    ("Müller", "Peter Mueller"),                    # and the other way round
    ("Liu Liyuan", "Liyuan Liu"),
    ("L. Liu", "Liyuan Liu"),
    ("Liu, L.", "Liyuan Liu"),
    ("liyu", "Liyuan Liu"),
    ("Jean Pierre OBrien", "Jean-Pierre O'Brien"),  # hyphen and apostrophe
    ("jeanpierre", "Jean-Pierre O'Brien"),
    ("o'brien", "Jean-Pierre O'Brien"),
    ("Wei Wang 0002", "Wei Wang"),                  # dblp's homonym number: the cluster of both
    ("wang wei", "Wei Wang"),
    ("王小明", "王小明"),                           # CJK: as written, by characters and bigrams
    ("小明", "王小明"),
    ("王", "王小明"),
    ("山田太郎", "山田 太郎"),
    ("太郎", "山田 太郎"),
    ("太郎 山", "山田 太郎"),                       # in another order, being typed: no bigram 郎山 asked
    ("Γεωργιος Παπαδοπουλος", "Γεώργιος Παπαδόπουλος"),  # Greek without its accents
    ("ΠΑΠΑΔΌΠΟΥΛΟΣ", "Γεώργιος Παπαδόπουλος"),
    ("иванов", "Сергей Иванов"),                    # Cyrillic
    ("Иванов Сергей", "Сергей Иванов"),
    ("الأحمد", "محمد الأحمد"),                       # Arabic
    ("محمد", "محمد الأحمد"),
    ("Zoe Nunez", unicodedata.normalize("NFC", NFD_ZOE)),   # built from an NFD name, found NFC ...
    (NFD_ZOE, unicodedata.normalize("NFC", NFD_ZOE)),        # ... and NFD
])
def test_a_name_is_found_however_it_is_typed(index: SearchIndex, typed: str, wanted: str) -> None:
    found = [unicodedata.normalize("NFC", s) for s in labels(index, typed)]
    assert wanted in found[:3], (typed, found)


def test_an_initial_is_not_spent_on_the_surname(index: SearchIndex) -> None:
    # "L. Liu" matches Xiaodong Liu too (l* is a prefix of liu): Liyuan and Lei come first
    found = labels(index, "L. Liu")
    assert found.index("Liyuan Liu") < found.index("Xiaodong Liu")
    assert found.index("Lei Liu") < found.index("Xiaodong Liu")


def test_nothing_matches_what_is_not_there(index: SearchIndex) -> None:
    assert labels(index, "Nobody Anywhere") == []
    assert labels(index, "gonzalex") == []


def test_a_suggestion_tells_homonyms_apart(index: SearchIndex) -> None:
    wei = index.search("wei wang", "name")[0]
    assert (wei.label, wei.rows, wei.papers, wei.first, wei.last, wei.venue) == ("Wei Wang", 2, 3, 2021, 2024, "KDD")
    assert wei.persons is not None and 1 <= wei.persons <= 2  # the identity step's verdict
    assert wei.iri.endswith("/cluster/wei%20wang")
    assert "2 rows, 3 papers" in wei.line() and "2021–2024" in wei.line() and "KDD" in wei.line()
    liu = index.search("liyuan liu", "name")[0]
    assert (liu.rows, liu.papers, liu.first, liu.last) == (1, 3, 2019, 2021)
    assert liu.persons == 1


def test_titles_by_words_and_prefixes_phrase_first_then_recency(index: SearchIndex) -> None:
    assert labels(index, "deep learn", "paper") == [
        "Deep learning of graphs, revisited.",        # the phrase, newest first
        "Knowledge Graphs and Deep Learning.",
        "Deep Learning for Knowledge Graphs.",
    ]
    # "knowledge graphs" as a phrase in two titles; "graphs knowledge" as a phrase in none: recency
    assert labels(index, "knowledge graph", "paper") == [
        "Knowledge Graphs and Deep Learning.", "Deep Learning for Knowledge Graphs."]
    assert labels(index, "graph learn", "paper")[:2] == [  # the phrase before a newer title with both words
        "Graph Learning at Scale.", "Deep learning of graphs, revisited."]
    assert labels(index, "transf", "paper") == ["Understanding the Difficulty of Training Transformers."]
    assert labels(index, "知識グラフ", "paper") == ["知識グラフの構築."]
    assert labels(index, "графы", "paper") == ["Графы знаний."]


def test_a_paper_suggestion_gives_year_venue_and_first_authors(index: SearchIndex) -> None:
    paper = index.search("training transformers", "paper")[0]
    assert (paper.year, paper.venue, paper.authors, paper.author_count) == (
        2020, "EMNLP", ("Liyuan Liu", "Xiaodong Liu"), 2)
    assert "2020; EMNLP; Liyuan Liu, Xiaodong Liu" in paper.line()


def test_all_gives_names_then_papers_and_pages_do_not_overlap(index: SearchIndex) -> None:
    everything = index.search("le", "all", 1, 50)  # Lei Liu, Learning
    kinds = [s.kind for s in everything]
    assert kinds == sorted(kinds)  # "name" < "paper"
    assert {"name", "paper"} == set(kinds)
    pages = [s for p in range(1, 5) for s in index.search("le", "all", p, 2)]
    assert pages == everything[: len(pages)]


@pytest.mark.parametrize("typed", [
    '"', '*', 'NEAR', 'NEAR(liu', 'liu:', '-liu', '^liu', '(liu)', 'liu OR', 'liu AND NOT',
    '"liu" *', "liu'; DROP TABLE names; --", "{liu}", "liu\x00yuan", "\ud800liu", "liu\u202e",
])
def test_query_syntax_is_only_text(index: SearchIndex, typed: str) -> None:
    found = index.search(typed, "all")  # never an FTS5 syntax error, never an injected query
    words = [w for w in query_terms(typed)]
    if ("liu",) in words and len(words) == 1:
        assert "Liyuan Liu" in [s.label for s in found]
    assert isinstance(found, list)


@pytest.mark.parametrize("typed", ["", " ", "\x00", ".", "-- --", "\ud800"])
def test_nothing_searchable_is_no_result(index: SearchIndex, typed: str) -> None:
    assert index.search(typed, "all") == []


def test_a_very_long_query_is_cut_not_failed(index: SearchIndex) -> None:
    assert index.search("liu " * 2500, "name")  # 10,000 characters: the first terms are searched


def test_folding_agrees_on_nfc_and_nfd() -> None:
    for text in ["Zoë Núñez", "Γεώργιος", "Ñandú", "Ångström", "Dvořák"]:
        nfd = unicodedata.normalize("NFD", text)
        assert index_tokens(text) == index_tokens(nfd)
        assert query_terms(text) == query_terms(nfd)
    assert index_tokens("Müller") == ["muller", "mueller"]
    assert query_terms("Mueller") == [("mueller",)]
    assert index_tokens("王小明") == ["王", "小", "明", "王小", "小明"]


def _table(path: Path) -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    names = set(conn.execute("SELECT iri, label, key, rows, papers, first, last, venue, persons FROM names"))
    papers = set(conn.execute("SELECT iri, title, year, venue, authors, author_count FROM papers"))
    conn.close()
    return names, papers


def test_the_index_read_back_from_the_store_equals_the_collected_one(store: Path, tmp_path: Path) -> None:
    # the speed path (collected while mapping) and the plain one (kg build --add, kg load) agree
    generation, again = read_back(store, tmp_path)
    assert _table(generation / SEARCH) == _table(again / SEARCH)
    names, papers = from_store(StoreDir(store).open())
    assert len(names) == len(_table(generation / SEARCH)[0]) and len(papers) == 7


def test_a_paper_without_a_title_read_back_from_the_store_is_found_by_its_abstract(tmp_path: Path) -> None:
    # kg build --add, kg load and kg index read the documents back: an untitled paper is numbered by its abstract
    store = tmp_path / "store"
    kg.build([DATA.parent / "untitled-openalex.json"], store)
    generation, again = read_back(store, tmp_path)
    assert _table(generation / SEARCH) == _table(again / SEARCH)
    index = SearchIndex(again / SEARCH)
    try:
        assert [s.label for s in index.search("mosquito", "paper")] == [
            "[no title] http://localhost:7878/paper/openalex%3AW900001"]
    finally:
        index.close()


def test_an_index_written_before_the_spelled_out_keys_is_read(store: Path, tmp_path: Path) -> None:
    import shutil

    old = tmp_path / SEARCH
    shutil.copy(StoreDir(store).require() / SEARCH, old)
    with sqlite3.connect(old) as conn:
        conn.execute("DROP TABLE spelled")
    conn.close()
    before, now = SearchIndex(old), SearchIndex.open(StoreDir(store).require())
    try:
        assert [s.label for s in before.exact("Hans Müller")] == ["Hans Müller"]  # as written: its own key
        assert before.exact("Hans Mueller") == []  # spelled out: only where the index has those keys
        assert [s.label for s in now.exact("Hans Mueller")] == ["Hans Müller"]
    finally:
        before.close()
        now.close()


def test_an_index_of_format_3_is_asked_as_it_was_folded(tmp_path: Path) -> None:
    """Before format 4 a Thai name was indexed as its words, not cut into units, and traditional
    Chinese as written: a query asks such an index for the word typed, not for its units' bigrams,
    and for the characters typed, so a served older store still finds them."""
    from kg.search.write import create, finish

    conn = create(tmp_path / "w.sqlite")
    with conn:  # as format 3 wrote it
        conn.execute("INSERT INTO names VALUES (1, 'c:somchai', 'สมชาย ใจดี', 'สมชาย ใจดี', 1, 1, 2020, 2020, NULL, 1)")
        conn.execute("INSERT INTO names_fts(rowid, tokens) VALUES (1, 'สมชาย ใจดี')")
        conn.execute("INSERT INTO names VALUES (2, 'c:chen', '陳國強', '陳國強', 1, 1, 2020, 2020, NULL, 1)")
        conn.execute("INSERT INTO names_fts(rowid, tokens) VALUES (2, '陳 國 強 陳國 國強')")
        conn.execute("UPDATE meta SET value = '3' WHERE key = 'format'")
    finish(conn, tmp_path / "w.sqlite", tmp_path / SEARCH)
    found = SearchIndex.open(tmp_path)
    try:
        assert [s.label for s in found.search("ใจดี", "name")] == ["สมชาย ใจดี"]
        assert [s.label for s in found.search("ใจดี สม", "name")] == ["สมชาย ใจดี"]
        assert [s.label for s in found.search("陳國", "name")] == ["陳國強"]
        assert [s.label for s in found.exact("陳國強")] == ["陳國強"]
    finally:
        found.close()


def test_kg_search_text_and_json(store: Path) -> None:
    run = [sys.executable, "-m", "kg", "search", "--store", str(store)]
    text = subprocess.run([*run, "gonzalez j"], capture_output=True, text=True, check=True).stdout
    assert text.startswith("name   José González  (1 row, 1 paper, 1 probable person, 2019, Graph J.)\n")
    got = json.loads(subprocess.run([*run, "--kind", "paper", "--format", "json", "--limit", "1", "deep"],
                                    capture_output=True, text=True, check=True).stdout)
    assert got["results"][0]["label"] == "Deep learning of graphs, revisited." and got["next"] is None
    assert got["page"] == 1 and len(got["results"]) == 1
    more = subprocess.run([*run, "--limit", "1", "deep"], capture_output=True, text=True, check=True).stdout
    assert more.endswith("more: --page 2\n")
    none = subprocess.run([*run, '"NEAR(*'], capture_output=True, text=True, check=True).stdout
    assert none == "no match\n"
    bad = subprocess.run([*run, "--kind", "person", "x"], capture_output=True, text=True)
    assert bad.returncode == 2 and "person" in bad.stderr


def test_a_store_without_an_index_says_so(store: Path, tmp_path: Path) -> None:
    from kg.search.query import SearchUnavailable

    with pytest.raises(SearchUnavailable, match="no search index"):
        SearchIndex.open(tmp_path)
    assert Suggestion("name", "x", "X", rows=1, papers=2).line() == "X  (1 row, 2 papers)"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_the_ascii_fast_path_gives_the_plain_tokens(text: str) -> None:
    from kg.search.fold import _ascii_tokens, _plain_tokens

    assert _ascii_tokens(text) == _plain_tokens(text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_the_ascii_fast_path_gives_the_plain_words_of_a_title(text: str) -> None:
    from kg.search.fold import _ascii_words, _plain_words

    assert _ascii_words(text) == _plain_words(text)


def test_an_initial_and_a_whole_word_find_the_name_that_fits_them_best(tmp_path: Path) -> None:
    from kg.search.write import NameDoc, add_names, create, finish

    conn = create(tmp_path / "w.sqlite")
    add_names(conn, [NameDoc("c:wang-jun", ("Wang Jun",), 1, 30), NameDoc("c:jian-wangsa", ("Jian Wangsa",), 1, 20),
                     NameDoc("c:jian-wang", ("Jian Wang",), 1, 1), NameDoc("c:ju-wei", ("Ju Wei",), 1, 50)])
    finish(conn, tmp_path / "w.sqlite", tmp_path / SEARCH)
    found = SearchIndex.open(tmp_path)
    try:
        # the most papers first when nothing else tells them apart; a better fit beats papers
        assert [s.label for s in found.search("J. Wang", "name")] == ["Jian Wang", "Wang Jun", "Jian Wangsa"]
        assert [s.label for s in found.search("wan", "name")] == ["Wang Jun", "Jian Wangsa", "Jian Wang"]
    finally:
        found.close()


@pytest.mark.parametrize(("typed", "exact", "longer", "wanted"), [
    ("Jian Wan", "Jian Wang", "Jian X. Wang", ["Jian Wang", "Jian X. Wang"]),
    ("José Gonz", "José González", "José M. González", ["José González", "José M. González"]),
    (unicodedata.normalize("NFD", "José Gonz"), "José González", "José M. González",
     ["José González", "José M. González"]),
    ("Иван Пет", "Иван Петров", "Иван С. Петров", ["Иван Петров", "Иван С. Петров"]),
    ("Νίκος Παπα", "Νίκος Παπαδόπουλος", "Νίκος Γ. Παπαδόπουλος", ["Νίκος Παπαδόπουλος", "Νίκος Γ. Παπαδόπουλος"]),
    ("محمد عل", "محمد علي", "محمد حسن علي", ["محمد علي", "محمد حسن علي"]),
    # CJK is searched by characters and character pairs, a typed space parting words as in any script:
    # "王 伟" is 王 and 伟, in any order, which both names hold; the one without the middle character first
    ("王 伟", "王 伟华", "王 小 伟华", ["王 伟华", "王 小 伟华"]),
    ("王伟", "王 伟华", "王 小 伟华", ["王 伟华"]),  # typed without the space: the pair 王伟
])
def test_a_name_typed_whole_but_its_last_word_comes_before_the_same_with_more_words(
        tmp_path: Path, typed: str, exact: str, longer: str, wanted: list[str]) -> None:
    """While the last word is being typed, the name with just the typed words comes before the same
    name with a middle name, though that one has more papers (recall of typing prefixes at 1M papers,
    where many names have a middle-initial twin)."""
    from kg.search.write import NameDoc, add_names, create, finish

    conn = create(tmp_path / "w.sqlite")
    add_names(conn, [NameDoc("c:longer", (longer,), 1, 40), NameDoc("c:exact", (exact,), 1, 2)])
    finish(conn, tmp_path / "w.sqlite", tmp_path / SEARCH)
    found = SearchIndex.open(tmp_path)
    try:
        assert [s.label for s in found.search(typed, "name")] == wanted
    finally:
        found.close()


def test_a_graph_without_a_search_index_is_a_503_call(tmp_path: Path) -> None:
    from kg.server.calls import search

    class Remote:  # an --endpoint without --index: no generation, no index
        def index(self) -> None:
            return None

    got = search(Remote(), "liu", "all", 1, 10)  # type: ignore[arg-type]
    assert got.status == 503 and "--index" in str(got.data)


WORDS = ["l", "li", "liu", "le", "wei", "w", "graph", "deep", "g", "d", "zo", "王", "知", "mü", "x", "ли", "ان"]


@settings(max_examples=150, deadline=None)
@given(words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
       kind=st.sampled_from(["name", "paper", "all"]), page=st.integers(1, 6), limit=st.integers(1, 4))
def test_a_page_and_whether_there_is_more_come_from_one_search_as_from_two(
        index: SearchIndex, words: list[str], kind: str, page: int, limit: int) -> None:
    """search_page asks once for one result more than the page; the plain way asks for the page, then
    for the next one."""
    from kg.search.query import search_page

    text = " ".join(words)
    got = search_page(index, text, kind, page, limit)  # type: ignore[arg-type]
    assert got.results == index.search(text, kind, page, limit)  # type: ignore[arg-type]
    assert got.more == bool(index.search(text, kind, page + 1, limit))  # type: ignore[arg-type]
    assert search_page(index, text, kind, page, limit, paged=False).results == got.results  # type: ignore[arg-type]


_SCRIPT_NAMES = ["José Müller", "Jose\u0301 Mu\u0308ller", "Ελένη Παπαδοπούλου", "Анна Иванова", "李小龙", "محمد علي",
                 ""]


@st.composite
def _mapped(draw: st.DrawFn) -> object:
    from array import array

    from kg.search.abstracts import pack
    from kg.search.collect import Mapped

    n_rows = draw(st.integers(1, 8))
    n_papers = draw(st.integers(1, 10))
    ships = draw(st.lists(st.tuples(st.integers(0, n_papers - 1), st.integers(0, n_rows - 1), st.integers(0, 5)),
                          max_size=40))
    titles = draw(st.lists(st.sampled_from([None, "", "Ωμέγα", "中文 title", "Émile"]), min_size=n_papers,
                           max_size=n_papers))
    abstracts = draw(st.lists(st.sampled_from([None, pack("Η φωτοσύνθεση"), pack("光合作用 Zu\u0308rich")]),
                              max_size=n_papers))  # fewer than the papers: the collector extends it as it goes
    return Mapped([draw(st.sampled_from(_SCRIPT_NAMES)) for _ in range(n_rows)],
                  [f"http://x/cluster/{draw(st.integers(0, 3))}" for _ in range(n_rows)],
                  [f"http://x/paper/{p}" for p in range(n_papers)], titles,
                  array("H", [draw(st.integers(0, 3)) for _ in range(n_papers)]),
                  array("I", [draw(st.sampled_from([0, 1, 0xFFFFFFFF])) for _ in range(n_papers)]), ["V0", "V1"],
                  array("I", [p for p, _, _ in ships]), array("I", [r for _, r, _ in ships]),
                  array("I", [k for _, _, k in ships]), abstracts)


@given(_mapped())
def test_the_papers_first_authors_grouped_by_paper_are_those_of_one_sort(m: object) -> None:
    """kg.search.collect.documents groups the authorships by paper (a counting sort); the papers'
    documents are those of the plain way: every authorship sorted by (paper, position, row) at once."""
    from collections import Counter

    from kg.search.collect import FIRST_AUTHORS, Mapped, documents
    from kg.search.write import PaperDoc

    assert isinstance(m, Mapped)
    count_of = Counter(m.pair_paper)
    authors: dict[int, list[str]] = {}
    for paper, _, row in sorted(zip(m.pair_paper, m.pair_position, m.pair_row, strict=True)):
        got = authors.setdefault(paper, [])
        if len(got) < FIRST_AUTHORS:
            got.append(m.names[row])
    abstract = [m.abstracts[p] if p < len(m.abstracts) else None for p in range(len(m.titles))]
    plain = [PaperDoc(m.paper_iris[p], t or "", m.years[p] or None,
                      m.venue_labels[m.venues[p]] if m.venues[p] < 2 else None,
                      tuple(authors.get(p, ())), count_of[p], abstract[p])
             for p, t in enumerate(m.titles) if t or abstract[p] is not None]  # untitled: found by its abstract
    assert documents(m)[1] == plain


@given(_mapped())
def test_a_cluster_s_papers_years_and_top_venue_are_those_of_its_distinct_papers(m: object) -> None:
    """kg.search.collect.documents counts a paper once a cluster however many of its rows wrote it
    (two people of one name on one paper): as the plain way, from each cluster's set of papers."""
    from collections import Counter

    from kg.search.collect import Mapped, documents

    assert isinstance(m, Mapped)
    papers: dict[str, set[int]] = {}
    for paper, row in zip(m.pair_paper, m.pair_row, strict=True):
        papers.setdefault(m.clusters[row], set()).add(paper)
    for doc in documents(m)[0]:
        mine = papers.get(doc.iri, set())
        years = [m.years[p] for p in mine if m.years[p]]
        venues = Counter(m.venue_labels[m.venues[p]] for p in mine if m.venues[p] < 2)
        top = min(venues, key=lambda v: (-venues[v], v)) if venues else None
        assert (doc.papers, doc.first, doc.last, doc.venue) == (len(mine), min(years, default=None),
                                                                max(years, default=None), top)


COMPOSED = ("José Müller", "Γιώργος Νίκου", "Йосиф Бродский", "أحمد آل", "김민수 박")


def test_a_cluster_written_composed_and_decomposed_once_each_is_labelled_composed(tmp_path: Path) -> None:
    """Two rows of one name cluster, one NFC and one NFD, one paper each: the suggestion's label is the
    composed form, as the cluster page shows it (by code point alone the decomposed one came first)."""
    from identity_tables import write_tables

    authors, papers = [], []
    for k, name in enumerate(COMPOSED):
        assert unicodedata.normalize("NFD", name) != name
        for form in ("NFD", "NFC"):  # the decomposed row first: neither order nor code point decides
            authors.append([f"a{k}{form}", unicodedata.normalize(form, name), ""])
            papers.append([f"p{k}{form}", f"Paper {k} {form}", 2020, "v", [f"a{k}{form}"]])
    kg.build([write_tables(tmp_path / "rows", authors, papers, ["v"])], tmp_path / "store")
    found = SearchIndex.open(StoreDir(tmp_path / "store").require())
    try:
        for name in COMPOSED:
            for typed in (name, unicodedata.normalize("NFD", name)):
                top = found.suggest(typed, "name", 5)
                assert top and top[0].label == name, (typed, [s.label for s in top])
                assert top[0].rows == 2
    finally:
        found.close()


def test_georgian_words_are_words_not_units_of_a_run_written_without_spaces() -> None:
    """Georgian (U+10A0–U+10FF) sits between Myanmar and Hangul's letters: it is written with spaces,
    so its words are words, with no bigram of two of them indexed or asked ("ქართულიენის"), as for
    Greek or Cyrillic; Myanmar and Hangul's letters stay units."""
    title = "ქართული ენის ისტორია"
    assert index_tokens(title) == ["ქართული", "ენის", "ისტორია"]
    assert index_tokens("Ελληνική γλώσσα") == ["ελληνικη", "γλωσσα"]
    assert query_terms("ქართული-ენის") == [("ქართული",), ("ენის",)]
    assert len(index_tokens("မြန်မာစာ")) > 1  # Myanmar: units and their bigrams, as before
