"""kg's server as one ASGI app (kg.server.asgi: the SPARQL pipeline for /sparql, the Starlette app for the
rest, on an in-process LocalRunner, as `kg serve`'s worker composes them), without kg's HTTP front: for
uvicorn, the reference server of tests/test_server_differential.py (`uvicorn --factory reference_app:app`).

The store and the address `kg serve` would be configured with come from the environment:
KG_REFERENCE_STORE, KG_REFERENCE_CORS (non-empty: --cors), KG_REFERENCE_PORT (the port of the
`kg serve` it is compared with, so that a request without Host gets the same base IRI from both).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kg.server import ServerConfig, asgi_app
from kg.server.calls import CALLS
from kg.server.evaluator import factory
from kg.server.local import LocalRunner


def app() -> Any:
    """The app, told that it listens where `kg serve` does: a request whose Host the app refuses (or
    without one) gets the listening address as its URL, which is the one legitimate difference."""
    config = ServerConfig(store=Path(os.environ["KG_REFERENCE_STORE"]), port=int(os.environ["KG_REFERENCE_PORT"]),
                          workers=1,
                          cors=bool(os.environ.get("KG_REFERENCE_CORS")))
    runner = LocalRunner(factory(config.source, config.updates, CALLS), threads=2)
    inner = asgi_app(config, runner=runner, announce=False)

    async def as_kg_serve(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope["server"] = (config.host, config.port)
        await inner(scope, receive, send)

    return as_kg_serve
