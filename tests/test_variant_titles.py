"""Variant suggestions on title words (kg.identity.variants, Weights.suggest_*): a suggestion is
shown, never merged, so rare title words beyond chance are enough for one, where the same words
between two rows of one name leave the pair `unsure`. Names and titles in every script."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import write_csv_tables
from identity_tables import opened_index

import kg
from kg.backend.embedded import EmbeddedBackend
from kg.cluster import cluster
from kg.identity import variants
from kg.identity.evidence import UNSURE, Weights

# (name, its other spelling, another name of the script, two titles sharing two rare words)
TITLED = [
    ("Amara Nwosu", "A. Nwosu", "Kwame Asante",
     "Hyperspectral unmixing of lunar regolith", "Sparse hyperspectral unmixing"),
    ("Zoë Brontë", "Zoe Bronte", "Chloë Dupré",
     "Rétroaction haptique pour la préhension", unicodedata.normalize("NFD", "Rétroaction haptique délicate")),
    ("Ελένη Ιωάννου", "Ε. Ιωάννου", "Σοφία Νικολάου",
     "Κβαντική κρυπτογραφία σε δίκτυα", "Κβαντική κρυπτογραφία για αισθητήρες"),
    ("Мария Соколова", "Соколова Мария", "Ольга Павлова",
     "Квантовая криптография в сетях", "Квантовая криптография для датчиков"),
    ("李 娜", "娜 李", "陈 静", "蛋白质结构预测", "蛋白质折叠"),
    ("سارة خليل", "خليل سارة", "ليلى حسن", "التعرف الآلي للكلام", "التعرف الآلي للوجوه"),
]
FILLER = [f"{a}{b}{c}" for a in ("bal", "cor", "dem", "fin", "gal", "hol") for b in ("ari", "eno", "ulo", "ite")
          for c in ("tion", "ment", "ness", "ity")]
BEFORE = replace(Weights(), suggest_title_free=12.0, suggest_title_venue=6.0, suggest_min=0.0)  # the merge's


def _rows(folder: Path) -> Path:
    """Per script: the name on one paper, its other spelling on another (other venue, next year,
    each with a co-author of its own), and two rows of another name with the same two titles;
    200 papers of others around them, so that the shared words are rare."""
    rng = random.Random(7)
    authors: list[list[object]] = []
    papers: list[list[object]] = []
    ships: list[list[object]] = []
    for k, (name, spelt, other, one, two) in enumerate(TITLED):
        for tag, names in (("s", (name, spelt)), ("o", (other, other))):
            for half, (who, title) in enumerate(zip(names, (one, two), strict=True)):
                row, mate, paper = f"{tag}{k}-{half}", f"{tag}m{k}-{half}", f"{tag}p{k}-{half}"
                authors += [[row, who], [mate, f"Mate{tag}{k}{half} Coauthor{tag}{k}{half}"]]
                papers.append([paper, title, 2020 + half, f"v{half}"])
                ships += [[paper, row, 1], [paper, mate, 2]]
    for n in range(200):
        papers.append([f"f{n}", " ".join(rng.sample(FILLER, 5)), 2000 + n % 20, f"v{2 + n % 5}"])
        authors.append([f"fa{n}", f"Filler{n} Person{n}"])
        ships.append([f"f{n}", f"fa{n}", 1])
    folder.mkdir(parents=True)
    tables = {
        "venues.csv": (["id", "name", "kind"], [[f"v{v}", f"Venue {v}", "conference"] for v in range(7)]),
        "papers.csv": (["id", "title", "year", "venue_id"], papers),
        "authors.csv": (["id", "name"], authors),
        "authorships.csv": (["paper_id", "author_id", "position"], ships),
    }
    return write_csv_tables(folder, tables)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("variant-titles")
    kg.build([_rows(root / "rows")], root / "store")
    return root / "store"


@pytest.mark.parametrize(("name", "spelt", "other", "one", "two"), TITLED)
def test_rare_title_words_make_a_suggestion_in_every_script(store: Path, name: str, spelt: str, other: str,
                                                            one: str, two: str) -> None:
    db = EmbeddedBackend.open(store)
    for asked, found in ((name, spelt), (spelt, name)):
        for form in {unicodedata.normalize("NFC", asked), unicodedata.normalize("NFD", asked)}:
            c = cluster(db, form, details=False)
            assert [s.name for s in c.suggestions] == [found], form
            assert any(r.startswith("similar titles: 2 rare words in common") for r in c.suggestions[0].reasons)
            assert not any("shared co-author" in r and "no shared" not in r for r in c.suggestions[0].reasons)


@pytest.mark.parametrize(("name", "spelt", "other", "one", "two"), TITLED)
def test_the_same_words_between_two_rows_of_one_name_merge_nothing(store: Path, name: str, spelt: str,
                                                                   other: str, one: str, two: str) -> None:
    c = cluster(EmbeddedBackend.open(store), other, pairs=True)
    assert len(c.rows) == 2 and len(c.persons) == 2
    assert c.pairs is not None and [p.verdict for p in c.pairs] in ([], [UNSURE])


def test_with_a_merge_s_title_thresholds_nothing_is_suggested(store: Path) -> None:
    with opened_index(store) as (index, facts):
        now = list(variants.suggestions(index, facts, Weights()))
        assert len(now) == len(TITLED)
        assert list(variants.suggestions(index, facts, BEFORE)) == []
