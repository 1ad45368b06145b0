"""/api/curations: the corrections by hand of the served store (kg.curate), over HTTP.

GET lists them (JSON, or RDF by Accept: text/turtle, application/n-triples, application/ld+json);
POST records one and applies it (a new generation, as `kg curate same|distinct` does) and answers
its Location, /api/curations/ID, which GET answers (one correction, as listed); DELETE undoes one.
POST and DELETE need the update token (`kg serve --update-token`, as SPARQL Update does): 401
without it, 403 with a wrong one or when updates are off.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kg.errors import KgError
from kg.formats import DATA_JSON, JSON_LD, N_TRIPLES, RDF_XML, TURTLE
from kg.identity.curation import API, VERDICTS, CurationError
from kg.server.html import prefers_html
from kg.server.negotiation import by_name, choose
from kg.server.protocol import ProtocolError
from kg.server.web import Site, error, json_response

MAX_BODY = 64 * 1024
OFFERS = (DATA_JSON, TURTLE, N_TRIPLES, JSON_LD, RDF_XML)  # JSON first: what no Accept header gets


class Curations:
    def __init__(self, site: Site) -> None:
        self.site = site

    def _store(self) -> Any:
        store = self.site.config.store
        if store is None:
            raise ProtocolError(404, "corrections by hand need a store (kg serve --store), not a remote endpoint")
        return store

    async def listing(self, request: Request) -> Response:
        from kg.curate import export, listing

        try:
            store = self._store()
            every = request.query_params.get("all", "false").lower()
            if every not in ("true", "false", "1", "0", ""):
                return error(400, f"all: must be true or false, not {every!r}", as_json=True)
            given = request.query_params.get("format")
            accept = request.headers.get("accept")
            # a browser (text/html first, then application/xml;q=0.9) gets the JSON, not RDF/XML to save
            fmt = by_name(given, OFFERS) if given else DATA_JSON if prefers_html(accept, OFFERS) \
                else choose(OFFERS, accept)
            if fmt is None:
                return error(400 if given else 406, f"format: offered {', '.join(f.name for f in OFFERS)}",
                             as_json=True)
            headers = {"Cache-Control": "no-cache", "Vary": "Accept"}
            if fmt.rdf is not None:
                body = await run_in_threadpool(export, store, fmt.rdf)
                return Response(body, 200, headers, media_type=fmt.content_type)
            found = await run_in_threadpool(listing, store, every in ("true", "1"))
        except ProtocolError as e:
            return error(e.status, e.message, e.headers, as_json=True)
        except KgError as e:
            return error(500, str(e), as_json=True)
        request.scope["kg.note"] = f"curations {len(found)}"
        return json_response({"curations": [x.to_json() for x in found]}, 200, headers)

    async def one(self, request: Request) -> Response:
        """One correction, as the list shows it (undone ones too): where POST's Location points."""
        from kg.curate import listing

        given = request.path_params["ident"]
        try:
            store = self._store()
            number = int(given.strip().lstrip("#"))
        except ProtocolError as e:
            return error(e.status, e.message, e.headers, as_json=True)
        except ValueError:
            return error(400, f"id: must be a correction number, not {given!r}", as_json=True, param="id")
        try:
            found = await run_in_threadpool(listing, store, True)
        except KgError as e:
            return error(500, str(e), as_json=True)
        mine = next((x for x in found if x.correction.id == number), None)
        if mine is None:
            return error(404, f"id: no correction #{number}", as_json=True, param="id")
        return json_response(mine.to_json(), 200, {"Cache-Control": "no-cache"})

    async def create(self, request: Request) -> Response:
        from kg.curate import add

        try:
            self.site.host.authorize_update(request)
            store = self._store()
            data = await _json_body(request)
            verdict = data.get("verdict")
            if verdict not in VERDICTS:
                raise CurationError("verdict", f"required: {' or '.join(VERDICTS)}, not {verdict!r}")
            fields = {k: data.get(k) for k in ("a", "b", "why", "by")}
            for k, v in fields.items():
                if v is not None and not isinstance(v, str):
                    raise CurationError(k, f"must be a string, not {type(v).__name__}")
            if not (fields["why"] or "").strip():
                raise CurationError("why", "required: say why, in words (it is kept with the correction)")
            if not (fields["by"] or "").strip():
                raise CurationError("by", "required: who makes the correction")
            served = (str(request.base_url), self.site.base)  # a row's page here names it, as its IRI does
            done = await run_in_threadpool(add, store, str(verdict), fields["a"] or "", fields["b"] or "",
                                           fields["why"] or "", fields["by"] or "", API, served=served)
        except ProtocolError as e:
            return error(e.status, e.message, e.headers, as_json=True)
        except CurationError as e:
            return error(400, str(e), as_json=True, param=e.param)
        except KgError as e:
            return error(409, str(e), as_json=True)
        request.scope["kg.note"] = f"curation #{done.correction.id} {done.correction.verdict}"
        location = f"api/curations/{done.correction.id}"
        return json_response(done.to_json(), 201, {"Location": "/" + location})

    async def delete(self, request: Request) -> Response:
        from kg.curate import undo

        try:
            self.site.host.authorize_update(request)
            store = self._store()
            by = request.query_params.get("by")
            if by is None or not by.strip():
                raise CurationError("by", "required (a query parameter): who undoes the correction")
            done = await run_in_threadpool(undo, store, request.path_params["ident"], by, API)
        except ProtocolError as e:
            return error(e.status, e.message, e.headers, as_json=True)
        except CurationError as e:
            status = 404 if e.param == "id" and "no correction" in str(e) else 400
            return error(status, str(e), as_json=True, param=e.param)
        except KgError as e:
            return error(409, str(e), as_json=True)
        request.scope["kg.note"] = f"curation #{done.correction.id} undone"
        return json_response(done.to_json(), 200)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/curations", self.listing, methods=["GET", "HEAD"]),
            Route("/api/curations", self.create, methods=["POST"]),
            Route("/api/curations/{ident}", self.one, methods=["GET", "HEAD"]),
            Route("/api/curations/{ident}", self.delete, methods=["DELETE"]),
        ]


async def _json_body(request: Request) -> dict[str, Any]:
    kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if kind != "application/json":
        given = kind or "none"
        raise ProtocolError(415, f"a correction is a JSON object (Content-Type: application/json), not {given!r}")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ProtocolError(413, f"request body too large (limit {MAX_BODY} bytes)")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ProtocolError(400, f"body: not JSON: {e}") from None
    if not isinstance(data, dict):
        raise ProtocolError(400, "body: must be a JSON object with verdict, a, b, why and by")
    return data
