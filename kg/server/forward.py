"""`kg serve --endpoint`: what a worker does with a remote engine behind it.

/sparql queries are forwarded after the endpoint's own checks (read-only, SERVICE/LOAD refused,
body limit: kg.server.app), with kg's max rows and the engine's answer normalised as the features
see it (kg.backend.normalise); the worker's timeout kills the worker, which drops its connection to
the engine, so the upstream request is abandoned with it. An engine that cannot answer is a 503
(down), 504 (too slow) or 502 (an error or garbage), one line naming it.
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.backend import normalise
from kg.backend.binding import tokens
from kg.backend.remote import RemoteBackend, RemoteSpec, form
from kg.backend.sparql import EndpointError
from kg.errors import KgError, QueryError
from kg.formats import GRAPHS, RESULTS, find
from kg.server.messages import Calls, Family, Job, Result, failure
from kg.void import void_data

_STATUS = {"unreachable": 503, "timeout": 504, "error": 502, "garbage": 502, "too-large": 502}


class RemoteEvaluator:
    """A worker's handler over a remote engine: the same jobs as kg.server.evaluator.Evaluator, read-only."""

    def __init__(self, spec: RemoteSpec, calls: Calls) -> None:
        self.backend = spec.open()
        self.calls = calls

    def __call__(self, job: Job) -> Result:
        try:
            if job.kind == "update":
                return failure(403, "updates are not enabled (a remote endpoint is served read-only)")
            if job.kind == "call":
                fn = self.calls.get(job.text)
                if fn is None:
                    return failure(400, f"no call {job.text!r}")
                try:
                    return fn(self.backend, **job.args)
                except EndpointError:
                    raise
                except KgError as e:
                    return failure(400, str(e))
            if job.kind == "void":
                return Result(200, data=void_data(self.backend))
            return query(self.backend, job)
        except EndpointError as e:
            return endpoint_error(e)
        except Exception as e:  # never a stack trace
            return failure(500, f"evaluation failed: {type(e).__name__}: {e}")


def endpoint_error(e: EndpointError) -> Result:
    """An engine's failure as the server answers it (never its body beyond one line)."""
    status = 400 if e.kind == "error" and e.status == 400 else _STATUS[e.kind]
    return failure(status, str(e), {"Retry-After": "5"} if status in (503, 504) else None)


def query(data: RemoteBackend, job: Job) -> Result:
    """A /sparql query answered by the engine, in the format the client chose, capped at max_rows."""
    if job.default_graphs is not None or job.named_graphs is not None:
        return failure(400, "default-graph-uri and named-graph-uri are not forwarded to a remote engine")
    try:
        kind = form(job.text, "query")
    except QueryError as e:
        return failure(400, str(e))
    text = job.text
    if job.base_iri and not _has_base(text):  # relative IRIs resolve against our address, as locally
        text = f"BASE <{ox.NamedNode(job.base_iri).value}>\n{text}"
    try:
        if kind == "graph":
            return _graph(data, text, job)
        return _results(data, text, job)
    except EndpointError as e:
        return endpoint_error(e)


def _has_base(text: str) -> bool:
    """Whether the query's prologue declares its own BASE."""
    for t in tokens(text):
        if t.kind == "word":
            up = t.text.upper()
            if up == "BASE":
                return True
            if up in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
                return False
    return False


def _results(data: RemoteBackend, text: str, job: Job) -> Result:
    fmt = find(job.results_format, RESULTS)
    if fmt is None or fmt.results is None:
        return Result(406, unacceptable=Family.RESULTS)
    answer = data.client.solutions(text, capped=True)
    if isinstance(answer, ox.QueryBoolean):
        return Result(200, fmt.content_type, answer.serialize(format=fmt.results) or b"")
    names = [v.value for v in answer.variables]
    rows = data.rows(text, answer)
    truncated = job.max_rows is not None and len(rows) > job.max_rows
    if job.max_rows is not None:
        rows = rows[: job.max_rows]
    engine_cap = data.client.last_cap
    headers: dict[str, str] = {}
    if truncated:
        headers["X-SPARQL-MaxRows"] = str(job.max_rows)
    elif engine_cap is not None and len(rows) >= engine_cap:
        headers["X-SPARQL-MaxRows"] = str(engine_cap)  # the engine cut it: say so, as it did
    body = normalise.solutions(names, rows).serialize(format=fmt.results) or b""
    return Result(200, fmt.content_type, body, headers, rows=len(rows))


def _graph(data: RemoteBackend, text: str, job: Job) -> Result:
    chosen = find(job.graph_format, GRAPHS)
    if chosen is None or chosen.rdf is None:
        return Result(406, unacceptable=Family.GRAPH)
    rdf = chosen.rdf
    triples = [ox.Triple(t.subject, t.predicate, normalise.term(t.object))
               for t in data.client.graph(text, capped=True)]
    truncated = job.max_rows is not None and len(triples) > job.max_rows
    if job.max_rows is not None:
        triples = triples[: job.max_rows]
    items: list[ox.Triple] | list[ox.Quad] = (
        [ox.Quad(t.subject, t.predicate, t.object) for t in triples] if rdf.supports_datasets else triples
    )
    headers = {"X-SPARQL-MaxRows": str(job.max_rows)} if truncated else {}
    return Result(200, chosen.content_type, ox.serialize(items, format=rdf) or b"", headers, rows=len(triples))
