"""Author rows named by an id, found in the co-authorship index's IRIs without reading them one by
one (kg.curate: a correction's rows): `labelled`, the rows whose IRI's last segment, decoded, is the
id however it is encoded; `close_ids`, what an error says of an id no row has.

The IRIs are searched as the index keeps them, concatenated UTF-8 (kg.adjacency.IriTable): for the
rarest piece of the id, written every way an IRI may write it, and only where that is too common
for a regular expression of every encoding of the whole id.
"""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections.abc import Iterator

from kg.adjacency import AdjacencyIndex
from kg.identity.facts import row_label


def close_ids(index: AdjacencyIndex, iri: str, label: str) -> str:
    """The close ids of an id not found (`suggested`), as the error says them."""
    close = suggested(index, iri, label) if label else []
    return f"; close ids: {', '.join(repr(c) for c in close)}" if close else ""


def labelled(index: AdjacencyIndex, label: str) -> list[str]:
    """The rows whose IRI's last segment, decoded, is `label` in either normal form (a row of
    another base IRI, or encoded otherwise than kg's own: `dblp:x` where kg writes `dblp%3Ax`):
    the IRIs that may be (`_candidates`), each checked."""
    wanted = unicodedata.normalize("NFC", label)
    return [iri for iri in _candidates(index, label, b"/") if unicodedata.normalize("NFC", row_label(iri)) == wanted]


def suggested(index: AdjacencyIndex, iri: str, label: str, most: int = 3) -> list[str]:
    """Up to `most` ids like `label`, for an id not found: those ending with it (`Wei Wang 0001` for
    `dblp:Wei Wang 0001`), then those near `iri` in the index's IRI order (another homonym number, a
    last letter mistyped) most like it. A thousand IRIs and a few rows read at most."""
    wanted = unicodedata.normalize("NFC", label)
    out: list[str] = []
    if len(wanted) >= 4:  # a shorter one is inside too many ids to say which
        ends = (row_label(x) for x in itertools.islice(_candidates(index, label, b"", tries=1000), 1000))
        out = [x for x in ends if unicodedata.normalize("NFC", x).endswith(wanted)][:most]
    at = index.authors.position(iri)
    rows = range(max(0, at - 20), min(len(index.authors), at + 20))
    near = {unicodedata.normalize("NFC", x): x for x in (row_label(index.authors.iri(i)) for i in rows)}
    out += [near[x] for x in difflib.get_close_matches(wanted, list(near), n=most, cutoff=0.6) if near[x] not in out]
    return out[:most]


FEW = 5_000  # IRIs holding a piece of a label, read one by one; more: the whole label searched for at once


def _candidates(index: AdjacencyIndex, label: str, before: bytes, tries: int | None = None) -> Iterator[str]:
    """The IRIs that may end with `label` in some encoding, found without reading every IRI: those
    holding the rarest of its pieces of ASCII letters and digits (which no IRI encodes) or of other
    characters (as themselves or percent-encoded, composed or decomposed), when FEW or fewer do (one
    search of the index's IRI bytes per piece and way of writing it); else (a common piece: `Wang`),
    or for a label of punctuation alone, those a regular expression of every encoding of the whole
    label after `before` ends (its first `tries` matches when given): a slower search in C, whose
    matches are few."""
    pieces = set(re.findall(r"[A-Za-z0-9]+|[^\x00-\x7f]+", unicodedata.normalize("NFC", label)))

    def holding(piece: str) -> Iterator[int]:
        for needle in sorted({w for form in ("NFC", "NFD") for w in _written(unicodedata.normalize(form, piece))}):
            yield from index.authors.containing(needle)

    rarest, fewest = "", FEW + 1
    for piece in sorted(pieces, key=lambda p: -len(p.encode("utf-8"))):
        n = sum(1 for _ in itertools.islice(holding(piece), fewest))
        if n < fewest:
            rarest, fewest = piece, n
    if rarest:
        yield from (index.authors.iri(i) for i in dict.fromkeys(holding(rarest)))
    else:
        yield from (index.authors.iri(i) for i in index.authors.ending(_pattern(before, label), tries))


def _written(text: str) -> set[bytes]:
    """`text` as an IRI may write it: as itself, or its characters other than ASCII letters and
    digits percent-encoded (hexadecimal digits in upper or lower case)."""
    upper = "".join(c if c.isascii() and c.isalnum() else "".join(f"%{b:02X}" for b in c.encode("utf-8"))
                    for c in text)
    return {text.encode("utf-8"), upper.encode("ascii"), re.sub("%..", lambda m: m[0].lower(), upper).encode("ascii")}


def _pattern(before: bytes, label: str) -> re.Pattern[bytes]:
    """`before`, then `label` in any encoding of an IRI's path segment: each character as itself or
    percent-encoded ("/" only encoded), composed or decomposed (NFC, NFD, or mixed)."""
    out = []
    for ch in unicodedata.normalize("NFC", label):
        forms = sorted({ch, unicodedata.normalize("NFD", ch)})
        out.append(b"(?:" + b"|".join(_encodings(f) for f in forms) + b")")
    return re.compile(re.escape(before) + b"".join(out))


def _encodings(text: str) -> bytes:
    """A regular expression of `text` as an IRI's path segment may write it: each character as
    itself or percent-encoded; "/" only encoded."""
    out = []
    for ch in text:
        raw = ch.encode("utf-8")
        encoded = b"".join(_percent(byte) for byte in raw)
        out.append(b"(?:" + (encoded if ch == "/" else re.escape(raw) + b"|" + encoded) + b")")
    return b"".join(out)


def _percent(byte: int) -> bytes:
    """One byte percent-encoded, its hexadecimal digits in either case."""
    return b"%" + b"".join(b"[%c%c]" % (d, d + 32) if d >= ord("A") else bytes([d]) for d in b"%02X" % byte)
