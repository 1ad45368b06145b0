"""Precision first in the identity evidence (kg.identity.evidence): `same` needs positive evidence
beyond the name, the venue and the years; title words weighted by their rarity over the whole graph;
names and titles in every script."""

from __future__ import annotations

import math
import random
import unicodedata
from collections import Counter
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import pytest
from conftest import write_csv_tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kg
from kg.adjacency import AdjacencyIndex
from kg.backend.embedded import EmbeddedBackend
from kg.cluster import cluster
from kg.identity.compute import _candidates
from kg.identity.evidence import SAME, UNSURE, Context, Profile, Weights, compare, title_evidence, venue_bits
from kg.identity.facts import Facts, RowFacts, facts_from_store, title_words
from kg.store import StoreDir

# ---------------------------------------------------------------- the verdict rule, pair by pair


def _profile(iri: str, *, clusters: frozenset[int] = frozenset(), venues: frozenset[int] = frozenset({0}),
             words: frozenset[int] = frozenset(), papers: int = 2) -> Profile:
    facts = RowFacts("Mei Tanaka", papers=papers, first=2019, last=2020, venues=venues, words=words)
    return Profile(iri, facts, clusters, coauthors=Counter(dict.fromkeys(clusters, 1)))


def _context(rows: int = 2) -> Context:
    return Context(rows, 0.0, lambda c: 3, lambda c: f"co-author {c}", lambda v: 12, lambda v: "SoCC",
                   lambda w: 9.0, lambda w: f"word{w}")


def test_a_pair_with_only_venue_and_years_is_unsure_and_says_so() -> None:
    pair = compare(_profile("a"), _profile("b"), _context(), Weights())
    assert pair.score >= Weights().same, "the name, venue and years alone would have made it `same` before"
    assert pair.verdict == UNSURE
    assert "possibly one person: same venue, same years, nothing else shared" in pair.reasons
    assert "no shared co-author" in pair.reasons and "1 shared venue: SoCC" in pair.reasons


def test_a_shared_co_author_makes_the_same_pair_same() -> None:
    pair = compare(_profile("a", clusters=frozenset({7})), _profile("b", clusters=frozenset({7})), _context(),
                   Weights())
    assert pair.verdict == SAME
    assert "1 shared co-author: co-author 7" in pair.reasons
    assert not any(r.startswith("possibly one person") for r in pair.reasons)


def test_rare_title_words_are_positive_evidence_and_a_few_are_not() -> None:
    many, few = frozenset(range(6)), frozenset({0})
    joined = compare(_profile("a", words=many), _profile("b", words=many), _context(), Weights())
    assert joined.verdict == SAME
    assert any(r.startswith("similar titles: 6 rare words in common (word0, word1") for r in joined.reasons)
    alone = compare(_profile("a", words=few), _profile("b", words=few), _context(), Weights())
    assert alone.verdict == UNSURE and not any(r.startswith("similar titles") for r in alone.reasons)


def test_a_venue_weighs_by_the_rows_of_the_whole_graph_publishing_there() -> None:
    w = Weights()
    small, big = _context(), _context()
    big.venue_rows = lambda v: 30_000
    a, b = _profile("a", clusters=frozenset({7})), _profile("b", clusters=frozenset({7}))
    assert compare(a, b, small, w).score - compare(a, b, big, w).score == pytest.approx(
        w.venue * (1 - (w.venue_small / 30_000) ** 0.5))


# ---------------------------------------------------------------- title words in every script


def test_title_words_fold_case_diacritics_and_normal_forms() -> None:
    title = "Über Straßen-Netzwerke: Análisis de Señales"
    assert title_words(unicodedata.normalize("NFD", title)) == title_words(unicodedata.normalize("NFC", title))
    assert {"uber", "netzwerke", "analisis", "senales"} <= title_words(title)
    assert "de" not in title_words(title)  # two letters: too short to say anything
    assert title_words("The Theory of the Web, 2024") == {"theory", "web"}


@pytest.mark.parametrize(("title", "expected"), [
    ("Γραμμική Άλγεβρα και Εφαρμογές", {"γραμμικη", "αλγεβρα", "και", "εφαρμογεσ"}),
    ("Линейная алгебра и её приложения", {"линеиная", "алгебра", "приложения"}),
    ("الجبر الخطي وتطبيقاته", {"الجبر", "الخطي", "وتطبيقاته"}),
    ("图神经网络", {"图神", "神经", "经网", "网络"}),
    ("深度学习 与 图", {"深度", "度学", "学习", "与", "图"}),
    ("グラフ理論", {"グラ", "ラフ", "フ理", "理論"}),
    ("मशीन लर्निंग के लिए गहन तंत्रिका नेटवर्क", {"मशीन", "लर्निंग", "लिए", "गहन", "तंत्रिका", "नेटवर्क"}),
    ("গভীর শিক্ষা পদ্ধতি", {"গভীর", "শিক্ষা", "পদ্ধতি"}),
])
def test_title_words_in_other_scripts(title: str, expected: set[str]) -> None:
    """Greek final sigma folds as casefold does; accents and vowel points are dropped, but a kana
    voicing mark ("グラフ", graph, is not "クラフ") and an Indic vowel sign or virama spell the word:
    they stay in it (they cut "लर्निंग" into the fragment "लरन" before)."""
    assert title_words(title) == expected
    assert title_words(unicodedata.normalize("NFD", title)) == expected


def test_arabic_vowel_marks_are_folded() -> None:
    assert title_words("الجَبْر الخطي") == title_words("الجبر الخطي")


# ---------------------------------------------------------------- whole builds

VOCABULARY = [f"{a}{b}{c}" for a in ("bal", "cor", "dem", "fin", "gal", "hol") for b in ("ari", "eno", "ulo", "ite")
              for c in ("tion", "ment", "ness", "ity")]
# (name, title of row 1, title of row 2): the two rows of one person share rare title words, no co-author
SCRIPTS = [
    ("Ines Okafor", "Endmember extraction for hyperspectral unmixing with sparse Bayesian priors",
     "Sparse Bayesian hyperspectral unmixing: endmember variability"),
    ("José Núñez", "Señales cuánticas y codificación híbrida de canales ópticos",
     "Codificación híbrida de señales cuánticas en canales ópticos"),
    (unicodedata.normalize("NFD", "Zoë Brontë"), "Rétroaction haptique et préhension robotisée délicate",
     unicodedata.normalize("NFD", "Préhension robotisée délicate avec rétroaction haptique")),
    ("Γιώργος Παπαδόπουλος", "Κβαντική κρυπτογραφία και πρωτόκολλα διανομής κλειδιών",
     "Πρωτόκολλα διανομής κλειδιών στην κβαντική κρυπτογραφία"),
    ("Иван Петров", "Квантовая криптография и протоколы распределения ключей",
     "Квантовая криптография: протоколы распределения ключей"),  # no stemming: the same word forms
    ("王伟", "基于图神经网络的蛋白质结构预测", "蛋白质结构预测的图神经网络方法"),
    ("محمد علي", "التعرف الآلي على الكلام العربي باستخدام الشبكات العصبية",
     "الشبكات العصبية للتعرف الآلي على الكلام العربي"),
]


def _write(folder: Path, tables: dict[str, tuple[list[str], list[list[object]]]]) -> Path:
    folder.mkdir(parents=True)
    return write_csv_tables(folder, tables)


def _graph(folder: Path, shared_titles: bool) -> Path:
    """Each SCRIPTS name as two rows on two venues, one paper each, each with its own co-author;
    200 papers of others around them (so that a word of two titles is rare)."""
    rng = random.Random(5)
    authors: list[list[object]] = []
    papers: list[list[object]] = []
    ships: list[list[object]] = []
    for k, (name, one, two) in enumerate(SCRIPTS):
        titles = (one, two) if shared_titles else (one, f"{VOCABULARY[k]} {VOCABULARY[k + 40]} of {VOCABULARY[k + 80]}")
        for half, title in enumerate(titles):
            row, mate, paper = f"s{k}-{half}", f"m{k}-{half}", f"p{k}-{half}"
            authors += [[row, name], [mate, f"Mate{k}{half} Coauthor{k}{half}"]]
            papers.append([paper, title, 2020 + half, f"v{half}"])
            ships += [[paper, row, 1], [paper, mate, 2]]
    for n in range(200):
        papers.append([f"f{n}", " ".join(rng.sample(VOCABULARY, 5)), 2000 + n % 20, f"v{2 + n % 5}"])
        authors.append([f"fa{n}", f"Filler{n} Person{n}"])
        ships.append([f"f{n}", f"fa{n}", 1])
    return _write(folder, {
        "venues.csv": (["id", "name", "kind"], [[f"v{v}", f"Venue {v}", "conference"] for v in range(7)]),
        "papers.csv": (["id", "title", "year", "venue_id"], papers),
        "authors.csv": (["id", "name"], authors),
        "authorships.csv": (["paper_id", "author_id", "position"], ships),
    })


@pytest.fixture(scope="module")
def titled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("titled")
    kg.build([_graph(root / "rows", shared_titles=True)], root / "store")
    return root / "store"


@pytest.fixture(scope="module")
def untitled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("untitled")
    kg.build([_graph(root / "rows", shared_titles=False)], root / "store")
    return root / "store"


@pytest.mark.parametrize("name", [name for name, _, _ in SCRIPTS])
def test_title_evidence_joins_a_split_profile_that_shares_no_co_author(titled: Path, untitled: Path,
                                                                       name: str) -> None:
    c = cluster(EmbeddedBackend.open(titled), unicodedata.normalize("NFC", name), pairs=True)
    assert len(c.rows) == 2
    assert len(c.persons) == 1, c.pairs
    assert c.pairs is not None and c.pairs[0].verdict == SAME
    assert "no shared co-author" in c.pairs[0].reasons
    similar = [r for r in c.pairs[0].reasons if r.startswith("similar titles:")]
    assert similar, c.pairs[0].reasons
    words = title_words(next(one for n, one, _ in SCRIPTS if n == name))
    assert any(w in similar[0] for w in words), "the reason names the shared words, in their script"
    # the same two rows with titles that share nothing stay apart: nothing but the name joins them
    apart = cluster(EmbeddedBackend.open(untitled), unicodedata.normalize("NFC", name), pairs=True)
    assert len(apart.persons) == 2


def test_the_facts_read_back_from_a_store_are_the_collected_ones(titled: Path) -> None:
    index = AdjacencyIndex.open((titled / "active").resolve())
    assert index is not None
    try:
        collected = Facts.read(index.path)
        assert collected is not None
        wanted = [(int(r), index.authors.iri(int(r))) for c in range(len(index.clusters))
                  if index.c2a.degree(c) > 1 for r in index.c2a.row(c)]
        names = [collected.name(i) for i in range(len(index.authors))]
        read = facts_from_store(StoreDir(titled).open(), wanted, names)
        assert len(wanted) == 2 * len(SCRIPTS)
        assert read.documents == collected.documents == len(SCRIPTS) * 2 + 200
        for row, iri in wanted:
            mine, theirs = collected.row(row, iri), read.row(row, iri)
            assert mine.words, iri
            assert {collected.vocabulary[w] for w in mine.words} == {read.vocabulary[w] for w in theirs.words}
            assert sorted(map(collected.idf, mine.words)) == sorted(map(read.idf, theirs.words))
            assert {collected.venue_iris[v]: collected.venue_size(v) for v in mine.venues} == \
                   {read.venue_iris[v]: read.venue_size(v) for v in theirs.venues}
            assert (mine.papers, mine.first, mine.last) == (theirs.papers, theirs.first, theirs.last)
    finally:
        index.close()


# ---------------------------------------------------------------- the pairs left uncompared


@st.composite
def _cluster(draw: st.DrawFn) -> tuple[list[Profile], Context, float]:
    """A name cluster of 2-60 rows with random co-authors, venues, title words, years and papers."""
    n = draw(st.sampled_from([2, 3, 5, 8, 12, 30, 41, 50]))  # both ways of finding candidates (DIRECT: 40)
    profiles = []
    for k in range(n):
        first = draw(st.integers(1990, 2024))
        clusters = draw(st.frozensets(st.integers(0, 300), max_size=4))  # co-authors: seldom shared
        facts = RowFacts("Wei Wang", papers=draw(st.integers(1, 40)), first=first,
                         last=first + draw(st.integers(0, 8)),
                         venues=draw(st.frozensets(st.integers(0, 5), max_size=3)),
                         words=draw(st.frozensets(st.integers(0, 24), max_size=8)))  # title words: often
        profiles.append(Profile(f"r{k:02d}", facts, clusters, coauthors=Counter(dict.fromkeys(clusters, 1)), row=k))
    bits = {w: draw(st.floats(2.0, 14.0)) for w in range(25)}
    ctx = Context(n, draw(st.sampled_from([0.0, 0.5, 1.0])), lambda c: 1 + c, str, lambda v: 5 + 40 * v, str,
                  bits.__getitem__, str)
    return profiles, ctx, ctx.commonness


@given(_cluster())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_pair_left_uncompared_would_have_been_same(drawn: tuple[list[Profile], Context, float]) -> None:
    """kg.identity.compute compares only the pairs whose comparison can matter (a speed path):
    comparing every pair (the plain path) finds no `same` among the others."""
    profiles, ctx, common = drawn
    w = Weights()

    def titled(a: Profile, b: Profile) -> bool:
        return title_evidence(a, b, ctx, w)[0] >= w.positive

    compared = _candidates(profiles, w, common, titled)
    for i, j in combinations(range(len(profiles)), 2):
        if (i, j) not in compared:
            assert compare(profiles[i], profiles[j], ctx, w).verdict != SAME, (i, j)


def test_a_large_cluster_compares_a_pair_for_its_title_words_alone() -> None:
    """Over 40 rows the candidates come from an inverted index: the title words are keys of it."""
    rows = [Profile(f"r{k:02d}", RowFacts("Wei Wang", papers=2, first=2000 + k % 20, last=2000 + k % 20,
                                          words=frozenset({100 + k})), row=k) for k in range(45)]
    for k in (3, 30):
        rows[k].facts = RowFacts("Wei Wang", papers=2, first=2020, last=2020, words=frozenset(range(8)))
    ctx = Context(45, 0.0, lambda c: 1, str, lambda v: 1, str, lambda w: 14.0, str)
    w = Weights()

    def titled(a: Profile, b: Profile) -> bool:
        return title_evidence(a, b, ctx, w)[0] >= w.positive

    assert compare(rows[3], rows[30], ctx, w).verdict == SAME
    assert (3, 30) in _candidates(rows, w, 0.0, titled)


# ---------------------------------------------------------------- the words of a venue's topic


def test_title_words_common_at_the_shared_venue_say_little() -> None:
    many = frozenset(range(6))
    a, b = _profile("a", words=many), _profile("b", words=many)
    themed = _context()
    themed.venue_word = lambda v, x: (40, 100)  # 40 of the venue's 100 titled papers use each word
    pair = compare(a, b, themed, Weights())
    assert pair.verdict == UNSURE and not any(r.startswith("similar titles") for r in pair.reasons)
    assert "possibly one person: same venue, same years, nothing else shared" in pair.reasons
    own = _context()
    own.venue_word = lambda v, x: (2, 100)  # only the two rows' own papers there use them
    assert compare(a, b, own, Weights()).verdict == SAME
    # at two different venues the venues' topics do not apply: the words weigh by the graph
    c, d = _profile("c", words=many, venues=frozenset({1})), _profile("d", words=many, venues=frozenset({2}))
    assert compare(c, d, themed, Weights()).verdict == SAME


def test_a_small_venue_moves_a_word_little_from_its_rarity_in_the_graph() -> None:
    w, ctx = Weights(), _context()
    ctx.venue_word = lambda v, x: (3, 3)  # a venue of three papers, all three using the word
    small = venue_bits(0, frozenset({0}), ctx, w)
    ctx.venue_word = lambda v, x: (300, 300)
    large = venue_bits(0, frozenset({0}), ctx, w)
    assert 9.0 > small > large
    assert large == pytest.approx(-math.log2((298 + w.venue_prior * 2 ** -9) / (300 + w.venue_prior)))
    # the two rows' own papers (here 40 between them) are not the venue's topic
    assert venue_bits(0, frozenset({0}), ctx, w, own=40) == pytest.approx(
        -math.log2((260 + w.venue_prior * 2 ** -9) / (300 + w.venue_prior)))
    ctx.venue_word = lambda v, x: (40, 300)
    assert venue_bits(0, frozenset({0}), ctx, w, own=40) == 9.0


def _themed_graph(folder: Path) -> Path:
    """For each SCRIPTS name, two different people of one themed venue (twelve more papers of it use
    the words of its topic) whose two papers share those words, and a control pair of one person at
    a venue where nobody else uses them; 3,000 papers of others elsewhere (the words are rare in
    the graph)."""
    rng = random.Random(7)
    authors: list[list[object]] = []
    papers: list[list[object]] = []
    ships: list[list[object]] = []
    venues: list[list[object]] = []
    for k, (name, one, two) in enumerate(SCRIPTS):
        venues += [[f"tv{k}", f"Themed {k}", "journal"], [f"cv{k}", f"Control {k}", "journal"]]
        for label, venue, who in (("t", f"tv{k}", name), ("c", f"cv{k}", f"Control{k} Person{k}")):
            for half, title in enumerate((one, two)):
                row, mate, paper = f"{label}{k}-{half}", f"{label}m{k}-{half}", f"{label}p{k}-{half}"
                authors += [[row, who], [mate, f"Mate{label}{k}{half} Other{label}{k}{half}"]]
                papers.append([paper, title, 2020 + half, venue])
                ships += [[paper, row, 1], [paper, mate, 2]]
        for n in range(12):
            paper = f"tp{k}-{n}"
            papers.append([paper, f"{one} {rng.choice(VOCABULARY)}", 2015 + n % 8, f"tv{k}"])
            authors.append([f"ta{k}-{n}", f"Topic{k}x{n} Writer{k}x{n}"])
            ships.append([paper, f"ta{k}-{n}", 1])
    venues += [[f"f{v}", f"Filler {v}", "conference"] for v in range(10)]
    for n in range(3000):
        papers.append([f"f{n}", " ".join(rng.sample(VOCABULARY, 5)), 2000 + n % 20, f"f{n % 10}"])
        authors.append([f"fa{n}", f"Filler{n} Person{n}"])
        ships.append([f"f{n}", f"fa{n}", 1])
    return _write(folder, {
        "venues.csv": (["id", "name", "kind"], venues),
        "papers.csv": (["id", "title", "year", "venue_id"], papers),
        "authors.csv": (["id", "name"], authors),
        "authorships.csv": (["paper_id", "author_id", "position"], ships),
    })


@pytest.fixture(scope="module")
def themed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("themed")
    kg.build([_themed_graph(root / "rows")], root / "store")
    return root / "store"


@pytest.mark.parametrize("k", range(len(SCRIPTS)), ids=[name for name, _, _ in SCRIPTS])
def test_two_people_of_one_themed_venue_sharing_its_topic_words_stay_apart(themed: Path, k: int) -> None:
    name = SCRIPTS[k][0]
    c = cluster(EmbeddedBackend.open(themed), unicodedata.normalize("NFC", name), pairs=True)
    assert len(c.rows) == 2 and len(c.persons) == 2, c.pairs
    assert c.pairs is not None and c.pairs[0].verdict == UNSURE
    assert not any(r.startswith("similar titles") for r in c.pairs[0].reasons), c.pairs[0].reasons
    # the same two titles at a venue where nobody else uses their words: one person
    control = cluster(EmbeddedBackend.open(themed), f"Control{k} Person{k}", pairs=True)
    assert len(control.persons) == 1, control.pairs
    assert control.pairs is not None and any(r.startswith("similar titles") for r in control.pairs[0].reasons)


def test_the_venue_word_counts_read_back_from_a_store_are_the_collected_ones(themed: Path) -> None:
    index = AdjacencyIndex.open((themed / "active").resolve())
    assert index is not None
    try:
        collected = Facts.read(index.path)
        assert collected is not None
        wanted = [(int(r), index.authors.iri(int(r))) for c in range(len(index.clusters))
                  if index.c2a.degree(c) > 1 for r in index.c2a.row(c)]
        names = [collected.name(i) for i in range(len(index.authors))]
        read = facts_from_store(StoreDir(themed).open(), wanted, names)
        seen = 0
        for row, iri in wanted:
            mine, theirs = collected.row(row, iri), read.row(row, iri)
            for v, u in zip(sorted(mine.venues, key=collected.venue_iris.__getitem__),
                            sorted(theirs.venues, key=read.venue_iris.__getitem__), strict=True):
                by_word = {read.vocabulary[x]: x for x in theirs.words}
                for x in mine.words:
                    got = collected.venue_word(v, x)
                    assert got == read.venue_word(u, by_word[collected.vocabulary[x]]), (iri, collected.vocabulary[x])
                    seen += got[0] > 0
        assert seen >= 4 * len(SCRIPTS), "the themed venues' topic words are counted"
    finally:
        index.close()


def test_a_co_author_of_a_common_name_counts_less_unless_both_wrote_with_its_one_row() -> None:
    """Two "Bin Li" rows are perhaps two people: sharing the name of a co-author then says less than
    sharing its row (kg.identity.evidence.Weights.coauthor_common; the tuning leaves it at 0)."""
    w = replace(Weights(), coauthor_common=1.0)
    ctx = _context()
    ctx.coauthor_rank = lambda c: 1.0   # the commonest name of the graph
    ctx.row_cluster = lambda r: 7       # rows 70 and 71 are two rows of co-author cluster 7
    a, b = _profile("a", clusters=frozenset({7})), _profile("b", clusters=frozenset({7}))
    one = compare(replace(a, coauthor_rows=frozenset({70})), replace(b, coauthor_rows=frozenset({70})), ctx, w)
    two = compare(replace(a, coauthor_rows=frozenset({70})), replace(b, coauthor_rows=frozenset({71})), ctx, w)
    assert one.verdict == SAME and two.verdict == UNSURE and two.score < one.score
    assert one.score == compare(a, b, ctx, Weights()).score, "its one row: counted in full"
    ctx.coauthor_rank = lambda c: 0.5   # a name no commoner than most: two rows of it count in full
    assert compare(replace(a, coauthor_rows=frozenset({70})), replace(b, coauthor_rows=frozenset({71})), ctx,
                   w).score == one.score
