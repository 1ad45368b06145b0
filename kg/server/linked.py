"""Dereferencing: every IRI under the base IRI answers with its description.

GET /author/ID (any path) maps to the IRI BASE + "author/ID" (the path as sent, percent-encodings
kept) and answers 200 with the description in the format chosen by Accept, `?format=` or a suffix
(.ttl, .nt, .jsonld, .rdf, .html), with `Vary: Accept` and `Content-Location` naming the suffixed
document actually sent (the 200 + Content-Location pattern: one round trip, no 303). An IRI the store
knows nothing about is 404. A huge node's description is cut into pages (?page=N): a page with more
after it carries `Link: <…?page=N+1>; rel="next"` and, in the RDF, `<iri> rdfs:seeAlso <next page>`.

A merged id (kg.redirects: owl:sameAs its survivor, no description of its own) answers 301 with
`Location` the survivor's URL: the same path shape, the format suffix and the query string kept;
merges with no one survivor (a cycle, a fork) are a 404 with the reason.

The ontology is served at its own IRI's path (/ontology): HTML from kg.ontodoc, Turtle or JSON-LD;
the JSON-LD context at /ontology/context.jsonld.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from kg.formats import HTML, JSON_LD, LINKED, ONTOLOGY, TURTLE, Format, by_suffix, find, names
from kg.iris import segment
from kg.ontology import context_path, ontology_path
from kg.server.html import CSP
from kg.server.negotiation import choose, offered
from kg.server.pages import Pages
from kg.server.web import (
    Site,
    ascii_url,
    error,
    error_from,
    integer,
    json_response,
    moved,
    public_url,
    raw_path,
    result_message,
)

CONTEXT_PATH = "/ontology/context.jsonld"
EXPORTS = {"bibtex": ("application/x-bibtex; charset=utf-8", ".bib"), "csv": ("text/csv; charset=utf-8", ".csv")}


def _alternate(name: str, query: str, sent: Format) -> str:
    """The one `rel="alternate"` Link entry: the JSON-LD document (Turtle from the JSON-LD one).

    One, since clients such as pyld's document loader take only one; the HTML page links every format.
    """
    other = TURTLE if sent is JSON_LD else JSON_LD
    return f'<{name}{other.suffix}{query}>; rel="alternate"; type="{other.media_type}"'


class Linked:
    def __init__(self, site: Site, pages: Pages) -> None:
        self.site = site
        self.pages = pages
        self._ontology_html: str | None = None

    def context_url(self, request: Request) -> str:
        return public_url(request, self.site.base, CONTEXT_PATH.lstrip("/"))

    async def resource(self, request: Request) -> Response:
        path = raw_path(request)
        accept = request.headers.get("accept")
        given_name = request.query_params.get("format")
        if given_name in EXPORTS:
            return await self.export(request, path, given_name)
        given = find(given_name, LINKED)
        if given_name is not None and given is None:
            return error(400, f"format: must be one of {names(LINKED)}, not {given_name!r}")
        page_text = request.query_params.get("page", "1")
        page_n = integer(page_text)
        if page_n is None or not 1 <= page_n <= 1_000_000:
            return error(400, f"page: must be a positive integer, not {page_text!r}")
        page = page_n
        tries: list[tuple[str, Format | None]] = []
        suffixed = by_suffix(path, LINKED)
        if suffixed is not None and suffixed.suffix and len(path) > len(suffixed.suffix) + 1:
            tries.append((path[: -len(suffixed.suffix)], suffixed))
        tries.append((path, None))
        # each as sent, then re-encoded as kg mints it ("dblp:O'Brien.ttl" is "dblp%3AO%27Brien.ttl")
        tries += [(fallback, fmt) for doc, fmt in list(tries) if (fallback := _normalised(doc)) != doc]
        base = self.site.base
        for doc_path, suffix_fmt in tries:
            chosen = given or suffix_fmt or choose(LINKED, accept)
            if chosen is None:
                return error(406, f"not acceptable; offered: {offered(LINKED)}")
            iri = base + doc_path.lstrip("/")
            suffix = (suffix_fmt.suffix or "") if suffix_fmt is not None else ""
            response = await self.describe(request, iri, doc_path, chosen, page, suffix)
            if response is not None:
                return response
        if choose(LINKED, accept) is HTML and not given:
            return self.pages.error(request, 404, f"nothing is known about <{base + path.lstrip('/')}>")
        return error(404, f"nothing is known about <{base + path.lstrip('/')}>")

    async def export(self, request: Request, path: str, fmt: str) -> Response:
        """An author row's papers as BibTeX or CSV (`?format=bibtex`, `?format=csv`), as a download."""
        iri = self.site.base + path.lstrip("/")
        result = await self.site.call("export", iri=iri, fmt=fmt)
        if result.status == 404 and (fallback := _normalised(path)) != path:  # as kg mints it, as resource() does
            result = await self.site.call("export", iri=self.site.base + fallback.lstrip("/"), fmt=fmt)
        request.scope["kg.note"] = f"export {fmt}"
        if result.status == 301:
            return self.moved(request, result.data["survivor"])
        if result.status != 200:
            return error_from(result)
        media, suffix = EXPORTS[fmt]
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", path.rstrip("/").rsplit("/", 1)[-1]) or "papers"
        return Response(result.body, 200, {"Content-Disposition": f'attachment; filename="{name}{suffix}"'},
                        media_type=media)

    def moved(self, request: Request, survivor: str, suffix: str = "") -> Response:
        """The 301 from a merged id to its survivor's URL (the suffix and the query string as asked)."""
        request.scope["kg.note"] = "merged id"
        base = self.site.base
        if survivor.startswith(base):
            return moved(request, base, survivor[len(base):] + suffix)
        # a survivor outside this server's IRIs: its IRI is its URL
        return Response(status_code=301, headers={"Location": ascii_url(survivor), "Cache-Control": "no-cache"})

    async def describe(self, request: Request, iri: str, doc_path: str, fmt: Format, page: int,
                       suffix: str = "") -> Response | None:
        name = doc_path.rsplit("/", 1)[-1]
        query = f"?page={page}" if page > 1 else ""
        headers = {"Vary": "Accept", "Content-Location": f"{name}{fmt.suffix}{query}",
                   "Link": _alternate(name, query, fmt)}
        variant = f"{iri}|{fmt.name}|{page}"
        not_modified, cache = self.site.conditional(request, variant)
        if not_modified is not None:
            not_modified.headers.update(headers)
            return not_modified
        headers.update(cache)
        next_url = public_url(request, self.site.base, raw_path(request).lstrip("/"), f"page={page + 1}")
        config = self.site.config
        anchors = {"anchors_given": config.anchors, "timeout": max(0.1, config.timeout / 2)}
        result = await self.site.call("describe", iri=iri, fmt=fmt.name, page=page, next_url=next_url,
                                      **(anchors if fmt.name == "html" and config.anchors else {}))
        request.scope["kg.note"] = f"describe {fmt.name}"
        if result.status == 301:
            return self.moved(request, result.data["survivor"], suffix)
        if result.status == 404:
            if isinstance(result.data, dict) and result.data.get("merged"):  # merged, with no one survivor
                if fmt is HTML:
                    return self.pages.error(request, 404, result_message(result))
                return error(404, result_message(result))
            return None
        if result.status != 200:
            return error_from(result)
        if result.headers.pop("X-KG-More", None):
            headers["Link"] += f', <{name}?page={page + 1}>; rel="next"'
        if fmt is HTML:
            data: dict[str, Any] = result.data
            if data["resource"]["kind"] == "cluster":
                return await self.pages.cluster_page(request, data["resource"]["label"])
            return self.site.validated(request, variant, self.pages.resource(request, data, headers))
        if fmt is JSON_LD:
            return self.site.validated(request, variant, json_response(
                {"@context": self.context_url(request), "@graph": result.data}, 200,
                headers | {"Content-Type": JSON_LD.media_type}))
        return self.site.validated(request, variant, Response(result.body, 200, headers, media_type=fmt.content_type))

    async def ontology(self, request: Request) -> Response:
        given = request.query_params.get("format")
        fmt = find(given, ONTOLOGY)
        if given is not None and fmt is None:
            return error(400, f"format: must be one of {names(ONTOLOGY)}, not {given!r}")
        fmt = fmt or choose(ONTOLOGY, request.headers.get("accept"), default=HTML)
        if fmt is None:
            return error(406, f"not acceptable; offered: {offered(ONTOLOGY)}")
        headers = {"Vary": "Accept"}
        if fmt is TURTLE:
            return FileResponse(ontology_path(), headers=headers, media_type=TURTLE.content_type)
        if fmt is JSON_LD:
            graph = await run_in_threadpool(_ontology_jsonld)
            return json_response({"@context": self.context_url(request), "@graph": graph}, 200,
                                 headers | {"Content-Type": JSON_LD.media_type})
        if self._ontology_html is None:
            from kg.ontodoc import page

            self._ontology_html = await run_in_threadpool(page)
        return Response(self._ontology_html, 200, headers | {"Content-Security-Policy": CSP},
                        media_type=HTML.content_type)

    async def context(self, request: Request) -> Response:
        return FileResponse(context_path(), media_type=JSON_LD.media_type)

    def routes(self) -> list[BaseRoute]:
        get = ["GET", "HEAD"]
        return [
            Route("/ontology", self.ontology, methods=get),
            Route(CONTEXT_PATH, self.context, methods=get),
        ]

    def catch_all(self) -> BaseRoute:
        return Route("/{rest:path}", self.resource, methods=["GET", "HEAD"])


def _normalised(path: str) -> str:
    """The path with each segment re-encoded as kg mints it (for clients that decode %7E and the like);
    a segment of dots and spaces (".%20", as the pages link BASE/cluster/%2E) is the dots."""
    return "/".join(segment(_undotted(unquote(s))) if s else s for s in path.split("/"))


def _undotted(value: str) -> str:
    stripped = value.strip(" ")
    return stripped if stripped in (".", "..") else value


def _ontology_jsonld() -> list[dict[str, Any]]:
    import pyoxigraph as ox

    from kg.describe import jsonld_graph

    triples = [ox.Triple(t.subject, t.predicate, t.object)
               for t in ox.parse(path=str(ontology_path()), format=ox.RdfFormat.TURTLE)]
    return jsonld_graph(triples)

