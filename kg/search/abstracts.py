"""Abstracts in the search index: the part of an abstract that is indexed and kept (its first
WORDS words, zlib-compressed), and the snippet a result shows around the first word that matched.

The bound keeps the index within its budget (at most 10 % of the store on disk): the recorded
OpenAlex and Crossref works have abstracts of a median 245 words (at most 4,620), and their whole
text, kept for snippets, would make the index 11 % of the store; their first 200 words keep it
under 7 % (docs/search.md, "Abstracts").
"""

from __future__ import annotations

import re
import zlib

from kg.search.fold import index_tokens

WORDS = 200  # words of an abstract indexed and kept for its snippet
SNIPPET = 160  # characters of a snippet at most (without its ellipses)
_BEFORE = 50  # characters of a snippet kept before the word that matched, at most
_WORD = re.compile(r"\S+")


def pack(abstract: str | None) -> bytes | None:
    """The first WORDS words of `abstract`, compressed; None for no (or a blank) abstract."""
    if not abstract:
        return None
    words = abstract.split(maxsplit=WORDS)[:WORDS]
    return zlib.compress(" ".join(words).encode("utf-8")) if words else None


def unpack(packed: bytes) -> str:
    return zlib.decompress(packed).decode("utf-8")


def snippet(text: str, terms: list[tuple[str, ...]]) -> str:
    """At most SNIPPET characters of `text` around the first word matching a term (a prefix of one
    of its tokens, as the index matches), with "…" where it is cut; the start when none does."""
    at = 0
    for word in _WORD.finditer(text):
        tokens = index_tokens(word.group())
        hit = next((a for alts in terms for a in alts if any(t.startswith(a) for t in tokens)), None)
        if hit is not None:
            inside = word.group().find(hit)  # CJK is written without spaces: the characters inside the run
            at = word.start() + max(inside, 0)
            break
    start = max(0, at - _BEFORE)
    if start:
        space = text.find(" ", start, at)
        start = space + 1 if space != -1 else start
    end = start + SNIPPET
    if end < len(text):
        space = text.rfind(" ", at, end)
        end = space if space > at else end
    return ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")
