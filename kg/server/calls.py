"""Library calls run in a worker process (Job kind "call"), where the store is open.

Each call takes the worker's backend (its read-only store) and keyword arguments and returns a Result whose
`data` is plain, picklable data (dicts, lists, strings, bytes). A user error is a 4xx Result with a
one-line message; the worker's own timeout (kill and 503) still bounds every call.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from kg import describe as ld
from kg.backend import Backend
from kg.errors import KgError
from kg.server.workers import Job, Result

COAUTHORS_SHOWN = 100  # on an author page; /api/coauthors has them all


class Evaluator(Protocol):
    generation: Path | None


def _error(status: int, message: str, **extra: Any) -> Result:
    return Result(status, body=(message.rstrip("\n") + "\n").encode(), data={"error": message, **extra})


def cluster(ev: Evaluator, data: Backend, name: str, loose: bool = False, page: int = 1,
            page_size: int = 50) -> Result:
    """One page of a name cluster (kg.cluster_page); a page past the last one is 404."""
    from kg.cluster_page import cluster_page

    try:
        return Result(200, data=cluster_page(data, name, page=page, page_size=page_size, loose=loose))
    except KgError as e:
        return _error(404 if "past the last page" in str(e) else 400, str(e))



def paths(ev: Evaluator, data: Backend, a: str, b: str, by: str, max_hops: int, all: bool, limit: int,
          timeout: float) -> Result:
    from kg.paths import AmbiguousAuthor, UnknownAuthor, shortest_paths

    try:
        return Result(200, data=shortest_paths(data, a, b, by=by,  # type: ignore[arg-type]
                                               max_hops=max_hops, all=all, limit=limit, timeout=timeout))
    except AmbiguousAuthor as e:
        return _error(400, str(e), candidates=[{"iri": c.iri, "name": c.name} for c in e.candidates])
    except UnknownAuthor as e:
        return _error(404, str(e))


def coauthors(ev: Evaluator, data: Backend, who: str) -> Result:
    from kg.paths import AmbiguousAuthor, UnknownAuthor
    from kg.paths import coauthors as run

    try:
        return Result(200, data=run(data, who))
    except AmbiguousAuthor as e:
        return _error(400, str(e), candidates=[{"iri": c.iri, "name": c.name} for c in e.candidates])
    except UnknownAuthor as e:
        return _error(404, str(e))


def stats(ev: Evaluator, data: Backend) -> Result:
    from kg.stats import compute_stats

    return Result(200, data=compute_stats(data))


def describe(ev: Evaluator, data: Backend, iri: str, fmt: str, page: int = 1, per_page: int = ld.PER_PAGE,
             next_url: str | None = None) -> Result:
    """`fmt` ttl/nt/rdf: serialized bytes; jsonld: the compacted node list; html: the page's data."""
    desc = ld.describe(data, iri, page=page, per_page=per_page)
    if desc is None:
        return _error(404, f"nothing is known about <{iri}>")
    headers = {"X-KG-More": "1"} if desc.more else {}
    if fmt == "html":
        shown: dict[str, Any] = {"resource": ld.view(data, desc)}
        if desc.kind == "author":
            from kg.paths import coauthors as run

            found = run(data, iri).to_json()["coauthors"]
            shown["coauthors"], shown["coauthors_total"] = found[:COAUTHORS_SHOWN], len(found)
        return Result(200, data=shown, headers=headers)
    triples = ld.with_next(desc, next_url)
    if fmt == "jsonld":
        return Result(200, data=ld.jsonld_graph(triples), headers=headers)
    return Result(200, body=ld.serialize(triples, fmt), headers=headers)


CALLS: dict[str, Callable[..., Result]] = {
    "cluster": cluster,
    "paths": paths,
    "coauthors": coauthors,
    "stats": stats,
    "describe": describe,
}


def run(ev: Evaluator, data: Backend, job: Job) -> Result:
    """Dispatch a call job by name (`job.text`) with `job.args`."""
    fn = CALLS.get(job.text)
    if fn is None:
        return _error(400, f"no call {job.text!r}")
    try:
        return fn(ev, data, **job.args)
    except KgError as e:
        return _error(400, str(e))
