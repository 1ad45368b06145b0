"""The least a front costs when granian, a Rust HTTP server, does the HTTP: a reference for `bench/endpoint.py --floor`.

    KG_FLOOR_STORE=STORE granian --interface wsgi --working-dir bench front_floor_granian:wsgi_app ...
    KG_FLOOR_STORE=STORE granian --interface rsgi --working-dir bench front_floor_granian:rsgi_app ...

Not a server to run: a measuring stick, the twin of bench/front_floor.py with granian's Rust HTTP/1.1
layer (connections, parsing, keep-alive, flow control, head limits and timeouts are all granian's)
in place of the Python one. The Python left is what any app on it must run: decode the form, evaluate
(`Store.query`, then `serialize` to bytes, both releasing the interpreter's lock) and hand back the
engine's bytes.

- `wsgi_app`: granian calls it on one of its blocking threads (`--blocking-threads`), a thread that
  evaluates the query too: no event loop and no hop between threads in Python. A costly query holds
  one thread, and granian keeps reading and parking the other connections.
- `rsgi_app`: granian's RSGI interface, an asyncio coroutine per request; the query goes to an
  evaluation thread (`asyncio.to_thread`), kg serve's shape.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import pyoxigraph as ox

JSON = ox.QueryResultsFormat.JSON
STORE = ox.Store.read_only(str(os.path.realpath(os.path.join(os.environ["KG_FLOOR_STORE"], "active")) + "/oxigraph"))
OK = [("Content-Type", "application/sparql-results+json")]


def evaluate(text: str) -> bytes:
    """The engine's answer to `text` as SPARQL JSON results (a boolean for ASK)."""
    return STORE.query(text, use_default_graph_as_union=True).serialize(format=JSON) or b""


def request_text(method: str, query_string: str, body: bytes) -> str | None:
    """The query of a POST form body or of a GET's query string; None for anything else."""
    found = parse_qs(body.decode("utf-8") if method == "POST" else query_string).get("query")
    return found[0] if found else None


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    method = environ["REQUEST_METHOD"]
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) if method == "POST" else b""
    text = request_text(method, environ.get("QUERY_STRING", ""), body)
    if text is None:
        start_response("400 Bad Request", [("Content-Length", "0")])
        return [b""]
    out = evaluate(text)
    start_response("200 OK", [*OK, ("Content-Length", str(len(out)))])
    return [out]


async def rsgi_app(scope: Any, protocol: Any) -> None:
    body = await protocol() if scope.method == "POST" else b""
    text = request_text(scope.method, scope.query_string, body)
    if text is None:
        protocol.response_empty(400, [])
        return
    protocol.response_bytes(200, OK, await asyncio.to_thread(evaluate, text))
