"""Co-authors shared under another spelling of their name (kg.identity.evidence.variant_coauthors):
"J. Han" on one row's paper and "Jiawei Han" on the other's count as a shared co-author, for the
rows of one name cluster and for the variant suggestions between clusters; two names that are not
spellings of one name, or a spelling of the pair's own name, do not. Names in every script, through
the library, the candidates' speed path, and the page and API of a real `kg serve`."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_fixtures import Server, running
from test_identity import _tables

import kg
from kg.backend.embedded import EmbeddedBackend
from kg.cli import main
from kg.cluster import Cluster, cluster
from kg.identity.compute import _candidates
from kg.identity.evidence import SAME, UNSURE, Context, Profile, Weights, compare, title_evidence
from kg.identity.facts import RowFacts
from kg.identity.spelling import compatible
from kg.names import name_key


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# (name, co-author on the first row's paper, the same co-author as the second row's paper spells it)
JOIN = [
    ("Mei Tanaka", "Jiawei Han", "J. Han"),                        # a given name as an initial
    ("Ines Okafor", nfd("Zoë Brontë"), "Zoe Bronte"),              # diacritics folded, NFD
    ("Γιώργος Παπαδόπουλος", "Ελένη Μεγάλη", "Ε. Μεγάλη"),         # Greek initial
    ("Иван Петров", "Анна Большая", "Большая Анна"),               # Cyrillic, order swapped
    ("山田 太郎", "王 伟明", "伟明 王"),                              # CJK, order swapped
    ("محمد علي", "فاطمة حسن", "حسن فاطمة"),                        # Arabic, order swapped
]
# the same make-up, but the two co-authors' names are not one name spelt two ways, or are the
# pair's own name spelt otherwise (that co-author may be the person itself)
APART = [
    ("Kofi Mensah", "Lei Liu", "Liyuan Liu"),        # two full given names that start alike
    ("Ольга Иванова", "Пётр Смирнов", "Павел Смирнов"),
    ("佐藤 花子", "王 伟", "王 伟华"),                   # CJK: a one-character given name is no initial
    ("علي حسين", "محمد سعيد", "م سعيد"),              # Arabic: no initials either
    ("Kenji Sato", "K. Sato", "Sato Kenji"),         # the pair's own name
]
# (name, its other spelling, a co-author of the first row, the same co-author spelt otherwise on the second's)
SUGGEST = [
    ("Chioma Obi", "C. Obi", "Tomás Ferreira", "Tomas Ferreira"),
    ("Δημήτρης Νικολάου", "Δ. Νικολάου", "Μαρία Κωστά", "Μ. Κωστά"),
    ("Сергей Волков", "Волков Сергей", "Олег Орлов", "О. Орлов"),
    ("高橋 健", "健 高橋", "李 明华", "明华 李"),
    ("يوسف مراد", "مراد يوسف", "سالم وحيد", "وحيد سالم"),
]
NOT_SUGGESTED = [("Chidi Eze", "C. Eze", "Lei Zhou", "Lan Zhou")]


def _rows(root: Path) -> Path:
    authors: list[list[str]] = []
    papers: dict[str, tuple[int, str, list[str]]] = {}
    for k, (name, one, other) in enumerate(JOIN + APART):
        authors += [[f"n{k}a", name, ""], [f"n{k}b", name, ""], [f"c{k}a", one, ""], [f"c{k}b", other, ""]]
        papers[f"q{k}a"] = (2020, f"v{k}", [f"n{k}a", f"c{k}a"])
        papers[f"q{k}b"] = (2021, f"v{k}", [f"n{k}b", f"c{k}b"])
    for k, (name, spelt, one, other) in enumerate(SUGGEST + NOT_SUGGESTED):
        authors += [[f"s{k}a", name, ""], [f"s{k}b", spelt, ""], [f"d{k}a", one, ""], [f"d{k}b", other, ""]]
        papers[f"r{k}a"] = (2020, f"w{k}", [f"s{k}a", f"d{k}a"])
        # NOT_SUGGESTED at two venues: alone at one venue, two spellings are suggested on that
        # (tests/test_variant_alone.py), and here the co-authors alone are on trial
        papers[f"r{k}b"] = (2021, f"w{k}" if k < len(SUGGEST) else f"x{k}", [f"s{k}b", f"d{k}b"])
    return _tables(root / "rows", authors, papers)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("variant-coauthors")
    kg.build([_rows(root)], root / "store")
    return root / "store"


def _pair(store: Path, name: str) -> Cluster:
    c = cluster(EmbeddedBackend.open(store), unicodedata.normalize("NFC", name), pairs=True)
    assert len(c.rows) == 2, (name, c.rows)
    return c


@pytest.mark.parametrize(("name", "one", "other"), JOIN)
def test_a_co_author_under_another_spelling_joins_two_rows_in_every_script(store: Path, name: str, one: str,
                                                                          other: str) -> None:
    assert compatible(name_key(one), name_key(other))
    c = _pair(store, name)
    assert c.pairs is not None and len(c.pairs) == 1
    pair = c.pairs[0]
    assert pair.verdict == SAME, pair.reasons
    said = [r for r in pair.reasons if r.startswith("1 shared co-author under another spelling: ")]
    assert said, pair.reasons
    shown = {unicodedata.normalize("NFC", x) for x in said[0].split(": ", 1)[1].split(" / ")}
    assert shown == {unicodedata.normalize("NFC", one), unicodedata.normalize("NFC", other)}
    assert "no shared co-author" not in pair.reasons
    assert len(c.persons) == 1


@pytest.mark.parametrize(("name", "one", "other"), APART)
def test_names_that_are_not_one_spelt_two_ways_leave_the_pair_unsure(store: Path, name: str, one: str,
                                                                     other: str) -> None:
    c = _pair(store, name)
    assert c.pairs is not None
    assert [p.verdict for p in c.pairs] in ([], [UNSURE])
    for p in c.pairs:
        assert not any("under another spelling" in r for r in p.reasons), p.reasons
    assert len(c.persons) == 2


@pytest.mark.parametrize(("name", "spelt", "one", "other"), SUGGEST)
def test_a_co_author_under_another_spelling_makes_a_variant_suggestion(store: Path, name: str, spelt: str,
                                                                       one: str, other: str) -> None:
    db = EmbeddedBackend.open(store)
    for asked, found in ((name, spelt), (spelt, name)):
        c = cluster(db, asked, details=False)
        assert [s.name for s in c.suggestions] == [found], asked
        said = [r for r in c.suggestions[0].reasons if "shared co-author under another spelling: " in r]
        assert said and {x for x in said[0].split(": ", 1)[1].split(" / ")} == {one, other}


@pytest.mark.parametrize(("name", "spelt", "one", "other"), NOT_SUGGESTED)
def test_a_co_author_of_another_name_makes_no_suggestion(store: Path, name: str, spelt: str, one: str,
                                                         other: str) -> None:
    db = EmbeddedBackend.open(store)
    assert cluster(db, name, details=False).suggestions == []
    assert cluster(db, spelt, details=False).suggestions == []


@pytest.mark.parametrize(("name", "spelt"), [(JOIN[4][0], None), (SUGGEST[2][1], SUGGEST[2][0])])
def test_kg_identity_prints_the_co_author_under_another_spelling(store: Path, name: str, spelt: str | None) -> None:
    """The pairs of a cluster (CJK) and the suggestions of another (Cyrillic), in words."""
    result = CliRunner().invoke(main, ["identity", name, "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "1 shared co-author under another spelling: " in result.output, result.output
    if spelt is not None:
        assert "Perhaps the same person under another spelling" in result.output and spelt in result.output


@pytest.fixture(scope="module")
def served(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(store, log=tmp_path_factory.mktemp("serve-variant-coauthors") / "serve.log") as server:
        yield server


def test_the_served_page_and_api_give_the_co_author_under_another_spelling_in_words(served: Server) -> None:
    name, one, other = JOIN[1]  # a co-author written in NFD
    for form in {name, nfd(name)}:
        api = served.get(f"{served.url}/api/clusters/{quote(form)}", params={"pairs": "true"})
        assert api.status_code == 200, api.text
        [pair] = api.json()["pairs"]
        said = [r for r in pair["reasons"] if "under another spelling" in r]
        assert pair["verdict"] == SAME and len(said) == 1
        page = served.get(f"{served.url}/clusters/{quote(form)}", params={"pairs": "true"})
        assert page.status_code == 200 and f"<li>{said[0]}</li>" in page.text
    name, spelt, one, other = SUGGEST[0]
    api = served.get(f"{served.url}/api/clusters/{quote(spelt)}").json()
    assert [s["name"] for s in api["suggestions"]] == [name]
    reasons = api["suggestions"][0]["reasons"]
    assert any(r.endswith(f"{one} / {other}") or r.endswith(f"{other} / {one}") for r in reasons)
    page = served.get(f"{served.url}/clusters/{quote(spelt)}").text
    assert "shared co-author under another spelling" in page and f"{name}</a>" in page


# ---------------------------------------------------------------- pair by pair, and the speed path

def _profile(iri: str, clusters: frozenset[int], papers: int = 1) -> Profile:
    facts = RowFacts("Mei Tanaka", papers=papers, first=2020, last=2021, venues=frozenset({0}))
    return Profile(iri, facts, clusters, coauthors=Counter(dict.fromkeys(clusters, 1)))


def _context(spelt: dict[int, frozenset[int]], own: frozenset[int] = frozenset()) -> Context:
    return Context(2, 0.0, lambda c: 1, lambda c: f"name{c}", lambda v: 12, lambda v: "SoCC", lambda w: 9.0,
                   str, coauthor_variants=lambda c: spelt.get(c, frozenset()), own=own)


def test_a_co_author_under_another_spelling_weighs_less_than_one_under_one_name() -> None:
    w = Weights()
    spelt = {1: frozenset({2}), 2: frozenset({1})}
    one_name = compare(_profile("a", frozenset({1})), _profile("b", frozenset({1})), _context(spelt), w)
    two = compare(_profile("a", frozenset({1})), _profile("b", frozenset({2})), _context(spelt), w)
    unrelated = compare(_profile("a", frozenset({1})), _profile("b", frozenset({2})), _context({}), w)
    assert one_name.verdict == two.verdict == SAME and unrelated.verdict == UNSURE
    assert unrelated.score < two.score < one_name.score
    assert "1 shared co-author under another spelling: name1 / name2" in two.reasons
    # the pair's own name spelt otherwise counts for nothing
    own = compare(_profile("a", frozenset({1})), _profile("b", frozenset({2})), _context(spelt, frozenset({1, 2})), w)
    assert own.verdict == UNSURE and own.score == unrelated.score


def test_a_co_author_shared_under_one_name_is_not_counted_again_under_another_spelling() -> None:
    spelt = {1: frozenset({2}), 2: frozenset({1})}
    pair = compare(_profile("a", frozenset({1, 2})), _profile("b", frozenset({1})), _context(spelt), Weights())
    assert "1 shared co-author: name1" in pair.reasons
    assert not any("under another spelling" in r for r in pair.reasons)


@st.composite
def _drawn(draw: st.DrawFn) -> tuple[list[Profile], Context, float]:
    """A name cluster of 2-50 rows whose co-authors are seldom shared, but often spelt alike."""
    n = draw(st.sampled_from([2, 3, 5, 8, 12, 30, 41, 50]))  # both ways of finding candidates (DIRECT: 40)
    profiles = []
    for k in range(n):
        first = draw(st.integers(2015, 2020))
        clusters = draw(st.frozensets(st.integers(0, 400), max_size=6))
        facts = RowFacts("Wei Wang", papers=draw(st.integers(1, 20)), first=first, last=first + draw(st.integers(0, 4)),
                         venues=draw(st.frozensets(st.integers(0, 5), max_size=1)))
        profiles.append(Profile(f"r{k:02d}", facts, clusters, coauthors=Counter(dict.fromkeys(clusters, 1)), row=k))
    pairs = draw(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400)), min_size=50, max_size=400))
    spelt: dict[int, set[int]] = {}
    for x, y in pairs:
        if x != y:
            spelt.setdefault(x, set()).add(y)
            spelt.setdefault(y, set()).add(x)
    frozen = {c: frozenset(v) for c, v in spelt.items()}
    ctx = Context(n, draw(st.sampled_from([0.0, 0.3, 1.0])), lambda c: 1 + c % 5, str, lambda v: 5 + 40 * v, str,
                  lambda w: 8.0, str, coauthor_variants=lambda c: frozen.get(c, frozenset()))
    return profiles, ctx, ctx.commonness


@given(_drawn())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_pair_left_uncompared_would_have_been_same(drawn: tuple[list[Profile], Context, float]) -> None:
    """The candidates (a speed path) include every pair a co-author under two spellings makes
    `same`: comparing every pair (the plain path) finds no `same` among the others."""
    profiles, ctx, common = drawn
    w = Weights()

    def titled(a: Profile, b: Profile) -> bool:
        return title_evidence(a, b, ctx, w)[0] >= w.positive

    compared = _candidates(profiles, w, common, titled, ctx.coauthor_variants)
    for i, j in combinations(range(len(profiles)), 2):
        if (i, j) not in compared:
            assert compare(profiles[i], profiles[j], ctx, w).verdict != SAME, (i, j)


def test_a_large_cluster_compares_a_pair_for_its_co_authors_under_other_spellings_alone() -> None:
    """Over 40 rows the candidates come from an inverted index of co-authors: two spellings of one
    co-author's name pair the rows that wrote with each."""
    rows = [Profile(f"r{k:02d}", RowFacts("Wei Wang", papers=1, first=2000 + k % 20, last=2000 + k % 20),
                    frozenset({100 + k}), coauthors=Counter({100 + k: 1}), row=k) for k in range(45)]
    for k, mine in ((3, frozenset(range(1, 13, 2))), (30, frozenset(range(2, 13, 2)))):
        rows[k] = Profile(f"r{k:02d}", RowFacts("Wei Wang", papers=1, first=2020, last=2020), mine,
                          coauthors=Counter(dict.fromkeys(mine, 1)), row=k)
    spelt = {c: frozenset({c + 1 if c % 2 else c - 1}) for c in range(1, 13)}
    ctx = Context(45, 0.0, lambda c: 1, str, lambda v: 1, str, lambda w: 14.0, str,
                  coauthor_variants=lambda c: spelt.get(c, frozenset()))
    w = Weights()
    assert compare(rows[3], rows[30], ctx, w).verdict == SAME
    assert (3, 30) in _candidates(rows, w, 0.0, lambda a, b: False, ctx.coauthor_variants)
    assert (3, 30) not in _candidates(rows, w, 0.0, lambda a, b: False)
