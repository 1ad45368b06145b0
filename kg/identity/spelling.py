"""Name variants: which name clusters may hold one person under another spelling of the name.

A name key (kg.names.name_key: case folded, dblp's homonym number removed) is compared with
others through its variant keys, computed from the key alone:

- `f`: its words with diacritics and punctuation folded, in alphabetical order ("González" ~
  "Gonzalez", NFC or NFD; "Liu Liyuan" ~ "Liyuan Liu"; "Jean-Pierre" ~ "Jean Pierre");
- `m`: first and last word (a middle name dropped: "John A. Smith" ~ "John Smith");
  and the given names joined, under the same letter ("Li-Yuan Liu" ~ "Liyuan Liu");
- `i`: the first letter of the given name and the family name, both orders ("L. Liu" ~ "Liyuan
  Liu" ~ "Liu Liyuan"), for names written in a script with capital letters only (Latin, Greek,
  Cyrillic: "Г. Иванов" is how Russian writes initials). A CJK or Arabic name has no initials:
  its first character is a whole syllable or word, and one-character given names are common
  ("王 伟"), so such names get the `f` and `m` keys, and a one-character word is never read as
  an initial of a longer one;
- `c`: a CJK name's characters without its spaces ("王伟" ~ "王 伟", "佐藤健二" ~ "佐藤 健二").

Two keys sharing a variant key are a candidate pair only if their words are `compatible` (same
family name, every given name equal or an initial of the other's, a middle name at most dropped);
in an `i` key's bucket only pairs with a name whose given name is an initial are tried (two full
given names that merely start alike, "Lei Liu" and "Liyuan Liu", are never variants). A bucket of more than
`BUCKET_MAX` keys ("j wang" in all of dblp) pairs nobody: too common to say anything.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from urllib.parse import unquote

from kg.identity.facts import _CJK
from kg.names import fold_marks, loose_key, name_key

BUCKET_MAX = 400
PAIRS = "identity-variant-pairs.json"  # beside the index


# An apostrophe inside a word joins it ("O'Neil" is one family name, not a middle name "O" and "Neil")
_APOSTROPHE = re.compile("(?<=\\w)['\u2019\u02bc\u2018](?=\\w)")


@lru_cache(maxsize=65536)
def words(key: str) -> tuple[str, ...]:
    """The words of a name key with diacritics and punctuation folded ('J.-P. Sartre' -> j, p, sartre);
    kg.names.loose_key but for an apostrophe inside a word, which joins it ('O'Neil' -> oneil), and
    the marks of scripts where they are letters, which are kept (and never read as punctuation,
    which would cut 'अनिल' into two words)."""
    key = _APOSTROPHE.sub("", key)
    if key.isascii():
        return tuple(loose_key(key).split())
    folded = fold_marks(name_key(key), lambda c: c.isalnum() and c != "_" or c.isspace())
    return tuple(unicodedata.normalize("NFKC", folded).split())


@lru_cache(maxsize=65536)
def cased(ws: tuple[str, ...]) -> bool:
    """Whether every letter of the words is of a script with capital letters (Latin, Greek,
    Cyrillic...: where an initial is a letter of the name), not CJK or Arabic."""
    text = "".join(ws)
    return text.isascii() or all(ch.upper() != ch or ch.lower() != ch for ch in text if ch.isalpha())


def initialled(ws: tuple[str, ...]) -> bool:
    """Whether the given name is an initial, in either order ('l liu', 'liu l'): the names an `i`
    key pairs (a middle initial alone, 'john a smith', is the `m` key's)."""
    return len(ws[0]) == 1 or len(ws[-1]) == 1


def abbreviated(ws: tuple[str, ...]) -> bool:
    """Whether a given name is written as an initial ('l liu', 'j p sartre')."""
    return any(len(w) == 1 for w in ws[:-1])


def _unspaced(ws: tuple[str, ...]) -> str | None:
    """A CJK name's characters without its spaces ('王 伟', '王伟' -> '王伟'; '佐藤 健二'): such a name
    is written with or without a space between family and given name. None for other names and for
    a one-character name."""
    joined = "".join(ws)
    return joined if len(joined) > 1 and _CJK.fullmatch(joined) else None


def variant_keys(key: str) -> list[str]:
    """The variant keys of a name key (see the module docstring); for a one-word name, only the
    unspaced key of a CJK name."""
    ws = words(key)
    unspaced = _unspaced(ws)
    out = [] if unspaced is None else [f"c {unspaced}"]
    if len(ws) < 2:
        return out
    out += ["f " + " ".join(sorted(ws)), f"m {ws[0]} {ws[-1]}"]
    if len(ws) > 2:  # given names joined: a two-word name's `m` key is the same
        out.append(f"m {''.join(ws[:-1])} {ws[-1]}")
    if cased(ws):
        out += [f"i {ws[0][0]} {ws[-1]}", f"i {ws[-1][0]} {ws[0]}"]
    return out


def _given_compatible(a: str, b: str, initials: bool) -> bool:
    return a == b or initials and ((len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b)))


def _aligned(a: tuple[str, ...], b: tuple[str, ...], initials: bool) -> bool:
    """Family names equal, first given names compatible, middle names compatible where both have them."""
    if a[-1] != b[-1]:
        return False
    ga, gb = a[:-1], b[:-1]
    if "".join(ga) == "".join(gb):  # 'li yuan' ~ 'liyuan'
        return True
    if not _given_compatible(ga[0], gb[0], initials):
        return False
    return all(_given_compatible(x, y, initials) for x, y in zip(ga[1:], gb[1:], strict=False))


def compatible(a: str, b: str) -> bool:
    """Whether two different name keys may be spellings of one person's name."""
    wa, wb = words(a), words(b)
    unspaced = _unspaced(wa)
    if unspaced is not None and unspaced == _unspaced(wb):
        return True
    if len(wa) < 2 or len(wb) < 2:
        return False
    if sorted(wa) == sorted(wb):
        return True
    initials = cased(wa) and cased(wb)
    swapped = wb[1:] + wb[:1]  # 'liu liyuan' read as 'liyuan liu'
    return _aligned(wa, wb, initials) or _aligned(wa, swapped, initials) or _aligned(wa[1:] + wa[:1], wb, initials)


def relation(a: str, b: str) -> str:
    """How the name `b` relates to `a`, in words (for the reasons)."""
    wa, wb = words(a), words(b)
    if wa == wb:
        return "the same name with diacritics or punctuation folded"
    if sorted(wa) == sorted(wb):
        return "given and family names swapped"
    if _unspaced(wa) is not None and _unspaced(wa) == _unspaced(wb):
        return "the same name written with or without a space"
    if (len(wa[0]) == 1) != (len(wb[0]) == 1) or (len(wa[-1]) == 1) != (len(wb[-1]) == 1):
        return "a given name written as an initial"
    if len(wa) != len(wb):
        return "a middle name dropped"
    if abbreviated(wa) != abbreviated(wb):
        return "a middle name written as an initial"
    return "a variant spelling"


def candidate_pairs(keys: Iterable[str]) -> Iterator[tuple[str, str]]:
    """Every compatible pair of distinct name keys (sorted within a pair) sharing a variant key, once."""
    buckets: dict[str, list[str]] = {}
    for key in set(keys):
        for v in variant_keys(key):
            buckets.setdefault(v, []).append(key)
    seen: set[tuple[str, str]] = set()
    for v, members in buckets.items():
        if len(members) < 2 or len(members) > BUCKET_MAX:
            continue
        members.sort()
        if v.startswith("i "):
            short = [k for k in members if initialled(words(k))]  # (`i` keys: cased scripts only)
            pairs: Iterable[tuple[str, str]] = (
                (min(s, k), max(s, k)) for s in short for k in members if k != s)
        else:
            pairs = combinations(members, 2)
        for pair in pairs:
            if pair not in seen and compatible(*pair):
                seen.add(pair)
                yield pair


def cluster_key(iri: str) -> str:
    """The name key of a cluster IRI (BASE/cluster/KEY)."""
    key = iri.rsplit("/cluster/", 1)[-1].replace("%20", " ")
    return unquote(key) if "%" in key else key


def cluster_pairs(iris: Iterable[str]) -> list[tuple[str, str]]:
    """candidate_pairs of the clusters' keys, as pairs of cluster IRIs, sorted."""
    by_key = {cluster_key(i): i for i in iris}
    return sorted((by_key[a], by_key[b]) for a, b in candidate_pairs(by_key))


def write_pairs(directory: Path, pairs: list[tuple[str, str]]) -> None:
    """The candidate pairs beside the index (computed once, while mapping, read by the identity step)."""
    (directory / PAIRS).write_text(json.dumps(pairs, ensure_ascii=False), encoding="utf-8")


def read_pairs(directory: Path) -> list[tuple[str, str]] | None:
    path = directory / PAIRS
    if not path.is_file():
        return None
    return [(a, b) for a, b in json.loads(path.read_text(encoding="utf-8"))]


def spellings(pairs: Iterable[tuple[str, str]], number: Callable[[str], int | None]) -> dict[int, frozenset[int]]:
    """The candidate pairs as a relation between cluster numbers (`number`: a cluster IRI's, None
    when the graph has no such cluster): each cluster -> the clusters that may be its name spelt
    otherwise (both ways)."""
    out: dict[int, set[int]] = {}
    for a, b in pairs:
        x, y = number(a), number(b)
        if x is not None and y is not None and x != y:
            out.setdefault(x, set()).add(y)
            out.setdefault(y, set()).add(x)
    return {c: frozenset(v) for c, v in out.items()}
