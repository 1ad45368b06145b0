"""The app's views of machine answers for browsers (the VoID description as a page; the tables
themselves are kg.server.html's), and the query page's example texts.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from kg.queries import NamedQuery, to_term
from kg.server.html import CSP, triples_html
from kg.server.pages import Pages


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
