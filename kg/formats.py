"""The one format registry: each format's name, aliases, media types and file suffix.

Every surface that names a format uses this module: `kg query --format`, `kg export --format`, the
endpoint's `format=` parameter and its Accept negotiation, the linked-data suffixes (.ttl, .nt,
.rdf, .jsonld, .html) and `?format=`, and the web API. A format has ONE name (what the CLI's help,
the README and `Content-Location` use); its aliases are older or other tools' names, still accepted.
Media types and suffixes of the RDF and SPARQL results formats are pyoxigraph's own
(`RdfFormat` / `QueryResultsFormat`); `media_aliases` are further types a client may send in Accept
(matched exactly, never by a wildcard).

Formats come in families, and a name is looked up in the family a surface offers: `xml` is the
SPARQL XML results of a SELECT, and an alias of RDF/XML for a CONSTRUCT (what SPARQLWrapper sends);
`json` likewise names SPARQL JSON results, JSON-LD for a graph, and plain JSON in the web API.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    media_type: str  # the bare media type, as sent in Content-Type (without charset)
    suffix: str | None = None  # ".ttl": a linked-data document's suffix, an exported file's
    aliases: tuple[str, ...] = ()
    media_aliases: tuple[str, ...] = ()
    rdf: ox.RdfFormat | None = field(default=None, compare=False)
    results: ox.QueryResultsFormat | None = field(default=None, compare=False)

    @property
    def content_type(self) -> str:
        """The Content-Type header of an answer in this format (UTF-8 said for text formats)."""
        text = self.media_type.startswith("text/") or self.media_type.endswith(("json", "xml"))
        return f"{self.media_type}; charset=utf-8" if text else self.media_type

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.media_aliases)


def _bare(media: str) -> str:
    return media.split(";")[0].strip()


def _rdf(name: str, fmt: ox.RdfFormat, aliases: tuple[str, ...], media_aliases: tuple[str, ...] = ()) -> Format:
    return Format(name, fmt.name, _bare(fmt.media_type), "." + fmt.file_extension, aliases, media_aliases, rdf=fmt)


def _results(name: str, fmt: ox.QueryResultsFormat, aliases: tuple[str, ...] = (),
             media_aliases: tuple[str, ...] = ()) -> Format:
    return Format(name, fmt.name, _bare(fmt.media_type), "." + fmt.file_extension, aliases, media_aliases,
                  results=fmt)


# -- SPARQL results (SELECT, ASK), in the server's order of preference: the first is the default.
JSON = _results("json", ox.QueryResultsFormat.JSON, ("srj",), ("application/json", "text/json"))
XML = _results("xml", ox.QueryResultsFormat.XML, ("srx",), ("application/xml", "text/xml"))
# text/plain: what Oxigraph answers it with, CSV for results and N-Triples for a graph (curl's users ask it)
CSV = _results("csv", ox.QueryResultsFormat.CSV, (), ("text/plain",))
TSV = _results("tsv", ox.QueryResultsFormat.TSV, (), ("text/tsv",))
RESULTS: tuple[Format, ...] = (JSON, XML, CSV, TSV)
BOOLEAN: tuple[Format, ...] = (JSON, XML)  # an ASK: CSV and TSV have no standard boolean (a bare `true`)

# -- RDF graphs (CONSTRUCT, DESCRIBE, descriptions, exports), likewise in order of preference.
TURTLE = _rdf("ttl", ox.RdfFormat.TURTLE, ("turtle", "n3"), ("application/x-turtle", "application/turtle", "text/n3"))
N_TRIPLES = _rdf("nt", ox.RdfFormat.N_TRIPLES, ("ntriples", "n-triples"), ("text/plain",))
N_QUADS = _rdf("nq", ox.RdfFormat.N_QUADS, ("nquads", "n-quads"))
TRIG = _rdf("trig", ox.RdfFormat.TRIG, ())
# A graph asked for as SPARQL XML / JSON results (rdflib's SPARQLStore sends only those) is RDF/XML / JSON-LD.
RDF_XML = _rdf("rdfxml", ox.RdfFormat.RDF_XML, ("rdf", "xml", "rdf+xml"),
               ("application/xml", "text/xml", "application/sparql-results+xml"))
JSON_LD = _rdf("jsonld", ox.RdfFormat.JSON_LD, ("json-ld", "json"),
               ("application/json", "text/json", "application/sparql-results+json"))
GRAPHS: tuple[Format, ...] = (TURTLE, N_TRIPLES, N_QUADS, TRIG, RDF_XML, JSON_LD)
TRIPLES: tuple[Format, ...] = tuple(f for f in GRAPHS if f.rdf is not None and not f.rdf.supports_datasets)

# -- web pages and the web API's plain data.
HTML = Format("html", "HTML", "text/html", ".html", (), ("application/xhtml+xml",))
DATA_JSON = Format("json", "JSON", "application/json")
DATA_CSV = Format("csv", "CSV", "text/csv", ".csv")
DATA: tuple[Format, ...] = (DATA_JSON, DATA_CSV)

# What each surface offers, in its order of preference.
DESCRIPTIONS: tuple[Format, ...] = (TURTLE, RDF_XML, JSON_LD, N_TRIPLES)  # GET /sparql, /.well-known/void
LINKED: tuple[Format, ...] = (TURTLE, HTML, JSON_LD, RDF_XML, N_TRIPLES)  # dereferencing an IRI
ONTOLOGY: tuple[Format, ...] = (HTML, TURTLE, JSON_LD)
EXPORT: tuple[Format, ...] = GRAPHS


def find(name: str | None, offers: Iterable[Format]) -> Format | None:
    """The offered format called `name` (its name or an alias, any case), or None."""
    if not name:
        return None
    key = name.strip().lower()
    offers = list(offers)
    for f in offers:
        if key == f.name:
            return f
    for f in offers:
        if key in f.aliases:
            return f
    return None


def by_media_type(media: str, offers: Iterable[Format]) -> Format | None:
    """The offered format whose media type (or a media alias) is `media` (parameters ignored)."""
    bare = _bare(media).lower()
    for f in offers:
        if bare == f.media_type:
            return f
    for f in offers:
        if bare in f.media_aliases:
            return f
    return None


def by_suffix(path: str, offers: Iterable[Format]) -> Format | None:
    """The offered format whose suffix ends `path` ("x.ttl" -> Turtle), or None."""
    for f in offers:
        if f.suffix and path.endswith(f.suffix) and len(path) > len(f.suffix):
            return f
    return None


def names(offers: Sequence[Format]) -> str:
    """"ttl, nt, ..." for help texts and error messages."""
    return ", ".join(f.name for f in offers)


def media_types(offers: Sequence[Format]) -> str:
    return ", ".join(f.media_type for f in offers)
