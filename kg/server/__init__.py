"""`kg serve`: the SPARQL 1.1 endpoint. The only package of kg that knows HTTP.

Modules: app (Starlette routes, access log, uvicorn), protocol (SPARQL 1.1 Protocol request shapes),
negotiation (Accept with q-values), sparqltext (SERVICE/LOAD refusal, dataset clauses), workers
(evaluation in killable processes), service_description (SD and VoID).
"""

from kg.server.app import ServerConfig, create_app, serve

__all__ = ["ServerConfig", "create_app", "serve"]
