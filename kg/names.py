"""Name keys: how author names are matched into name clusters."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

_SPACE = re.compile(r"\s+")
_HOMONYM = re.compile(r"\s+\d{4}$")
_PUNCT = re.compile(r"[^\w\s]|_")


# Scripts whose marks a word may be written with or without: accents (Latin, Greek, Cyrillic), vowel
# points (Arabic harakat, Hebrew niqqud). Elsewhere a mark is part of the spelling: an Indic or Thai
# vowel sign ("कमल" Kamal, "कमला" Kamala), a kana voicing mark ("ゴトウ" Gotō, "コトウ" Kotō).
_OPTIONAL_MARKS = ("LATIN", "GREEK", "CYRILLIC", "ARABIC", "HEBREW")


@lru_cache(maxsize=4096)
def marks_optional(base: str) -> bool:
    """Whether the marks on the character `base` may be left out of a word written with it (its
    script's marks are accents or vowel points), rather than being part of its spelling."""
    return unicodedata.name(base, "").startswith(_OPTIONAL_MARKS)


def fold_marks(text: str, word: Callable[[str], bool]) -> str:
    """`text` in NFKD with the marks a word may be written without (marks_optional: accents, vowel
    points) and marks after no letter left out, the marks that spell a word (an Indic vowel sign, a
    kana voicing mark) kept in it, and every other character `word` refuses made a space: the
    caller's words, which a split on white space then gives whole ("अनिल" one word, not two)."""
    out: list[str] = []
    base = ""
    for c in unicodedata.normalize("NFKD", text):
        if unicodedata.category(c)[0] == "M":
            if base.isalnum() and not marks_optional(base):
                out.append(c)
            continue
        base = c
        out.append(c if word(c) else " ")
    return "".join(out)


def strip_homonym(name: str) -> str:
    """'Hong Chen 0004' -> 'Hong Chen' (white space collapsed); other names unchanged."""
    # str.split() and str.strip() split on what `\s` matches (str.isspace), and `\d` is a decimal
    # digit (str.isdecimal): the same result as the regexes, without their cost on every name.
    collapsed = " ".join(name.split())
    if collapsed[-1:].isdecimal():
        return _HOMONYM.sub("", collapsed)
    return collapsed


# marks that only steer the direction of text (LRM, RLM, ALM, the embeddings, overrides and
# isolates) and a byte order mark: invisible, never typed, but carried by names copied from pages
# in Arabic or Hebrew ("\u200fRTL Mark\u200f" is the name a reader sees as "RTL Mark")
_INVISIBLE = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def name_key(name: str) -> str:
    """The cluster key: NFKC, case folded, the marks that only steer the text's direction left out,
    white space collapsed and trimmed, homonym number removed."""
    if name.isascii():  # NFKC leaves ASCII as it is, and casefold() is lower() there
        return strip_homonym(name.lower())
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", name).casefold())
    return strip_homonym(text)


def loose_key(name: str) -> str:
    """name_key with diacritics and punctuation also folded: 'José-María' ~ 'Jose Maria'."""
    key = name_key(name)
    if key.isascii():  # no decomposition, no combining mark
        return " ".join(_PUNCT.sub(" ", key).split())
    text = unicodedata.normalize("NFKD", key)
    text = "".join([c for c in text if not unicodedata.combining(c)])
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def same_name(a: str, b: str) -> bool:
    """Case-insensitive exact match of two names, homonym numbers included."""

    def norm(s: str) -> str:
        return _SPACE.sub(" ", _INVISIBLE.sub("", unicodedata.normalize("NFKC", s).casefold())).strip()

    return norm(a) == norm(b)
