"""HTML views of the endpoint's machine answers, for browsers: a query's results as a table, and the
service description and VoID as pages, in the pages' style, each linking to its other formats.

A browser says `text/html` in Accept (`text/html,…,application/xml;q=0.9,*/*;q=0.8`); machine clients
(curl's `*/*`, SPARQLWrapper, rdflib, Jena, Comunica) do not name it and keep what they get.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from kg.formats import HTML, Format, find
from kg.jsonld import PREFIXES
from kg.queries import NamedQuery, to_term
from kg.server.negotiation import Range, by_name, parse_accept, quality
from kg.server.pages import CSP, Pages, page_html

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


def triples_page(request: Request, pages: Pages, title: str, summary: str, triples: list[ox.Triple],
                 links: list[dict[str, str]], headers: dict[str, str]) -> Response:
    html = triples_html(pages.context(request), title, summary, triples, links)
    return HTMLResponse(html, 200, {"Content-Security-Policy": CSP, **headers})


_EXAMPLE_LINE = re.compile(r"^#\s*example:")


def store_value(param: str, example: str, values: dict[str, str]) -> str:
    """The served store's value for a parameter (kg.showcase.example_values), else the query's example.
    `a` and `b` are author rows or name clusters, as the query's own example says."""
    if param in ("a", "b"):
        return values.get(("cluster_" if example.startswith("cluster/") else "author_") + param, example)
    return values.get(param, example)


def example_text(query: NamedQuery, base: str, values: dict[str, str] | None = None) -> str:
    """The query's text with its example values bound by a VALUES block at the top of its WHERE
    clause (IRIs relative to the store's base IRI), so it runs as it stands on the query page.
    `values` (kg.showcase.example_values) are the served store's, and win over the query's own."""
    if not query.params or not query.examples:
        return query.text
    names = [p for p in query.params if p in query.examples]
    terms = []
    for p in names:
        kind, value = query.params[p][0], store_value(p, query.examples[p], values or {})
        if kind == "iri":
            terms.append(str(ox.NamedNode(value if "://" in value else base + value)))
        else:
            terms.append(str(to_term(value, kind, p)))
    block = f"  VALUES ({' '.join('?' + p for p in names)}) {{ ({' '.join(terms)}) }}"
    lines = [x for x in query.text.split("\n") if not (values and _EXAMPLE_LINE.match(x))]  # not the example's
    for i, line in enumerate(lines):
        if not line.startswith("#") and (m := re.search(r"\bWHERE\s*\{", line, re.IGNORECASE)):
            lines[i] = line[: m.end()]
            lines.insert(i + 1, block)
            rest = line[m.end():].strip()
            if rest:
                lines.insert(i + 2, "  " + rest)
            return "\n".join(lines)
    return query.text
