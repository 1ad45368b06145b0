from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.names import loose_key, name_key, same_name, strip_homonym


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Liyuan Liu", "liyuan liu"),
        ("LIYUAN LIU", "liyuan liu"),
        ("  liyuan   liu ", "liyuan liu"),
        ("Hong Chen 0004", "hong chen"),
        ("Hong Chen", "hong chen"),
        ("Richard Müller 0001", "richard müller"),
        ("Ｌｉｙｕａｎ Ｌｉｕ", "liyuan liu"),  # NFKC folds full-width letters
        ("Straße", "strasse"),  # case folding, not lower()
        ("Agent 007", "agent 007"),  # only a four-digit homonym number is removed
        ("0001", "0001"),
        # marks that only steer the direction, copied from a page with the name: not part of the key
        ("\u200fRTL Mark\u200f", "rtl mark"),
        ("\u200f\u0645\u062d\u0645\u062f \u0639\u0644\u064a\u200e",
         "\u0645\u062d\u0645\u062f \u0639\u0644\u064a"),
        ("\u2067\u05d3\u05d5\u05d3 \u05dc\u05d5\u05d9\u2069 0002", "\u05d3\u05d5\u05d3 \u05dc\u05d5\u05d9"),
        ("\ufeffΓιώργος \u202bΠαπαδόπουλος\u202c", "γιώργοσ παπαδόπουλοσ"),  # casefold: final sigma as σ
        ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # a ZWNJ spells Persian: kept
         "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"),
    ],
)
def test_name_key(name: str, key: str) -> None:
    assert name_key(name) == key


def test_loose_key_folds_diacritics_and_punctuation() -> None:
    assert loose_key("José-María Núñez") == loose_key("Jose Maria Nunez") == "jose maria nunez"
    assert name_key("José-María") != name_key("Jose Maria")


def test_strip_homonym_keeps_case() -> None:
    assert strip_homonym("Hong  Chen 0004") == "Hong Chen"


def test_same_name_keeps_homonym_numbers() -> None:
    assert same_name("hong chen 0004", "Hong Chen 0004")
    assert not same_name("Hong Chen", "Hong Chen 0004")


def test_a_name_wrapped_in_direction_marks_is_reached_by_the_name_a_reader_sees(tmp_path: Path) -> None:
    """A rows table's "\u200fRTL Mark\u200f" (held-out check) kept its RLMs in the key and the cluster IRI
    (/cluster/%E2%80%8Frtl%20mark%E2%80%8F): `kg cluster "RTL Mark"` found no row."""
    import kg
    from kg.cluster import cluster

    rows = tmp_path / "rows"
    rows.mkdir()
    (rows / "venues.csv").write_text("id,name\nv1,Venue\n", encoding="utf-8")
    arabic = "\u0645\u062d\u0645\u062f \u0639\u0644\u064a"
    (rows / "authors.csv").write_text(f"id,name\na1,\u200fRTL Mark\u200f\na2,\u200f{arabic}\u200f\n", encoding="utf-8")
    (rows / "papers.csv").write_text("id,title,year,venue_id\np1,A title,2020,v1\n", encoding="utf-8")
    (rows / "authorships.csv").write_text("paper_id,author_id,position\np1,a1,1\np1,a2,2\n", encoding="utf-8")
    kg.build([rows], tmp_path / "S")
    store = kg.open_store(tmp_path / "S")
    for typed in ("RTL Mark", arabic):
        answer = cluster(store, typed).to_json()
        assert len(answer["rows"]) == 1, typed
        assert "%E2%80%8F" not in json.dumps(answer)
