"""The HTML of kg serve's pages, without a web framework: the one Jinja environment, the pages'
Content-Security-Policy and common context, whether a client wants a page, and the tables of a
query's results and of triples (a service description, VoID), each linking to its other formats.

A browser says `text/html` in Accept (`text/html,…,application/xml;q=0.9,*/*;q=0.8`); machine clients
(curl's `*/*`, SPARQLWrapper, rdflib, Jena, Comunica) do not name it and keep what they get. The SPARQL
pipeline (kg.server.sparql_pipeline) and the app's pages (kg.server.pages, kg.server.views) render here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

import jinja2
import pyoxigraph as ox

from kg.formats import HTML, Format, find
from kg.iris import name_segment
from kg.jsonld import PREFIXES
from kg.server.negotiation import Range, by_name, parse_accept, quality

TEMPLATES = Path(__file__).resolve().parent / "templates"
# script-src 'self': the one script of the pages, static/suggest.js (the search box's suggestions); no inline script
CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'self'"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "svg"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["q"] = lambda s: name_segment(str(s))  # a name in a path ("." as ".%20"); a query's value
    return env


def page_html(template: str, /, **context: Any) -> str:
    """A template rendered: the page's HTML (served with the CSP header)."""
    return environment().get_template(template).render(**context)


def page_context(base: str, prefix: str) -> dict[str, Any]:
    """What every page's template gets: the relative prefix to the server's root, links to resources, the base."""
    return {"root": prefix, "link": lambda iri: local(base, prefix, iri), "base": base}


def local(base: str, prefix: str, iri: str) -> str:
    """A link to a resource: relative to this server for IRIs under the base, the IRI itself otherwise.
    A segment of dots (BASE/cluster/%2E, the cluster of the name ".") is written ".%20", which the
    server reads back (kg.server.linked): a browser drops %2E segments as it drops "."."""
    if not iri.startswith(base):
        return iri
    path = iri[len(base):]
    if "%2E" in path:
        path = "/".join(name_segment(unquote(s)) if s in ("%2E", "%2E%2E") else s for s in path.split("/"))
    return prefix + path


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
SHOWN_PREFIXES = {**PREFIXES, "sd": "http://www.w3.org/ns/sparql-service-description#",
                  "void": "http://rdfs.org/ns/void#", "dcterms": "http://purl.org/dc/terms/"}


def prefers_html(accept: str | None, offers: Sequence[Format]) -> bool:
    """The client names text/html (exactly: no wildcard counts) above every machine format offered."""
    ranges = parse_accept(accept)
    wanted = max(_exact(ranges, media) for media in HTML.media_types)
    return wanted > 0 and wanted > max((quality(ranges, f) for f in offers), default=0.0)


def html_wanted(fmt_param: str | None, accept: str | None, offers: tuple[Format, ...]) -> bool:
    """`format=html`, or a browser's Accept (and no machine format named by `format=`)."""
    if fmt_param and find(fmt_param, (HTML,)) is not None:
        return True
    return by_name(fmt_param, offers) is None and prefers_html(accept, offers)


def _exact(ranges: list[Range], media: str) -> float:
    found = [r.q for r in ranges if r.matches(media) == 2]
    return max(found) if found else 0.0


def curie(iri: str) -> str:
    for prefix, ns in SHOWN_PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _cell(term: Any) -> dict[str, Any]:
    """A term for the template: {"type": uri|literal|bnode|triple, "value", "label", "note"}."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value, "label": curie(term.value), "note": None}
    if isinstance(term, ox.Literal):
        note = f"@{term.language}" if term.language else (
            None if term.datatype.value == XSD_STRING else curie(term.datatype.value))
        return {"type": "literal", "value": term.value, "label": term.value, "note": note}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value, "label": f"_:{term.value}", "note": None}
    return {"type": "triple", "value": str(term), "label": str(term), "note": None}


def _json_cell(binding: dict[str, Any] | None) -> dict[str, Any] | None:
    if binding is None:
        return None
    kind, value = binding.get("type"), str(binding.get("value", ""))
    if kind == "uri":
        return _cell(ox.NamedNode(value))
    if kind in ("literal", "typed-literal"):
        lang, dt = binding.get("xml:lang"), binding.get("datatype")
        note = f"@{lang}" if lang else (None if dt in (None, XSD_STRING) else curie(str(dt)))
        return {"type": "literal", "value": value, "label": value, "note": note}
    if kind == "bnode":
        return {"type": "bnode", "value": value, "label": f"_:{value}", "note": None}
    return {"type": "triple", "value": json.dumps(binding.get("value")), "label": json.dumps(binding.get("value")),
            "note": None}


def format_links(path: str, params: list[tuple[str, str]], offers: Sequence[Format], root: str) -> list[dict[str, str]]:
    """Links to this answer in each offered format (the request's parameters, `format` replaced)."""
    kept = [(k, v) for k, v in params if k != "format"]
    return [{"href": f"{root}{path}?{urlencode([*kept, ('format', f.name)])}", "name": f.name, "label": f.label,
             "media": f.media_type} for f in offers]


def results_html(context: dict[str, Any], body: bytes, *, graph: bool, query: str, links: list[dict[str, str]],
                 capped: str | None) -> str:
    """SPARQL JSON results (a SELECT or ASK) or N-Triples (a CONSTRUCT or DESCRIBE) as a table: the page's HTML
    (`context`: kg.server.pages.page_context)."""
    columns: list[str] = []
    rows: list[list[dict[str, Any] | None]] = []
    boolean: bool | None = None
    if graph:
        columns = ["subject", "predicate", "object"]
        for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES):
            rows.append([_cell(t.subject), _cell(t.predicate), _cell(t.object)])
        summary = f"{len(rows)} triple{'' if len(rows) == 1 else 's'}"
    else:
        data = json.loads(body)
        if "boolean" in data:
            boolean = bool(data["boolean"])
            summary = "ASK"
        else:
            columns = list(data["head"].get("vars", []))
            for b in data["results"]["bindings"]:
                rows.append([_json_cell(b.get(c)) for c in columns])
            summary = f"{len(rows)} row{'' if len(rows) == 1 else 's'}"
    if capped:
        summary += f" (cut at --max-rows {capped})"
    return page_html("results.html", title="Query results", summary=summary, query=query, columns=columns, rows=rows,
                     boolean=boolean, formats=links, **context)


def triples_html(context: dict[str, Any], title: str, summary: str, triples: list[ox.Triple],
                 links: list[dict[str, str]]) -> str:
    """Triples (a service description, VoID) as a table: the page's HTML."""
    rows: list[list[dict[str, Any] | None]] = [[_cell(t.subject), _cell(t.predicate), _cell(t.object)]
                                               for t in triples]
    return page_html("results.html", title=title, summary=summary, query=None,
                     columns=["subject", "predicate", "object"], rows=rows, boolean=None, formats=links, **context)


