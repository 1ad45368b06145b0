"""Content negotiation: the one Accept matcher (q-values, specificity), and `format=` names.

Offers are formats of the registry (kg.formats), in the server's order of preference. A format's
own media type matches exactly or through a wildcard (`text/*`, `*/*`); its media aliases
(application/json for JSON-LD, text/xml for RDF/XML, ...) match only when named exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kg.formats import Format, by_media_type, find


@dataclass(frozen=True)
class Range:
    type: str
    subtype: str
    q: float

    def matches(self, media: str) -> int:
        """Specificity of the match (2 exact, 1 type/*, 0 */*), or -1."""
        t, _, s = media.partition("/")
        if self.type == "*":
            return 0
        if self.type != t:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == s else -1


def parse_accept(header: str | None) -> list[Range]:
    ranges: list[Range] = []
    for part in (header or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        q = 1.0
        for f in fields[1:]:
            k, _, v = f.partition("=")
            if k.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(v)))
                except ValueError:
                    q = 0.0
        t, _, s = media.partition("/")
        ranges.append(Range(t, s, q))
    return ranges


def _quality(ranges: list[Range], media: str, exact: bool = False) -> float:
    """The q of the most specific range matching `media` (0 when none does)."""
    best, spec = 0.0, -1
    for r in ranges:
        m = r.matches(media)
        if exact and m < 2:
            continue
        if m > spec:
            best, spec = r.q, m
    return best if spec >= 0 else 0.0


def quality(ranges: list[Range], fmt: Format) -> float:
    """How much the client wants `fmt`: its own type by any range, its media aliases only exactly."""
    return max([_quality(ranges, fmt.media_type)] + [_quality(ranges, m, exact=True) for m in fmt.media_aliases])


def choose(offers: Sequence[Format], accept: str | None, default: Format | None = None) -> Format | None:
    """The offered format the client likes best (ties: the server's order); None if none is acceptable.

    No (or no usable) Accept header gives `default`, or the first offer.
    """
    ranges = parse_accept(accept)
    if not ranges:
        return default or offers[0]
    best: Format | None = None
    best_q = 0.0
    for fmt in offers:
        q = quality(ranges, fmt)
        if q > best_q:
            best, best_q = fmt, q
    return best


def by_name(value: str | None, offers: Sequence[Format]) -> Format | None:
    """The `format` parameter: a format's name or alias, or a media type, among `offers`."""
    if not value:
        return None
    if "/" in value:
        return by_media_type(value, offers)
    return find(value, offers)


def offered(offers: Sequence[Format]) -> str:
    return ", ".join(f.media_type for f in offers)
