"""kg's server as one ASGI app: the SPARQL pipeline for /sparql (by its ASGI adapter, SparqlAsgi), the
Starlette app for everything else.

This is what a `kg serve` worker answers, without kg's HTTP front (kg.server.wire): for an ASGI
server (uvicorn: the reference server of the differential tests) and for an in-process client (the
views' unit tests). The worker composes the same parts itself (kg.server.prefork), with its front
calling the pipeline directly.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from kg.server.app import create_app
from kg.server.budget import Ledger, SharedLedger
from kg.server.calls import CALLS
from kg.server.config import ServerConfig
from kg.server.evaluator import factory
from kg.server.local import LocalRunner
from kg.server.sparql_pipeline import Answer, Headers, SparqlPipeline, body_too_large
from kg.server.wire import is_sparql

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


class _AsgiRequest:
    """A /sparql request of an ASGI server, as the pipeline reads it."""

    __slots__ = ("method", "raw_path", "query", "headers", "body", "client", "scheme", "started")

    def __init__(self, scope: Scope, body: bytes) -> None:
        self.method: str = scope["method"]
        raw = scope.get("raw_path")
        self.raw_path: bytes = bytes(raw).split(b"?", 1)[0] if raw is not None else str(scope["path"]).encode()
        self.query: bytes = bytes(scope.get("query_string", b""))
        self.headers: Headers = [(bytes(k).lower(), bytes(v)) for k, v in scope.get("headers", [])]
        self.body = body
        client = scope.get("client")
        self.client: tuple[str, int] = (str(client[0]), int(client[1])) if client else ("-", 0)
        self.scheme: str = scope.get("scheme", "http")
        self.started = time.monotonic()


class SparqlAsgi:
    """The pipeline as an ASGI app, for an ASGI server (uvicorn) or an in-process client: the body read
    whole (413 past --max-body), the pipeline's answer sent as it is."""

    def __init__(self, pipeline: SparqlPipeline) -> None:
        self.pipeline = pipeline
        self.max_body = pipeline.config.max_body

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        body = await self._body(scope, receive)
        request = _AsgiRequest(scope, body or b"")
        if body is None:
            answer = body_too_large(self.max_body)
            self.pipeline.lines.add(request, 413, f"refused: request body too large (limit {self.max_body} bytes)")
        else:
            answered: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
            self.pipeline.handle(request, answered.set_result)
            answer = await answered
        headers = list(answer.headers)
        if answer.head is not None:
            headers = [(k, v) for k, _, v in (line.partition(b": ") for line in answer.head.split(b"\r\n") if line)]
        if answer.status >= 200 and answer.status not in (204, 304):
            headers.append((b"content-length", b"%d" % len(answer.body)))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})
        self.pipeline.lines.flush()  # written now: no timer outlives a request here

    async def _body(self, scope: Scope, receive: Callable[[], Awaitable[Message]]) -> bytes | None:
        """The request's body, or None past the limit (as kg serve's front counts it)."""
        for k, v in scope.get("headers", []):
            if bytes(k).lower() == b"content-length" and (not v.strip().isdigit() or int(v) > self.max_body):
                return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


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
    sparql = SparqlAsgi(SparqlPipeline(config, runner, endpoint.caches, lambda: endpoint.site.base, ledger=ledger,
                                       generation=lambda: endpoint.site.build().tag))

    async def app(scope: Scope, receive: Callable[[], Awaitable[Message]],
                  send: Callable[[Message], Awaitable[None]]) -> None:
        raw = scope.get("raw_path")
        if scope["type"] == "http" and is_sparql(bytes(raw).split(b"?", 1)[0] if raw else scope["path"].encode()):
            await sparql(scope, receive, send)
        else:
            await starlette(scope, receive, send)

    return app
