"""Variant suggestions (kg.identity.variants, kg.identity.spelling, kg.identity.suggested): rows of
other name clusters that are probably one person under another spelling, shown, never merged."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from engines import Dataset, open_backend
from identity_tables import built_index
from server_fixtures import running
from test_identity import _tables

import kg
from kg.backend.embedded import EmbeddedBackend
from kg.cli import main
from kg.cluster import cluster
from kg.cluster_page import _precomputed, cluster_page
from kg.identity.spelling import candidate_pairs, compatible, variant_keys
from kg.identity.suggested import suggestions_query
from kg.identity.variants import suggestions
from kg.names import loose_key, name_key

NFD = unicodedata.normalize("NFD", "José González")

AUTHORS = [
    ["ll1", "Liyuan Liu", ""], ["ll2", "L. Liu", ""], ["ll3", "Liu Liyuan", ""],
    ["lei", "Lei Liu", ""], ["lan", "Lan Liu", ""],
    ["jg1", "José González", ""], ["jg2", "Jose Gonzalez", ""], ["jg3", NFD, ""],
    ["js1", "John A. Smith", ""], ["js2", "John Smith", ""],
    ["ww1", "Wei Wang 0001", ""], ["ww2", "W. Wang", ""], ["ww3", "Wei Wang 0002", ""],
    ["gr1", "Γιώργος Παπαδόπουλος", ""], ["gr2", "Γ. Παπαδόπουλος", ""],
    ["ru1", "Иван Иванов", ""], ["ru2", "Иванов Иван", ""],
    ["zh1", "王 伟", ""], ["zh2", "王 伟明", ""], ["zh3", "伟 王", ""],
    ["ar1", "محمد علي", ""], ["ar2", "م علي", ""],
    ["jh", "Jiawei Han", ""], ["xl", "Xiaodong Liu", ""], ["qq", "Qi Qin", ""], ["zz", "Zoe Zhu", ""],
    ["ana", "Ana Ruiz", ""], ["bob", "Bob Stone", ""], ["kim", "Kim Berg", ""], ["lee", "Lee Hart", ""],
] + [[f"h{i}", f"Helper {chr(65 + i % 26)}{chr(65 + i // 26)}", ""] for i in range(55)]
PAPERS = {
    # L. Liu shares Jiawei Han with Liyuan Liu; Liu Liyuan shares Xiaodong Liu with her
    "p1": (2019, "acl", ["ll1", "jh"]), "p2": (2020, "acl", ["ll1", "xl", "jh"]),
    "p3": (2020, "acl", ["ll2", "jh"]), "p9": (2021, "acl", ["ll3", "xl"]),
    # Lan Liu: same venue and years as L. Liu and nothing else: no suggestion
    "p5": (2020, "acl", ["lan", "qq"]), "p4": (2020, "acl", ["lei", "zz", "jh"]),
    "p6": (2018, "v2", ["jg1", "ana"]), "p7": (2019, "v2", ["jg2", "ana"]), "p8": (2019, "v2", ["jg3", "ana"]),
    "p10": (2015, "v3", ["js1", "bob"]), "p11": (2016, "v3", ["js2", "bob"]),
    "p12": (2012, "v4", ["ww1", "kim"]), "p13": (2013, "v4", ["ww2", "kim"]), "p14": (2013, "v4", ["ww3", "lee"]),
    "p15": (2010, "v5", ["gr1", "kim"]), "p16": (2011, "v5", ["gr2", "kim"]),
    "p17": (2010, "v5", ["ru1", "lee"]), "p18": (2011, "v5", ["ru2", "lee"]),
    "p19": (2010, "v6", ["zh1", "bob"]), "p20": (2011, "v6", ["zh2", "bob"]), "p21": (2011, "v6", ["zh3", "bob"]),
    "p22": (2010, "v7", ["ar1", "ana"]), "p23": (2011, "v7", ["ar2", "ana"]),
    # enough papers for Liyuan Liu's cluster to be precomputed by the build (kg.cluster_order.BIG)
    **{f"big{i}": (2015 + i % 6, "acl", ["ll1", f"h{i}"]) for i in range(55)},
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("variants")
    target = root / "store"
    kg.build([_tables(root / "rows", AUTHORS, PAPERS)], target)
    return target


def _suggested(store: Path, name: str) -> list[str]:
    c = cluster(EmbeddedBackend.open(store), name, details=False)
    return [s.row.rsplit("/", 1)[-1] for s in c.suggestions]


def test_initials_are_suggested_with_the_shared_coauthor(store: Path) -> None:
    """'L. Liu' shares Jiawei Han with Liyuan Liu and with Lei Liu: both suggested, and back."""
    c = cluster(EmbeddedBackend.open(store), "L. Liu", details=False)
    assert {s.row.rsplit("/", 1)[-1] for s in c.suggestions} == {"ll1", "lei"}
    first = c.suggestions[0]
    assert first.reasons[0].startswith("name: a given name written as an initial")
    assert any("shared co-author: Jiawei Han" in r for r in first.reasons)
    assert [r.rsplit("/", 1)[-1] for r in (c.rows[0].iri,)] == ["ll2"]  # never merged: the exact name only
    assert "ll2" in _suggested(store, "Liyuan Liu") and "ll2" in _suggested(store, "Lei Liu")


def test_venue_and_years_alone_suggest_nothing(store: Path) -> None:
    """Lan Liu: same venue and year as L. Liu, no co-author in common."""
    assert "lan" not in _suggested(store, "L. Liu")
    assert _suggested(store, "Lan Liu") == []


def test_two_full_given_names_are_never_variants(store: Path) -> None:
    """Lei Liu and Liyuan Liu share a co-author (Jiawei Han) and one initial: two names, not one."""
    assert "lei" not in _suggested(store, "Liyuan Liu")
    assert not compatible(name_key("Lei Liu"), name_key("Liyuan Liu"))


@pytest.mark.parametrize("asked", ["Jose Gonzalez", "José González", NFD])
def test_folded_diacritics_nfc_and_nfd(store: Path, asked: str) -> None:
    found = _suggested(store, asked)
    if name_key(asked) == name_key("Jose Gonzalez"):
        assert sorted(found) == ["jg1", "jg3"]  # the NFC and the NFD row: one cluster
    else:
        assert found == ["jg2"]


def test_swapped_order_and_dropped_middle_name(store: Path) -> None:
    assert "ll3" in _suggested(store, "Liyuan Liu") and _suggested(store, "Liu Liyuan") == ["ll1"]
    c = cluster(EmbeddedBackend.open(store), "John Smith", details=False)
    assert [s.row.rsplit("/", 1)[-1] for s in c.suggestions] == ["js1"]
    assert c.suggestions[0].reasons[0].startswith("name: a middle name dropped")


def test_a_homonym_numbered_row_is_suggested_for_the_initials_only_with_evidence(store: Path) -> None:
    """W. Wang shares Kim Berg with Wei Wang 0001, not with Wei Wang 0002 (same cluster, other person)."""
    c = cluster(EmbeddedBackend.open(store), "W. Wang", details=False)
    assert [s.row.rsplit("/", 1)[-1] for s in c.suggestions] == ["ww1"]
    assert "dblp's homonym number set aside" in c.suggestions[0].reasons


def test_names_in_other_scripts(store: Path) -> None:
    """Greek and Cyrillic have initials and capital letters; CJK and Arabic names get no initials:
    '王 伟' is not an abbreviation of '王 伟明', nor 'م علي' of 'محمد علي', whatever they share."""
    assert _suggested(store, "Γιώργος Παπαδόπουλος") == ["gr2"]
    assert _suggested(store, "Иванов Иван") == ["ru1"]
    assert _suggested(store, "王 伟") == ["zh3"]  # given and family names swapped
    assert "zh2" not in _suggested(store, "王 伟") and _suggested(store, "王 伟明") == []
    assert _suggested(store, "محمد علي") == [] and _suggested(store, "م علي") == []
    assert not compatible(name_key("م علي"), name_key("محمد علي"))
    assert [k for k in variant_keys(name_key("محمد علي")) if k.startswith("i ")] == []
    assert [k for k in variant_keys(name_key("王 伟")) if k.startswith("i ")] == []


def test_candidate_pairs_of_keys() -> None:
    keys = [name_key(n) for n in ("L. Liu", "Liyuan Liu", "Lei Liu", "Liu Liyuan", "Li-Yuan Liu", "J.-P. Sartre",
                                  "Jean-Paul Sartre", "Jean-Pierre Sartre", "Zoe Zhu")]
    pairs = set(candidate_pairs(keys))
    assert ("l. liu", "liyuan liu") in pairs and ("l. liu", "lei liu") in pairs
    assert ("lei liu", "liyuan liu") not in pairs
    assert ("li-yuan liu", "liyuan liu") in pairs and ("liu liyuan", "liyuan liu") in pairs
    assert ("j.-p. sartre", "jean-paul sartre") in pairs and ("j.-p. sartre", "jean-pierre sartre") in pairs
    assert ("jean-paul sartre", "jean-pierre sartre") not in pairs
    assert not any("zoe zhu" in p for p in pairs)


def test_cli_identity_shows_suggestions(store: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(main, ["identity", "L. Liu", "--store", str(store)])
    assert text.exit_code == 0, text.output
    assert "Perhaps the same person under another spelling" in text.output
    assert "Liyuan Liu (ll1) ~ ll2" in text.output
    data = json.loads(runner.invoke(main, ["identity", "Liyuan Liu", "--store", str(store), "--format",
                                           "json"]).output)
    assert {s["row"].rsplit("/", 1)[-1] for s in data["suggestions"]} == {"ll2", "ll3"}
    assert data["rows"] == [{"iri": data["suggestions"][0]["like"], "name": "Liyuan Liu", "papers": 57}]


def test_the_named_query_and_its_loose_variant(store: Path) -> None:
    """The loose cluster 'jose gonzalez' holds both spellings: nothing left to suggest for it."""
    db = EmbeddedBackend.open(store)
    got = db.select(suggestions_query(), {"key": name_key("Jose Gonzalez")})
    assert {str(r["other"]).rsplit("/", 1)[-1] for r in got} == {"jg1", "jg3"}
    assert db.select(suggestions_query(loose=True), {"key": loose_key("José González")})
    loose = cluster(db, "Jose Gonzalez", loose=True, details=False)
    assert len(loose.rows) == 3 and loose.suggestions == []


def test_the_served_page_and_json_show_the_suggestions(store: Path, tmp_path: Path) -> None:
    """Through `kg serve` over a socket: the JSON of /api/clusters/NAME and the cluster page."""
    with running(store, log=tmp_path / "serve.log") as server:
        answer = server.get(f"{server.url}/api/clusters/{quote('L. Liu')}")
        assert answer.status_code == 200
        data = answer.json()
        assert [r["name"] for r in data["rows"]] == ["L. Liu"]  # the exact-name cluster, not merged
        assert {s["name"] for s in data["suggestions"]} == {"Liyuan Liu", "Lei Liu"}
        assert all(s["like"] == data["rows"][0]["iri"] and s["reasons"] for s in data["suggestions"])
        page = server.get(f"{server.url}/clusters/{quote('Liyuan Liu')}")
        assert page.status_code == 200
        text = page.text
        assert 'id="suggestions"' in text and "Perhaps the same person under another spelling" in text
        assert "L. Liu</a>" in text and "Liu Liyuan</a>" in text and "shared co-author: Jiawei Han" in text
        assert "Lei Liu</a>" not in text
        plain = server.get(f"{server.url}/clusters/{quote('Lan Liu')}")
        assert plain.status_code == 200 and 'id="suggestions"' not in plain.text
        greek = server.get(f"{server.url}/api/clusters/{quote('Γ. Παπαδόπουλος')}").json()
        assert [s["name"] for s in greek["suggestions"]] == ["Γιώργος Παπαδόπουλος"]


def test_a_precomputed_cluster_answers_its_suggestions(store: Path) -> None:
    """Liyuan Liu's 57 papers are precomputed (kg.cluster_order): the page still asks for its
    suggestions, and its JSON text is the same as its JSON value."""
    db = EmbeddedBackend.open(store)
    assert _precomputed(db, name_key("Liyuan Liu"), False) is not None
    page = cluster_page(db, "Liyuan Liu", page_size=10)
    assert sorted(s.row.rsplit("/", 1)[-1] for s in page.suggestions) == ["ll2", "ll3"]
    assert json.loads(page.json_bytes()) == json.loads(json.dumps(page.to_json()))
    assert page.to_json()["suggestions"][0]["reasons"][0].startswith("name: ")


def test_a_remote_engine_serves_the_same_suggestions(tmp_path: Path) -> None:
    """The suggestions live in the identity graph: an Oxigraph server loaded with the store's N-Quads
    answers them as the embedded store does (kg.cluster over kg.backend.remote)."""
    data = Dataset(tmp_path, [_tables(tmp_path / "rows", AUTHORS, PAPERS)])
    try:
        with open_backend(data, "embedded") as embedded, open_backend(data, "oxigraph") as remote:
            for name in ("L. Liu", "Liyuan Liu", "Иванов Иван", "Jose Gonzalez"):
                here = cluster(embedded, name, details=False).suggestions
                assert cluster(remote, name, details=False).suggestions == here and here, name
    finally:
        data.stop()


TOGETHER = [("Zoë Brontë", "Zoe Bronte"), (unicodedata.normalize("NFD", "Chloë Dupré"), "Chloe Dupre"),
            ("Ελένη Ιωάννου", "Ε. Ιωάννου"), ("Мария Соколова", "М. Соколова"), ("李 娜", "娜 李"),
            ("سارة خليل", "خليل سارة")]


@pytest.mark.parametrize(("name", "spelt"), TOGETHER)
def test_two_spellings_on_one_paper_together_are_never_suggested(name: str, spelt: str) -> None:
    """Two rows of two spellings of a name that share a co-author are suggested; two more, that
    share one too but are also on one paper together, are not (a person is listed once per paper).
    Names in every script, NFC and NFD."""
    authors = [["x0", name, ""], ["y0", spelt, ""], ["c0", "Kofi Mensah", ""],
               ["x1", f"{name} Ana", ""], ["y1", f"{spelt} Ana", ""], ["c1", "Ama Owusu", ""]]
    papers: list[list[object]] = [["p1", "On lattices", 2020, "v1", ["x0", "c0"]],
                                  ["p2", "On meshes", 2021, "v1", ["y0", "c0"]],
                                  ["p3", "On codecs", 2020, "v1", ["x1", "c1"]],
                                  ["p4", "On proofs", 2021, "v1", ["y1", "c1"]],
                                  ["p5", "On swarms", 2021, "v1", ["x1", "y1"]]]
    with built_index(authors, papers, ("v1",)) as (index, facts):
        ids = {index.authors.iri(r): index.authors.iri(r).rsplit("/", 1)[-1] for r in range(len(index.authors))}
        found = {frozenset((ids[s.a][-2:], ids[s.b][-2:])) for s in suggestions(index, facts)}
    assert frozenset(("x0", "y0")) in found
    assert frozenset(("x1", "y1")) not in found


# Marks a name may drop (accents, Arabic and Hebrew vowel points) fold; marks that spell another
# name (an Indic or Thai vowel sign, a kana voicing mark) do not: Kamal is not Kamala, Gotō not Kotō.
OPTIONAL_MARKS = [("Γιώργος Νικολάου", "Γιωργος Νικολαου"), ("مُحَمَّد حسن", "محمد حسن"), ("דָּוִד כֹּהֵן", "דוד כהן"),
                  (unicodedata.normalize("NFD", "Zoë Brontë"), "Zoe Bronte")]
SPELLING_MARKS = [("कमल शर्मा", "कमला शर्मा"), ("अनिल कुमार", "अनल कुमार"), ("ゴトウ ケンジ", "コトウ ケンジ"),
                  ("สมชาย ใจดี", "สมชาย ใจด"), ("সুমন দাস", "সুমনা দাস"), (unicodedata.normalize("NFD", "ゴトウ ケンジ"),
                                                                    "コトウ ケンシ")]


def test_marks_that_spell_another_name_are_not_folded() -> None:
    """Each pair shares a rare co-author: the first kind are suggested as one name with its marks
    folded, the second never (nor read as a word cut in two: 'अनिल' is one word)."""
    authors, papers = [], []
    for k, (a, b) in enumerate(OPTIONAL_MARKS + SPELLING_MARKS):
        authors += [[f"x{k}", a, ""], [f"y{k}", b, ""], [f"c{k}", f"Kofi Mensah{chr(65 + k)}", ""]]
        papers += [[f"p{k}a", f"On lattices {k}", 2020, "v1", [f"x{k}", f"c{k}"]],
                   [f"p{k}b", f"On meshes {k}", 2021, "v1", [f"y{k}", f"c{k}"]]]
    with built_index(authors, papers, ("v1",)) as (index, facts):
        ids = {index.authors.iri(r): index.authors.iri(r).rsplit("/", 1)[-1] for r in range(len(index.authors))}
        found = {frozenset((ids[s.a], ids[s.b])): s.reasons[0] for s in suggestions(index, facts)}
    for k in range(len(OPTIONAL_MARKS)):
        assert "diacritics or punctuation folded" in found[frozenset((f"x{k}", f"y{k}"))]
    for k in range(len(OPTIONAL_MARKS), len(OPTIONAL_MARKS) + len(SPELLING_MARKS)):
        assert frozenset((f"x{k}", f"y{k}")) not in found, (authors[3 * k][1], authors[3 * k + 1][1])
    assert not compatible(name_key("अनिल कुमार"), name_key("अनल कुमार"))


APOSTROPHES_APART = [("Mary O'Neil", "Mary Neil"), ("Ahmed D’Souza", "Ahmed Souza"), ("Анна Д’Арк", "Анна Арк")]
APOSTROPHES_TOGETHER = [("Mary-Ann O'Neil", "M. O'Neil"), ("Mary O’Neil", "Mary O'Neil"), ("Анна Д’Арк", "А. Д'Арк")]


def test_an_apostrophe_joins_a_family_name() -> None:
    """'O'Neil' is one family name: 'Mary Neil' is not 'Mary O'Neil' with a middle name 'O' dropped
    (each pair shares a rare co-author, so only the names decide)."""
    pairs = APOSTROPHES_APART + APOSTROPHES_TOGETHER
    found = _suggested_pairs(pairs, "Ama Owusu", ("On codecs", "On proofs"))
    for k in range(len(APOSTROPHES_APART)):
        assert frozenset((f"x{k}", f"y{k}")) not in found, pairs[k]
    for k in range(len(APOSTROPHES_APART), len(pairs)):
        assert frozenset((f"x{k}", f"y{k}")) in found, pairs[k]


CJK_SPACED = [("王伟", "王 伟"), ("佐藤健二", "佐藤 健二"), ("김민수", "김 민수")]
CJK_OTHER = [("王伟", "王伟明"), ("王伟", "王强"), ("李娜", "娜 李")]  # a longer name, another name, no known split


def test_a_cjk_name_with_or_without_a_space() -> None:
    """'王伟' and '王 伟' are one name written two ways (sources differ on the space between family and
    given name); each pair shares a rare co-author, so only the names decide."""
    pairs = CJK_SPACED + CJK_OTHER
    found = _suggested_pairs(pairs, "Kwame Asante", ("On graphs", "On trees"))
    for k in range(len(CJK_SPACED)):
        assert "written with or without a space" in found[frozenset((f"x{k}", f"y{k}"))], pairs[k]
    for k in range(len(CJK_SPACED), len(pairs)):
        assert frozenset((f"x{k}", f"y{k}")) not in found, pairs[k]


def _suggested_pairs(pairs: list[tuple[str, str]], coauthor: str, titles: tuple[str, str]) -> dict[frozenset[str], str]:
    """Each pair (a, b) as rows x{k} and y{k} of one paper each, both with the rare co-author c{k}
    (so only the names decide): the suggested pairs of row ids, with their first reason."""
    authors: list[list[Any]] = []
    papers: list[list[Any]] = []
    for k, (a, b) in enumerate(pairs):
        authors += [[f"x{k}", a, ""], [f"y{k}", b, ""], [f"c{k}", f"{coauthor}{chr(65 + k)}", ""]]
        papers += [[f"p{k}a", f"{titles[0]} {k}", 2020, "v1", [f"x{k}", f"c{k}"]],
                   [f"p{k}b", f"{titles[1]} {k}", 2021, "v1", [f"y{k}", f"c{k}"]]]
    with built_index(authors, papers, ("v1",)) as (index, facts):
        ids = {index.authors.iri(r): index.authors.iri(r).rsplit("/", 1)[-1] for r in range(len(index.authors))}
        return {frozenset((ids[s.a], ids[s.b])): s.reasons[0] for s in suggestions(index, facts)}
