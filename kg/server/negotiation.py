"""Content negotiation: Accept with q-values, and the `format` parameter that may override it.

The formats are pyoxigraph's own (QueryResultsFormat / RdfFormat); media types come from them and
from their `from_media_type`, so aliases pyoxigraph knows (application/x-turtle, ...) work too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import pyoxigraph as ox

from kg.formats import GRAPH_NAMES, RESULT_NAMES

F = TypeVar("F", ox.QueryResultsFormat, ox.RdfFormat)

# Server preference order: the first is the default.
RESULTS: list[ox.QueryResultsFormat] = [
    ox.QueryResultsFormat.JSON,
    ox.QueryResultsFormat.XML,
    ox.QueryResultsFormat.CSV,
    ox.QueryResultsFormat.TSV,
]
GRAPHS: list[ox.RdfFormat] = [
    ox.RdfFormat.TURTLE,
    ox.RdfFormat.N_TRIPLES,
    ox.RdfFormat.N_QUADS,
    ox.RdfFormat.TRIG,
    ox.RdfFormat.RDF_XML,
    ox.RdfFormat.JSON_LD,
]
DESCRIPTIONS: list[ox.RdfFormat] = [ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML, ox.RdfFormat.JSON_LD]



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
    best, spec = 0.0, -1
    for r in ranges:
        m = r.matches(media)
        if exact and m < 2:
            continue
        if m > spec:
            best, spec = r.q, m
    return best if spec >= 0 else 0.0


def _aliases(fmt: ox.QueryResultsFormat | ox.RdfFormat) -> list[str]:
    extra = {
        ox.RdfFormat.TURTLE: ["application/x-turtle", "text/n3"],
        ox.RdfFormat.JSON_LD: ["application/json"],
        ox.RdfFormat.RDF_XML: ["application/xml", "text/xml"],
        ox.QueryResultsFormat.JSON: ["application/json"],
        ox.QueryResultsFormat.XML: ["application/xml", "text/xml"],
    }
    return [mime(fmt), *extra.get(fmt, [])]


def mime(fmt: ox.QueryResultsFormat | ox.RdfFormat) -> str:
    """The bare media type (pyoxigraph's may carry '; charset=utf-8')."""
    return fmt.media_type.split(";")[0].strip()


def choose(offers: list[F], accept: str | None) -> F | None:
    """The offered format the client likes best (ties: server order); None if none is acceptable."""
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    best: F | None = None
    best_q = 0.0
    for fmt in offers:
        # Wildcards match a format's own media type only; aliases (application/json, text/xml) match exactly.
        names = _aliases(fmt)
        q = max([_quality(ranges, names[0])] + [_quality(ranges, m, exact=True) for m in names[1:]])
        if q > best_q:
            best, best_q = fmt, q
    return best


def by_name_results(value: str | None) -> ox.QueryResultsFormat | None:
    if not value:
        return None
    v = value.strip().lower()
    if v in RESULT_NAMES:
        return RESULT_NAMES[v]
    if "/" in v:
        fmt = ox.QueryResultsFormat.from_media_type(v)
        return fmt if fmt in RESULTS else None
    return None


def by_name_graph(value: str | None) -> ox.RdfFormat | None:
    if not value:
        return None
    v = value.strip().lower()
    if v in GRAPH_NAMES:
        return GRAPH_NAMES[v]
    if "/" in v:
        fmt = ox.RdfFormat.from_media_type(v)
        return fmt if fmt in GRAPHS else None
    return None


def offered(offers: list[ox.QueryResultsFormat] | list[ox.RdfFormat]) -> str:
    return ", ".join(mime(f) for f in offers)
