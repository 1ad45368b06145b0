"""The ASGI application (Starlette): the API, the pages, VoID and linked data, their access log. In a worker
it sits behind the HTTP front (kg.server.wire), which hands every /sparql request to the SPARQL pipeline
(kg.server.sparql_pipeline) and answers repeated API and page requests from its answers cache
(kg.server.answers_cache): this app has no /sparql route, and imports nothing of either."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from kg.formats import DESCRIPTIONS
from kg.server.access_log import LINE, printable
from kg.server.budget import ClientBudget
from kg.server.config import CORS_EXPOSED, CORS_HEADERS, CORS_METHODS, ServerConfig
from kg.server.html import format_links, html_wanted
from kg.server.messages import Job, Result
from kg.server.negotiation import by_name, choose, offered
from kg.server.pages import Pages, render
from kg.server.protocol import authorize_update
from kg.server.service_description import void_description
from kg.server.site import routes as site_routes
from kg.server.tables import BYTES, Caches, Table, cost
from kg.server.views import example_text, triples_page
from kg.server.web import Site, error, root

log = logging.getLogger("kg.server")
access = logging.getLogger("kg.server.access")
STATIC = Path(__file__).resolve().parent / "static"
VENDOR = STATIC / "vendor"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

__all__ = ["ServerConfig", "create_app"]


def _rdf(triples: list[ox.Triple], accept: str | None, fmt_param: str | None) -> Response:
    fmt = by_name(fmt_param, DESCRIPTIONS) or choose(DESCRIPTIONS, accept)
    if fmt is None or fmt.rdf is None:
        return error(406, f"not acceptable; offered: {offered(DESCRIPTIONS)}")
    body = ox.serialize(triples, format=fmt.rdf) or b""
    return Response(body, 200, {"Vary": "Accept"}, media_type=fmt.content_type)


def logged_path(scope: Scope) -> str:
    """The path as the client sent it (kg.server.access_log.printable: no forged log lines)."""
    raw = scope.get("raw_path")
    return printable(bytes(raw).split(b"?", 1)[0] if raw is not None else str(scope.get("path", "-")).encode())


class AccessLog:
    """One line per request: client, method, path, status, milliseconds, and what the handler noted."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self, scope: Scope, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.monotonic()
        status = [0]

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            client = scope.get("client") or ("-", 0)
            note = scope.get("kg.note", "")
            access.info(
                LINE,
                client[0],
                scope.get("method", "-"),
                logged_path(scope),
                status[0],
                (time.monotonic() - start) * 1000,
                f" {note}" if note else "",
            )


class JobRunner(Protocol):
    """Where jobs run: a worker's evaluation threads (kg.server.local.LocalRunner)."""

    @property
    def size(self) -> int: ...

    async def start(self) -> None: ...

    async def run(self, job: Job, timeout: float) -> Result: ...

    def close(self) -> None: ...


class Endpoint:
    """What the app's routes share: the worker's runner, its caches, the site and its pages."""

    def __init__(self, config: ServerConfig, runner: JobRunner) -> None:
        self._config = config
        self.runner = runner
        self.caches = Caches()  # this worker's caches, emptied together on a new store generation
        self.void_cache: Table[str, list[ox.Triple]] = self.caches.table("void", entries=1, largest=BYTES)
        self.site = Site(self)
        self.pages = Pages(self.site)

    @property
    def config(self) -> ServerConfig:
        return self._config

    async def run(self, job: Job) -> Result:
        return await self.runner.run(job, self.config.timeout)

    def authorize_update(self, request: Request) -> None:
        authorize_update(self.config, request.headers.get("authorization"))

    def description(self, request: Request, path: str, title: str, triples: list[ox.Triple],
                    fmt_param: str | None) -> Response:
        """The service description or VoID: RDF by Accept or `format=`, a page for a browser."""
        accept = request.headers.get("accept")
        if not html_wanted(fmt_param, accept, DESCRIPTIONS):
            return _rdf(triples, accept, fmt_param)
        links = format_links(path, [], DESCRIPTIONS, root(request))
        summary = f"{len(triples)} triples about this endpoint"
        return triples_page(request, self.pages, title, summary, triples, links, {"Vary": "Accept"})

    async def void(self, request: Request) -> Response:
        url = str(request.url.replace(query="", fragment=""))
        endpoint = str(request.url.replace(path="/sparql", query="", fragment=""))
        store = self.config.store
        if store is None:  # a remote engine: its data version, if any (no version, no cache)
            version = self.config.remote.version() if self.config.remote is not None else None
            key = f"{self.config.label}|{version}|{url}" if version is not None else ""
        else:
            key = f"{store.resolve()}|{os.path.realpath(store / 'active')}|{url}"
        triples = self.void_cache.get(key) if key else None
        if triples is None:
            result = await self.run(Job("void"))
            if result.status != 200:
                return error(result.status, result.body.decode("utf-8", "replace"), result.headers)
            try:
                triples = void_description(url, endpoint, result.data)
            except ValueError as e:
                return error(400, f"cannot describe the dataset at this address: {e}")
            self.void_cache.put(key, triples, cost(key))  # the one entry (the description is a few triples)
        request.scope["kg.note"] = "void"
        return self.description(request, ".well-known/void", "VoID description", triples,
                                request.query_params.get("format"))

    async def page(self, request: Request) -> Response:
        """The query page (/query): the site's header, YASGUI (or a plain editor) with the queries meant for
        people, each with its parameters bound to values of the served store (kg.showcase); it opens on the first."""
        from kg.queries import all_named

        variant = "page /query"
        ready, headers = self.site.ready_page(request, variant)
        if ready is not None:
            return ready
        base = self.site.base
        shown = await self.pages.showcase()
        values = shown["values"]
        queries = [{"name": q.name, "title": q.title or q.name, "text": example_text(q, base, values)}
                   for q in all_named() if not q.internal]
        data = Markup(json.dumps(queries).replace("<", "\\u003c"))
        csp = (
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:;"
            " script-src 'self'; connect-src 'self'"
        )
        answer = render("query.html", 200, {**headers, "Content-Security-Policy": csp}, queries=data,
                        yasgui=(VENDOR / "yasgui.min.js").is_file(),
                        store=self.config.store.name if self.config.store else self.config.label,
                        **self.pages.context(request))
        if shown.get("failed"):  # the queries' own examples this time: not kept for the whole build
            return self.site.passing(answer)
        return self.site.keep(request, variant, answer, "Content-Security-Policy")


def create_app(config: ServerConfig, runner: JobRunner, *, announce: bool = True, ledger: Any = None) -> Starlette:
    """The app of the API, the pages and linked data (no /sparql: kg.server.asgi.asgi_app is the whole
    server); its jobs run in `runner`, the worker's evaluation threads (kg.server.local.LocalRunner).

    An HTTP worker of kg.server.prefork passes its in-process runner, `announce=False` (the
    supervisor says where it listens) and the shared budget ledger.
    """
    endpoint = Endpoint(config, runner)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await endpoint.runner.start()
        if announce:
            log.info(
                "kg serve: %s on http://%s:%d/sparql (%d worker%s, timeout %g s, updates %s)",
                config.label,
                config.host,
                config.port,
                endpoint.runner.size,
                "" if endpoint.runner.size == 1 else "s",
                config.timeout,
                "token" if config.update_token else "on" if config.allow_update else "off",
            )
        try:
            yield
        finally:
            endpoint.runner.close()

    middleware = [Middleware(AccessLog)]
    if config.client_budget:
        middleware.append(Middleware(ClientBudget, budget=config.client_budget, loopback=config.client_budget_loopback,
                                     ledger=ledger))
    if config.cors:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=CORS_METHODS,
                allow_headers=CORS_HEADERS,
                expose_headers=CORS_EXPOSED,
            )
        )
    routes = [
        Route("/.well-known/void", endpoint.void, name="void", methods=["GET", "HEAD"]),
        Route("/", endpoint.pages.home, methods=["GET", "HEAD"]),
        Route("/query", endpoint.page, name="query", methods=["GET", "HEAD"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        *site_routes(endpoint.site),  # the API, pages, ontology, then every other path dereferences an IRI
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.endpoint = endpoint  # the worker's SPARQL pipeline and answers cache share its caches and site
    return app
