"""Abstracts in the search index: the part of an abstract that is indexed and kept (its first
WORDS words, zlib-compressed), and the snippet a result shows around the first word that matched.

The bound keeps the index within its budget (at most 10 % of the store on disk): the recorded
OpenAlex and Crossref works have abstracts of a median 245 words (at most 4,620), and their whole
text, kept for snippets, would make the index 11 % of the store; their first 200 words keep it
under 7 % (docs/search.md, "Abstracts").
"""

from __future__ import annotations

import heapq
import re
import unicodedata
import zlib
from functools import lru_cache

from kg.search.fold import index_tokens, is_unit, strip_marks

WORDS = 200  # words of an abstract indexed and kept for its snippet
SNIPPET = 160  # characters of a snippet at most (without its ellipses)
_BEFORE = 50  # characters of a snippet kept before the word that matched, at most
_WORD = re.compile(r"\S+")
# in a word: a character not ASCII, or more than one run of ASCII letters and digits
_SPECIAL = re.compile(r"[^\x00-\x7f]|[A-Za-z0-9][^A-Za-z0-9\s]+[A-Za-z0-9]")


def pack(abstract: str | None) -> bytes | None:
    """The first WORDS words of `abstract` (NFC), compressed; None for no (or a blank) abstract."""
    if not abstract:
        return None
    words = unicodedata.normalize("NFC", abstract).split(maxsplit=WORDS)[:WORDS]
    return zlib.compress(" ".join(words).encode("utf-8")) if words else None


def unpack(packed: bytes) -> str:
    return zlib.decompress(packed).decode("utf-8")


class _Folded(dict[int, str]):
    """A character -> itself folded as kg.search.fold folds it (case, marks) when that is one
    character, else lower case, else itself: a text translated keeps every character's position."""

    def __missing__(self, code: int) -> str:
        c = chr(code)
        folded = strip_marks(c)
        got = self[code] = folded if len(folded) == 1 else c.lower() if len(c.lower()) == 1 else c
        return got


_FOLDED = _Folded()


@lru_cache(maxsize=256)
def _starts(terms: tuple[tuple[str, ...], ...]) -> re.Pattern[str]:
    """A word beginning with any spelling of a term (a CJK, Thai, Lao, Myanmar or Khmer term
    anywhere in a run of them: each character, or letter with its marks, is a word there)."""
    alts = sorted({a for alts in terms for a in alts}, key=len, reverse=True)
    return re.compile("|".join(("" if is_unit(a) else r"(?<![^\W_])") + re.escape(a) for a in alts))


def first_match(text: str, terms: list[tuple[str, ...]]) -> int:
    """Where the first word of `text` matching a term begins (as `scan` says), found faster: a
    regular expression over the text folded character by character finds the words of one run of
    ASCII letters and digits that match (for them that folding is the index's), and only those
    words and the others (other scripts, marks, words joined by punctuation) are tokenized as the
    index does, in the order they come."""
    hits = (_chunk_start(text, h.start()) for h in _starts(tuple(terms)).finditer(text.translate(_FOLDED)))
    checked = -1
    for start in heapq.merge(hits, (_chunk_start(text, m.start()) for m in _SPECIAL.finditer(text))):
        if start > checked:
            checked = start
            word = _WORD.match(text, start)
            at = _at(word, terms) if word is not None else None
            if at is not None:
                return at
    return 0


def _chunk_start(text: str, at: int) -> int:
    while at > 0 and not text[at - 1].isspace():
        at -= 1
    return at


def snippet(text: str, terms: list[tuple[str, ...]]) -> str:
    """At most SNIPPET characters of `text` around the first word matching a term, with "…" where
    it is cut; the start when none does."""
    at = first_match(text, terms)
    start = max(0, at - _BEFORE)
    if start:
        space = text.find(" ", start, at)
        start = space + 1 if space != -1 else start
    end = start + SNIPPET
    if end < len(text):
        space = text.rfind(" ", at, end)
        end = space if space > at else end
    return ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")


def scan(text: str, terms: list[tuple[str, ...]]) -> int:
    """Where the first word of `text` one of whose index tokens begins with a term begins (in a run
    of CJK, where the term's characters are), or 0: word by word, as the index matches."""
    for word in _WORD.finditer(text):
        at = _at(word, terms)
        if at is not None:
            return at
    return 0


def _at(word: re.Match[str], terms: list[tuple[str, ...]]) -> int | None:
    tokens = index_tokens(word.group())
    hit = next((a for alts in terms for a in alts if any(t.startswith(a) for t in tokens)), None)
    if hit is None:
        return None
    # CJK and Thai are written without spaces: where the term's characters are, found in the word
    # folded character by character (a traditional character is its simplified one there, as in the term)
    return word.start() + max(word.group().translate(_FOLDED).find(hit), 0)
