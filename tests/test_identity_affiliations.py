"""Affiliations and self-citations as identity evidence: two shared small institutions join two
rows of one name, one does not, nor a huge one; two citing pairs do, one does not (the weights the
bench's `openalex` truths chose); the words in every script through the library, the facts read
back from a store, and the cluster page and API of a real `kg serve`."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from conftest import read_accepted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_fixtures import Server, running

import kg
from kg.adjacency import INDEX, AdjacencyIndex, Collector
from kg.backend.embedded import EmbeddedBackend
from kg.cli import main
from kg.cluster import Cluster, cluster
from kg.identity.compute import _candidates
from kg.identity.evidence import SAME, UNSURE, Context, Profile, Weights, affiliation_evidence, compare
from kg.identity.facts import TEXT, Facts, RowFacts, facts_from_store, fold
from kg.iris import Minter
from kg.records import Affiliation
from kg.store import StoreDir


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# (name, lab, its university): two rows of the name, each on one paper with a co-author of its own,
# share only the two institutions; the second's are affiliation texts, NFC on one paper and NFD on the other
SMALL = [
    ("Zoë Brontë", "Département de physique nucléaire", "Université de Genève"),
    (nfd("José Núñez"), "Instituto de Física Teórica", "Universidad Autónoma de Madrid"),
    ("Γιώργος Παπαδόπουλος", "Εργαστήριο Ρομποτικής", "Εθνικό Μετσόβιο Πολυτεχνείο"),
    ("Иван Петров", "Лаборатория квантовой оптики", "Институт прикладной математики"),
    ("山田 太郎", "生産技術研究所", "東京大学"),  # given and family name apart: a one-token name is mid-common
    ("محمد علي", "مختبر الروبوتات", "جامعة القاهرة"),
]
ONE = ["Zoë Seule", "Αλέξης Μόνος", "Пётр Один", "鈴木 一郎", "سالم وحيد"]  # one small institution alone
HUGE = "Universidad Nacional Autónoma de México"
HUGE_ROWS = 60  # other author rows at HUGE: far beyond Weights.affiliation_small
HUGE_NAMES = ["Zoë Grande", "Ελένη Μεγάλη", "Анна Большая", "李娜", "فاطمة حسن"]
CITING = ["Noël Citeur", "Σοφία Παππά", "Ольга Иванова", "佐藤 花子", "علي حسين"]
CITING_ONCE = ["Léa Unique", "Νίκος Άπαξ", "Сергей Однажды", "高橋 健", "يوسف مرة"]


def _work(wid: str, year: int, authors: list[dict[str, Any]], cites: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {"id": f"https://openalex.org/{wid}", "title": f"Work {wid}", "publication_year": year, "type": "article",
            "referenced_works": [f"https://openalex.org/{c}" for c in cites], "authorships": authors}


def _row(name: str, institution: tuple[str, str] | None = None, text: str | None = None) -> dict[str, Any]:
    """An authorship without an OpenAlex author: a row of its own, named as printed."""
    got: dict[str, Any] = {"raw_author_name": name, "author": {}, "institutions": [], "raw_affiliation_strings": []}
    if institution is not None:
        got["institutions"] = [{"id": f"https://openalex.org/{institution[0]}", "display_name": institution[1]}]
    if text is not None:
        got["raw_affiliation_strings"] = [text]
    return got


def _filler(n: int, institution: tuple[str, str] | None = None) -> dict[str, Any]:
    """A co-author of its own: all named "Wei …", which makes the names under test rare in the graph."""
    got = _row(f"Wei Filler{n}", institution)
    got["author"] = {"id": f"https://openalex.org/A{900000 + n}", "display_name": f"Wei Filler{n}"}
    return got


def works(affiliated: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    n = 0
    for k, (name, lab, university) in enumerate(SMALL):
        for j, year in enumerate((2020, 2021)):
            n += 1
            me = _row(name)
            if affiliated and k == 1:
                form = "NFD" if j else "NFC"
                me["raw_affiliation_strings"] = [unicodedata.normalize(form, t) for t in (lab, university)]
            elif affiliated:
                me["institutions"] = [{"id": f"https://openalex.org/I{100 + 2 * k}", "display_name": lab},
                                      {"id": f"https://openalex.org/I{101 + 2 * k}", "display_name": university}]
            out.append(_work(f"W{1000 + 10 * k + j}", year, [me, _filler(n)]))
    for k, name in enumerate(ONE):
        for j, year in enumerate((2020, 2021)):
            n += 1
            me = _row(name, (f"I{200 + k}", f"Lab {k}") if affiliated else None)
            out.append(_work(f"W{5000 + 10 * k + j}", year, [me, _filler(n)]))
    huge = ("I999", HUGE)
    for k, name in enumerate(HUGE_NAMES):
        for j, year in enumerate((2020, 2021)):
            n += 1
            me = _row(name, huge if affiliated else None)
            out.append(_work(f"W{2000 + 10 * k + j}", year, [me, _filler(n)]))
    for k in range(HUGE_ROWS):
        n += 1
        out.append(_work(f"W{3000 + k}", 2020, [_filler(n, huge if affiliated else None)]))
    for k, name in enumerate(CITING + CITING_ONCE):
        # one row (an OpenAlex author) with two papers, another with one that cites both (or, for
        # CITING_ONCE, only the first)
        older, old, new = (f"W{4000 + 10 * k + j}" for j in range(3))
        row = {"id": f"https://openalex.org/A{800 + k}", "display_name": name}
        out.append(_work(older, 2019, [{**_row(name), "author": row}, _filler(n + 1)]))
        out.append(_work(old, 2020, [{**_row(name), "author": row}, _filler(n + 2)]))
        cites = ([older, old] if k < len(CITING) else [older]) if affiliated else []
        out.append(_work(new, 2021, [_row(name), _filler(n + 3)], cites))
        n += 3
    return out


def _build(directory: Path, affiliated: bool) -> Path:
    directory.mkdir()
    page = directory / "works.json"
    page.write_text(json.dumps({"meta": {}, "results": works(affiliated)}, ensure_ascii=False), encoding="utf-8")
    report = kg.build([page], directory / "store")
    assert report.rows_rejected == 0
    return directory / "store"


@pytest.fixture(scope="module")
def affiliated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("identity-affiliations") / "with", True)


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("identity-affiliations") / "without", False)


def _cluster(store: Path, name: str) -> Cluster:
    c = cluster(EmbeddedBackend.open(store), unicodedata.normalize("NFC", name), pairs=True)
    assert len(c.rows) == 2, c.rows
    assert c.pairs is not None and len(c.pairs) == 1
    return c


@pytest.mark.parametrize(("name", "lab", "university"), SMALL)
def test_two_shared_small_institutions_join_two_rows_in_every_script(affiliated: Path, bare: Path, name: str,
                                                                     lab: str, university: str) -> None:
    c = _cluster(affiliated, name)
    [pair] = c.pairs or []
    assert pair.verdict == SAME and len(c.persons) == 1, pair.reasons
    assert "no shared co-author" in pair.reasons
    [said] = [r for r in pair.reasons if r.startswith("2 shared affiliations: ")]
    assert {fold(x) for x in said.removeprefix("2 shared affiliations: ").split(", ")} == {fold(lab), fold(university)}
    # the same two rows without the affiliation: nothing but the name and the years
    alone = _cluster(bare, name)
    assert (alone.pairs or [])[0].verdict == UNSURE and len(alone.persons) == 2


@pytest.mark.parametrize("name", ONE)
def test_one_shared_small_institution_alone_leaves_the_pair_unsure(affiliated: Path, name: str) -> None:
    [pair] = _cluster(affiliated, name).pairs or []
    assert pair.verdict == UNSURE, pair.reasons
    assert f"1 shared affiliation: Lab {ONE.index(name)}" in pair.reasons
    assert "possibly one person: same institution, adjacent years, too little else shared" in pair.reasons


@pytest.mark.parametrize("name", HUGE_NAMES)
def test_a_shared_huge_institution_alone_leaves_the_pair_unsure(affiliated: Path, name: str) -> None:
    c = _cluster(affiliated, name)
    [pair] = c.pairs or []
    assert pair.verdict == UNSURE and len(c.persons) == 2, pair.reasons
    assert f"1 shared affiliation: {HUGE} (a large institution: weak evidence)" in pair.reasons
    if " " in name:  # a rare name of two parts: the name, the institution and the years would be enough
        assert "possibly one person: same institution, adjacent years, too little else shared" in pair.reasons


@pytest.mark.parametrize("name", CITING)
def test_a_self_citation_joins_two_rows_in_every_script(affiliated: Path, bare: Path, name: str) -> None:
    c = _cluster(affiliated, name)
    [pair] = c.pairs or []
    assert pair.verdict == SAME and len(c.persons) == 1, pair.reasons
    [said] = [r for r in pair.reasons if r.startswith("self-citation: ")]
    k = CITING.index(name)
    citing, cited = f"openalex:W{4000 + 10 * k + 2}/1", f"openalex:A{800 + k}"
    assert said == f"self-citation: 2 citations from the papers of {name} ({citing}) to those of {name} ({cited})"
    assert len(_cluster(bare, name).persons) == 2


@pytest.mark.parametrize("name", CITING_ONCE)
def test_one_citing_pair_alone_leaves_the_pair_unsure(affiliated: Path, name: str) -> None:
    [pair] = _cluster(affiliated, name).pairs or []
    assert pair.verdict == UNSURE, pair.reasons
    assert any(r.startswith(f"self-citation: 1 citation from a paper of {name} (") and f"to a paper of {name} (" in r
               for r in pair.reasons), pair.reasons
    if " " in name:  # a rare name of two parts: the name, the citation and the years would be enough
        assert "possibly one person: a self-citation, adjacent years, too little else shared" in pair.reasons


def test_the_affiliation_weighs_by_the_institution_s_rows_in_the_whole_graph() -> None:
    w = Weights()
    a = Profile("a", RowFacts("Mei Tanaka", papers=1, first=2020, last=2020, institutions=frozenset({0, 1})), row=0)
    b = Profile("b", RowFacts("Mei Tanaka", papers=1, first=2020, last=2020, institutions=frozenset({0, 1})), row=1)
    sizes = {0: 2, 1: 15}
    ctx = Context(2, 0.5, lambda c: 1, str, lambda v: 1, str, institution_rows=sizes.__getitem__,
                  institution_names=["Small Lab", "Big University"].__getitem__)
    both = min(2 * w.affiliation, w.affiliation_cap)
    assert affiliation_evidence(a, b, ctx, w) == (both, ["Small Lab", "Big University"])
    assert compare(a, b, ctx, w).verdict == SAME  # two small institutions (and a rare name)
    sizes[1] = 400  # the university is large: it adds little
    score, names = affiliation_evidence(a, b, ctx, w)
    assert names == ["Small Lab", "Big University"]  # the smaller first
    assert score == pytest.approx(w.affiliation + w.affiliation * (w.affiliation_small / 400) ** 0.5)
    assert compare(a, b, ctx, w).verdict == UNSURE
    b.facts.institutions = frozenset({1})
    big, _ = affiliation_evidence(a, b, ctx, w)
    assert big < w.affiliation / 2
    pair = compare(a, b, ctx, w)
    assert pair.verdict == UNSURE
    assert "1 shared affiliation: Big University (a large institution: weak evidence)" in pair.reasons


def test_affiliation_texts_fold_case_diacritics_normal_forms_and_punctuation() -> None:
    assert fold("Université de Genève,") == fold(nfd("UNIVERSITE DE GENEVE")) == "universite de geneve"
    assert fold("東京大学 工学部") == "東京大学 工学部"
    assert fold("جامعة القاهرة.") == "جامعة القاهرة"


def test_the_institutions_and_citations_read_back_from_a_store_are_the_collected_ones(affiliated: Path) -> None:
    index = AdjacencyIndex.open((affiliated / "active").resolve())
    assert index is not None
    try:
        collected = Facts.read(index.path)
        assert collected is not None
        wanted = [(int(r), index.authors.iri(int(r))) for c in range(len(index.clusters))
                  if index.c2a.degree(c) > 1 for r in index.c2a.row(c)]
        names = [collected.name(i) for i in range(len(index.authors))]
        read = facts_from_store(StoreDir(affiliated).open(), wanted, names)
        seen = cited = 0
        for row, iri in wanted:
            mine, theirs = collected.row(row, iri), read.row(row, iri)
            assert {collected.institution_keys[i]: collected.institution_size(i) for i in mine.institutions} == \
                   {read.institution_keys[i]: read.institution_size(i) for i in theirs.institutions}, iri
            assert sorted(mine.cites) == sorted(theirs.cites), iri
            seen += bool(mine.institutions)
            cited += len(mine.cites)
        assert seen == 2 * (len(SMALL) + len(ONE) + len(HUGE_NAMES))
        assert cited == 2 * len(CITING) + len(CITING_ONCE)
        assert any(k.startswith(TEXT) for k in collected.institution_keys)
        huge = [i for i, name in enumerate(collected.institution_names) if name == HUGE]
        assert [collected.institution_size(i) for i in huge] == [HUGE_ROWS + 2 * len(HUGE_NAMES)]
    finally:
        index.close()


@pytest.fixture(scope="module")
def served(affiliated: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(affiliated, log=tmp_path_factory.mktemp("serve-affiliations") / "serve.log") as server:
        yield server


@pytest.mark.parametrize(("name", "lab", "university"), SMALL)
def test_the_served_cluster_page_and_api_give_the_affiliation_in_words(served: Server, name: str, lab: str,
                                                                       university: str) -> None:
    for form in {unicodedata.normalize("NFC", name), nfd(name)}:
        api = served.get(f"{served.url}/api/clusters/{quote(form)}", params={"pairs": "true"})
        assert api.status_code == 200, api.text
        [pair] = api.json()["pairs"]
        assert pair["verdict"] == SAME
        said = [r for r in pair["reasons"] if r.startswith("2 shared affiliations: ")]
        assert said and {fold(x) for x in said[0].split(": ", 1)[1].split(", ")} == {fold(lab), fold(university)}
        page = served.get(f"{served.url}/clusters/{quote(form)}", params={"pairs": "true"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert f"<li>{said[0]}</li>" in page.text


def test_the_served_pairs_give_a_self_citation_and_a_weak_large_institution(served: Server) -> None:
    cited = served.get(f"{served.url}/clusters/{quote(CITING[4])}", params={"pairs": "true"}).text
    assert f"self-citation: 2 citations from the papers of {CITING[4]}" in cited
    huge = served.get(f"{served.url}/api/clusters/{quote(HUGE_NAMES[3])}", params={"pairs": "true"}).json()
    assert huge["pairs"][0]["verdict"] == UNSURE and len(huge["persons"]) == 2


# ---------------------------------------------------------------- the pairs left uncompared


@st.composite
def _drawn_cluster(draw: st.DrawFn) -> tuple[list[Profile], Context]:
    """A name cluster of 2-50 rows with random co-authors, institutions, citations and years; an
    institution's rows in the graph are at least the cluster's rows affiliated with it."""
    n = draw(st.sampled_from([2, 3, 5, 8, 12, 30, 41, 50]))  # both ways of finding candidates (DIRECT: 40)
    profiles = []
    for k in range(n):
        first = draw(st.integers(2000, 2024))
        clusters = draw(st.frozensets(st.integers(0, 300), max_size=3))
        facts = RowFacts("Wei Wang", papers=draw(st.integers(1, 10)), first=first,
                         last=first + draw(st.integers(0, 4)),
                         institutions=draw(st.frozensets(st.integers(0, 6), max_size=3)),
                         cites=tuple(draw(st.lists(st.integers(0, n - 1), max_size=2))))
        profiles.append(Profile(f"r{k:02d}", facts, clusters, coauthors=Counter(dict.fromkeys(clusters, 1)), row=k))
    users = Counter(i for p in profiles for i in p.facts.institutions)
    sizes = {i: users[i] + draw(st.integers(0, 30)) for i in range(7)}
    ctx = Context(n, draw(st.sampled_from([0.0, 0.5, 1.0])), lambda c: 1 + c, str, lambda v: 5, str,
                  institution_rows=sizes.__getitem__)
    return profiles, ctx


@given(_drawn_cluster())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_pair_left_uncompared_would_have_been_same(drawn: tuple[list[Profile], Context]) -> None:
    """kg.identity.compute compares only the pairs whose comparison can matter (a speed path): with
    institutions and citations too, comparing every pair (the plain path) finds no `same` among the others."""
    profiles, ctx = drawn
    w = Weights()
    compared = _candidates(profiles, w, ctx.commonness, lambda a, b: False)
    for i, j in combinations(range(len(profiles)), 2):
        if (i, j) not in compared:
            assert compare(profiles[i], profiles[j], ctx, w).verdict != SAME, (i, j)


# ---------------------------------------------------------------- the facts, collected and read back

_PLACES = ["Université de Genève", nfd("Université de Genève"), "東京大学", "جامعة القاهرة",
           "Εθνικό Μετσόβιο Πολυτεχνείο"]


@st.composite
def _works(draw: st.DrawFn) -> list[dict[str, Any]]:
    """3-8 works by rows of a few names (some OpenAlex authors, some signatures of their own), with
    institutions, affiliation texts and citations among them drawn at random."""
    n = draw(st.integers(3, 8))
    out = []
    for k in range(n):
        authors = []
        for _ in range(draw(st.integers(1, 3))):
            name = draw(st.sampled_from(["Zoë Brontë", "Иван Петров", "محمد علي"]))
            me = _row(name)
            if draw(st.booleans()):
                me["author"] = {"id": f"https://openalex.org/A{700 + draw(st.integers(0, 3))}", "display_name": name}
            for i in draw(st.lists(st.integers(0, 4), max_size=2, unique=True)):
                me["institutions"].append({"id": f"https://openalex.org/I{600 + i}", "display_name": _PLACES[i]})
            me["raw_affiliation_strings"] = draw(st.lists(st.sampled_from(_PLACES), max_size=2, unique=True))
            authors.append(me)
        cites = [f"W{9000 + c}" for c in draw(st.lists(st.integers(0, n - 1), max_size=2, unique=True)) if c != k]
        out.append(_work(f"W{9000 + k}", 2020, authors, cites))
    return out


@given(_works())
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_the_collected_facts_equal_the_facts_read_back_on_drawn_works(tmp_path_factory: pytest.TempPathFactory,
                                                                      drawn: list[dict[str, Any]]) -> None:
    """The build collects the institutions and citations while mapping (the speed path); a store built
    otherwise reads them back (kg build --add: the plain path): the two agree."""
    folder = tmp_path_factory.mktemp("drawn")
    page = folder / "works.json"
    page.write_text(json.dumps({"meta": {}, "results": drawn}, ensure_ascii=False), encoding="utf-8")
    kg.build([page], folder / "store")
    index = AdjacencyIndex.open((folder / "store" / "active").resolve())
    assert index is not None
    try:
        collected = Facts.read(index.path)
        assert collected is not None
        wanted = [(int(r), index.authors.iri(int(r))) for c in range(len(index.clusters))
                  if index.c2a.degree(c) > 1 for r in index.c2a.row(c)]
        names = [collected.name(i) for i in range(len(index.authors))]
        read = facts_from_store(StoreDir(folder / "store").open(), wanted, names)
        for row, iri in wanted:
            mine, theirs = collected.row(row, iri), read.row(row, iri)
            assert {collected.institution_keys[i]: collected.institution_size(i) for i in mine.institutions} == \
                   {read.institution_keys[i]: read.institution_size(i) for i in theirs.institutions}, iri
            assert sorted(mine.cites) == sorted(theirs.cites), iri
    finally:
        index.close()


@pytest.mark.parametrize("name", [SMALL[2][0], SMALL[5][0], CITING[1]])
def test_kg_identity_prints_the_affiliation_and_self_citation_words(affiliated: Path, name: str) -> None:
    result = CliRunner().invoke(main, ["identity", name, "--store", str(affiliated)])
    assert result.exit_code == 0, result.output
    assert "2 shared affiliations: " in result.output or "self-citation: 2 citations" in result.output, result.output


def test_an_institution_iri_dereferences_on_the_served_graph(served: Server) -> None:
    name = SMALL[2][2]  # Εθνικό Μετσόβιο Πολυτεχνείο, openalex:I105
    page = served.get(f"{served.url}/institution/{quote('openalex:I105')}", headers={"Accept": "text/turtle"})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/turtle")
    assert f'"{name}"' in page.text and "Institution" in page.text


def test_affiliations_read_apart_from_their_authorships_give_the_same_facts(tmp_path: Path) -> None:
    """The collector finds an affiliation's row among the authorships just read; an affiliation that
    comes later (another source's order) is matched when the facts are made, to the same facts."""
    page = tmp_path / "works.json"
    page.write_text(json.dumps({"meta": {}, "results": works(True)}, ensure_ascii=False), encoding="utf-8")
    records, reasons = read_accepted("openalex", page)
    assert reasons == []
    late = [r for r in records if not isinstance(r, Affiliation)] + [r for r in records if isinstance(r, Affiliation)]
    got = []
    for name, order in (("read", records), ("late", late)):
        collector = Collector(Minter())
        for record in order:
            collector.add(record)
        (tmp_path / name).mkdir()
        collector.write(tmp_path / name)
        facts = Facts.read(tmp_path / name / INDEX)
        assert facts is not None
        got.append((facts.institution_keys, list(facts.institution_rows), list(facts.institutions_off),
                    list(facts.institutions_dat), list(facts.cites_off), list(facts.cites_dat)))
    assert got[0] == got[1]
    assert len(got[0][0]) == 2 * len(SMALL) + len(ONE) + 1 and sum(got[0][1]) > HUGE_ROWS
