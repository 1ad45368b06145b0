"""The web API: name clusters, co-authorship paths and reach, co-authors and counts as JSON or CSV.

Each answer is the library's own JSON (the same shape as the CLI's `--format json`) computed in a
worker process. Bad parameters are 400 with `{"error": message}`; an unknown name is an empty
cluster (200), an unknown author for paths or co-authors is 404. An author given by a merged id
(kg.redirects) is a 301 to the same route with the survivor in its place (as an IRI or an id, as
given), the other parameters kept.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kg.formats import DATA, DATA_CSV, DATA_JSON, Format, find
from kg.iris import segment
from kg.server.negotiation import choose
from kg.server.web import (
    MAX_NAME,
    BadRequest,
    Site,
    error,
    error_from,
    flag,
    has_control,
    integer,
    json_response,
    moved,
    name_path,
    public_url,
    raw_path,
)

MAX_AVOID = 50
MAX_ALTERNATIVES = 20
MAX_QUERY_PARAM = 1000  # characters of a search's q (a longer one is a 400, not cut silently)


@dataclass(frozen=True)
class JsonText:
    """An answer's JSON as text already (`next`: the URL of the next page, or None); '<' is escaped
    as json_response escapes it."""

    body: bytes
    next: str | None


def _format(request: Request) -> Format:
    given = request.query_params.get("format")
    if given is not None:
        found = find(given, DATA)
        if found is None:
            raise BadRequest(f"format: must be {' or '.join(f.name for f in DATA)}, not {given!r}")
        return found
    return choose(DATA, request.headers.get("accept")) or DATA_JSON


def _text(value: str | None, param: str) -> str:
    if value is None or not value.strip():
        raise BadRequest(f"{param}: required and must not be empty")
    if len(value) > MAX_NAME:
        raise BadRequest(f"{param}: longer than {MAX_NAME} characters")
    if has_control(value):
        raise BadRequest(f"{param}: control characters are not allowed")
    return value


def _int(given: Request | Mapping[str, str], param: str, default: int, low: int, high: int) -> int:
    value = (given.query_params if isinstance(given, Request) else given).get(param)
    if value is None or value == "":
        return default
    n = integer(value)
    if n is None:
        raise BadRequest(f"{param}: must be an integer, not {value!r}")
    if not low <= n <= high:
        raise BadRequest(f"{param}: must be from {low} to {high}, not {n}")
    return n


def _bool(request: Request, param: str) -> bool:
    value = request.query_params.get(param, "false")
    found = flag(value)
    if found is None:
        raise BadRequest(f"{param}: must be true or false, not {value.lower()!r}")
    return found


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue().encode()


def cluster_csv(data: Any) -> bytes:
    """The papers of one page of a cluster (kg.cluster_page.ClusterPage), or of a whole cluster."""
    from kg.cluster import CSV_COLUMNS, csv_row

    return _csv(list(CSV_COLUMNS), [csv_row(p) for p in data.papers])


def paths_csv(data: Any) -> bytes:
    rows = []
    for i, chain in enumerate(data.paths, 1):
        for j, link in enumerate(chain.links):
            a, b = chain.nodes[j], chain.nodes[j + 1]
            for p in link.papers:
                rows.append([i, j + 1, a.iri, a.name, b.iri, b.name, p.iri, p.title or "", p.year, p.venue])
    return _csv(["path", "link", "from_iri", "from_name", "to_iri", "to_name", "paper", "title", "year", "venue"], rows)


def reach_csv(data: Any) -> bytes:
    """The counts by distance, or with `at` the authors at that distance (this page of them)."""
    if data.at is not None:
        return _csv(["distance", "iri", "name"], [[data.at, n.iri, n.name] for n in data.nodes])
    return _csv(["distance", "authors"], [[d, n] for d, n in enumerate(data.counts, start=1)])


def coauthors_csv(data: Any) -> bytes:
    return _csv(["iri", "name", "papers"], [[c.iri, c.name, c.papers] for c in data.coauthors])


def search_csv(data: Any) -> bytes:
    """A page of search results (kg.search.query.SearchPage)."""
    rows = [[r.kind, r.iri, r.label, r.rows, r.papers, r.first, r.last, r.persons, r.year, r.venue,
             "; ".join(r.authors or ()), r.matched, r.snippet] for r in data.results]
    return _csv(["kind", "iri", "label", "rows", "papers", "first", "last", "persons", "year", "venue", "authors",
                 "matched", "snippet"], rows)


def search_args(params: Mapping[str, str], paged: bool, default_limit: int = 10) -> dict[str, Any]:
    """q, kind, limit (and page) of /api/suggest, /api/search and the results page: BadRequest for
    an empty, over-long or control-character q, an unknown kind, a limit or page out of range."""
    from kg.search.query import KINDS, MAX_LIMIT, MAX_PAGE

    q = params.get("q")
    if q is None or not q.strip():
        raise BadRequest("q: required and must not be empty")
    if len(q) > MAX_QUERY_PARAM:
        raise BadRequest(f"q: longer than {MAX_QUERY_PARAM} characters")
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in q):
        raise BadRequest("q: control characters are not allowed")
    kind = params.get("kind") or "all"
    if kind not in KINDS:
        raise BadRequest(f"kind: must be {', '.join(KINDS)}, not {kind!r}")
    return {"q": q, "kind": kind, "limit": _int(params, "limit", default_limit, 1, MAX_LIMIT),
            "page": _int(params, "page", 1, 1, MAX_PAGE) if paged else 1}


def stats_csv(data: Any) -> bytes:
    return _csv(list(data), [list(data.values())])


class Api:
    def __init__(self, site: Site) -> None:
        self.site = site

    async def answer(
        self, request: Request, call: str, args: dict[str, Any], to_csv: Any, shape: Any = None
    ) -> Response:
        try:
            fmt = _format(request)
        except BadRequest as e:
            return error(400, str(e), as_json=True)
        variant = f"{raw_path(request)}?{request.url.query}|{fmt.name}"  # the path as sent: its `next` link keeps it
        not_modified, headers = self.site.conditional(request, variant)
        headers["Vary"] = "Accept"
        if not_modified is not None:
            not_modified.headers["Vary"] = "Accept"
            return not_modified
        cached = self.site.from_page_cache(request, variant, headers)
        if cached is not None:
            request.scope["kg.note"] = f"api {call} cached"
            return cached
        result = await self.site.call(call, **args)
        request.scope["kg.note"] = f"api {call}"
        if result.status == 301:
            return self.moved(request, result.data["moved"])
        if result.status != 200:
            return error_from(result, as_json=True)
        data = result.data if isinstance(result.data, dict) else shape(result.data) if shape else result.data.to_json()
        following = data.next if isinstance(data, JsonText) else data.get("next") if isinstance(data, dict) else None
        if following:
            headers["Link"] = f'<{following}>; rel="next"'
        if fmt is DATA_CSV:
            answer = Response(to_csv(result.data), 200, headers, media_type=DATA_CSV.content_type)
        elif isinstance(data, JsonText):
            answer = Response(data.body.replace(b"<", b"\\u003c"), 200, headers, media_type="application/json")
        else:
            answer = json_response(data, 200, headers)
        return self.site.keep(request, variant, answer, "Link")

    async def clusters(self, request: Request) -> Response:
        from kg.cluster_page import MAX_PAGE_SIZE, PAGE_SIZE

        try:
            name = _text(request.path_params.get("name"), "name")
            loose = _bool(request, "loose")
            page = _int(request, "page", 1, 1, 10**9)
            page_size = _int(request, "page_size", PAGE_SIZE, 1, MAX_PAGE_SIZE)
            pairs = _bool(request, "pairs")
        except BadRequest as e:
            return error(400, str(e), as_json=True)
        args = {"name": name, "loose": loose, "page": page, "page_size": page_size, "pairs": pairs}

        def shape(data: Any) -> JsonText:  # a kg.cluster_page.ClusterPage: its JSON text, with `next`
            following = data.next_page
            url = None if following is None else self.page_url(request, following)
            return JsonText(data.json_bytes(next=url), url)

        return await self.answer(request, "cluster", args, cluster_csv, shape)

    def moved(self, request: Request, survivors: dict[str, str]) -> Response:
        """The 301 for merged authors: this request's URL with each moved parameter (the path's author, or
        a query parameter) given its survivor, the others kept."""
        path = raw_path(request)
        if "author" in survivors and "author" in request.path_params:
            route = path[: path.index("/", len("/api/")) + 1]  # "/api/coauthors/"
            path = route + segment(survivors["author"])
        request.scope["kg.note"] = "api merged id"
        return moved(request, self.site.base, path, {k: v for k, v in survivors.items() if k != "author"})

    def page_url(self, request: Request, page: int) -> str:
        """This request's URL as clients see it, with `page` set (other parameters kept)."""
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"] + [("page", str(page))]
        return public_url(request, self.site.base, name_path(raw_path(request)).lstrip("/"), urlencode(params))

    async def paths(self, request: Request) -> Response:
        q = request.query_params
        try:
            a = _text(q.get("from"), "from")
            b = _text(q.get("to"), "to")
            by = q.get("by") or "author"
            if by not in ("author", "cluster"):
                raise BadRequest(f"by: must be author or cluster, not {by!r}")
            max_hops = _int(request, "max_hops", 6, 0, 12)
            every = _bool(request, "all")
            limit = _int(request, "limit", 100, 1, 1000)
            avoid = tuple(_text(x, "avoid") for x in q.getlist("avoid"))
            if len(avoid) > MAX_AVOID:
                raise BadRequest(f"avoid: at most {MAX_AVOID}, not {len(avoid)}")
            strongest = _bool(request, "strongest")
            alternatives = _int(request, "alternatives", 0, 1, MAX_ALTERNATIVES) or None  # 0: not given
        except BadRequest as e:
            return error(400, str(e), as_json=True)
        args = {"a": a, "b": b, "by": by, "max_hops": max_hops, "all": every, "limit": limit,
                "timeout": max(0.1, self.site.config.timeout - 1), "avoid": avoid, "strongest": strongest,
                "alternatives": alternatives, "base": self.site.base}
        return await self.answer(request, "paths", args, paths_csv)

    async def reach(self, request: Request) -> Response:
        q = request.query_params
        try:
            who = _text(request.path_params.get("author"), "author")
            by = q.get("by") or "author"
            if by not in ("author", "cluster"):
                raise BadRequest(f"by: must be author or cluster, not {by!r}")
            max_hops = _int(request, "max_hops", -1, 0, 12)  # -1: not given
            at = _int(request, "at", 0, 1, 12) or None  # 0: not given
            offset = _int(request, "offset", 0, 0, 10_000_000)
            limit = _int(request, "limit", 100, 1, 1000)
        except BadRequest as e:
            return error(400, str(e), as_json=True)
        args = {"who": who, "by": by, "max_hops": None if max_hops < 0 else max_hops, "at": at, "offset": offset,
                "limit": limit, "timeout": max(0.1, self.site.config.timeout - 1), "base": self.site.base}
        return await self.answer(request, "reach", args, reach_csv)

    async def coauthors(self, request: Request) -> Response:
        try:
            who = _text(request.path_params.get("author"), "author")
        except BadRequest as e:
            return error(400, str(e), as_json=True)
        return await self.answer(request, "coauthors", {"who": who, "base": self.site.base}, coauthors_csv)

    async def suggest(self, request: Request) -> Response:
        """Suggestions for what is typed so far (kg.search): names first, then titles."""
        try:
            args = {**search_args(request.query_params, paged=False), "paged": False}
        except BadRequest as e:
            return error(400, str(e), as_json=True)
        return await self.answer(request, "search", args, search_csv, lambda data: data.to_json(paged=False))

    async def search(self, request: Request) -> Response:
        """A page of the search results, with `next` (and a Link header) when there are more."""
        try:
            args = search_args(request.query_params, paged=True)
        except BadRequest as e:
            return error(400, str(e), as_json=True)

        def shape(data: Any) -> Any:  # a kg.search.query.SearchPage
            return data.to_json(self.page_url(request, data.page + 1) if data.more else None)

        return await self.answer(request, "search", args, search_csv, shape)

    async def stats(self, request: Request) -> Response:
        return await self.answer(request, "stats", {}, stats_csv)

    async def openapi(self, request: Request) -> Response:
        from kg.server.openapi import spec

        return json_response(spec(), headers={"Cache-Control": "no-cache"})

    async def missing(self, request: Request) -> Response:
        return error(404, f"no API endpoint {request.url.path}; see /api/openapi.json", as_json=True)

    def routes(self) -> list[BaseRoute]:
        get = ["GET", "HEAD"]
        return [
            Route("/api/openapi.json", self.openapi, methods=get),
            Route("/api/clusters/{name:rest}", self.clusters, methods=get),
            Route("/api/paths", self.paths, methods=get),
            Route("/api/coauthors/{author:rest}", self.coauthors, methods=get),
            Route("/api/reach/{author:rest}", self.reach, methods=get),
            Route("/api/stats", self.stats, methods=get),
            Route("/api/suggest", self.suggest, methods=get),
            Route("/api/search", self.search, methods=get),
            Route("/api/{rest:path}", self.missing, methods=get),
        ]
