"""Name keys: how author names are matched into name clusters."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
_HOMONYM = re.compile(r"\s+\d{4}$")
_PUNCT = re.compile(r"[^\w\s]|_")


def strip_homonym(name: str) -> str:
    """'Hong Chen 0004' -> 'Hong Chen' (white space collapsed); other names unchanged."""
    collapsed = _SPACE.sub(" ", name).strip()
    return _HOMONYM.sub("", collapsed)


def name_key(name: str) -> str:
    """The cluster key: NFKC, case folded, white space collapsed and trimmed, homonym number removed."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return strip_homonym(text)


def loose_key(name: str) -> str:
    """name_key with diacritics and punctuation also folded: 'José-María' ~ 'Jose Maria'."""
    text = unicodedata.normalize("NFKD", name_key(name))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def same_name(a: str, b: str) -> bool:
    """Case-insensitive exact match of two names, homonym numbers included."""

    def norm(s: str) -> str:
        return _SPACE.sub(" ", unicodedata.normalize("NFKC", s).casefold()).strip()

    return norm(a) == norm(b)
