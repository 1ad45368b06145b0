"""kg's server as one ASGI app: the SPARQL pipeline for /sparql, the Starlette app for everything else.

This is what a `kg serve` worker answers, without kg's HTTP front (kg.server.wire): for an ASGI
server (uvicorn: the reference server of the differential tests) and for an in-process client (the
views' unit tests). The worker composes the same parts itself (kg.server.prefork), with its front
calling the pipeline directly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from kg.server.app import create_app
from kg.server.budget import Ledger, SharedLedger
from kg.server.calls import CALLS
from kg.server.config import ServerConfig
from kg.server.evaluator import factory
from kg.server.local import LocalRunner
from kg.server.sparql_pipeline import SparqlAsgi, SparqlPipeline
from kg.server.wire import is_sparql

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


def asgi_app(config: ServerConfig, runner: LocalRunner | None = None, *, announce: bool = True,
             ledger: Ledger | SharedLedger | None = None) -> ASGIApp:
    """The whole server as an ASGI app; jobs run in `runner` (default: evaluation threads in this process,
    as a `kg serve` worker has them: a query past the time limit ends this process)."""
    if runner is None:
        runner = LocalRunner(factory(config.source, config.updates, CALLS), threads=1 if config.updates else 2)
    if ledger is None and config.client_budget:
        ledger = Ledger(config.client_budget)  # one budget per client, for both parts
    starlette = create_app(config, runner, announce=announce, ledger=ledger)
    endpoint = starlette.state.endpoint
    sparql = SparqlAsgi(SparqlPipeline(config, runner, endpoint.caches, lambda: endpoint.site.base, ledger=ledger))

    async def app(scope: Scope, receive: Callable[[], Awaitable[Message]],
                  send: Callable[[Message], Awaitable[None]]) -> None:
        raw = scope.get("raw_path")
        if scope["type"] == "http" and is_sparql(bytes(raw).split(b"?", 1)[0] if raw else scope["path"].encode()):
            await sparql(scope, receive, send)
        else:
            await starlette(scope, receive, send)

    return app
