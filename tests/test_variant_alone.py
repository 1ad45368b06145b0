"""Variant suggestions from two rows alone at a venue (kg.identity.variants, Weights.suggest_alone):
a name and its other spelling that are the only rows of all the names spelt like either at a venue,
within a few years, are suggested on that alone; never when a third row of those spellings (another
spelling, or a second row of one of the names) publishes there too, nor when their years lie far
apart. Names in every script, NFC and NFD."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from identity_tables import opened_index
from server_fixtures import running
from test_identity import _tables

import kg
from kg.backend.embedded import EmbeddedBackend
from kg.cli import main
from kg.cluster import cluster
from kg.identity import variants
from kg.identity.evidence import UNSURE, Weights

# per script: a name and its other spelling (alone at a venue); another name, its spelling and a third
# spelling of it (None: a second row of the name), crowded at a venue; a third name and its spelling,
# at one venue 15 years apart
FAMILIES = [
    ("Amara Nwosu", "A. Nwosu", "Kwame Asante", "K. Asante", "Kofi Asante", "Ngozi Eze", "N. Eze"),
    ("Zoë Brontë", "Zoe Bronte", "Chloë Dupré", "Chloe Dupre", unicodedata.normalize("NFD", "Chloë Dupré"),
     "Maël Noël", "Mael Noel"),  # the third: a second row of the name, written in NFD
    ("Ελένη Ιωάννου", "Ε. Ιωάννου", "Σοφία Νικολάου", "Σ. Νικολάου", "Νικολάου Σοφία", "Νίκος Παππάς",
     "Ν. Παππάς"),
    ("Мария Соколова", "М. Соколова", "Ольга Павлова", "О. Павлова", "Павлова Ольга", "Игорь Лебедев",
     "И. Лебедев"),
    ("李 娜", "娜 李", "陈 静", "静 陈", None, "王 芳", "芳 王"),
    ("سارة خليل", "خليل سارة", "ليلى حسن", "حسن ليلى", None, "عمر فاروق", "فاروق عمر"),
]
Family = tuple[str, str, str, str, str | None, str, str]
ALONE = "the only two rows of these spellings at"


def _graph() -> tuple[list[list[str]], dict[str, tuple[int, str, list[str]]]]:
    """Per script k, each row on one paper of its own with a co-author of its own (no shared co-author,
    no shared title word: _tables titles every paper "On <id>"): at venue a{k} the name (2020) and its
    spelling (2021), alone there; at b{k} the other name (2020), its spelling (2021) and a third row
    of those spellings (2020); at c{k} the third name (2000) and its spelling (2015)."""
    authors: list[list[str]] = []
    papers: dict[str, tuple[int, str, list[str]]] = {}
    for k, (name, spelt, other, other_spelt, third, far, far_spelt) in enumerate(FAMILIES):
        for venue, people in ((f"a{k}", [(name, 2020), (spelt, 2021)]),
                              (f"b{k}", [(other, 2020), (other_spelt, 2021), (third or other, 2020)]),
                              (f"c{k}", [(far, 2000), (far_spelt, 2015)])):
            for n, (who, year) in enumerate(people):
                row, mate = f"{venue}-{n}", f"{venue}-m{n}"
                authors += [[row, who, ""], [mate, f"Mate{venue}{n} Coauthor{venue}{n}", ""]]
                papers[f"p{venue}x{n}"] = (year, venue, [row, mate])
    # others at every venue, so that the venues are not empty of other people
    for k in range(40):
        authors.append([f"o{k}", f"Other{k} Person{k}", ""])
        papers[f"po{k}"] = (2010 + k % 12, f"{'abc'[k % 3]}{k % len(FAMILIES)}", [f"o{k}"])
    return authors, papers


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("variant-alone")
    kg.build([_tables(root / "rows", *_graph())], root / "store")
    return root / "store"


def _rows(store: Path, name: str) -> dict[str, list[str]]:
    """The suggested rows of the cluster of `name` -> their reasons."""
    return {s.row.rsplit("/", 1)[-1]: s.reasons for s in cluster(EmbeddedBackend.open(store), name,
                                                                  details=False).suggestions}


@pytest.mark.parametrize("family", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_two_rows_alone_at_a_venue_are_suggested_in_every_script(store: Path, family: Family) -> None:
    k, (name, spelt) = FAMILIES.index(family), family[:2]
    for asked, found in ((name, f"a{k}-1"), (spelt, f"a{k}-0")):
        for form in {unicodedata.normalize("NFC", asked), unicodedata.normalize("NFD", asked)}:
            got = _rows(store, form)
            assert found in got, (form, got)
            reasons = got[found]
            assert any(r.startswith(f"{ALONE} A{k}:") for r in reasons), reasons
            assert "no shared co-author" in reasons and not any(r.startswith("similar titles") for r in reasons)


@pytest.mark.parametrize("family", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_a_third_row_of_the_spellings_or_years_far_apart_suggest_nothing(store: Path, family: Family) -> None:
    """At b{k} a third row (another spelling, or a second row of the name) publishes too; at c{k}
    the two rows are 15 years apart: neither pair is suggested."""
    for asked in [n for n in family[2:] if n]:
        for form in {unicodedata.normalize("NFC", asked), unicodedata.normalize("NFD", asked)}:
            assert _rows(store, form) == {}, form


def test_the_verdict_stays_unsure_and_the_weight_can_be_turned_off(store: Path) -> None:
    """Alone at a venue is a reason to show a row to a curator, never to call it `same`; with
    suggest_alone at 0 none of these rows is suggested (they share nothing else)."""
    with opened_index(store) as (index, facts):
        now = list(variants.suggestions(index, facts, Weights()))
        assert sorted(s.a.rsplit("/", 1)[-1] for s in now) == sorted(f"a{k}-0" for k in range(len(FAMILIES)))
        assert {s.verdict for s in now} == {UNSURE}
        assert list(variants.suggestions(index, facts, replace(Weights(), suggest_alone=0.0))) == []


def test_the_reason_in_words_in_kg_identity_and_on_the_served_page(store: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["identity", "Ε. Ιωάννου", "--store", str(store), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [s["name"] for s in data["suggestions"]] == ["Ελένη Ιωάννου"]
    assert any(r.startswith(f"{ALONE} A2:") for r in data["suggestions"][0]["reasons"])
    with running(store, log=tmp_path / "serve.log") as server:
        page = server.get(f"{server.url}/clusters/{quote('Мария Соколова')}")
        assert page.status_code == 200
        assert "М. Соколова</a>" in page.text and f"{ALONE} A3" in page.text
