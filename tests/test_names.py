from __future__ import annotations

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
