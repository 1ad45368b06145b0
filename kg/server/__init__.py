"""`kg serve`: the SPARQL 1.1 endpoint. The only package of kg that knows HTTP.

Modules: prefork (the supervisor and its HTTP worker processes), wire (a worker's HTTP/1.1 front),
sparql_pipeline (every /sparql request: checks, the job, the answer, its log line and budget;
sparql_checks and cors its checks and CORS fields),
answers_cache (repeated API and page answers as bytes), access_log (the front's access log), local (a
worker's evaluation threads and hard time limits), app (Starlette: API, pages, linked data; their
access log), asgi (the pipeline and the app as one ASGI app, for uvicorn and tests), config (the
settings), protocol (the operation a SPARQL 1.1 Protocol request carries), negotiation (the Accept
matcher over kg.formats), messages (Job and Result), evaluator (what an evaluation thread does with
a Job), calls (the library calls of the API and pages),
service_description (SD and VoID), budget and page_cache (fair shares, the page cache), tables (the
bounded caches of a worker and their registry), and the web side: site, web, api, pages, views, html (the pages'
HTML without a web framework), linked, openapi. The SPARQL
text checks (SERVICE/LOAD refusal, dataset clauses) are kg.sparqltext, which `kg query` uses too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kg.server.app import create_app
    from kg.server.asgi import asgi_app
    from kg.server.config import ServerConfig
    from kg.server.prefork import serve

__all__ = ["ServerConfig", "asgi_app", "create_app", "serve"]


def __getattr__(name: str) -> Any:
    """The app is imported on first use, so `kg serve`'s supervisor process never loads Starlette."""
    if name == "ServerConfig":
        from kg.server.config import ServerConfig

        return ServerConfig
    if name == "create_app":
        from kg.server.app import create_app

        return create_app
    if name == "asgi_app":
        from kg.server.asgi import asgi_app

        return asgi_app
    if name == "serve":  # HTTP worker processes under a supervisor
        from kg.server.prefork import serve

        return serve
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
